package io.nightshift.scheduler.node;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.nightshift.scheduler.SettableClock;
import io.nightshift.scheduler.store.Database;
import io.nightshift.scheduler.store.TestDatabases;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/** A node's clock measured against MariaDB's: in step, then 42 s ahead, then back in step. */
class ClockWatchTest {
  SettableClock clock;
  final SimpleMeterRegistry registry = new SimpleMeterRegistry();
  final ListAppender<ILoggingEvent> logged = new ListAppender<>();
  final ch.qos.logback.classic.Logger logger =
      (ch.qos.logback.classic.Logger) LoggerFactory.getLogger(ClockWatch.class);
  Database database;
  ClockWatch watch;

  @BeforeEach
  void open() {
    database = Database.open(TestDatabases.mysqlSettings());
    // A settable clock stands still: set from the real time once the database is open.
    clock = SettableClock.now();
    watch = new ClockWatch(database.dsl(), clock, registry);
    logged.start();
    logger.addAppender(logged);
    logger.setLevel(Level.INFO);
  }

  @AfterEach
  void close() {
    logger.detachAppender(logged);
    logger.setLevel(null);
    watch.close();
    database.close();
  }

  double gauge() {
    return registry.get("nightshift.clock.offset").gauge().value();
  }

  @Test
  void a_clock_ahead_of_the_databases_is_measured_published_and_reported_once_per_ten_minutes() {
    ClockWatch.Offset inStep = watch.measure();
    assertThat(inStep.seconds()).isBetween(-1.0, 1.0);
    assertThat(inStep.beyondTolerance()).isFalse();
    assertThat(logged.list).isEmpty();

    clock.advance(Duration.ofSeconds(42));
    ClockWatch.Offset ahead = watch.measure();
    assertThat(ahead.seconds()).isBetween(41.0, 43.0);
    assertThat(ahead.beyondTolerance()).isTrue();
    assertThat(gauge()).isEqualTo(ahead.seconds());
    assertThat(logged.list).hasSize(1);
    assertThat(logged.list.get(0).getLevel()).isEqualTo(Level.ERROR);
    assertThat(logged.list.get(0).getFormattedMessage())
        .contains("clock is 42.", "ahead of the database server's", "NTP");

    // Measured every minute: one error, then a reminder after 10 minutes (the clock still off).
    for (int minute = 1; minute <= 10; minute++) {
      clock.advance(Duration.ofMinutes(1));
      watch.measure();
    }
    assertThat(logged.list).hasSize(2);

    // Set right (the settable clock steps back to the real time): one line says so.
    clock.advance(Duration.ofMinutes(-10).minusSeconds(42));
    assertThat(watch.measure().beyondTolerance()).isFalse();
    assertThat(logged.list).hasSize(3);
    assertThat(logged.list.get(2).getLevel()).isEqualTo(Level.INFO);
    assertThat(gauge()).isBetween(-1.0, 1.0);
  }

  @Test
  void the_wait_for_a_busy_pools_connection_is_not_taken_for_the_queries_round_trip()
      throws Exception {
    var one = TestDatabases.mysqlSettings();
    try (Database busy =
            Database.open(
                new io.nightshift.scheduler.store.DatabaseSettings(
                    one.url(), one.user(), one.password(), 1));
        ClockWatch through =
            new ClockWatch(busy.dsl(), java.time.Clock.systemUTC(), new SimpleMeterRegistry())) {
      java.util.concurrent.CountDownLatch taken = new java.util.concurrent.CountDownLatch(1);
      Thread holder =
          new Thread(
              () ->
                  busy.dsl()
                      .connection(
                          c -> {
                            taken.countDown();
                            // A fixed pause on purpose: the measurement must wait this long for
                            // the connection (far beyond its 0.25 s bound) for the test to tell
                            // a timed wait from a timed query; there is no condition to wait on.
                            Thread.sleep(1500);
                          }));
      holder.start();
      taken.await();
      // The pool's only connection is busy for 1.5 s: the measurement waits for it, then times
      // its query alone (timing the wait as well made it 0.75 s off, give or take 0.75 s).
      ClockWatch.Offset measured = through.measure();
      holder.join();
      assertThat(measured.uncertainty()).isLessThan(0.25);
      assertThat(measured.seconds()).isBetween(-0.5, 0.5);
    }
  }

  @Test
  void database_time_is_the_servers_whatever_the_nodes_clock_says_and_wherever_it_steps() {
    java.time.Clock databaseTime = watch.databaseTime();
    clock.advance(Duration.ofSeconds(-60));
    assertThat(databaseTime.instant())
        .as("not measured yet: the node's")
        .isEqualTo(clock.instant());

    watch.measure();
    assertThat(Duration.between(java.time.Instant.now(), databaseTime.instant()).abs())
        .as("a minute behind, measured: the server's time (this host's)")
        .isLessThan(Duration.ofSeconds(1));

    // The node's clock steps two minutes on between two measurements: the database's time does
    // not (it counts on from the last measurement by the JVM's monotonic clock).
    clock.advance(Duration.ofMinutes(2));
    assertThat(Duration.between(java.time.Instant.now(), databaseTime.instant()).abs())
        .isLessThan(Duration.ofSeconds(1));
  }

