package io.nightshift.web.config;

/** A configuration problem; the message names the key and fits on one line. */
public final class ConfigException extends RuntimeException {
  public ConfigException(String message) {
    super(message);
  }
}
