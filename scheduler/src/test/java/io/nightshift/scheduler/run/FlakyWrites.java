package io.nightshift.scheduler.run;

import java.util.concurrent.atomic.AtomicInteger;
import org.jooq.DSLContext;
import org.jooq.ExecuteContext;
import org.jooq.ExecuteListener;
import org.jooq.exception.DataAccessException;
import org.jooq.impl.DSL;
import org.jooq.impl.DefaultExecuteListenerProvider;

/**
 * Makes the next writes whose SQL holds a given text fail as a lock wait timeout does, on a real
 * database (or as a lost connection does): the statement is refused before it reaches the server.
 * It also counts the writes that went through, by the table they write, and can hold statements
 * back as an outage does.
 */
public final class FlakyWrites implements ExecuteListener {
  private final AtomicInteger failuresLeft = new AtomicInteger();
  private volatile String matching = "";
  private volatile boolean unreachable;
  private volatile boolean down;
  private volatile String holding;
  private volatile java.util.concurrent.CountDownLatch release;
  private final AtomicInteger held = new AtomicInteger();
  private final java.util.List<String> written =
      java.util.Collections.synchronizedList(new java.util.ArrayList<>());

  /** The same database, through this listener. */
  public DSLContext wrap(DSLContext dsl) {
    return DSL.using(dsl.configuration().derive(new DefaultExecuteListenerProvider(this)));
  }

  /** The next {@code times} statements containing {@code sqlText} (case-insensitive) fail. */
  public void fail(String sqlText, int times) {
    fail(sqlText, times, false);
  }

  /**
   * The next {@code times} statements containing {@code sqlText} fail as a connection lost to the
   * database does (SQL state 08S01), which callers take for an outage.
   */
  public void failUnreachable(String sqlText, int times) {
    fail(sqlText, times, true);
  }

  private void fail(String sqlText, int times, boolean asUnreachable) {
    matching = sqlText.toLowerCase(java.util.Locale.ROOT);
    unreachable = asUnreachable;
    failuresLeft.set(times);
  }

  /**
   * While down, every statement (reads too) fails as a lost connection does: the database is out
   * for everyone who uses it through this listener.
   */
  public void down(boolean down) {
    this.down = down;
  }

  /**
   * Statements (reads too) containing {@code sqlText} wait for {@code release} before they run, as
   * they would for a connection through an outage.
   */
  public void hold(String sqlText, java.util.concurrent.CountDownLatch release) {
    this.release = release;
    this.holding = sqlText.toLowerCase(java.util.Locale.ROOT);
  }

  /** How many statements reached a {@link #hold}. */
  public int held() {
    return held.get();
  }

  public int failuresLeft() {
    return failuresLeft.get();
  }

  /** How many INSERT statements into {@code table} reached the database. */
  public long insertsInto(String table) {
    String start = "insert into " + table + " ";
    synchronized (written) {
      return written.stream().filter(sql -> sql.startsWith(start)).count();
    }
  }

  @Override
  public void executeEnd(ExecuteContext ctx) {
    if (ctx.sql() != null) {
      // Without the store's quoting (backticks on MySQL, double quotes on H2).
      written.add(ctx.sql().toLowerCase(java.util.Locale.ROOT).replaceAll("[`\"]", ""));
    }
  }

  @Override
  public void executeStart(ExecuteContext ctx) {
    if (down) {
      throw lostConnection();
    }
    String sql = ctx.sql() == null ? "" : ctx.sql().toLowerCase(java.util.Locale.ROOT);
    String hold = holding;
    if (hold != null && sql.replaceAll("[`\"]", "").contains(hold)) {
      held.incrementAndGet();
      try {
        release.await();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    boolean write =
        sql.startsWith("update") || sql.startsWith("insert") || sql.startsWith("delete");
    if (write && sql.contains(matching) && failuresLeft.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
      if (unreachable) {
        throw lostConnection();
      }
      throw new DataAccessException(
          "Lock wait timeout exceeded; try restarting transaction (injected)");
    }
  }

  private static DataAccessException lostConnection() {
    return new DataAccessException(
        "Communications link failure (injected)",
        new java.sql.SQLException("Communications link failure (injected)", "08S01"));
  }
}
