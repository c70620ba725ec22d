package io.nightshift.scheduler.node;

import io.nightshift.executor.Instants;
import io.nightshift.scheduler.error.Unavailable;
import io.nightshift.scheduler.health.ReadinessCheck;
import io.nightshift.scheduler.job.JobScheduler;
import io.nightshift.scheduler.run.DrainingExecutor;
import io.nightshift.scheduler.run.Engine;
import io.nightshift.scheduler.run.StartGate;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.CompletableFuture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Draining this node (SIGTERM, or {@code POST /nodes/{name}/drain}): it stops taking new work (no
 * fires, no new attempts, no run starts), lets the steps it executes finish for up to the grace,
 * then kills what is left; each killed attempt fails ("node drained") and its step's retries
 * decide. Runs with work left (a next step, a retry) stay for another node's sweep or this node's
 * next start. Draining is one-way: the node stays up, not ready, until it is stopped.
 */
public final class NodeDrain implements ReadinessCheck, StartGate {
  private static final Logger log = LoggerFactory.getLogger(NodeDrain.class);

  private final String node;
  private final DrainingExecutor executor;
  private final JobScheduler jobs;
  private final Engine engine;
  private final Duration grace;
  private final Duration killGrace;
  private final Clock clock;
  private final CompletableFuture<Void> done = new CompletableFuture<>();
  private volatile Instant since;

  public NodeDrain(
      String node,
      DrainingExecutor executor,
      JobScheduler jobs,
      Engine engine,
      Duration grace,
      Duration killGrace,
      Clock clock) {
    this.node = node;
    this.executor = executor;
    this.jobs = jobs;
    this.engine = engine;
    this.grace = grace;
    this.killGrace = killGrace;
    this.clock = clock;
  }

  /** Starts draining, once; the waiting happens on a thread of its own. */
  public synchronized void begin() {
    if (since != null) {
      return;
    }
    since = clock.instant();
    executor.drain(since);
    jobs.standby();
    log.info(
        "node {} draining: no new work; {} step(s) executing get up to {} s",
        node,
        executor.executing(),
        grace.toSeconds());
    Thread waiter = new Thread(this::finish, "nightshift-drain");
    waiter.setDaemon(true);
    waiter.start();
  }

  /** Drains and returns once it is done (the SIGTERM path, before the node closes). */
  public void drainAndWait() {
    begin();
    done.join();
  }

  public boolean draining() {
    return since != null;
  }

  /** A draining node starts no runs: the caller is sent to another node. */
  @Override
  public void admit() {
    if (draining()) {
      throw new Unavailable(
          "draining",
          "node " + node + " is draining and starts no new runs; send the request to another node",
          10);
    }
  }

  public String node() {
    return node;
  }

  /** Since when this node drains; null while it serves. */
  public Instant since() {
    return since;
  }

  /** The state as the API shows it. */
  public JsonObject state() {
    Instant from = since;
    return new JsonObject()
        .put("node", node)
        .put("state", from == null ? "serving" : done.isDone() ? "drained" : "draining")
        .put("since", from == null ? null : Instants.format(from))
        .put("graceSeconds", grace.toSeconds())
        .put("executingSteps", executor.executing());
  }

  private void finish() {
    try {
      if (!executor.awaitIdle(grace)) {
        int stopped =
            executor.stop(
                "node drained: still running after the shutdown grace of "
                    + grace.toSeconds()
                    + " s (node "
                    + node
                    + ")");
        log.warn("node {} drained: stopping {} step(s) still running", node, stopped);
        executor.awaitIdle(killGrace.plusSeconds(10));
      }
      awaitRecorded(Duration.ofSeconds(10));
      log.info("node {} drained", node);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (RuntimeException e) {
      log.error("node {}: drain failed", node, e);
    } finally {
      done.complete(null);
    }
  }

  /** The engine records the last outcomes on its own pool: wait for that too. */
  private void awaitRecorded(Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (engine.executingSteps() > 0 && System.nanoTime() < deadline) {
      Thread.sleep(20);
    }
  }

  @Override
  public String name() {
    return "node";
  }

  @Override
  public Future<Void> check() {
    return draining()
        ? Future.failedFuture("draining since " + Instants.format(since))
        : Future.succeededFuture();
  }

  @Override
  public String detail() {
    if (!draining()) {
      return "serving";
    }
    return (done.isDone() ? "drained" : "draining")
        + " since "
        + Instants.format(since)
        + ": "
        + executor.executing()
        + " step(s) executing, grace "
        + grace.toSeconds()
        + " s";
  }
}
