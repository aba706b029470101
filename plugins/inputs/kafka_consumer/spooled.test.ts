import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { SpooledLedger, uncommitted } from './spooled.ts';
import type { SpooledRange } from './spooled.ts';

const dirs: string[] = [];
/** A batch pushed and acknowledged (spooled). */
function spooled(ledger: SpooledLedger, key: string, r: Omit<SpooledRange, 'acked'>): void {
  const range = { ...r, acked: false };
  ledger.pushed(key, range);
  ledger.acked([[key, range]], true);
}
function stateDir(): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'viva-spooled-'));
  dirs.push(d);
  return d;
}
afterEach(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

describe('kafka_consumer spooled ledger', () => {
  it('should count nothing after a clean run: every commit confirmed', () => {
    const dir = stateDir();
    const ledger = new SpooledLedger(dir);
    spooled(ledger, 't/0', { first: 0n, last: 9n, messages: 10 });
    ledger.sending('t/0', 10n);
    ledger.persist();
    ledger.confirmed('t/0', 10n);
    ledger.persist(); // the clean stop
    const left = new SpooledLedger(dir).takeLeftover();
    expect(left.size).toBe(0);
  });

  it('should count exactly what was spooled after the last confirmed commit when none was in flight', () => {
    const dir = stateDir();
    const ledger = new SpooledLedger(dir);
    spooled(ledger, 't/0', { first: 0n, last: 9n, messages: 10 });
    ledger.sending('t/0', 10n);
    ledger.persist();
    ledger.confirmed('t/0', 10n);
    // 10..19 acknowledged, committed and confirmed; 25..29 acknowledged before 20..24, whose batch
    // never was: its commit is held (commits are in order).
    spooled(ledger, 't/0', { first: 10n, last: 19n, messages: 10 });
    ledger.sending('t/0', 20n);
    ledger.persist();
    ledger.confirmed('t/0', 20n);
    spooled(ledger, 't/0', { first: 25n, last: 29n, messages: 5 });
    spooled(ledger, 't/1', { first: 100n, last: 102n, messages: 3 });
    ledger.persist();
    // kill -9 here: nothing in flight on either partition.
    const left = new SpooledLedger(dir).takeLeftover();
    expect([...left.keys()].sort()).toEqual(['t/0', 't/1']);
    // The group committed 20 on t/0 (offsets 20..24 were never spooled: read again, not duplicates).
    expect(uncommitted(left.get('t/0')!, 20n)).toEqual({ min: 5, max: 5, from: 20n });
    // t/1 never had a commit: the group has none, everything spooled comes again.
    expect(uncommitted(left.get('t/1')!, undefined)).toEqual({ min: 3, max: 3, from: 100n });
  });

  it('should bound the count when a commit was in flight, and narrow it with the group offset', () => {
    const dir = stateDir();
    const ledger = new SpooledLedger(dir);
    spooled(ledger, 't/0', { first: 0n, last: 9n, messages: 10 });
    ledger.sending('t/0', 10n);
    ledger.persist();
    ledger.confirmed('t/0', 10n);
    spooled(ledger, 't/0', { first: 10n, last: 19n, messages: 10 });
    ledger.sending('t/0', 20n);
    ledger.persist();
    // kill -9 before the broker's answer: the commit of 20 may or may not have landed.
    const entry = new SpooledLedger(dir).takeLeftover().get('t/0')!;
    // The group still says 10 (the replacement came back before anyone moved on): exactly 10.
    expect(uncommitted(entry, 10n)).toEqual({ min: 10, max: 10, from: 10n });
    // The group says 20: the commit landed, no duplicate.
    expect(uncommitted(entry, 20n)).toEqual({ min: 0, max: 10, from: 10n });
    // Another member has committed further since: 0..10, 0 certain.
    expect(uncommitted(entry, 500n)).toEqual({ min: 0, max: 10, from: 10n });
  });

  it('should count every spooled message of a partition this instance never sent a commit for', () => {
    const entry = {
      ranges: [{ first: 10n, last: 19n, messages: 10, acked: true }],
      sent: -1n,
      confirmed: -1n,
    };
    // The group stayed where this instance started reading, whatever another member did since.
    expect(uncommitted(entry, 15n)).toEqual({ min: 10, max: 10, from: 10n });
  });

  it('should count the part of a range after the offset the group resumed from', () => {
    const entry = {
      ranges: [{ first: 10n, last: 19n, messages: 10, acked: true }],
      sent: 15n,
      confirmed: 15n,
    };
    expect(uncommitted(entry, 15n)).toEqual({ min: 5, max: 5, from: 15n });
  });

  it('should count a batch pushed but not acknowledged at the crash as possible, and forget one the pipeline refused', () => {
    const dir = stateDir();
    const ledger = new SpooledLedger(dir);
    spooled(ledger, 't/0', { first: 0n, last: 9n, messages: 10 });
    const refused = { first: 10n, last: 19n, messages: 10, acked: false };
    ledger.pushed('t/0', refused);
    ledger.acked([['t/0', refused]], false);
    ledger.pushed('t/0', { first: 20n, last: 24n, messages: 5, acked: false });
    ledger.persist(false);
    const entry = new SpooledLedger(dir).takeLeftover().get('t/0')!;
    // Nothing committed: 0..9 spooled for sure, 20..24 perhaps (kill -9 during the spool write).
    expect(uncommitted(entry, undefined)).toEqual({ min: 10, max: 15, from: 0n });
  });

  it('should read the content before the newline when a kill left an older tail after it', () => {
    const dir = stateDir();
    const ledger = new SpooledLedger(dir);
    spooled(ledger, 't/0', { first: 0n, last: 9n, messages: 10 });
    spooled(ledger, 't/1', { first: 0n, last: 9n, messages: 10 });
    ledger.persist();
    const long = fs.readFileSync(path.join(dir, 'kafka-spooled.json'), 'utf8');
    ledger.confirmed('t/1', 10n);
    ledger.persist();
    ledger.close();
    const short = fs.readFileSync(path.join(dir, 'kafka-spooled.json'), 'utf8');
    expect(short.length).toBeLessThan(long.length);
    // Killed between the write and the truncate.
    fs.writeFileSync(path.join(dir, 'kafka-spooled.json'), short + long.slice(short.length));
    expect([...new SpooledLedger(dir).takeLeftover().keys()]).toEqual(['t/0']);
  });

  it('should read an unusable file as nothing', () => {
    const dir = stateDir();
    fs.writeFileSync(path.join(dir, 'kafka-spooled.json'), '{"t/0": {');
    expect(new SpooledLedger(dir).takeLeftover().size).toBe(0);
  });
});
