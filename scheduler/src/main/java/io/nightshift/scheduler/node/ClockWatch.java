package io.nightshift.scheduler.node;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.nightshift.executor.DaemonThreads;
import io.nightshift.scheduler.run.ClockTrust;
import java.math.BigDecimal;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.jooq.DSLContext;
import org.jooq.impl.DSL;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * This node's clock against the database server's. Nodes judge each other's leases and fire jobs by
 * their own clocks: a node whose clock runs ahead fails other nodes' live steps as lost and fires
 * jobs early; one that lags has its own steps taken from it. So every node measures its offset (its
 * time at the middle of a query, minus the server's time in that query), publishes it as the gauge
 * {@code nightshift_clock_offset_seconds}, and logs an error when it is beyond {@link #TOLERANCE}
 * (at the first such measurement, then every 10 minutes while it lasts), and a line when it is back
 * within. MySQL/MariaDB only: the embedded store shares the node's clock.
 */
public final class ClockWatch implements AutoCloseable, ClockTrust {
  /** How far apart clocks may be: leases and fires assume clocks kept in step (NTP). */
  public static final Duration TOLERANCE = Duration.ofSeconds(1);

  private static final Logger log = LoggerFactory.getLogger(ClockWatch.class);
  private static final Duration REMIND_EVERY = Duration.ofMinutes(10);

  private final DSLContext dsl;
  private final Clock clock;
  private final ScheduledExecutorService timer =
      Executors.newSingleThreadScheduledExecutor(new DaemonThreads("nightshift-clock-watch-"));
  private final Duration judgeWithin;
  private volatile double offsetSeconds = Double.NaN;
  private volatile Offset last;
  private Instant reportedAt;

  /**
   * Measures through {@code dsl} (a MySQL/MariaDB store), by {@code clock} (the node's); {@code
   * judgeWithin}: how far off this clock may be and still judge other nodes' leases ({@link
   * #distrust}).
   */
  public ClockWatch(DSLContext dsl, Clock clock, MeterRegistry registry, Duration judgeWithin) {
    this.dsl = dsl;
    this.clock = clock;
    this.judgeWithin = judgeWithin;
    Gauge.builder("nightshift.clock.offset", () -> offsetSeconds)
        .description(
            "this node's clock minus the database server's, as last measured (every 15 s);"
                + " nodes must keep theirs within 1 s")
        .baseUnit("seconds")
        .register(registry);
  }

  /** Measures now, then every {@code every}; a failed measurement keeps the last value. */
  public ClockWatch start(Duration every) {
    timer.scheduleWithFixedDelay(
        () -> {
          try {
            measure();
          } catch (RuntimeException e) {
            // The database is unreachable or busy: its own checks say so; the next one measures.
            log.debug("cannot read the database's clock: {}", e.toString());
          }
        },
        0,
        every.toMillis(),
        TimeUnit.MILLISECONDS);
    return this;
  }

  /**
   * One measurement: this node's clock minus the server's, in seconds (reported when beyond the
   * tolerance by more than the query's half round trip).
   */
  public synchronized Offset measure() {
    // The connection is taken first: only the statement's round trip is timed, not a busy pool.
    Offset measured =
        dsl.connectionResult(
            connection -> {
              DSLContext on = DSL.using(connection, dsl.dialect());
              Instant before = clock.instant();
              long started = System.nanoTime();
              BigDecimal server =
                  on.select(
                          DSL.field(
                              "timestampdiff(microsecond, '1970-01-01 00:00:00',"
                                  + " utc_timestamp(6))",
                              BigDecimal.class))
                      .fetchOne()
                      .value1();
              long roundTrip = System.nanoTime() - started;
              Instant node = before.plusNanos(roundTrip / 2);
              double offset =
                  node.getEpochSecond() + node.getNano() / 1e9 - server.doubleValue() / 1_000_000.0;
              return new Offset(offset, roundTrip / 2e9);
            });
    offsetSeconds = measured.seconds();
    last = measured;
    report(measured, clock.instant());
    return measured;
  }

  private void report(Offset measured, Instant now) {
    if (measured.beyondTolerance()) {
      // A clock stepped back since the last report reminds at once, as one gone 10 minutes on.
      if (reportedAt == null
          || now.isBefore(reportedAt)
          || !now.isBefore(reportedAt.plus(REMIND_EVERY))) {
        log.error(
            "this node's clock is {} s {} the database server's: nodes judge each other's step"
                + " leases and fire jobs by their own clocks, which must agree within {} s (run"
                + " NTP or chrony on every node and on the database host)",
            String.format(java.util.Locale.ROOT, "%.1f", Math.abs(measured.seconds())),
            measured.seconds() > 0 ? "ahead of" : "behind",
            TOLERANCE.toSeconds());
        reportedAt = now;
      }
    } else if (reportedAt != null) {
      log.info(
          "this node's clock is within {} s of the database server's again ({} s)",
          TOLERANCE.toSeconds(),
          String.format(java.util.Locale.ROOT, "%.3f", measured.seconds()));
      reportedAt = null;
    }
  }

  /**
   * Why this node's clock may not judge other nodes' leases: last measured off by more than {@code
   * judgeWithin} (half the slack between a lease's renewal and its expiry, by default); null while
   * it may (also before a first measurement).
   */
  @Override
  public String distrust() {
    Offset measured = last;
    if (measured == null
        || Math.abs(measured.seconds()) - measured.uncertainty() <= judgeWithin.toMillis() / 1e3) {
      return null;
    }
    return String.format(
        java.util.Locale.ROOT,
        "this node's clock is %.1f s %s the database server's, more than the %d s it may be off to"
            + " judge other nodes' leases (run NTP or chrony)",
        Math.abs(measured.seconds()),
        measured.seconds() > 0 ? "ahead of" : "behind",
        judgeWithin.toSeconds());
  }

  /**
   * This node's clock minus the server's ({@code seconds}), give or take {@code uncertainty} (half
   * the query's round trip).
   */
  public record Offset(double seconds, double uncertainty) {
    public boolean beyondTolerance() {
      return Math.abs(seconds) - uncertainty > TOLERANCE.toMillis() / 1000.0;
    }
  }

  @Override
  public void close() {
    timer.shutdownNow();
  }
}
