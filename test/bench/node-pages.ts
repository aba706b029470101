/**
 * What a node process holds of the node binary: its resident pages, found in /proc/PID/pagemap
 * (the "present" bit, readable for one's own processes), looked up in the binary's symbol table
 * (`nm -S -C`; node's release binaries are not stripped) and summed by the part of node they
 * belong to (V8's compilers, ICU, OpenSSL, ...). Pages with no symbol are listed as ranges with
 * the symbols around them: in .rodata these are the JS source and code cache of node's built-in
 * modules. Linux x86-64 only. Compare an idle agent with a bare node
 * (`node -e 'setInterval(() => {}, 1000)'`) to see what the agent's code made resident.
 *
 *   node test/bench/node-pages.ts PID [--ranges]
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';

interface Sym {
  start: number;
  end: number;
  name: string;
}

const PARTS: [string, RegExp][] = [
  ['V8 TurboFan/Turboshaft (optimizing compiler)', /v8::internal::compiler/],
  ['V8 Maglev (optimizing compiler)', /v8::internal::maglev/],
  ['V8 WebAssembly', /v8::internal::wasm/],
  ['V8 Sparkplug (baseline compiler)', /v8::internal::baseline/],
  ['V8 interpreter', /v8::internal::interpreter/],
  ['V8 other', /v8::/],
  ['ICU data', /^icudt/],
  ['ICU code', /icu_\d+::|^u[a-z]+_\w+_\d+$/],
  ['node', /node::/],
  ['OpenSSL', /^(ossl_|[A-Z0-9]+_[a-zA-Z0-9_]+$)/],
  ['libuv', /^uv_/],
  ['C++ standard library', /std::/],
];

function symbols(exe: string): Sym[] {
  const out = execFileSync('nm', ['-S', '-C', exe], { maxBuffer: 1 << 30, encoding: 'utf8' });
  const syms: Sym[] = [];
  for (const line of out.split('\n')) {
    const m = /^([0-9a-f]+) ([0-9a-f]+) \S (.*)$/.exec(line);
    if (m === null) continue;
    const size = parseInt(m[2], 16);
    if (size === 0) continue;
    const start = parseInt(m[1], 16);
    syms.push({ start, end: start + size, name: m[3] });
  }
  return syms.sort((a, b) => a.start - b.start);
}

/** The symbol whose extent holds `addr`, else undefined; `before` is the index of the last start <= addr. */
function lookup(syms: Sym[], addr: number): { sym: Sym | undefined; before: number } {
  let lo = 0;
  let hi = syms.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (syms[mid].start <= addr) lo = mid + 1;
    else hi = mid;
  }
  const before = lo - 1;
  const sym = before >= 0 && syms[before].end > addr ? syms[before] : undefined;
  return { sym, before };
}

function part(name: string): string {
  for (const [label, re] of PARTS) if (re.test(name)) return label;
  return 'other';
}

function main(): void {
  const pid = process.argv[2];
  if (pid === undefined) throw new Error('usage: node test/bench/node-pages.ts PID [--ranges]');
  const exe = fs.readlinkSync(`/proc/${pid}/exe`);
  const syms = symbols(exe);
  const pagemap = fs.openSync(`/proc/${pid}/pagemap`, 'r');
  const byPart = new Map<string, number>();
  const ranges: { perm: string; from: number; to: number; after: string; next: string }[] = [];
  // A non-PIE executable: a page at file offset `off` is at 0x400000 + off in the symbol table.
  const base = 0x400000;
  for (const line of fs.readFileSync(`/proc/${pid}/maps`, 'utf8').split('\n')) {
    const f = line.split(/\s+/);
    if (f.length < 6 || f[5] !== exe) continue;
    const [lo, hi] = f[0].split('-').map((x) => parseInt(x, 16));
    const off = parseInt(f[2], 16);
    const perm = f[1];
    const pages = (hi - lo) / 4096;
    const buf = Buffer.alloc(pages * 8);
    fs.readSync(pagemap, buf, 0, buf.length, (lo / 4096) * 8);
    for (let i = 0; i < pages; i++) {
      if (buf.readBigUInt64LE(i * 8) >> 63n !== 1n) continue;
      const addr = base + off + i * 4096;
      const { sym, before } = lookup(syms, addr);
      const key = `${perm} ${sym === undefined ? '(no symbol)' : part(sym.name)}`;
      byPart.set(key, (byPart.get(key) ?? 0) + 4);
      if (sym !== undefined) continue;
      const last = ranges.at(-1);
      if (last !== undefined && last.to === addr) last.to = addr + 4096;
      else
        ranges.push({
          perm,
          from: addr,
          to: addr + 4096,
          after: syms[before]?.name.slice(0, 60) ?? '',
          next: syms[before + 1]?.name.slice(0, 60) ?? '',
        });
    }
  }
  fs.closeSync(pagemap);
  const total = [...byPart.values()].reduce((a, b) => a + b, 0);
  console.log(`${exe}: ${(total / 1024).toFixed(1)} MB resident in process ${pid}`);
  for (const [k, kb] of [...byPart].sort((a, b) => b[1] - a[1]))
    if (kb >= 64) console.log(`${(kb / 1024).toFixed(2).padStart(7)} MB  ${k}`);
  if (process.argv.includes('--ranges'))
    for (const r of ranges)
      if (r.to - r.from >= 64 * 1024)
        console.log(
          `${r.perm} 0x${r.from.toString(16)} ${(r.to - r.from) / 1024} KB after ${r.after} | before ${r.next}`,
        );
}

main();
