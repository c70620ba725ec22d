package io.nightshift.scheduler.template;

/** What a run does when it fails: stop there, or undo what succeeded. */
public enum OnFailure {
  FAIL,
  ROLLBACK;

  public String json() {
    return name().toLowerCase(java.util.Locale.ROOT);
  }
}
