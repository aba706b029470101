/**
 * Live reload under load: a client streams line protocol over one TCP connection into a
 * socket_listener while the config is rewritten 50 times (processors added and removed, a second
 * output added and its batch size changed, one invalid edit in the middle). Every metric sent
 * reaches the unchanged output exactly once and the connection stays open throughout.
 */
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { seqOf, startSink } from '../helpers/sink.ts';
import { freePort, startViva, tempDir, waitFor, type VivaProcess } from '../helpers/viva.ts';

const procs: VivaProcess[] = [];
afterEach(() => {
  for (const p of procs.splice(0)) if (p.child.exitCode === null) p.child.kill('SIGKILL');
});

const TOKEN = 'reload-test-token';

interface Health {
  config: { hash: string; reloads: number; lastReloadCode: string | null; lastReloadError?: string | null };
}

/** /health; the reason texts (lastReloadError) only come with the admin token. */
async function health(port: number, token?: string): Promise<Health> {
  const headers = token === undefined ? {} : { authorization: `Bearer ${token}` };
  return (await (await fetch(`http://127.0.0.1:${port}/health`, { headers })).json()) as Health;
}

function configText(o: {
  admin: number;
  listen: number;
  dir: string;
  step: number;
  invalid?: boolean;
}): string {
  const parts = [
    `[agent]
flush_interval = "100ms"
http_listen = "127.0.0.1:${o.admin}"
http_auth_token = "${TOKEN}"
data_dir = "${o.dir}/data"
omit_hostname = true

[[inputs.socket_listener]]
service_address = "tcp://127.0.0.1:${o.listen}"

[[outputs.file]]
alias = "main"
files = ["${o.dir}/main.lp"]
`,
  ];
  // Processors come and go with the step; none touches the seq field.
  if (o.step % 3 === 1) parts.push(`[[processors.tags]]\noverwrite = { step = "${o.step}" }\n`);
  if (o.step % 4 === 2)
    parts.push(`[[processors.rename]]\n[[processors.rename.replace]]\ntag = "src"\ndest = "source"\n`);
  // A second output appears, changes its batch size, and disappears again.
  if (o.step % 5 !== 0)
    parts.push(
      `[[outputs.file]]\nalias = "extra"\nmetric_batch_size = ${100 + (o.step % 7) * 50}\nfiles = ["${o.dir}/extra.lp"]\n`,
    );
  if (o.invalid) parts.push(`[[outputs.file]]\nalias = "broken"\nfiels = ["x"]\n`);
  return parts.join('\n');
}

