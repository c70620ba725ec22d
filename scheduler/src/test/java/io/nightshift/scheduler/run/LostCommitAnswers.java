package io.nightshift.scheduler.run;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.jooq.DSLContext;
import org.jooq.ExecuteContext;
import org.jooq.ExecuteListener;
import org.jooq.ExecuteListenerProvider;
import org.jooq.TransactionContext;
import org.jooq.TransactionProvider;
import org.jooq.exception.DataAccessException;
import org.jooq.impl.DSL;
import org.jooq.impl.DefaultExecuteListenerProvider;

/**
 * Commits that go through, but whose answer is lost as when the connection drops just after the
 * server committed: the caller gets a lost connection (SQL state 08S01) for a transaction that is
 * stored. On a real database.
 */
public final class LostCommitAnswers {
  private final AtomicInteger left = new AtomicInteger();
  private volatile String onlyWith;
  private final ThreadLocal<List<String>> statements = ThreadLocal.withInitial(ArrayList::new);
  private final ThreadLocal<int[]> depth = ThreadLocal.withInitial(() -> new int[1]);

  /** The same database, through this. */
  public DSLContext wrap(DSLContext dsl) {
    TransactionProvider real = dsl.configuration().transactionProvider();
    ExecuteListenerProvider[] before = dsl.configuration().executeListenerProviders();
    ExecuteListenerProvider[] listeners = java.util.Arrays.copyOf(before, before.length + 1);
    listeners[before.length] =
        new DefaultExecuteListenerProvider(
            new ExecuteListener() {
              @Override
              public void executeStart(ExecuteContext ctx) {
                if (depth.get()[0] > 0 && ctx.sql() != null) {
                  statements.get().add(ctx.sql());
                }
              }
            });
    return DSL.using(
        dsl.configuration()
            .derive(listeners)
            .derive(
                new TransactionProvider() {
                  @Override
                  public void begin(TransactionContext ctx) {
                    if (depth.get()[0]++ == 0) {
                      statements.get().clear();
                    }
                    real.begin(ctx);
                  }

                  @Override
                  public void commit(TransactionContext ctx) {
                    int outer = --depth.get()[0];
                    real.commit(ctx);
                    if (outer > 0 || !chosen()) {
                      return;
                    }
                    if (left.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
                      throw new DataAccessException(
                          "Communications link failure (injected after the commit)",
                          new java.sql.SQLException(
                              "Communications link failure (injected after the commit)", "08S01"));
                    }
                  }

                  @Override
                  public void rollback(TransactionContext ctx) {
                    depth.get()[0] = Math.max(0, depth.get()[0] - 1);
                    real.rollback(ctx);
                  }
                }));
  }

  private boolean chosen() {
    String text = onlyWith;
    return text == null
        || statements.get().stream()
            .anyMatch(sql -> sql.replaceAll("[`\"]", "").toLowerCase().contains(text));
  }

  /** The next {@code times} commits go through and answer a lost connection. */
  public void next(int times) {
    onlyWith = null;
    left.set(times);
  }

  /**
   * The next {@code times} commits of transactions that ran a statement containing {@code sqlText}
   * (lower case, identifiers unquoted) go through and answer a lost connection.
   */
  public void nextWith(String sqlText, int times) {
    onlyWith = sqlText;
    left.set(times);
  }
}
