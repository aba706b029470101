/**
 * A spool record: one accepted batch and the agent that sent it.
 *
 *   [u8 version = 1][u8 agent id length][agent id, UTF-8][binary batch (core/format/binary)]
 */
import { ErrorCode } from '../../core/model/errors/codes.ts';
import { VivaError } from '../../core/model/errors/errors.ts';

export const RECORD_VERSION = 1;
export const MAX_AGENT_ID_BYTES = 255;

export function encodeRecord(agent: string, batch: Uint8Array): Buffer {
  const head = encodeRecordHead(agent);
  const out = Buffer.allocUnsafe(head.length + batch.length);
  head.copy(out, 0);
  out.set(batch, head.length);
  return out;
}

/** What precedes the batch in a record (version and agent id): with the batch after it, a record. */
export function encodeRecordHead(agent: string): Buffer {
  const id = Buffer.from(agent, 'utf8');
  if (id.length > MAX_AGENT_ID_BYTES)
    throw new VivaError(ErrorCode.PARSE, `agent id longer than ${MAX_AGENT_ID_BYTES} bytes`);
  const out = Buffer.allocUnsafe(2 + id.length);
  out[0] = RECORD_VERSION;
  out[1] = id.length;
  id.copy(out, 2);
  return out;
}

export function decodeRecord(rec: Buffer): { agent: string; batch: Buffer } {
  if (rec.length < 2 || rec[0] !== RECORD_VERSION)
    throw new VivaError(ErrorCode.PARSE, `spool record has unknown version ${rec[0]}`);
  const n = rec[1];
  if (rec.length < 2 + n) throw new VivaError(ErrorCode.PARSE, 'spool record shorter than its agent id');
  return { agent: rec.toString('utf8', 2, 2 + n), batch: rec.subarray(2 + n) };
}
