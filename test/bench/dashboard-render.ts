/**
 * Benchmark: the ops dashboard with a fleet of 1,000 agents (`node test/bench/dashboard-render.ts
 * [--agents N] [--runs N]`). Starts a real `viva collector`, registers N simulated agents
 * (heartbeats over HTTP, a tenth of them degraded or silent), then in Debian's chromium
 * (playwright-core) logs in N times and reports:
 * - first render: navigation start to the first frame on screen with a full page of sources
 *   (the page's own `data-first-frame-ms`, measured after login, so it includes the SSE connect);
 * - frame render: the time the page spends applying one frame (tiles, tables, charts), over 60
 *   frames;
 * - /api/fleet: the server's answer time for the worst-first page of 50.
 * Figures go to BENCHMARKS.md by hand; this is never a test.
 */
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { launchBrowser, openPage, type InPage } from '../helpers/browser.ts';
import { collectorConfig, startCollector } from '../helpers/collector.ts';
import { beat, heartbeatAll } from '../helpers/heartbeats.ts';
import { tempDir, waitFor } from '../helpers/viva.ts';

const TOKEN = 'bench-dashboard-token-0123456789';
const { values } = parseArgs({
  options: { agents: { type: 'string', default: '1000' }, runs: { type: 'string', default: '5' } },
});
const agents = Number(values.agents);
const runs = Number(values.runs);

function quantile(xs: number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return Math.round(s[Math.min(s.length - 1, Math.floor(q * s.length))] * 10) / 10;
}

const dir = tempDir('viva-bench-dashboard-');
const cfg = await collectorConfig(
  dir,
  `[[outputs.discard]]\nalias = "null"\n\n[[routes]]\nname = "all"\ndestinations = ["main"]\n\n[[destinations]]\nname = "main"\noutputs = ["null"]\n`,
  { agent: `http_auth_token = "${TOKEN}"` },
);
const c = await startCollector(cfg);
const browser = await launchBrowser();
try {
  const bodies = Array.from({ length: agents }, (_, i) => {
    const id = `agent-${String(i).padStart(5, '0')}`;
    if (i % 100 === 7) return beat(id, { intervalSeconds: 0.1 });
    if (i % 20 === 3) return beat(id, { errorRate: 1 + (i % 7), errors: 10 });
    return beat(id, { intervalSeconds: 600 });
  });
  await heartbeatAll(c.port, bodies);

  const api: number[] = [];
  for (let i = 0; i < 50; i++) {
    const t = performance.now();
    const res = await fetch(`http://127.0.0.1:${c.admin}/api/fleet?limit=50`, {
      headers: { authorization: `Bearer ${TOKEN}` },
    });
    await res.json();
    api.push(performance.now() - t);
  }

  const first: number[] = [];
  const frame: number[] = [];
  // One login; each run is a fresh navigation with the session cookie.
  const { page, errors } = await openPage(browser);
  await page.goto(`http://127.0.0.1:${c.admin}/dashboard`);
  await page.fill('#token', TOKEN);
  await page.click('#login-form button[type=submit]');
  const data = (): Promise<Record<string, string | undefined>> =>
    page.evaluate(() => ({ ...(globalThis as unknown as InPage).document.body.dataset }));
  for (let r = 0; r < runs; r++) {
    if (r > 0) await page.goto(`http://127.0.0.1:${c.admin}/dashboard`);
    await waitFor(async () => (await data()).firstFrameMs !== undefined, 'the first frame', 60_000);
    if ((await page.locator('#sources tbody tr').count()) !== 50) throw new Error('no full page of sources');
    first.push(Number((await data()).firstFrameMs));
  }
  let last = Number((await data()).frames);
  while (frame.length < 60) {
    await waitFor(async () => Number((await data()).frames) > last, 'a frame', 10_000, 20);
    const d = await data();
    last = Number(d.frames);
    frame.push(Number(d.renderMs));
  }
  if (errors.length > 0) throw new Error(`console errors: ${errors.join('; ')}`);
  const out = {
    agents,
    runs,
    firstRenderMs: { p50: quantile(first, 0.5), max: quantile(first, 1) },
    frameRenderMs: { p50: quantile(frame, 0.5), p99: quantile(frame, 0.99), max: quantile(frame, 1) },
    fleetApiMs: { p50: quantile(api, 0.5), p99: quantile(api, 0.99) },
  };
  console.log(JSON.stringify(out, null, 2));
  const file = path.join('var', 'bench', 'dashboard-render.json');
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, JSON.stringify(out, null, 2) + '\n');
} finally {
  await browser.close();
  c.proc.child.kill('SIGTERM');
  await c.proc.exited;
}
