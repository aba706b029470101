/**
 * `npm run fuzz [target...]`: runs each jsfuzz target for VIVA_FUZZ_SECONDS (default 60) on a
 * fresh copy of its seeds, then prints executions, exec/s, coverage (istanbul statements, functions
 * and branches hit in core/ and plugins/), corpus size and the worker's peak RSS. jsfuzz stopping
 * on its own is a finding (crash, hang past --timeout, RSS past --rss-limit-mb): its input is kept
 * in .fuzz/crash-<target> and the run exits 1.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { seedsFor } from './seeds.ts';
import { TARGETS } from './targets.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const OUT = path.join(ROOT, '.fuzz');
const SECONDS = Number(process.env.VIVA_FUZZ_SECONDS ?? 60);
const RSS_LIMIT_MB = 512;
// The config target's first input waits for every plugin to load and be instrumented (about 15 s).
const HANG_SECONDS = 30;

interface Outcome {
  target: string;
  executions: number;
  execPerSec: number;
  coverage: number;
  corpus: number;
  peakRssMb: number;
  finding: string | undefined;
}

/** Runs one target for SECONDS; resolves with its last statistics line and any finding. */
function fuzzTarget(target: string): Promise<Outcome> {
  const corpus = path.join(OUT, 'corpus', target);
  fs.rmSync(corpus, { recursive: true, force: true });
  fs.mkdirSync(corpus, { recursive: true });
  seedsFor(target, ROOT).forEach((s, i) => fs.writeFileSync(path.join(corpus, `seed-${i}`), s));
  const crash = path.join(OUT, `crash-${target}`);
  fs.rmSync(crash, { force: true });
  const args = [
    path.join(ROOT, 'node_modules/jsfuzz/build/src/index.js'),
    '--versifier=false', // its verse builder grows the parent process to an out-of-memory abort
    `--rss-limit-mb=${RSS_LIMIT_MB}`,
    `--timeout=${HANG_SECONDS}`,
    `--exact-artifact-path=${crash}`,
    'test/fuzz/target.cjs',
    corpus,
  ];
  const child = spawn(process.execPath, args, {
    cwd: ROOT,
    detached: true,
    env: { ...process.env, VIVA_FUZZ_TARGET: target, NODE_NO_WARNINGS: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const outcome: Outcome = {
    target,
    executions: 0,
    execPerSec: 0,
    coverage: 0,
    corpus: 0,
    peakRssMb: 0,
    finding: undefined,
  };
  const log = fs.createWriteStream(path.join(OUT, `${target}.log`));
  let timedOut = false;
  const stats = /^#(\d+) \w+\s+cov: (\d+) corp: (\d+) exec\/s: (\d+) rss: ([\d.]+) MB/;
  child.stdout.on('data', (chunk: Buffer) => {
    log.write(chunk);
    for (const line of chunk.toString().split('\n')) {
      const m = stats.exec(line);
      if (m === null) continue;
      outcome.executions = Number(m[1]);
      outcome.coverage = Number(m[2]);
      outcome.corpus = Number(m[3]);
      outcome.peakRssMb = Math.max(outcome.peakRssMb, Number(m[5]));
    }
  });
  child.stderr.pipe(log);
  const start = Date.now();
  const timer = setTimeout(() => {
    timedOut = true;
    process.kill(-child.pid!, 'SIGKILL');
  }, SECONDS * 1000);
  return new Promise((resolve) => {
    child.on('exit', () => {
      clearTimeout(timer);
      outcome.execPerSec = Math.round(outcome.executions / ((Date.now() - start) / 1000));
      if (!timedOut) {
        outcome.finding = fs.existsSync(crash)
          ? `stopped early, input in ${path.relative(ROOT, crash)} (see .fuzz/${target}.log)`
          : `jsfuzz exited early (see .fuzz/${target}.log)`;
      }
      log.end();
      resolve(outcome);
    });
  });
}

const wanted = process.argv.slice(2);
const targets = wanted.length > 0 ? wanted : Object.keys(TARGETS);
const unknown = targets.filter((t) => !(t in TARGETS));
if (unknown.length > 0) {
  console.error(`unknown fuzz target(s): ${unknown.join(', ')} (known: ${Object.keys(TARGETS).join(', ')})`);
  process.exit(2);
}
const outcomes: Outcome[] = [];
for (const target of targets) {
  console.log(`fuzzing ${target} for ${SECONDS} s`);
  const o = await fuzzTarget(target);
  console.log(
    `  ${o.executions} executions (${o.execPerSec}/s), coverage ${o.coverage}, corpus ${o.corpus}, ` +
      `peak RSS ${o.peakRssMb} MB, ${o.finding ?? 'no finding'}`,
  );
  outcomes.push(o);
}
process.exitCode = outcomes.some((o) => o.finding !== undefined) ? 1 : 0;
