package io.nightshift.scheduler.run;

import java.util.concurrent.atomic.AtomicInteger;
import org.jooq.DSLContext;
import org.jooq.TransactionContext;
import org.jooq.TransactionProvider;
import org.jooq.exception.DataAccessException;
import org.jooq.impl.DSL;

/**
 * Commits that go through, but whose answer is lost as when the connection drops just after the
 * server committed: the caller gets a lost connection (SQL state 08S01) for a transaction that is
 * stored. On a real database.
 */
public final class LostCommitAnswers {
  private final AtomicInteger left = new AtomicInteger();

  /** The same database, through this. */
  public DSLContext wrap(DSLContext dsl) {
    TransactionProvider real = dsl.configuration().transactionProvider();
    return DSL.using(
        dsl.configuration()
            .derive(
                new TransactionProvider() {
                  @Override
                  public void begin(TransactionContext ctx) {
                    real.begin(ctx);
                  }

                  @Override
                  public void commit(TransactionContext ctx) {
                    real.commit(ctx);
                    if (left.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
                      throw new DataAccessException(
                          "Communications link failure (injected after the commit)",
                          new java.sql.SQLException(
                              "Communications link failure (injected after the commit)", "08S01"));
                    }
                  }

                  @Override
                  public void rollback(TransactionContext ctx) {
                    real.rollback(ctx);
                  }
                }));
  }

  /** The next {@code times} commits go through and answer a lost connection. */
  public void next(int times) {
    left.set(times);
  }
}