  @Test
  void a_step_of_the_servers_clock_is_told_each_way_and_logged() throws Exception {
    var one = TestDatabases.mysqlSettings();
    // One connection: the session's clock setting below holds for every measurement.
    try (Database single =
            Database.open(
                new io.nightshift.scheduler.store.DatabaseSettings(
                    one.url(), one.user(), one.password(), 1));
        ClockWatch through = new ClockWatch(single.dsl(), clock, new SimpleMeterRegistry())) {
      java.util.List<Duration> steps = new java.util.concurrent.CopyOnWriteArrayList<>();
      through.onStep(steps::add);
      java.time.Clock databaseTime = through.databaseTime();
      through.measure();
      through.measure();
      assertThat(steps).as("a clock that runs on is no step").isEmpty();

      // The server's clock is set a minute on (NTP, or an operator), as MariaDB lets a session do.
      single.dsl().execute("set timestamp = unix_timestamp(now(6)) + 60");
      through.measure();
      assertThat(steps).hasSize(1);
      assertThat(steps.get(0)).isBetween(Duration.ofSeconds(59), Duration.ofSeconds(61));
      assertThat(Duration.between(java.time.Instant.now(), databaseTime.instant()))
          .as("the node keeps the new time")
          .isBetween(Duration.ofSeconds(59), Duration.ofSeconds(61));
      assertThat(logged.list)
          .anySatisfy(
              e ->
                  assertThat(e.getFormattedMessage())
                      .contains("the database server's clock stepped 60.", "forward"));

      single.dsl().execute("set timestamp = default");
      through.measure();
      assertThat(steps).hasSize(2);
      assertThat(steps.get(1)).isBetween(Duration.ofSeconds(-61), Duration.ofSeconds(-59));
    }
  }

  @Test
  void a_slow_reading_that_shows_a_step_is_taken() throws Exception {
    var one = TestDatabases.mysqlSettings();
    try (Database single =
        Database.open(
            new io.nightshift.scheduler.store.DatabaseSettings(
                one.url(), one.user(), one.password(), 1))) {
      // Each reading of the server's time waits 1.2 s in the server first (SLEEP on its
      // connection), beyond the 1 s past which a reading is too slow to move the node's time.
      org.jooq.ConnectionProvider pool = single.dsl().configuration().connectionProvider();
      org.jooq.DSLContext slow =
          org.jooq.impl.DSL.using(
              new org.jooq.ConnectionProvider() {
                @Override
                public java.sql.Connection acquire() {
                  return slowReadings(pool.acquire());
                }

                @Override
                public void release(java.sql.Connection connection) {
                  pool.release(
                      ((SlowReadings) java.lang.reflect.Proxy.getInvocationHandler(connection))
                          .connection);
                }
              },
              single.dsl().dialect());
      try (ClockWatch through = new ClockWatch(slow, clock, new SimpleMeterRegistry())) {
        java.util.List<Duration> steps = new java.util.concurrent.CopyOnWriteArrayList<>();
        through.onStep(steps::add);
        java.time.Clock databaseTime = through.databaseTime();
        assertThat(through.measure().uncertainty()).as("a slow reading").isGreaterThan(0.5);

        single.dsl().execute("set timestamp = unix_timestamp(now(6)) + 60");
        through.measure();
        assertThat(steps).hasSize(1);
        assertThat(steps.get(0)).isBetween(Duration.ofSeconds(57), Duration.ofSeconds(61));
        assertThat(Duration.between(java.time.Instant.now(), databaseTime.instant()))
            .as("the slow reading's new time is taken: a minute off beats 1.2 s of doubt")
            .isBetween(Duration.ofSeconds(57), Duration.ofSeconds(61));
      } finally {
        single.dsl().execute("set timestamp = default");
      }
    }
  }

  /** The connection, whose readings of the server's time each wait 1.2 s in the server first. */
  private static java.sql.Connection slowReadings(java.sql.Connection connection) {
    return (java.sql.Connection)
        java.lang.reflect.Proxy.newProxyInstance(
            ClockWatchTest.class.getClassLoader(),
            new Class<?>[] {java.sql.Connection.class},
            new SlowReadings(connection));
  }

  private record SlowReadings(java.sql.Connection connection)
      implements java.lang.reflect.InvocationHandler {
    @Override
    public Object invoke(Object proxy, java.lang.reflect.Method method, Object[] args)
        throws Throwable {
      if (method.getName().equals("prepareStatement")
          && String.valueOf(args[0]).contains("utc_timestamp")) {
        try (java.sql.Statement wait = connection.createStatement()) {
          wait.execute("select sleep(1.2)");
        }
      }
      try {
        return method.invoke(connection, args);
      } catch (java.lang.reflect.InvocationTargetException e) {
        throw e.getCause();
      }
    }
  }

  @Test
  void a_clock_stepped_back_while_still_off_is_reported_again_at_once() {
    clock.advance(Duration.ofSeconds(42));
    watch.measure();
    clock.advance(Duration.ofSeconds(-20)); // still 22 s ahead, and earlier than the last report
    watch.measure();
    assertThat(logged.list).hasSize(2);
    assertThat(logged.list.get(1).getFormattedMessage()).contains("clock is 22.");
  }

  @Test
  void a_clock_behind_the_databases_is_reported_as_behind() {
    clock.advance(Duration.ofSeconds(-5));
    ClockWatch.Offset behind = watch.measure();
    assertThat(behind.seconds()).isBetween(-6.0, -4.0);
    assertThat(logged.list)
        .singleElement()
        .satisfies(e -> assertThat(e.getFormattedMessage()).contains("5.", "behind"));
  }
}
