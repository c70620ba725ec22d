package io.nightshift.sql.binding;

import java.sql.SQLException;
import java.sql.SQLFeatureNotSupportedException;
import java.sql.Types;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import org.jooq.Binding;
import org.jooq.BindingGetResultSetContext;
import org.jooq.BindingGetSQLInputContext;
import org.jooq.BindingGetStatementContext;
import org.jooq.BindingRegisterContext;
import org.jooq.BindingSQLContext;
import org.jooq.BindingSetSQLOutputContext;
import org.jooq.BindingSetStatementContext;
import org.jooq.Converter;

/**
 * Every DATETIME column is an {@link Instant} stored as UTC wall time with milliseconds.
 *
 * <p>Values are bound as text ({@code 2026-11-22 03:30:01.123}): MySQL Connector/J reads MariaDB's
 * version as 5.5.5 and drops fractional seconds from bound timestamps, and it shifts {@code
 * java.sql.Timestamp} by the JVM zone. Text is exact on MariaDB, MySQL and H2 alike.
 */
public final class UtcInstantBinding implements Binding<LocalDateTime, Instant> {
  private static final DateTimeFormatter TEXT =
      DateTimeFormatter.ofPattern("uuuu-MM-dd HH:mm:ss.SSS").withZone(ZoneOffset.UTC);

  private static final Converter<LocalDateTime, Instant> CONVERTER =
      Converter.ofNullable(
          LocalDateTime.class,
          Instant.class,
          local -> local.toInstant(ZoneOffset.UTC),
          instant -> LocalDateTime.ofInstant(instant, ZoneOffset.UTC));

  @Override
  public Converter<LocalDateTime, Instant> converter() {
    return CONVERTER;
  }

  @Override
  public void sql(BindingSQLContext<Instant> ctx) throws SQLException {
    if (ctx.render().paramType() == org.jooq.conf.ParamType.INLINED) {
      ctx.render().sql(ctx.value() == null ? "null" : "'" + TEXT.format(ctx.value()) + "'");
    } else {
      ctx.render().sql(ctx.variable());
    }
  }

  @Override
  public void register(BindingRegisterContext<Instant> ctx) throws SQLException {
    ctx.statement().registerOutParameter(ctx.index(), Types.VARCHAR);
  }

  @Override
  public void set(BindingSetStatementContext<Instant> ctx) throws SQLException {
    if (ctx.value() == null) {
      ctx.statement().setNull(ctx.index(), Types.VARCHAR);
    } else {
      ctx.statement().setString(ctx.index(), TEXT.format(ctx.value()));
    }
  }

  @Override
  public void get(BindingGetResultSetContext<Instant> ctx) throws SQLException {
    LocalDateTime local = ctx.resultSet().getObject(ctx.index(), LocalDateTime.class);
    ctx.value(local == null ? null : local.toInstant(ZoneOffset.UTC));
  }

  @Override
  public void get(BindingGetStatementContext<Instant> ctx) throws SQLException {
    LocalDateTime local = ctx.statement().getObject(ctx.index(), LocalDateTime.class);
    ctx.value(local == null ? null : local.toInstant(ZoneOffset.UTC));
  }

  @Override
  public void set(BindingSetSQLOutputContext<Instant> ctx) throws SQLException {
    throw new SQLFeatureNotSupportedException();
  }

  @Override
  public void get(BindingGetSQLInputContext<Instant> ctx) throws SQLException {
    throw new SQLFeatureNotSupportedException();
  }
}
