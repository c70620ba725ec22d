package io.nightshift.scheduler.job;

import io.nightshift.scheduler.error.Invalid;
import io.nightshift.scheduler.template.JsonReader;
import io.vertx.core.json.JsonObject;
import java.text.ParseException;
import java.time.DateTimeException;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneId;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import org.quartz.CronExpression;

/**
 * Turns the {@code schedule} of a job's JSON into a {@link Schedule}, or throws {@link Invalid}
 * listing every problem with its field ({@code schedule}, {@code schedule.cron}, {@code
 * schedule.timezone}, {@code schedule.everySeconds}, {@code schedule.at}, or {@code schedule.<key>}
 * for an unknown key).
 */
public final class ScheduleParser {
  static final String FIELD = "schedule";
  static final ZoneId DEFAULT_ZONE = ZoneId.of("UTC");
  private static final List<String> KINDS = List.of("cron", "everySeconds", "at");

  /** The first time a one-shot schedule may not have. */
  private static final Instant LAST_AT = Instant.parse("+10000-01-01T00:00:00Z");

  private static final Set<String> FIELDS =
      Set.of("cron", "timezone", "crontab", "everySeconds", "at");

  private ScheduleParser() {}

  /**
   * Null JSON (no schedule) gives null. {@code now} is used to refuse an "at" in the past (and a
   * cron that never fires again). Problems are Invalid with fields "schedule", "schedule.cron",
   * "schedule.timezone", "schedule.everySeconds", "schedule.at".
   */
  public static Schedule parse(Object json, Instant now) {
    return parse(json, now, true);
  }

  /**
   * A schedule as stored, read without the checks added for new input since it was stored (a cron
   * step Quartz ignores): a job stored earlier keeps firing as it did.
   */
  public static Schedule stored(Object json) {
    return parse(json, Instant.EPOCH, false);
  }

  private static Schedule parse(Object json, Instant now, boolean fresh) {
    Objects.requireNonNull(now, "now");
    if (json == null) {
      return null;
    }
    if (json instanceof Map<?, ?> map) {
      @SuppressWarnings("unchecked")
      Map<String, Object> fields = (Map<String, Object>) map;
      json = new JsonObject(fields);
    }
    if (!(json instanceof JsonObject object)) {
      throw Invalid.of(
          FIELD,
          "must be an object with one of 'cron', 'everySeconds' or 'at', or null for no schedule");
    }
    JsonReader in = new JsonReader();
    in.rejectUnknown(object, FIELDS, FIELD);
    List<String> kinds = new ArrayList<>();
    for (String kind : KINDS) {
      if (object.getValue(kind) != null) {
        kinds.add(kind);
      }
    }
    if (kinds.size() != 1) {
      in.problem(
          FIELD,
          kinds.isEmpty()
              ? "needs one of 'cron', 'everySeconds' or 'at'"
              : "has " + String.join(" and ", kinds) + "; give exactly one of them");
      in.throwIfAny();
    }
    if (!kinds.get(0).equals("cron")) {
      for (String cronOnly : List.of("timezone", "crontab")) {
        if (object.getValue(cronOnly) != null) {
          in.problem(JsonReader.path(FIELD, cronOnly), "is only allowed beside 'cron'");
        }
      }
    }
    Schedule schedule =
        switch (kinds.get(0)) {
          case "cron" -> cron(in, object, now, fresh);
          case "everySeconds" -> every(in, object);
          default -> at(in, object, now);
        };
    in.throwIfAny();
    return schedule;
  }

  private static Schedule cron(JsonReader in, JsonObject json, Instant now, boolean fresh) {
    String field = JsonReader.path(FIELD, "cron");
    String text = in.string(json, "cron", FIELD, true);
    ZoneId zone = zone(in, in.string(json, "timezone", FIELD, false));
    String echoedCrontab = in.string(json, "crontab", FIELD, false);
    if (text == null) {
      return null;
    }
    String line = String.join(" ", text.strip().split("\\s+"));
    int fields = line.split(" ").length;
    String expression;
    String crontab = null;
    if (line.startsWith("@") || fields == 5) {
      try {
        expression = Crontab.toQuartz(line);
        crontab = line;
      } catch (IllegalArgumentException e) {
        in.problem(field, "is not a usable crontab line: " + e.getMessage());
        return null;
      }
    } else if (fields == 6 || fields == 7) {
      expression = line;
      try {
        CronExpression.validateExpression(expression);
      } catch (ParseException e) {
        in.problem(field, "is not a valid Quartz cron expression: " + quartzReason(e));
        return null;
      }
    } else {
      in.problem(
          field,
          "must have 6 or 7 fields (Quartz: second minute hour day-of-month month day-of-week"
              + " [year]) or 5 (crontab: minute hour day-of-month month day-of-week), got "
              + fields
              + " in '"
              + text
              + "'");
      return null;
    }
    if (fresh) {
      String steps = CronSteps.problem(expression);
      if (steps != null) {
        in.problem(field, steps);
        return null;
      }
    }
    if (echoedCrontab != null && crontab == null) {
      crontab = echoedCrontab(in, echoedCrontab, expression);
    }
    if (zone == null) {
      return null;
    }
    Schedule.Cron cron = new Schedule.Cron(expression, zone, crontab);
    if (cron.next(now).isEmpty()) {
      in.problem(field, "'" + text + "' never fires after " + now);
    }
    return cron;
  }

