package io.nightshift.scheduler.run;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.nightshift.scheduler.SettableClock;
import io.nightshift.scheduler.TempFolders;
import io.nightshift.scheduler.approval.ApprovalRepository;
import io.nightshift.scheduler.logs.InProcessLogBus;
import io.nightshift.scheduler.logs.LogSettings;
import io.nightshift.scheduler.logs.LogStore;
import io.nightshift.scheduler.store.Database;
import io.nightshift.scheduler.store.DatabaseSettings;
import io.nightshift.scheduler.store.TestDatabases;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;

/**
 * On MariaDB with a main pool of two connections, both held (by engine work, here by the test): the
 * owner still renews its node and attempt leases and polls cancels, through the lease pool, so
 * another node's sweep after the old lease would have run out does not take the live attempt over.
 */
class RenewalsBesideABusyPoolTest {
  static final int POOL = 2;

  @Test
  void leases_are_renewed_and_cancels_polled_while_every_connection_of_the_main_pool_is_busy()
      throws Exception {
    DatabaseSettings mysql = TestDatabases.cleanMysql();
    SettableClock clock = SettableClock.now();
    try (Database db =
            Database.open(new DatabaseSettings(mysql.url(), mysql.user(), mysql.password(), POOL));
        InProcessLogBus bus =
            new InProcessLogBus(new LogStore(db), LogSettings.defaults("renewals-test"), clock)) {
      ScriptedExecutor owner = new ScriptedExecutor();
      ScriptedExecutor other = new ScriptedExecutor();
      try (Engine a = engine(db, bus, "a", owner, clock);
          Engine b = engine(db, bus, "b", other, clock)) {
        long id = a.start(EngineTest.run(EngineTest.command("s"))).id();
        Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> a.executingSteps() == 1);
        long attempt = owner.started.get(0);

        List<Connection> held = new ArrayList<>();
        try {
          for (int i = 0; i < POOL; i++) {
            held.add(db.dataSource().getConnection());
          }
          assertThatThrownBy(() -> db.dsl().selectOne().fetch())
              .as("the main pool is exhausted")
              .hasRootCauseInstanceOf(java.sql.SQLTransientConnectionException.class);

          clock.advance(EngineTest.LEASES.expiry().minusSeconds(5));
          a.renewLeases();
          a.pollCancels();
          assertThat(owner.killed).isEmpty();
          assertThat(leaseUntil(held.get(0), attempt))
              .isEqualTo(clock.instant().plus(EngineTest.LEASES.expiry()));
        } finally {
          for (Connection c : held) {
            c.close();
          }
        }

        // Past the lease it held before the renewal: another node's sweep leaves the attempt.
        clock.advance(Duration.ofSeconds(10));
        b.sweep();
        Run run = new RunRepository(db.dsl()).get(id);
        assertThat(run.attempt(attempt).orElseThrow().status()).isEqualTo(StepStatus.RUNNING);
        assertThat(other.started).isEmpty();
        assertThat(new NodeLeaseRepository(db.dsl()).live(clock.instant()))
            .as("the owner's node lease was renewed too")
            .anyMatch(lease -> lease.instance().equals(a.instance()));
      }
    }
  }

  static Engine engine(
      Database db, InProcessLogBus bus, String node, AttemptExecutor executor, SettableClock clock)
      throws Exception {
    RunRepository runs = new RunRepository(db.dsl());
    return new Engine(
        runs,
        new ApprovalRepository(db.dsl()),
        new NodeLeaseRepository(db.leases()),
        db.dsl(),
        bus,
        executor,
        EngineSettings.defaults(node, TempFolders.create("nightshift-renewals-")),
        EngineTest.LEASES,
        clock,
        Admission.direct(runs),
        db.leases());
  }

  static java.time.Instant leaseUntil(Connection c, long stepRunId) throws SQLException {
    try (var statement = c.prepareStatement("select lease_until from run_step where id = ?")) {
      statement.setLong(1, stepRunId);
      try (var rs = statement.executeQuery()) {
        rs.next();
        return rs.getObject(1, java.time.LocalDateTime.class).toInstant(java.time.ZoneOffset.UTC);
      }
    }
  }
}
