package io.nightshift.scheduler.error;

/** Base of the errors a caller can act on; the web layer maps each subclass to one HTTP status. */
public abstract class NightshiftException extends RuntimeException {
  private final String code;

  protected NightshiftException(String code, String message) {
    super(message);
    this.code = code;
  }

  /** Machine-readable code, e.g. {@code validation_failed}, {@code not_found}. */
  public String code() {
    return code;
  }
}
