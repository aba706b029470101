/**
 * Constants of the binary batch format, shared by the encoder and the decoder.
 *
 * Batch:  [u8 version][varint metric count] metric*
 * Metric: [u8 flags] name:ref time [varint|f64 timeNs] (key:ref value:ref)* END (key:ref type value)* END
 *   time:  flags & TIME_F64 ? f64 timeMs : zigzag varint (timeMs - previous varint timeMs in the batch)
 * ref:    varint; END (0) closes a list, NEW (1) is followed by an inline string that joins the
 *         batch's string table, n >= 2 refers to table entry n - 2.
 * string: [varint byte length][utf-8 bytes]
 * type:   u8, low 4 bits the payload kind (K_*), bits 4-5 the field's marker (0 none, 1 int, 2 uint).
 * Varints are unsigned LEB128 of integers below 2^53; floats are little-endian IEEE 754.
 */

/** The version byte that starts every batch. */
export const VERSION = 1;

/** Metric flags. */
export const TIME_F64 = 1;
export const NS_F64 = 2;
/** fieldTypes is an object (possibly empty) rather than null. */
export const HAS_TYPES = 4;
export const FLAGS_MASK = 7;

/** String references. */
export const REF_END = 0;
export const REF_NEW = 1;
export const REF_BASE = 2;

/** Payload kinds of a field value. */
export const K_F64 = 0;
/** A negative integral number n as the varint of -n - 1. */
export const K_NEGVAR = 1;
/** A non-negative integral number, varint. */
export const K_VARINT = 2;
export const K_I64 = 3;
export const K_U64 = 4;
/** A bigint outside int64/uint64, as a decimal string. */
export const K_BIGDEC = 5;
export const K_STRING = 6;
export const K_TRUE = 7;
export const K_FALSE = 8;

export const MARK_SHIFT = 4;
export const MARK_INT = 1;
export const MARK_UINT = 2;

/** Integers below this in magnitude go to a varint. */
export const VARINT_LIMIT = 2 ** 53;
/** Time deltas are zigzag varints, which double the magnitude, so they stay below 2^52. */
export const DELTA_LIMIT = 2 ** 52;

/** Longest decimal bigint accepted, so a hostile input cannot make BigInt() parse megabytes. */
export const MAX_BIGDEC_CHARS = 4096;

/** Smallest encoded metric: flags, name ref, time, timeNs, two list ends. */
export const MIN_METRIC_BYTES = 6;

/** True when a timeMs is sent as a delta and becomes the base of the next delta (-0 is not). */
export function isVarTime(t: number): boolean {
  return Number.isSafeInteger(t) && (t !== 0 || 1 / t > 0);
}
