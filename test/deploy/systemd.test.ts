/**
 * deploy/systemd: install.sh stages the package, the configs and the units into a scratch root
 * (VIVA_ROOT), and systemd's own tools judge the units there: `systemd-analyze verify` (syntax,
 * unknown keys, the ExecStart binary exists) and `systemd-analyze security` (the exposure score).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { repoRoot, tempDir } from '../helpers/viva.ts';

const units = ['viva-agent.service', 'viva-collector.service'];
let dir = '';
let root = '';
let install: { status: number | null; stderr: string };

function analyze(args: string[]) {
  return spawnSync('systemd-analyze', [...args, `--root=${root}`], { encoding: 'utf8' });
}

beforeAll(() => {
  execFileSync('bash', [path.join(repoRoot, 'scripts', 'deploy-tools.sh')], { stdio: 'inherit' });
  dir = tempDir('viva-systemd-');
  const name = execFileSync('npm', ['pack', '--silent', '--pack-destination', dir], {
    cwd: repoRoot,
    encoding: 'utf8',
  })
    .trim()
    .split('\n')
    .pop();
  root = path.join(dir, 'root');
  // What verify needs of the host inside the root: the stock targets and /bin/kill (ExecReload).
  fs.mkdirSync(path.join(root, 'usr', 'lib', 'systemd'), { recursive: true });
  fs.cpSync('/lib/systemd/system', path.join(root, 'usr', 'lib', 'systemd', 'system'), { recursive: true });
  fs.mkdirSync(path.join(root, 'bin'));
  fs.copyFileSync('/bin/kill', path.join(root, 'bin', 'kill'));
  const r = spawnSync('bash', [path.join(repoRoot, 'deploy', 'systemd', 'install.sh')], {
    env: { ...process.env, VIVA_ROOT: root, VIVA_TARBALL: path.join(dir, name ?? '') },
    encoding: 'utf8',
  });
  install = { status: r.status, stderr: r.stderr };
});

describe('deploy/systemd/install.sh', () => {
  it('should install the package, the default configs and both units into the root', () => {
    expect(install.stderr).toContain('installed viva-agent.service and viva-collector.service');
    expect(install.status).toBe(0);
    expect(fs.statSync(path.join(root, 'usr', 'local', 'bin', 'viva')).mode & 0o111).toBeTruthy();
    for (const f of ['agent.toml', 'collector.toml']) {
      const conf = path.join(root, 'etc', 'viva', f);
      expect(fs.readFileSync(conf, 'utf8')).toBe(fs.readFileSync(path.join(repoRoot, 'conf', f), 'utf8'));
      expect(fs.statSync(conf).mode & 0o007).toBe(0);
    }
    const agent = fs.readFileSync(path.join(root, 'etc', 'systemd', 'system', units[0]), 'utf8');
    // Run by the Node 24 the package ships, so the launcher can replace itself by the agent.
    expect(agent).toContain(
      'ExecStart=/usr/local/lib/node_modules/viva/node_modules/node/bin/node /usr/local/bin/viva agent -c /etc/viva/agent.toml\n',
    );
    expect(agent).not.toMatch(/@[A-Z]+@/);
  });

  it('should keep a config the operator already has', () => {
    const conf = path.join(root, 'etc', 'viva', 'agent.toml');
    fs.writeFileSync(conf, '# mine\n');
    // Run again from the installed package: no new npm install, the same units.
    const again = spawnSync(
      'bash',
      [path.join(root, 'usr', 'local', 'lib', 'node_modules', 'viva', 'deploy', 'systemd', 'install.sh')],
      { env: { ...process.env, VIVA_ROOT: root }, encoding: 'utf8' },
    );
    expect(again.stderr).not.toContain('installing');
    expect(again.status).toBe(0);
    expect(fs.readFileSync(conf, 'utf8')).toBe('# mine\n');
    expect(fs.readFileSync(path.join(root, 'etc', 'systemd', 'system', units[0]), 'utf8')).toContain(
      '/node_modules/node/bin/node /usr/local/bin/viva agent',
    );
  });

  it('should pass systemd-analyze verify with no warning', () => {
    const r = analyze(['verify', ...units.map((u) => path.join(root, 'etc', 'systemd', 'system', u))]);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
  });

  it('should fail systemd-analyze verify on a broken unit (the check can fail)', () => {
    const bad = path.join(root, 'etc', 'systemd', 'system', 'viva-broken.service');
    const good = fs.readFileSync(path.join(root, 'etc', 'systemd', 'system', units[0]), 'utf8');
    fs.writeFileSync(bad, good.replace(/^ExecStart=.*$/m, 'ExecStart=/usr/local/bin/nonesuch agent'));
    const r = analyze(['verify', bad]);
    fs.rmSync(bad);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain('nonesuch');
  });

  it('should run each service unprivileged and hardened: a low exposure score', () => {
    for (const unit of units) {
      const r = analyze(['security', '--offline=yes', unit]);
      expect(r.status, r.stderr).toBe(0);
      const score = Number(/Overall exposure level for \S+: ([\d.]+)/.exec(r.stdout)?.[1]);
      // systemd rates 0-10; "OK" is below 4.0 (a unit with no hardening scores 9.6).
      expect(score, r.stdout).toBeLessThan(3);
      for (const setting of ['User=/DynamicUser=', 'NoNewPrivileges=', 'ProtectSystem=', 'PrivateTmp='])
        expect(r.stdout).toMatch(new RegExp(`✓ ${setting}`));
    }
  });
});
