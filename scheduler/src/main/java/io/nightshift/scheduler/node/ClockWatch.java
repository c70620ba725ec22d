package io.nightshift.scheduler.node;

import static java.util.concurrent.TimeUnit.MILLISECONDS;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.nightshift.executor.DaemonThreads;
import java.math.BigDecimal;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import org.jooq.DSLContext;
import org.jooq.impl.DSL;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * This node's clock against the database server's, and the database server's time as this node
 * reckons it ({@link #databaseTime}): a node on MySQL keeps time by it (leases, due times, the
 * times it stores), so a node whose clock is off neither fails other nodes' live steps as lost nor
 * has its own taken from it, and holds fires Quartz gives it early until they are due; but Quartz
 * gives them by the node's own clock, late on a node behind. So every node measures its offset (its
 * time at the middle of a query, minus the server's time in that query), publishes it as the gauge
 * {@code nightshift_clock_offset_seconds}, and logs an error when it is beyond {@link #TOLERANCE}
 * (at the first such measurement, then every 10 minutes while it lasts), and a line when it is back
 * within. MySQL/MariaDB only: the embedded store shares the node's clock.
 */
public final class ClockWatch implements AutoCloseable {
  /** How far apart clocks may be: leases and fires assume clocks kept in step (NTP). */
  public static final Duration TOLERANCE = Duration.ofSeconds(1);

  private static final Logger log = LoggerFactory.getLogger(ClockWatch.class);
  private static final Duration REMIND_EVERY = Duration.ofMinutes(10);

  private final DSLContext dsl;
  private final Clock clock;
  private final ScheduledExecutorService timer =
      Executors.newSingleThreadScheduledExecutor(new DaemonThreads("nightshift-clock-watch-"));
  private volatile double offsetSeconds = Double.NaN;
  private volatile ServerTime serverTime;

  /** The latest time {@link #databaseTime} gave: it never goes back. */
  private final java.util.concurrent.atomic.AtomicReference<Instant> given =
      new java.util.concurrent.atomic.AtomicReference<>(Instant.MIN);

  /**
   * A measurement whose query took longer than this (a pause on the way) does not reset the time.
   */
  private static final long SLOW_ROUND_TRIP_NANOS = Duration.ofSeconds(1).toNanos();

  private Instant reportedAt;

  /** Told when the server's clock stepped (see {@link #onStep}). */
  private volatile java.util.function.Consumer<Duration> onStep = step -> {};

  /** The server's time at one moment of this JVM's monotonic clock ({@link System#nanoTime}). */
  private record ServerTime(Instant at, long nanoTime) {}

  /** Measures through {@code dsl} (a MySQL/MariaDB store), by {@code clock} (the node's). */
  public ClockWatch(DSLContext dsl, Clock clock, MeterRegistry registry) {
    this.dsl = dsl;
    this.clock = clock;
    Gauge.builder("nightshift.clock.offset", () -> offsetSeconds)
        .description(
            "this node's clock minus the database server's, as last measured (every 15 s);"
                + " nodes must keep theirs within 1 s")
        .baseUnit("seconds")
        .register(registry);
  }

  /**
   * Measures now (before returning: the node's first leases are stamped in database time), then
   * every {@code every}; a failed measurement keeps the last value.
   */
  public ClockWatch start(Duration every) {
    Runnable measuring =
        () -> {
          try {
            measure();
          } catch (RuntimeException e) {
            // The database is unreachable or busy: its own checks say so; the next one measures.
            log.debug("cannot read the database's clock: {}", e.toString());
          }
        };
    measuring.run();
    timer.scheduleWithFixedDelay(measuring, every.toMillis(), every.toMillis(), MILLISECONDS);
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
              long micros = server.longValue();
              ServerTime last = serverTime;
              ServerTime read =
                  new ServerTime(
                      Instant.ofEpochSecond(micros / 1_000_000, (micros % 1_000_000) * 1000),
                      started + roundTrip / 2);
              Duration step = last == null ? Duration.ZERO : stepBetween(last, read);
              // A step of the server's clock beyond the query's round trip counts even when the
              // query was slow: the new time is the closer, by far.
              boolean stepped = step.abs().compareTo(TOLERANCE.plusNanos(roundTrip)) > 0;
              if (last == null || roundTrip <= SLOW_ROUND_TRIP_NANOS || stepped) {
                serverTime = read;
                if (stepped) {
                  stepped(step, last, read);
                }
              }
              double offset =
                  node.getEpochSecond() + node.getNano() / 1e9 - server.doubleValue() / 1_000_000.0;
              return new Offset(offset, roundTrip / 2e9);
            });
    offsetSeconds = measured.seconds();
    report(measured, clock.instant());
    return measured;
  }

  /**
   * Calls {@code listener} with the step whenever a measurement finds that the server's clock moved
   * by more than {@link #TOLERANCE} (plus the query's round trip) from where the JVM's monotonic
   * clock says it should be since the last one: it was set, by NTP or by hand.
   */
  public ClockWatch onStep(java.util.function.Consumer<Duration> listener) {
    this.onStep = java.util.Objects.requireNonNull(listener, "listener");
    return this;
  }

  /** How far the server's clock moved between two readings beyond the JVM's monotonic time. */
  private static Duration stepBetween(ServerTime last, ServerTime now) {
    return Duration.between(last.at().plusNanos(now.nanoTime() - last.nanoTime()), now.at());
  }

  private void stepped(Duration step, ServerTime last, ServerTime now) {
    log.warn(
        "the database server's clock stepped {} s {} since it was read {} s ago (by this node's"
            + " monotonic clock): {}",
        String.format(java.util.Locale.ROOT, "%.1f", Math.abs(step.toMillis() / 1000.0)),
        step.isNegative() ? "back" : "forward",
        (now.nanoTime() - last.nanoTime()) / 1_000_000_000L,
        step.isNegative()
            ? "this node's time stands still until the server's catches up"
            : "this node keeps the new time");
    onStep.accept(step);
  }

  private void report(Offset measured, Instant now) {
    if (measured.beyondTolerance()) {
      // A clock stepped back since the last report reminds at once, as one gone 10 minutes on.
      if (reportedAt == null
          || now.isBefore(reportedAt)
          || !now.isBefore(reportedAt.plus(REMIND_EVERY))) {
        log.error(
            "this node's clock is {} s {} the database server's: Quartz hands each node its"
                + " fires by its own clock (a node ahead holds them until the database's time, one"
                + " behind starts them late), so clocks must agree within {} s (run NTP or chrony"
                + " on every node and on the database host); leases, due times and stored times"
                + " are kept in the database's time and still hold",
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
   * The database server's time as this node reckons it: the server's time at the last measurement
   * plus the time this JVM's monotonic clock counted since (so a step of the node's clock between
   * two measurements changes nothing); the node's clock until a first measurement. Nodes keep time
   * by it: whatever their own clocks say, they agree within their round trips. It never goes back
   * (a new measurement a little behind the last holds it until it catches up), and a measurement
   * whose query took over a second is not used for it.
   */
  public Clock databaseTime() {
    return new Clock() {
      @Override
      public Instant instant() {
        ServerTime at = serverTime;
        Instant now =
            at == null ? clock.instant() : at.at().plusNanos(System.nanoTime() - at.nanoTime());
        return given.accumulateAndGet(now, (last, next) -> next.isAfter(last) ? next : last);
      }

      @Override
      public java.time.ZoneId getZone() {
        return java.time.ZoneOffset.UTC;
      }

      @Override
      public Clock withZone(java.time.ZoneId zone) {
        throw new UnsupportedOperationException("database time is UTC");
      }
    };
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
