package io.nightshift.web;

/**
 * A start-up failure whose message is already the one line an operator needs, naming what failed
 * and where (printed as {@code nightshift: <message>}).
 */
public final class StartupFailure extends RuntimeException {
  public StartupFailure(String message, Throwable cause) {
    super(message, cause);
  }

  /**
   * The store could not be opened: its URL (without a password) and the root cause's first line.
   */
  static StartupFailure openingStore(String url, RuntimeException e) {
    Throwable root = e;
    while (root.getCause() != null && root.getCause() != root) {
      root = root.getCause();
    }
    String why = String.valueOf(root.getMessage()).strip().lines().findFirst().orElse("");
    return new StartupFailure(
        "cannot open the store " + io.nightshift.scheduler.store.JdbcUrls.masked(url) + ": " + why,
        e);
  }
}
