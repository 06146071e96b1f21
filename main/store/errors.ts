/** Errors the preference store raises, each with a code the host can branch on. */

/** Why the store refused an operation. */
export type PreferenceStoreErrorCode =
  | 'invalid-decision' // the decision failed validation; nothing was written
  | 'missing' // the database file does not exist, or is empty (read-only open)
  | 'cannot-open' // the path cannot be opened at all (a folder, no permission); nothing was set aside
  | 'corrupt' // not a readable SQLite database, or it fails its integrity check
  | 'foreign' // a SQLite database that belongs to another application
  | 'newer-schema' // written by a newer Infill; left untouched
  | 'older-schema' // needs a migration, which a read-only open cannot run
  | 'read-only' // a write was attempted on a store opened read-only
  | 'not-confirmed' // clear() without its confirmation
  | 'closed' // the store was closed
  | 'export-failed' // the export file could not be written (the old file, if any, is intact)
  | 'unreadable-row' // a stored row no longer matches the schema (edited outside Infill)
  | 'not-found' // retract / delete of a decision id that is not in the log

/** An error with a message that says what was wrong and what to do. */
export class PreferenceStoreError extends Error {
  override name = 'PreferenceStoreError'
  constructor(
    readonly code: PreferenceStoreErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options)
  }
}