  /**
   * A "crontab" sent back as it came in an answer: kept when it converts to the same expression, so
   * a job can be read and written back unchanged.
   */
  private static String echoedCrontab(JsonReader in, String crontab, String expression) {
    String line = String.join(" ", crontab.strip().split("\\s+"));
    try {
      if (Crontab.toQuartz(line).equals(expression)) {
        return line;
      }
    } catch (IllegalArgumentException e) {
      // reported below
    }
    in.problem(
        JsonReader.path(FIELD, "crontab"),
        "'"
            + crontab
            + "' does not convert to the 'cron' given; leave 'crontab' out (it is filled in when"
            + " 'cron' is a 5-field line)");
    return null;
  }

  private static String quartzReason(ParseException e) {
    String message = e.getMessage();
    if (message != null && message.contains("day-of-week AND a day-of-month")) {
      return message + " (put '?' in day-of-month or day-of-week)";
    }
    return message;
  }

  private static ZoneId zone(JsonReader in, String id) {
    String field = JsonReader.path(FIELD, "timezone");
    if (id == null) {
      return DEFAULT_ZONE;
    }
    try {
      return Schedule.Cron.canonicalZone(ZoneId.of(id.strip()));
    } catch (DateTimeException e) {
      String hint =
          ZoneId.getAvailableZoneIds().stream()
              .filter(known -> known.equalsIgnoreCase(id.strip()))
              .findFirst()
              .map(known -> "; did you mean '" + known + "'?")
              .orElse("");
      in.problem(
          field,
          "'"
              + id
              + "' is not a time zone; use an IANA id such as 'Europe/Berlin' or 'UTC', or an"
              + " offset such as '+08:00'"
              + hint);
      return null;
    }
  }

  private static Schedule every(JsonReader in, JsonObject json) {
    Object value = json.getValue("everySeconds");
    String field = JsonReader.path(FIELD, "everySeconds");
    String rule = "must be a whole number of seconds between 1 and " + Schedule.Every.MAX_SECONDS;
    if (!(value instanceof Integer || value instanceof Long)) {
      in.problem(field, rule + ", got " + describe(value));
      return null;
    }
    long seconds = ((Number) value).longValue();
    if (seconds < 1 || seconds > Schedule.Every.MAX_SECONDS) {
      in.problem(field, rule + ", got " + seconds);
      return null;
    }
    return new Schedule.Every(seconds);
  }

  private static Schedule at(JsonReader in, JsonObject json, Instant now) {
    String field = JsonReader.path(FIELD, "at");
    String text = in.string(json, "at", FIELD, true);
    if (text == null) {
      return null;
    }
    Instant at;
    try {
      at = OffsetDateTime.parse(text.strip()).toInstant();
    } catch (DateTimeParseException e) {
      in.problem(
          field,
          "must be an ISO-8601 time with Z or an offset, such as '2026-12-01T03:00:00Z', got '"
              + text
              + "'");
      return null;
    }
    if (!at.isBefore(LAST_AT)) {
      // Times are stored to the second of a DATETIME (to 9999-12-31); past that, scheduling one
      // overflowed (500) after the job was stored.
      in.problem(field, "must be before 10000-01-01T00:00:00Z, got '" + text + "'");
      return null;
    }
    Schedule.At schedule = new Schedule.At(at);
    if (!schedule.at().isAfter(now)) {
      in.problem(
          field,
          "'" + text + "' is not in the future (now is " + Schedule.At.MILLIS.format(now) + ")");
    }
    return schedule;
  }

  private static String describe(Object value) {
    return value instanceof String s ? "the string '" + s + "'" : String.valueOf(value);
  }
}
