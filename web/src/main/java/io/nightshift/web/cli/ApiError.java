package io.nightshift.web.cli;

/** The API refused a request (its error message), or could not be reached. Exit status 2. */
final class ApiError extends RuntimeException {
  private final int status;

  ApiError(int status, String message) {
    super(message);
    this.status = status;
  }

  /** The HTTP status, or 0 when there was no answer. */
  int status() {
    return status;
  }
}
