/**
 * The load generator's corpus: realistic line protocol as a fleet of hosts writes it. Each line
 * has a measurement, 4-8 tags, 3-6 fields (floats, integers, now and then a boolean or a string)
 * and a 19-digit nanosecond timestamp. Lines are pre-built into batches whose timestamps are
 * overwritten in place just before each send, so the generator costs almost nothing per line
 * and every line carries its send time (end-to-end latency is read from it at the output).
 */

/** A small deterministic PRNG (mulberry32), so runs compare. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const REGIONS = ['us-east-1', 'us-west-2', 'eu-west-1', 'eu-central-1', 'ap-southeast-2'];
const ENVS = ['prod', 'prod', 'prod', 'staging', 'dev'];
const SERVICES = ['api', 'web', 'db', 'cache', 'queue', 'auth', 'search', 'billing'];
const OSES = ['linux', 'linux', 'windows', 'darwin'];
const METHODS = ['GET', 'GET', 'GET', 'POST', 'PUT', 'DELETE'];
const TS_DIGITS = 19;

/** A series: the line's head (measurement and tags) and a field generator. */
interface Series {
  head: string;
  fields: (r: () => number) => string;
}

/** A host's own tags (4-6); a series adds 0-2 of its own. */
function hostTags(h: number): [string, string][] {
  const t: [string, string][] = [
    ['dc', `dc-${h % 7}`],
    ['host', `host-${String(h).padStart(5, '0')}`],
    ['os', OSES[h % OSES.length]],
    ['region', REGIONS[h % REGIONS.length]],
  ];
  if (h % 2 === 0) t.push(['env', ENVS[h % ENVS.length]]);
  if (h % 3 !== 0) t.push(['rack', `r${h % 40}`]);
  return t;
}

/** Measurement and tags sorted by key, as clients following InfluxDB's advice send them. */
function head(name: string, host: [string, string][], extra: [string, string][] = []): string {
  const tags = [...host, ...extra].sort(([a], [b]) => (a < b ? -1 : 1));
  return name + tags.map(([k, v]) => `,${k}=${v}`).join('');
}

/** The series one host reports: cpu per core, mem, net, disk, http requests, a health probe. */
function hostSeries(h: number, strings: boolean): Series[] {
  const t = hostTags(h);
  const f = (r: () => number, scale: number): string => String(Math.round(r() * scale * 1000) / 1000);
  const i = (r: () => number, scale: number): string => `${Math.floor(r() * scale)}i`;
  const out: Series[] = [];
  for (let c = 0; c < 4; c++) {
    out.push({
      head: head('cpu', t, [['cpu', `cpu${c}`]]),
      fields: (r) =>
        `usage_idle=${f(r, 100)},usage_iowait=${f(r, 5)},usage_system=${f(r, 30)},usage_user=${f(r, 100)}`,
    });
  }
  out.push({
    head: head('mem', t),
    fields: (r) =>
      `available=${i(r, 32e9)},total=${i(r, 64e9)},used=${i(r, 32e9)},used_percent=${f(r, 100)}` +
      (h % 3 === 0 ? `,swap_ok=${r() < 0.9 ? 'true' : 'false'}` : ''),
  });
  out.push({
    head: head('net', t, [['interface', 'eth0']]),
    fields: (r) =>
      `bytes_recv=${i(r, 1e12)},bytes_sent=${i(r, 1e12)},drop_in=${i(r, 10)},err_in=${i(r, 5)},packets_recv=${i(r, 1e9)}`,
  });
  out.push({
    head: head('disk', t, [
      ['device', 'vda1'],
      ['path', '/'],
    ]),
    fields: (r) => `free=${i(r, 5e11)},inodes_free=${i(r, 3e7)},used=${i(r, 5e11)},used_percent=${f(r, 100)}`,
  });
  out.push({
    head: head('http_requests', t, [
      ['method', METHODS[h % METHODS.length]],
      ['service', SERVICES[h % SERVICES.length]],
    ]),
    fields: (r) =>
      `bytes=${i(r, 1e6)},count=${i(r, 1000)},latency_ms=${f(r, 250)}` +
      (strings ? `,path="/api/v1/items/${Math.floor(r() * 100)}"` : `,items=${i(r, 100)}`),
  });
  if (h % 10 === 0) {
    // About 1.5% of the lines: what the http-pipeline's filter processor drops.
    out.push({
      head: head('health', t, [['check', 'ping']]),
      fields: (r) => `code=0i,ok=true,rtt_ms=${f(r, 5)}`,
    });
  }
  return out;
}

