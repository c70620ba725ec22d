package io.nightshift.scheduler.run;

/** Filters of the run history; null means "any". {@code before} is a run id cursor. */
public record RunFilter(String job, String template, RunStatus status, Long before, int limit) {}
