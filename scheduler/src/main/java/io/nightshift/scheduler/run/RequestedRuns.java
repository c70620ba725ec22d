package io.nightshift.scheduler.run;

import io.nightshift.scheduler.error.Conflict;
import io.nightshift.scheduler.error.KeyReused;
import io.nightshift.scheduler.store.Sql;
import java.util.Optional;
import org.jooq.DSLContext;
import org.jooq.exception.DataAccessException;

/**
 * Runs started once per request key: a request that starts a run (a run-now, a retry) and carries
 * the caller's key is answered, when sent again with that key by the same caller, with the run the
 * first one started, whatever happened since (the run ended, the job's policy would now refuse or
 * queue it, the template changed). A client may thus resend a request whose answer it never got (a
 * node that died mid-request, a 503 after the commit) without starting a second run. The key is
 * unique per caller in the database: two copies of one request sent at once start one run between
 * them, on any nodes. The key is kept as long as the run.
 */
public final class RequestedRuns {
  /** The run a request started, and whether it was started by an earlier copy of the request. */
  public record Started(Run run, boolean replayed) {}

  private final Engine engine;
  private final RunRepository runs;
  private final DSLContext dsl;
  private final StartGate gate;

  /**
   * {@code runs} and {@code dsl}: the store {@code engine} writes runs to; {@code gate}: whether
   * this node starts runs now.
   */
  public RequestedRuns(Engine engine, RunRepository runs, DSLContext dsl, StartGate gate) {
    this.engine = engine;
    this.runs = runs;
    this.dsl = dsl;
    this.gate = gate;
  }

  /**
   * Starts {@code run} as {@link Engine#start(NewRun, boolean)} does, once per request key: a copy
   * of the request that started a run already is answered with that run. Callers look the key up
   * first ({@link #earlier}) to answer a resend before anything else; a copy that got in between is
   * found here. A node that starts no runs now ({@link StartGate}) refuses it.
   */
  public Started start(NewRun run, boolean force) {
    gate.admit();
    return admitted(run, force);
  }

  private Started admitted(NewRun run, boolean force) {
    try {
      return new Started(engine.start(run, force), false);
    } catch (DataAccessException | Conflict e) {
      // A copy that committed meanwhile shows as the refusal of the insert (the key is unique per
      // caller), as a lock the insert gave up waiting for, or, for a job that forbids overlap, as
      // the job's conflict with that copy's run: the run is then the copy's.
      boolean copyMayHaveWon =
          run.request() != null
              && (e instanceof Conflict
                  || Sql.isDuplicateKey((DataAccessException) e)
                  || Sql.isLockConflict(e));
      if (!copyMayHaveWon) {
        throw e;
      }
      return new Started(earlier(run.triggeredBy(), run.request()).orElseThrow(() -> e), true);
    }
  }

  /**
   * A retry of {@code runId} as {@link Engine#retry(long, String, boolean)} does, once per key: a
   * resent retry is answered before the retried run's state is checked.
   */
  public Started retry(long runId, String actor, boolean force, RequestKey key) {
    Optional<Run> earlier = earlier(actor, key);
    if (earlier.isPresent()) {
      return new Started(earlier.get(), true);
    }
    gate.admit(); // before the retried run is checked: a draining node sends it elsewhere
    return admitted(engine.retryOf(runId, actor).withRequest(key), force);
  }

  /**
   * The run an earlier copy of the request {@code key} names started, if any ({@code key} null:
   * none); a {@link KeyReused} when {@code actor} used the key for a different request. A caller
   * may ask this before anything else, so that a resend is answered even when what the request
   * named has changed since (its job or template deleted, a parameter now required).
   */
  public Optional<Run> earlier(String actor, RequestKey key) {
    if (key == null) {
      return Optional.empty();
    }
    Optional<NewRunRepository.Requested> row = NewRunRepository.requested(dsl, actor, key.hash());
    if (row.isEmpty()) {
      return Optional.empty();
    }
    long id = row.get().runId();
    if (!key.fingerprint().equals(row.get().fingerprint())) {
      throw new KeyReused(
          "Idempotency-Key '"
              + key.key()
              + "' was already used for a different request (it started run "
              + id
              + "): send a new key with a new request");
    }
    return runs.find(id);
  }
}
