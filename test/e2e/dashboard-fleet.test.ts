/**
 * The dashboard's source-health table in a real browser against a real `viva collector`: a fleet
 * of 1,000 simulated agents (heartbeats over HTTP) stays one page of rows with the worst first,
 * filters and pages on the server, shows hostile agent ids as text; a real `viva agent` that
 * heartbeats ([agent.fleet]) turns silent on the page within the deadman time once killed.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FleetPage } from '../../collector/fleet/types.ts';
import { launchBrowser, login, openPage, screenshot } from '../helpers/browser.ts';
import { collectorConfig, startCollector, type CollectorHandle } from '../helpers/collector.ts';
import { beat, heartbeatAll } from '../helpers/heartbeats.ts';
import { startViva, tempDir, waitFor } from '../helpers/viva.ts';

const TOKEN = 'dashboard-fleet-token-0123456789';
const HOSTILE = '<img src=x onerror="document.title=1">';

async function start(fleet: string): Promise<CollectorHandle> {
  const dir = tempDir('viva-dashboard-fleet-');
  const cfg = await collectorConfig(
    dir,
    `[[outputs.discard]]\nalias = "null"\n\n[[routes]]\nname = "all"\ndestinations = ["main"]\n\n[[destinations]]\nname = "main"\noutputs = ["null"]\n`,
    { agent: `http_auth_token = "${TOKEN}"`, collector: `[collector.fleet]\n${fleet}` },
  );
  return startCollector(cfg);
}

async function fleetApi(c: CollectorHandle, query: string): Promise<FleetPage> {
  const res = await fetch(`http://127.0.0.1:${c.admin}/api/fleet?${query}`, {
    headers: { authorization: `Bearer ${TOKEN}` },
  });
  return (await res.json()) as FleetPage;
}

describe('the dashboard with a fleet', () => {
  let browser: Browser;
  beforeAll(async () => {
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
  });

  it('should show 1,000 agents one page at a time, worst first, filtered and paged by the server', async () => {
    const c = await start('');
    try {
      // 10 go silent at once (a 0.1 s interval: deadman 0.3 s), 20 report errors, 20 a full
      // buffer; the rest are healthy for 10 minutes.
      const bodies = Array.from({ length: 1000 }, (_, i) => {
        const id = `agent-${String(i).padStart(4, '0')}`;
        if (i % 100 === 7) return beat(id, { intervalSeconds: 0.1 });
        if (i % 50 === 3) return beat(id, { errorRate: 1 + (i % 7), errors: 10 });
        if (i % 50 === 5) return beat(id, { bufferFill: 0.95 });
        return beat(id, { intervalSeconds: 600 });
      });
      bodies.push(beat(HOSTILE, { host: HOSTILE, intervalSeconds: 600, errorRate: 100 }));
      await heartbeatAll(c.port, bodies);
      await waitFor(async () => (await fleetApi(c, 'limit=1')).counts.silent === 10, 'ten silent agents');

      const { page, errors } = await openPage(browser);
      await login(page, c.admin, TOKEN);
      await page.locator('#fleet-counts', { hasText: '10 silent' }).waitFor();
      await page.locator('#page-info', { hasText: /^1–50 of 1001$/ }).waitFor();
      const rows = page.locator('#sources tbody tr');
      expect(await rows.count()).toBe(50);
      // The page shows what the server ranks worst: silent, then degraded by error rate.
      const ids = await page.locator('#sources tbody tr td:nth-child(2)').allTextContents();
      const healths = await page.locator('#sources tbody tr td:nth-child(1)').allTextContents();
      const worst = await fleetApi(c, 'limit=50');
      expect(ids).toEqual(worst.agents.map((a) => a.id));
      expect(healths.slice(0, 10)).toEqual(Array(10).fill('silent'));
      expect(healths.slice(10, 50)).toEqual(Array(40).fill('degraded'));
      // The hostile id is text (the highest error rate: first after the silent ones), not markup.
      expect(ids[10]).toBe(HOSTILE);
      expect(await page.locator('#sources img').count()).toBe(0);
      expect(await page.title()).toBe('VIVA collector');
      await screenshot(page, 'dashboard-fleet');

      await page.fill('#filter', 'agent-09');
      await page.locator('#page-info', { hasText: /^1–50 of 100$/ }).waitFor();
      for (const id of await page.locator('#sources tbody tr td:nth-child(2)').allTextContents())
        expect(id).toMatch(/^agent-09/);
      await page.click('#next');
      await page.locator('#page-info', { hasText: /^51–100 of 100$/ }).waitFor();
      expect(await rows.count()).toBe(50);
      await page.selectOption('#health', 'silent');
      await page.locator('#page-info', { hasText: /^1–1 of 1$/ }).waitFor();
      expect(await page.locator('#sources tbody tr td:nth-child(2)').allTextContents()).toEqual([
        'agent-0907',
      ]);
      expect(errors).toEqual([]);
      await page.context().close();
    } finally {
      c.proc.child.kill('SIGTERM');
      await c.proc.exited;
    }
  });

  it('should show an agent killed as silent within the deadman time', async () => {
    const deadmanMs = 3000;
    const c = await start(`deadman = "${deadmanMs / 1000}s"`);
    const dir = tempDir('viva-dashboard-agent-');
    const file = path.join(dir, 'agent.toml');
    fs.writeFileSync(
      file,
      `[agent]
interval = "1s"
flush_interval = "1s"
http_listen = ""
data_dir = "${path.join(dir, 'data')}"

[agent.fleet]
collector = "http://127.0.0.1:${c.port}"
id = "doomed-agent"
interval = "500ms"

[[inputs.generator]]
series = 2

[[outputs.viva]]
urls = ["http://127.0.0.1:${c.port}"]
agent_id = "doomed-agent"
`,
    );
    const agent = startViva(['agent', '-c', file]);
    try {
      const { page, errors } = await openPage(browser);
      await login(page, c.admin, TOKEN);
      const row = page.locator('#sources tbody tr', { hasText: 'doomed-agent' });
      await row.locator('td', { hasText: 'healthy' }).waitFor({ timeout: 60_000 });
      agent.child.kill('SIGKILL');
      await agent.exited;
      // Silent at most a deadman after the last heartbeat, plus a frame (1 s) to reach the page
      // and slack for a loaded machine.
      await row.locator('td', { hasText: 'silent' }).waitFor({ timeout: deadmanMs + 2500 });
      expect(await row.textContent()).toContain('no heartbeat');
      await screenshot(page, 'dashboard-silent');
      expect(errors).toEqual([]);
      await page.context().close();
    } finally {
      if (agent.child.exitCode === null && agent.child.signalCode === null) agent.child.kill('SIGKILL');
      c.proc.child.kill('SIGTERM');
      await c.proc.exited;
    }
  });
});
