package io.nightshift.scheduler.run;

import static org.assertj.core.api.Assertions.assertThat;

import io.nightshift.scheduler.SettableClock;
import java.sql.SQLException;
import java.sql.SQLTransientConnectionException;
import java.time.Duration;
import org.jooq.exception.DataAccessException;
import org.junit.jupiter.api.Test;

/** What counts as losing the database, and from when a node judges leases again. */
class DatabaseContactTest {
  final SettableClock clock = SettableClock.now();
  final DatabaseContact contact = new DatabaseContact(clock);

  @Test
  void a_node_judges_no_lease_until_it_has_been_up_for_a_lease_expiry() {
    assertThat(contact.heldSince(clock.instant().minusSeconds(30))).isFalse();
    clock.advance(Duration.ofSeconds(31));
    assertThat(contact.heldSince(clock.instant().minusSeconds(30))).isTrue();
  }

  @Test
  void a_lost_connection_counts_and_a_busy_pool_does_not() {
    clock.advance(Duration.ofMinutes(5));
    // No free connection in time, the database answering: a node short of connections must still
    // take a dead node's attempts over.
    contact.failed(
        new DataAccessException(
            "no connection", new SQLTransientConnectionException("request timed out")));
    assertThat(contact.heldSince(clock.instant().minusSeconds(30))).isTrue();

    // The pool timed out because connecting failed (what an outage looks like).
    contact.failed(
        new DataAccessException(
            "no connection",
            new SQLTransientConnectionException(
                "request timed out", new SQLException("Communications link failure", "08S01"))));
    assertThat(contact.heldSince(clock.instant().minusSeconds(30))).isFalse();
  }

  @Test
  void a_step_of_the_databases_clock_holds_lease_judgement_until_every_node_renewed_after_it() {
    clock.advance(Duration.ofMinutes(5));
    assertThat(contact.heldSince(clock.instant().minusSeconds(30))).isTrue();

    // Every node reads the server's time within 15 s, then renews within the lease expiry (30 s).
    assertThat(contact.clockStepped(Duration.ofSeconds(15))).isTrue();
    assertThat(contact.heldSince(clock.instant().minusSeconds(30))).isFalse();
    clock.advance(Duration.ofSeconds(44));
    assertThat(contact.heldSince(clock.instant().minusSeconds(30))).isFalse();
    clock.advance(Duration.ofSeconds(2));
    assertThat(contact.heldSince(clock.instant().minusSeconds(30))).isTrue();

    // Steps found again and again (readings reaching servers whose clocks differ) hold at most
    // once per 5 minutes: leases are still judged in between.
    clock.advance(Duration.ofMinutes(1));
    assertThat(contact.clockStepped(Duration.ofSeconds(15))).isFalse();
    assertThat(contact.heldSince(clock.instant().minusSeconds(30))).isTrue();
    clock.advance(Duration.ofMinutes(4));
    assertThat(contact.clockStepped(Duration.ofSeconds(15))).isTrue();
    assertThat(contact.heldSince(clock.instant().minusSeconds(30))).isFalse();
  }
}
