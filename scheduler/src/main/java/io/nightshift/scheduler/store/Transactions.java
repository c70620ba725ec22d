package io.nightshift.scheduler.store;

import java.sql.Connection;
import javax.sql.DataSource;
import org.jooq.ConnectionProvider;
import org.jooq.TransactionContext;
import org.jooq.TransactionProvider;
import org.jooq.exception.DataAccessException;
import org.jooq.impl.DataSourceConnectionProvider;
import org.jooq.impl.DefaultTransactionProvider;

/**
 * jOOQ's own transactions (savepoints for nested ones), with one change: a transaction that could
 * not even get a connection is not rolled back. jOOQ's default provider rolls it back through a new
 * acquire, which waits the pool's whole timeout a second time: during a database outage every
 * transaction then took twice the connection timeout to fail (a claiming lane retried every 11-16 s
 * instead of every 6). A transaction that got its connection is rolled back as before, so the
 * connection always goes back to the pool.
 */
final class Transactions implements TransactionProvider {
  /** The key under which a transaction's context remembers that its begin got no connection. */
  private static final String NO_CONNECTION = "nightshift.transaction.no-connection";

  private final TransactionProvider jooq;

  private Transactions(ConnectionProvider connections) {
    this.jooq = new DefaultTransactionProvider(connections);
  }

  /**
   * The connections of {@code dataSource}, as one provider for both the statements outside
   * transactions and the transactions of {@link #provider}.
   */
  static ConnectionProvider connections(DataSource dataSource) {
    return new Acquiring(new DataSourceConnectionProvider(dataSource));
  }

  /** Transactions on {@code connections}, which must come from {@link #connections}. */
  static TransactionProvider provider(ConnectionProvider connections) {
    return new Transactions(connections);
  }

  @Override
  public void begin(TransactionContext ctx) {
    try {
      jooq.begin(ctx);
    } catch (NoConnection e) {
      ctx.data(NO_CONNECTION, Boolean.TRUE);
      throw e;
    }
  }

  @Override
  public void commit(TransactionContext ctx) {
    jooq.commit(ctx);
  }

  @Override
  public void rollback(TransactionContext ctx) {
    if (ctx.data(NO_CONNECTION) == null) {
      jooq.rollback(ctx);
    }
  }

  /** The pool gave no connection: nothing was begun, so there is nothing to roll back. */
  static final class NoConnection extends DataAccessException {
    NoConnection(DataAccessException failure) {
      super(failure.getMessage(), failure.getCause() != null ? failure.getCause() : failure);
    }
  }

  /** Tells a failed acquire ({@link NoConnection}) from a failure of what runs on a connection. */
  private record Acquiring(ConnectionProvider pool) implements ConnectionProvider {
    @Override
    public Connection acquire() {
      try {
        return pool.acquire();
      } catch (DataAccessException e) {
        throw new NoConnection(e);
      }
    }

    @Override
    public void release(Connection connection) {
      pool.release(connection);
    }
  }
}
