package io.nightshift.web;

import io.nightshift.scheduler.store.Database;

/**
 * Many runs at once, for the tests of long histories: copies of a stored run made by one INSERT ...
 * SELECT. Nine copies in ten are as the run is; one in ten is FAILED and started by the job {@code
 * nightly}. New ids follow the run's: the copies are the newest runs.
 */
public final class RunCopies {
  private RunCopies() {}

  /**
   * Copies per statement: H2 walks the versions a transaction left behind at each of its background
   * stores, so one statement of 100,000 rows costs it several times what 20 of 5,000 do.
   */
  private static final int CHUNK = 1_000;

  public static int insert(Database database, long runId, int copies) {
    if (!database.embedded()) {
      // One statement: MariaDB's bulk inserts reserve ids in blocks, so copies made by several
      // would leave gaps between their ids.
      return insert(database, runId, 1, copies);
    }
    int inserted = 0;
    for (int from = 1; from <= copies; from += CHUNK) {
      inserted += insert(database, runId, from, Math.min(copies, from + CHUNK - 1));
    }
    return inserted;
  }

  private static int insert(Database database, long runId, int from, int to) {
    String numbers =
        database.embedded()
            ? "SELECT X AS seq FROM SYSTEM_RANGE(" + from + ", " + to + ")"
            : "SELECT seq FROM seq_" + from + "_to_" + to;
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
