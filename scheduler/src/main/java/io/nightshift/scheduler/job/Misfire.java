package io.nightshift.scheduler.job;

import java.util.Locale;

/** What happens to fires missed while no node ran (or while the job was paused). */
public enum Misfire {
  /** Record one misfired entry for the missed period and wait for the next fire. */
  SKIP,
  /** Run once now for the missed period (never a burst of catch-up runs). */
  FIRE_ONCE;

  public String json() {
    return name().toLowerCase(Locale.ROOT);
  }
}
