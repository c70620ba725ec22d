package io.nightshift.scheduler.run;

import io.nightshift.scheduler.template.StepKind;
import java.time.Instant;

/** One attempt of one step of a run, as stored. */
public record StepRun(
    long id,
    long runId,
    String name,
    StepKind kind,
    int position,
    int attempt,
    StepStatus status,
    Integer exitCode,
    String error,
    Instant startedAt,
    Instant finishedAt,
    Instant notBefore,
    String node,
    Long pid,
    String pidStartedAt,
    long lineCount,
    long linesDropped) {

  /** This attempt as {@link RunRepository#start} stores it. */
  StepRun started(StepStatus to, String onNode, Instant now) {
    return with(to, exitCode, error, now, finishedAt, onNode, lineCount, linesDropped);
  }

  /** This attempt as {@link RunRepository#finish} stores it. */
  StepRun ended(StepStatus to, Integer code, String why, long lines, long dropped, Instant now) {
    return with(to, code, why, startedAt, now, node, lines, dropped);
  }

  /** This PENDING attempt as {@link RunRepository#markDue} stores it. */
  StepRun due(Instant at) {
    return new StepRun(
        id,
        runId,
        name,
        kind,
        position,
        attempt,
        status,
        exitCode,
        error,
        startedAt,
        finishedAt,
        at,
        node,
        pid,
        pidStartedAt,
        lineCount,
        linesDropped);
  }

  private StepRun with(
      StepStatus newStatus,
      Integer newExitCode,
      String newError,
      Instant newStartedAt,
      Instant newFinishedAt,
      String newNode,
      long newLineCount,
      long newLinesDropped) {
    return new StepRun(
        id,
        runId,
        name,
        kind,
        position,
        attempt,
        newStatus,
        newExitCode,
        newError,
        newStartedAt,
        newFinishedAt,
        notBefore,
        newNode,
        pid,
        pidStartedAt,
        newLineCount,
        newLinesDropped);
  }
}
