/**
 * Line protocol escaping against the real InfluxDB 1.6: a table of tricky lines written straight
 * to InfluxDB and, in another database, through a real `viva agent` (http_listener -> influxdb
 * output). What InfluxDB reads back (series keys, field keys, every value) must be the same: a
 * round trip through VIVA changes nothing.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { builtinInputs } from '../../plugins/inputs/registry.ts';
import { freePort, repoRoot, startViva, tempDir, waitFor, type VivaProcess } from '../helpers/viva.ts';
import { dropDatabase, influxQuery, influxUrl, uniqueDatabase, type Series } from './support/influx.ts';

const running: VivaProcess[] = [];
const databases: string[] = [];
afterEach(async () => {
  for (const p of running.splice(0)) {
    p.child.kill('SIGTERM');
    await p.exited;
  }
  for (const db of databases.splice(0)) await dropDatabase(db);
});

/** Each line InfluxDB 1.6 accepts; the comment says what it reads. */
const LINES = [
  String.raw`tv1,t=a\\b f=1i 1`, // tag value a\\b: `\\` is not an escape
  String.raw`tv2,t=a\b f=1i 2`, // a\b
  String.raw`tv3,t=a\ b,u=c\,d,v=e\=f f=1i 3`, // a b, c,d, e=f
  String.raw`tv4,t=a\\\,b f=1i 4`, // a\\,b
  String.raw`tv5,t=a\"b,u=C:\Program\ Files f=1i 5`, // a\"b, C:\Program Files
  String.raw`tv6,t=a\\\\b f=1i 6`, // four backslashes
  String.raw`tv7,t=a\nb f=1i 7`, // backslash n, not a newline
  String.raw`tk1,t\\k=v,a\,b\=c\ d=v f=1i 8`, // tag keys t\\k and a,b=c d
  String.raw`m\\1 f=1i 9`, // measurement m\\1
  String.raw`m\2 f=1i 10`, // m\2
  String.raw`m\=3 f=1i 11`, // m=3
  String.raw`m\"4 f=1i 12`, // m"4
  String.raw`m\,5\ x f=1i 13`, // m,5 x
  String.raw`m=6 f=1i 14`, // m=6
  String.raw`fk1 f\\k=1i,f\k=2i,f\=k=3i,f\,k=4i,f\ k=5i,f\"k=6i 15`, // field keys
  String.raw`sf1 s="a\\b",t="a\b",u="a\"b",v="a\\\"b",w="a\nb",x="end\\" 16`, // string fields
  'sf2 s="two\nlines" 17', // a raw newline in a string
  String.raw`mix\\\,1,t=\\\ v f\\\=k="\\\\" 18`,
];

async function write(url: string, body: string): Promise<void> {
  const res = await fetch(url, { method: 'POST', body });
  if (res.status !== 204) throw new Error(`${url}: ${res.status} ${await res.text()}`);
}

/** Everything InfluxDB reads back from a database, in a stable order. */
async function contents(db: string): Promise<{ series: Series[]; fields: Series[]; rows: Series[] }> {
  return {
    series: await influxQuery('SHOW SERIES', db),
    fields: await influxQuery('SHOW FIELD KEYS', db),
    rows: await influxQuery('SELECT * FROM /.*/', db),
  };
}

describe('line protocol escaping through viva into InfluxDB 1.6', () => {
  it('should make InfluxDB read the same through viva as written directly, for every escaping rule', async () => {
    const direct = uniqueDatabase('viva_esc_direct');
    const viaAgent = uniqueDatabase('viva_esc_agent');
    databases.push(direct, viaAgent);
    await influxQuery(`CREATE DATABASE "${direct}"`);
    for (const line of LINES) await write(`${influxUrl()}/write?db=${direct}&precision=ns`, line + '\n');

    const dir = tempDir();
    const [admin, httpPort] = await Promise.all([freePort(), freePort()]);
    const plugins = builtinInputs.some((d) => d.name === 'http_listener')
      ? ''
      : `plugins = [${JSON.stringify(path.join(repoRoot, 'plugins', 'inputs', 'http_listener', 'index.ts'))}]\n\n`;
    const file = path.join(dir, 'agent.toml');
    fs.writeFileSync(
      file,
      `${plugins}[agent]
flush_interval = "100ms"
http_listen = "127.0.0.1:${admin}"
data_dir = "${dir}"
omit_hostname = true
watch_config = false

[[inputs.http_listener]]
service_address = "127.0.0.1:${httpPort}"

[[outputs.influxdb]]
urls = ["${influxUrl()}"]
database = "${viaAgent}"
`,
    );
    running.push(startViva(['agent', '-c', file]));
    await waitFor(async () => (await fetch(`http://127.0.0.1:${admin}/ready`)).ok, 'the agent to be ready');
    await write(`http://127.0.0.1:${httpPort}/write?precision=ns`, LINES.join('\n') + '\n');

    const want = await contents(direct);
    expect(want.series.flatMap((s) => s.values).length).toBe(LINES.length);
    await waitFor(
      async () =>
        (await influxQuery('SHOW SERIES', viaAgent).catch(() => [])).flatMap((s) => s.values).length >=
        LINES.length,
      'every line to reach InfluxDB through viva',
    );
    expect(await contents(viaAgent)).toEqual(want);

    // What a user of the first line sees: the tag value keeps both backslashes.
    const tv1 = await influxQuery('SELECT t, f FROM tv1', viaAgent);
    expect(tv1[0].values[0][1]).toBe(String.raw`a\\b`);
  });
});
