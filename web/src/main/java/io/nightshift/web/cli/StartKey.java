package io.nightshift.web.cli;

import picocli.CommandLine.Option;

/** The {@code --idempotency-key} option of the commands that start a run. */
final class StartKey {
  @Option(
      names = "--idempotency-key",
      paramLabel = "KEY",
      description =
          "Send this Idempotency-Key instead of a new one: the same command sent again with the"
              + " key its failure named gets the run it started, or starts it once.")
  String value;
}