/** A batch ready to send: bytes, and where each line's 19 timestamp digits are. */
export interface Batch {
  data: Buffer;
  stampAt: Int32Array;
  lines: number;
}

/** How the corpus is made. */
export interface CorpusOptions {
  /** Hosts (about 7.6 series each). */
  hosts: number;
  seed: number;
  /** Some lines carry a string field; false: none do (isolates quote-aware line splitting). */
  strings: boolean;
  /**
   * Points of each series in one batch: 1 (default) is one interval of many hosts, where no
   * series repeats within a request; N is N intervals of fewer hosts (an agent flushing N
   * gathers at once), so a parser's per-request series memo can hit.
   */
  points: number;
}

/**
 * Builds `count` batches of `size` lines, cycling over the hosts' series (many series), fields
 * drawn at random. Timestamps are placeholders until stamp().
 */
export function buildBatches(count: number, size: number, o: CorpusOptions): Batch[] {
  const r = rng(o.seed);
  const series: Series[] = [];
  for (let h = 0; h < o.hosts; h++) for (const s of hostSeries(h, o.strings)) series.push(s);
  const placeholder = '1'.padEnd(TS_DIGITS, '0');
  const points = Math.max(1, Math.floor(o.points));
  const perRound = Math.ceil(size / points);
  const out: Batch[] = [];
  let next = Math.floor(r() * series.length);
  for (let b = 0; b < count; b++) {
    const parts: string[] = [];
    const stampAt = new Int32Array(size);
    let offset = 0;
    const first = next;
    for (let l = 0; l < size; l++) {
      // Each round of a batch goes over the same perRound series.
      const s = series[(first + (l % perRound)) % series.length];
      const line = `${s.head} ${s.fields(r)} `;
      const bytes = Buffer.byteLength(line);
      stampAt[l] = offset + bytes;
      offset += bytes + TS_DIGITS + 1;
      parts.push(line, placeholder, '\n');
    }
    next = (first + perRound) % series.length;
    out.push({ data: Buffer.from(parts.join('')), stampAt, lines: size });
  }
  return out;
}

/** The wall clock in nanoseconds as 19 ASCII digits (sub-millisecond from the monotonic clock). */
export function nowDigits(atMs = performance.timeOrigin + performance.now()): Buffer {
  const ms = Math.floor(atMs);
  const ns = Math.floor((atMs - ms) * 1e6);
  return Buffer.from(String(ms) + String(ns).padStart(6, '0'), 'latin1');
}

/** Writes the same timestamp into every line of a batch. */
export function stamp(batch: Batch, digits: Buffer): void {
  const { data, stampAt } = batch;
  for (let i = 0; i < stampAt.length; i++) digits.copy(data, stampAt[i]);
}

/** Reads a line's timestamp (19 digits ending at `end`) as milliseconds since the epoch. */
export function readStampMs(data: Buffer, end: number): number {
  const start = end - TS_DIGITS;
  let ms = 0;
  for (let i = start; i < start + 13; i++) ms = ms * 10 + (data[i] - 48);
  let frac = 0;
  for (let i = start + 13; i < end; i++) frac = frac * 10 + (data[i] - 48);
  return ms + frac / 1e6;
}
