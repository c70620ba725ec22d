package io.nightshift.scheduler.run;

/** Masks a run's secret values in error texts (errors may quote the command or URL that failed). */
final class ErrorMasks {
  private ErrorMasks() {}

  /**
   * An error text with the run's secret values, raw or as substituted into a URL or JSON, masked:
   * errors may quote the command or URL that failed, and they are shown by the API.
   */
  static String maskSecrets(Run run, String error) {
    if (error == null) {
      return null;
    }
    return io.nightshift.executor.SecretMask.of(
            StepLauncher.withSubstitutedForms(Params.secrets(run.template(), run.params())))
        .mask(error);
  }
}
