package io.nightshift.scheduler.run;

import io.nightshift.scheduler.template.StepSpec;
import io.nightshift.scheduler.template.Template;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * What a run should do next, decided from its template and the latest attempt of each step. Pure:
 * no I/O, no clock but the {@code now} passed in; the engine applies the decision.
 *
 * <p>A step may start when every step it needs SUCCEEDED (or failed with {@code ignoreFailure}). A
 * step whose need failed, was skipped or was canceled is SKIPPED. A failing step does not stop its
 * running siblings: the run ends when nothing is running or can start: TIMED_OUT when the first
 * step that fails it timed out, FAILED for any other failure.
 */
public record Progress(
    List<StepRun> start,
    List<StepRun> skip,
    List<StepRun> waiting,
    RunStatus finished,
    String error) {

  public static Progress of(Template template, Map<String, StepRun> latest, Instant now) {
    List<StepRun> start = new ArrayList<>();
    List<StepRun> skip = new ArrayList<>();
    List<StepRun> waiting = new ArrayList<>();
    boolean active = false;
    String firstFailure = null;
    StepStatus firstFailureStatus = null;
    for (StepSpec spec : template.steps()) {
      StepRun step = latest.get(spec.name());
      if (step == null) {
        continue;
      }
      switch (step.status()) {
        case RUNNING, WAITING_APPROVAL -> active = true;
        case PENDING -> {
          Need need = need(template, latest, spec, skip);
          if (need == Need.BLOCKED) {
            skip.add(step);
          } else if (need == Need.MET) {
            if (step.notBefore() != null && step.notBefore().isAfter(now)) {
              waiting.add(step);
            } else {
              start.add(step);
            }
            active = true;
          } else {
            active = true;
          }
        }
        default -> {
          if (blocks(spec, step) && firstFailure == null) {
            firstFailureStatus = step.status();
            firstFailure =
                "step '"
                    + step.name()
                    + "' "
                    + step.status().name().toLowerCase(java.util.Locale.ROOT)
                    + (step.error() == null ? "" : ": " + step.error());
          }
        }
      }
    }
    if (active) {
      return new Progress(start, skip, waiting, null, null);
    }
    RunStatus finished;
    if (firstFailure == null) {
      finished = RunStatus.SUCCEEDED;
    } else if (firstFailureStatus == StepStatus.TIMED_OUT) {
      // A step out of time (no retry left, failure not ignored) times the run out.
      finished = RunStatus.TIMED_OUT;
    } else {
      finished = RunStatus.FAILED;
    }
    return new Progress(start, skip, waiting, finished, firstFailure);
  }

  private enum Need {
    MET,
    NOT_YET,
    BLOCKED
  }

  /** Skips decided earlier in this pass count as blocked, so a chain is skipped at once. */
  private static Need need(
      Template template, Map<String, StepRun> latest, StepSpec spec, List<StepRun> skippedNow) {
    Need result = Need.MET;
    for (String name : spec.needs()) {
      StepRun need = latest.get(name);
      StepSpec needSpec = template.step(name).orElseThrow();
      if (need == null
          || skippedNow.contains(need)
          || blocks(needSpec, need)
          || need.status() == StepStatus.SKIPPED) {
        return Need.BLOCKED;
      }
      if (!satisfies(needSpec, need)) {
        result = Need.NOT_YET;
      }
    }
    return result;
  }

  private static boolean satisfies(StepSpec spec, StepRun step) {
    return step.status() == StepStatus.SUCCEEDED
        || (step.status().failure() && spec.ignoreFailure());
  }

  /** An ended step that fails the run (and stops what needs it). */
  private static boolean blocks(StepSpec spec, StepRun step) {
    return (step.status().failure() && !spec.ignoreFailure())
        || step.status() == StepStatus.CANCELED;
  }
}
