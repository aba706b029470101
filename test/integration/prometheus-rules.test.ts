/**
 * conf/prometheus/ checked by the real promtool (Debian's prometheus package, installed by
 * scripts/services.sh): both configs are valid, and the alert rules pass their unit tests
 * (alert-rules.test.yml), which cover every rule of alert-rules.yml.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../helpers/viva.ts';

const dir = path.join(repoRoot, 'conf', 'prometheus');

/** Runs promtool in conf/prometheus; resolves with its exit code and output. */
function promtool(...args: string[]): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('promtool', args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    child.on('error', reject);
    child.on('exit', (code) => resolve({ code, output }));
  });
}

describe('conf/prometheus', () => {
  it('should hold a fleet scrape config and a test backbone config that promtool accepts', async () => {
    for (const file of ['viva.yml', 'prometheus.yml']) {
      const r = await promtool('check', 'config', file);
      expect(r.output, file).toContain('is valid prometheus config file syntax');
      expect(r.output, file).toMatch(/SUCCESS: \d+ rules found/);
      expect(r.code, `${file}: ${r.output}`).toBe(0);
    }
    const viva = fs.readFileSync(path.join(dir, 'viva.yml'), 'utf8');
    expect(viva).toContain('job_name: viva-agent');
    expect(viva).toContain('job_name: viva-collector');
  });

  it('should pass the unit tests of the alert rules', async () => {
    const r = await promtool('test', 'rules', 'alert-rules.test.yml');
    expect(r.output).toContain('SUCCESS');
    expect(r.code, r.output).toBe(0);
  });

  it('should unit-test every alert rule it defines', () => {
    const rules = fs.readFileSync(path.join(dir, 'alert-rules.yml'), 'utf8');
    const tests = fs.readFileSync(path.join(dir, 'alert-rules.test.yml'), 'utf8');
    const defined = [...rules.matchAll(/^\s+- alert: (\w+)$/gm)].map((m) => m[1]);
    const tested = new Set([...tests.matchAll(/alertname: (\w+)$/gm)].map((m) => m[1]));
    expect(defined.length).toBeGreaterThanOrEqual(15);
    expect(defined.filter((a) => !tested.has(a))).toEqual([]);
    // Each rule is seen firing in some test, not only staying quiet.
    const firing = new Set(
      [...tests.matchAll(/alertname: (\w+)\n\s+exp_alerts:\n\s+- exp_labels/g)].map((m) => m[1]),
    );
    expect(defined.filter((a) => !firing.has(a))).toEqual([]);
  });
});
