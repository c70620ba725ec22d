package io.nightshift.web;

/**
 * A start-up failure whose message is already the one line an operator needs, naming what failed
 * and where (printed as {@code nightshift: <message>}).
 */
public final class StartupFailure extends RuntimeException {
  public StartupFailure(String message, Throwable cause) {
    super(message, cause);
  }
}
