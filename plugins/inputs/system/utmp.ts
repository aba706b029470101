/**
 * Reading logged-in users from utmp: fixed-size `struct utmp` records of glibc on 64-bit Linux
 * (384 bytes; ut_type at 0, ut_user at 44), little-endian.
 */

/** Size of one record. */
export const UTMP_RECORD = 384;
const USER_PROCESS = 7;
const USER_OFFSET = 44;
const USER_LENGTH = 32;

/** The user names of the USER_PROCESS records (one per login session). */
export function utmpUsers(buf: Buffer): string[] {
  const users: string[] = [];
  for (let off = 0; off + UTMP_RECORD <= buf.length; off += UTMP_RECORD) {
    if (buf.readInt16LE(off) !== USER_PROCESS) continue;
    const field = buf.subarray(off + USER_OFFSET, off + USER_OFFSET + USER_LENGTH);
    const end = field.indexOf(0);
    users.push(field.toString('utf8', 0, end < 0 ? USER_LENGTH : end));
  }
  return users;
}
