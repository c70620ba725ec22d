package io.nightshift.web.cli;

/** A mistake on the command line or in a file the CLI reads. Exit status 2. */
final class CliError extends RuntimeException {
  CliError(String message) {
    super(message);
  }
}
