// Comparing the JSON store with PostgreSQL while the app writes to both (dual-write).
// The JSON side is read first; PostgreSQL after, in one snapshot. Two allowances, used the
// same way by every check that compares the stores under live writes:

/** A write already in the JSON reaches PostgreSQL a moment later: wait this long before the snapshot. */
export const SETTLE_MS = 1000;

/**
 * A record is stamped (created_at) before it is written; the write lands up to this long after.
 * A row PostgreSQL has that the JSON read did not, stamped this close to the read, is "new since
 * the read", not a difference.
 */
export const IN_FLIGHT_MS = 2000;

export const settle = () => new Promise((r) => setTimeout(r, SETTLE_MS));
