package io.nightshift.web;

import io.nightshift.scheduler.store.Database;

/**
 * Many runs at once, for the tests of long histories: copies of a stored run made by one INSERT ...
 * SELECT. Nine copies in ten are as the run is; one in ten is FAILED and started by the job {@code
 * nightly}. New ids follow the run's: the copies are the newest runs.
 */
public final class RunCopies {
  private RunCopies() {}

  public static int insert(Database database, long runId, int copies) {
    String numbers =
        database.embedded()
            ? "SELECT X AS seq FROM SYSTEM_RANGE(1, " + copies + ")"
            : "SELECT seq FROM seq_1_to_" + copies;
    return database
        .dsl()
        .execute(
            "INSERT INTO run (template_name, template_version, template_snapshot, job_name,"
                + " trigger_kind, triggered_by, status, params, revision, created_at,"
                + " started_at, finished_at)"
                + " SELECT r.template_name, r.template_version, r.template_snapshot,"
                + " CASE WHEN MOD(n.seq, 10) = 0 THEN 'nightly' END, r.trigger_kind,"
                + " r.triggered_by, CASE WHEN MOD(n.seq, 10) = 0 THEN 'FAILED' ELSE r.status END,"
                + " r.params, r.revision, r.created_at, r.started_at, r.finished_at"
                + " FROM run r CROSS JOIN ("
                + numbers
                + ") n WHERE r.id = ?",
            runId);
  }
}
