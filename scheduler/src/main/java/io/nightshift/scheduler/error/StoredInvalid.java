package io.nightshift.scheduler.error;

/**
 * A stored definition this version cannot read: stored by an earlier version whose checks let it
 * through (or changed in the database by hand). 409: the request is fine, the stored state is not;
 * the message says what to do (write a corrected version).
 */
public final class StoredInvalid extends NightshiftException {
  public StoredInvalid(String message) {
    super("stored_invalid", message);
  }
}
