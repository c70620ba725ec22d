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

  /**
   * {@code instant} as {@code uuuu-MM-dd HH:mm:ss.SSS} in UTC, truncated to the millisecond. Every
   * time the store writes is bound through here: the years a DATETIME holds (1000-9999) are written
   * digit by digit, several times cheaper than the formatter, which takes the others.
   */
  static String text(Instant instant) {
    LocalDateTime t = LocalDateTime.ofEpochSecond(instant.getEpochSecond(), 0, ZoneOffset.UTC);
    int year = t.getYear();
    if (year < 1000 || year > 9999) {
      return TEXT.format(instant);
    }
    char[] out = new char[23];
    digits(out, 0, year, 4);
    out[4] = '-';
    digits(out, 5, t.getMonthValue(), 2);
    out[7] = '-';
    digits(out, 8, t.getDayOfMonth(), 2);
    out[10] = ' ';
    digits(out, 11, t.getHour(), 2);
    out[13] = ':';
    digits(out, 14, t.getMinute(), 2);
    out[16] = ':';
    digits(out, 17, t.getSecond(), 2);
    out[19] = '.';
    digits(out, 20, instant.getNano() / 1_000_000, 3);
    return new String(out);
  }

  private static void digits(char[] out, int at, int value, int width) {
    for (int i = at + width - 1; i >= at; i--) {
      out[i] = (char) ('0' + value % 10);
      value /= 10;
    }
  }

  @Override
  public Converter<LocalDateTime, Instant> converter() {
    return CONVERTER;
  }

  @Override
  public void sql(BindingSQLContext<Instant> ctx) throws SQLException {
    if (ctx.render().paramType() == org.jooq.conf.ParamType.INLINED) {
      ctx.render().sql(ctx.value() == null ? "null" : "'" + text(ctx.value()) + "'");
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
      ctx.statement().setString(ctx.index(), text(ctx.value()));
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
