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
    long linesDropped) {}
