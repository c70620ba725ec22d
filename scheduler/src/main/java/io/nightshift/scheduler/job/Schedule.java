package io.nightshift.scheduler.job;

import io.vertx.core.json.JsonObject;
import java.text.ParseException;
import java.time.DateTimeException;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.TimeZone;
import org.quartz.CronExpression;

/** When a job fires. Every node computes the same fire times from the same definition. */
public sealed interface Schedule permits Schedule.Cron, Schedule.Every, Schedule.At {

  /**
   * The first fire time strictly after {@code after}, or empty when there is none (a one-shot
   * already past).
   */
  Optional<Instant> next(Instant after);

  /**
   * The next {@code count} fire times strictly after {@code after} (fewer if the schedule ends).
   */
  default List<Instant> next(Instant after, int count) {
    if (count < 0) {
      throw new IllegalArgumentException("count must not be negative, got " + count);
    }
    List<Instant> out = new ArrayList<>(count);
    Instant from = after;
    while (out.size() < count) {
      Optional<Instant> next = next(from);
      if (next.isEmpty()) {
        break;
      }
      out.add(next.get());
      from = next.get();
    }
    return out;
  }

  /**
   * The API JSON, e.g. {@code {"cron":"0 30 3 * * ?","timezone":"Asia/Shanghai"}} (plus {@code
   * "crontab":"30 3 * * *"} when converted from 5 fields), {@code {"everySeconds":30}}, {@code
   * {"at":"2026-12-01T03:00:00.000Z"}}.
   */
  JsonObject toJson();

  /**
   * Quartz cron expression with its zone (the same expression Quartz's CronTrigger gets).
   *
   * <p>The zone is canonical: a fixed offset in any spelling ({@code UTC+08:00}, {@code GMT+8})
   * becomes a {@link ZoneOffset} ({@code +08:00}), so {@code TimeZone.getTimeZone(zone())} is
   * always the same zone on every JDK. {@link #timeZone()} gives it.
   */
  record Cron(String expression, ZoneId zone, String crontab) implements Schedule {
    public Cron {
      Objects.requireNonNull(expression, "expression");
      Objects.requireNonNull(zone, "zone");
      try {
        CronExpression.validateExpression(expression);
      } catch (ParseException e) {
        throw new IllegalArgumentException(
            "not a Quartz cron expression: '" + expression + "': " + e.getMessage(), e);
      }
      zone = canonicalZone(zone);
    }

    /** A Quartz expression with no crontab original. */
    public Cron(String expression, ZoneId zone) {
      this(expression, zone, null);
    }

    /** The zone as Quartz wants it ({@code CronTrigger}, {@code CronExpression.setTimeZone}). */
    public TimeZone timeZone() {
      return TimeZone.getTimeZone(zone);
    }

    /** A fresh Quartz expression in this zone (CronExpression is mutable; do not share one). */
    public CronExpression quartz() {
      try {
        CronExpression cron = new CronExpression(expression);
        cron.setTimeZone(timeZone());
        return cron;
      } catch (ParseException e) {
        throw new IllegalStateException("validated in the constructor", e);
      }
    }

    @Override
    public Optional<Instant> next(Instant after) {
      return next(quartz(), after);
    }

    @Override
    public List<Instant> next(Instant after, int count) {
      if (count < 0) {
        throw new IllegalArgumentException("count must not be negative, got " + count);
      }
      CronExpression cron = quartz();
      List<Instant> out = new ArrayList<>(count);
      Instant from = after;
      while (out.size() < count) {
        Optional<Instant> next = next(cron, from);
        if (next.isEmpty()) {
          break;
        }
        out.add(next.get());
        from = next.get();
      }
      return out;
    }

    private static Optional<Instant> next(CronExpression cron, Instant after) {
      Date next = cron.getNextValidTimeAfter(Date.from(after));
      return Optional.ofNullable(next).map(Date::toInstant);
    }

    @Override
    public JsonObject toJson() {
      JsonObject json = new JsonObject().put("cron", expression).put("timezone", zone.getId());
      if (crontab != null) {
        json.put("crontab", crontab);
      }
      return json;
    }

    /**
     * Region ids (Asia/Shanghai, UTC, Etc/GMT-8) stay as they are; any other fixed-offset spelling
     * becomes its {@link ZoneOffset}. Offsets with seconds are refused: Quartz's TimeZone cannot
     * hold them.
     */
    static ZoneId canonicalZone(ZoneId zone) {
      if (ZoneId.getAvailableZoneIds().contains(zone.getId())) {
        return zone;
      }
      if (!zone.getRules().isFixedOffset()) {
        throw new DateTimeException("unknown time zone '" + zone.getId() + "'");
      }
      ZoneOffset offset = (ZoneOffset) zone.normalized();
      if (offset.getTotalSeconds() % 60 != 0) {
        throw new DateTimeException(
            "offset '" + offset.getId() + "' has seconds; use whole minutes");
      }
      return offset;
    }
  }

  /**
   * Fires at every multiple of {@code seconds} since the epoch (so all nodes agree without
   * coordination).
   */
  record Every(long seconds) implements Schedule {
    public static final long MAX_SECONDS = 365L * 24 * 3600;

    public Every {
      if (seconds < 1 || seconds > MAX_SECONDS) {
        throw new IllegalArgumentException(
            "seconds must be between 1 and " + MAX_SECONDS + ", got " + seconds);
      }
    }

    @Override
    public Optional<Instant> next(Instant after) {
      long k = Math.floorDiv(after.getEpochSecond(), seconds) + 1;
      try {
        return Optional.of(Instant.ofEpochSecond(Math.multiplyExact(k, seconds)));
      } catch (ArithmeticException | DateTimeException beyondTime) {
        return Optional.empty();
      }
    }

    @Override
    public JsonObject toJson() {
      return new JsonObject().put("everySeconds", seconds);
    }
  }

  /** Fires once. The instant is kept to the millisecond, like every time in the API. */
  record At(Instant at) implements Schedule {
    static final DateTimeFormatter MILLIS =
        DateTimeFormatter.ofPattern("uuuu-MM-dd'T'HH:mm:ss.SSS'Z'").withZone(ZoneOffset.UTC);

    public At {
      Objects.requireNonNull(at, "at");
      at = at.truncatedTo(ChronoUnit.MILLIS);
    }

    @Override
    public Optional<Instant> next(Instant after) {
      return at.isAfter(after) ? Optional.of(at) : Optional.empty();
    }

    @Override
    public JsonObject toJson() {
      return new JsonObject().put("at", MILLIS.format(at));
    }
  }
}