describe('live reload', () => {
  it('should deliver every metric exactly once to the unchanged output across 50 config rewrites', async () => {
    const dir = tempDir();
    const admin = await freePort();
    const listen = await freePort();
    const file = path.join(dir, 'agent.toml');
    fs.writeFileSync(file, configText({ admin, listen, dir, step: 0 }));
    const p = startViva(['agent', '-c', file]);
    procs.push(p);
    await waitFor(async () => (await fetch(`http://127.0.0.1:${admin}/ready`)).ok, 'agent ready');

    // One TCP connection for the whole test; it must never be closed by the agent.
    const sock = net.connect(listen, '127.0.0.1');
    await new Promise<void>((resolve, reject) => sock.once('connect', resolve).once('error', reject));
    let closedEarly = false;
    sock.on('close', () => (closedEarly = true));
    let seq = 0;
    let sending = true;
    const sender = (async () => {
      while (sending) {
        let chunk = '';
        for (let i = 0; i < 20; i++)
          chunk += `load,src=client seq=${seq++}i ${1_700_000_000_000_000_000 + seq}\n`;
        sock.write(chunk);
        await new Promise((r) => setTimeout(r, 5));
      }
    })();

    for (let step = 1; step <= 50; step++) {
      const invalid = step === 25;
      const { reloads: before, hash: hashBefore } = (await health(admin)).config;
      fs.writeFileSync(file, configText({ admin, listen, dir, step, invalid }));
      const h = await waitFor(async () => {
        const x = await health(admin, TOKEN);
        return x.config.reloads > before ? x : undefined;
      }, `reload ${step}`);
      if (invalid) {
        expect(h.config.lastReloadError).toContain('outputs.file:broken: fiels: unknown key');
        expect(h.config.lastReloadCode).toBe('VIVA_ERR_CONFIG_INVALID');
        expect(h.config.hash).toBe(hashBefore);
      } else {
        expect(h.config.lastReloadError).toBeNull();
      }
    }
    sending = false;
    await sender;
    const sent = seq;
    await new Promise((r) => setTimeout(r, 200));
    const closedByAgent = closedEarly;
    await new Promise<void>((resolve) => sock.end(resolve));
    const main = path.join(dir, 'main.lp');
    const lines = (): string[] =>
      fs
        .readFileSync(main, 'utf8')
        .split('\n')
        .filter((l) => l !== '');
    await waitFor(() => lines().length >= sent, 'every sent metric in the main output', 30_000);
    expect(closedByAgent).toBe(false);
    const seqs = seqOf(lines());
    expect(seqs.length).toBe(sent);
    expect(new Set(seqs).size).toBe(sent);

    const metrics = await (
      await fetch(`http://127.0.0.1:${admin}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } })
    ).text();
    expect(metrics).toMatch(/viva_config_reloads_total\{[^}]*result="invalid"[^}]*\} 1/);
    expect(metrics).toMatch(/viva_config_reloads_total\{[^}]*result="success"[^}]*\} 49/);
    p.child.kill('SIGTERM');
    expect(await p.exited).toBe(0);
  });

  it('should reload on SIGHUP and on POST /admin/reload with the token, and refuse without it', async () => {
    const dir = tempDir();
    const admin = await freePort();
    const file = path.join(dir, 'agent.toml');
    const cfg = (alias: string): string =>
      `[agent]\nflush_interval = "100ms"\nhttp_listen = "127.0.0.1:${admin}"\nhttp_auth_token = "${TOKEN}"\ndata_dir = "${dir}"\n[[inputs.generator]]\ninterval = "100ms"\nseries = 1\n[[outputs.file]]\nalias = "${alias}"\nfiles = ["${dir}/${alias}.lp"]\n`;
    fs.writeFileSync(file, cfg('first'));
    const p = startViva(['agent', '-c', file, '--watch-config=false']);
    procs.push(p);
    await waitFor(async () => (await fetch(`http://127.0.0.1:${admin}/ready`)).ok, 'agent ready');
    fs.writeFileSync(file, cfg('second'));
    await new Promise((r) => setTimeout(r, 500));
    expect((await health(admin)).config.reloads).toBe(0);
    p.child.kill('SIGHUP');
    await waitFor(() => fs.existsSync(path.join(dir, 'second.lp')), 'SIGHUP reload to start the new output');
    fs.writeFileSync(file, cfg('third'));
    const denied = await fetch(`http://127.0.0.1:${admin}/admin/reload`, { method: 'POST' });
    expect(denied.status).toBe(401);
    const ok = await fetch(`http://127.0.0.1:${admin}/admin/reload`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKEN}` },
    });
    expect(ok.status).toBe(200);
    const body = (await ok.json()) as {
      result: string;
      summary: { started: string[]; stopped: string[]; kept: string[] };
    };
    expect(body.result).toBe('success');
    expect(body.summary.kept).toEqual(['inputs.generator']);
    expect(body.summary.started).toEqual(['outputs.file:third']);
    expect(body.summary.stopped).toEqual(['outputs.file:second']);
    p.child.kill('SIGTERM');
    expect(await p.exited).toBe(0);
  });

  it("should hand a replaced output's buffered metrics to its successor", async () => {
    const dir = tempDir();
    const admin = await freePort();
    const sink = await startSink();
    sink.failWith = 503;
    const file = path.join(dir, 'agent.toml');
    const cfg = (batch: number): string =>
      `[agent]\nflush_interval = "100ms"\nhttp_listen = "127.0.0.1:${admin}"\nhttp_auth_token = "${TOKEN}"\ndata_dir = "${dir}"\n[[inputs.generator]]\nrate = 2000\ntotal = 1000\nbatch_size = 100\n[[outputs.http]]\nalias = "dest"\nurl = "http://127.0.0.1:${sink.port}/write"\nmetric_batch_size = ${batch}\nretry_initial_backoff = "50ms"\nretry_max_backoff = "100ms"\n`;
    fs.writeFileSync(file, cfg(300));
    const p = startViva(['agent', '-c', file, '--watch-config=false']);
    procs.push(p);
    const scrapeBuffered = async (): Promise<number> => {
      const text = await (
        await fetch(`http://127.0.0.1:${admin}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } })
      ).text();
      const m = /viva_output_buffer_size\{[^}]*alias="dest"[^}]*\} (\d+)/.exec(text);
      return m === null ? 0 : Number(m[1]);
    };
    await waitFor(
      async () => (await scrapeBuffered()) === 1000,
      'all metrics buffered while the destination is down',
    );
    fs.writeFileSync(file, cfg(50));
    const r = await fetch(`http://127.0.0.1:${admin}/admin/reload`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKEN}` },
    });
    const body = (await r.json()) as { summary: { replaced: string[] } };
    expect(body.summary.replaced).toEqual(['outputs.http:dest']);
    expect(await scrapeBuffered()).toBe(1000);
    sink.failWith = null;
    await waitFor(() => sink.lines.length >= 1000, 'the successor to deliver the handed-over metrics');
    await new Promise((r) => setTimeout(r, 200));
    const seqs = seqOf(sink.lines);
    expect(seqs).toHaveLength(1000);
    expect(new Set(seqs).size).toBe(1000);
    p.child.kill('SIGTERM');
    expect(await p.exited).toBe(0);
    await sink.close();
  });

  it('should restore the previous pipeline when a new piece cannot start', async () => {
    const dir = tempDir();
    const admin = await freePort();
    const taken = net.createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    const busyPort = (taken.address() as net.AddressInfo).port;
    const file = path.join(dir, 'agent.toml');
    const base = `[agent]\nflush_interval = "100ms"\nhttp_listen = "127.0.0.1:${admin}"\nhttp_auth_token = "${TOKEN}"\ndata_dir = "${dir}"\n[[inputs.generator]]\ninterval = "100ms"\nseries = 1\n[[outputs.file]]\nfiles = ["${dir}/out.lp"]\n`;
    fs.writeFileSync(file, base);
    const p = startViva(['agent', '-c', file, '--watch-config=false']);
    procs.push(p);
    await waitFor(async () => (await fetch(`http://127.0.0.1:${admin}/ready`)).ok, 'agent ready');
    await waitFor(() => fs.existsSync(path.join(dir, 'out.lp')), 'first delivery');
    fs.writeFileSync(
      file,
      base + `[[inputs.socket_listener]]\nservice_address = "tcp://127.0.0.1:${busyPort}"\n`,
    );
    const r = await fetch(`http://127.0.0.1:${admin}/admin/reload`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKEN}` },
    });
    expect(r.status).toBe(500);
    expect(((await r.json()) as { error: string }).error).toMatch(/EADDRINUSE|address already in use/);
    const size = fs.statSync(path.join(dir, 'out.lp')).size;
    await waitFor(
      () => fs.statSync(path.join(dir, 'out.lp')).size > size,
      'the previous pipeline to go on delivering',
    );
    const open = (await health(admin)).config;
    expect(open.lastReloadCode).toBe('VIVA_ERR_PLUGIN_START');
    expect(open.lastReloadError).toBeUndefined();
    expect((await health(admin, TOKEN)).config.lastReloadError).toMatch(/EADDRINUSE|address already in use/);
    taken.close();
    p.child.kill('SIGTERM');
    expect(await p.exited).toBe(0);
  });
});
