package io.nightshift.scheduler.logs;

/** Short reasons for logs and health details. */
final class Failures {
  private Failures() {}

  /** The innermost cause's message ("Table 'log_line' doesn't exist", "Connection refused"). */
  static String reason(Throwable e) {
    Throwable root = e;
    while (root.getCause() != null && root.getCause() != root) {
      root = root.getCause();
    }
    String message = root.getMessage();
    return message == null ? root.getClass().getSimpleName() : message;
  }
}
