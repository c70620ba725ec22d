package io.nightshift.scheduler.job;

import java.text.ParseException;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import org.quartz.CronExpression;

/**
 * Converts a classic 5-field crontab line ({@code minute hour day-of-month month day-of-week}) to
 * the Quartz form Nightshift runs ({@code second minute hour day-of-month month day-of-week}).
 *
 * <ul>
 *   <li>seconds {@code 0} is prepended;
 *   <li>day-of-week numbers are shifted: crontab 0 and 7 are Sunday, Quartz counts 1=Sunday to
 *       7=Saturday ({@code 1-5} becomes {@code 2-6}, {@code 5-7} becomes {@code 6,7,1}); names
 *       (MON..SUN) pass through, but names with a step become numbers (Quartz ignores the step of a
 *       range of names);
 *   <li>Quartz needs {@code ?} in day-of-month or day-of-week: a {@code *} day-of-week becomes
 *       {@code ?}, else a {@code *} day-of-month does; when both are restricted the line is
 *       refused, since crontab then fires when EITHER matches and Quartz cannot say that.
 * </ul>
 */
public final class Crontab {
  private static final Map<String, String> MACROS =
      Map.of(
          "@hourly", "0 0 * * * ?",
          "@daily", "0 0 0 * * ?",
          "@midnight", "0 0 0 * * ?",
          "@weekly", "0 0 0 ? * 1",
          "@monthly", "0 0 0 1 * ?",
          "@yearly", "0 0 0 1 1 ?",
          "@annually", "0 0 0 1 1 ?");
  private static final String[] FIELD_NAMES = {
    "minute", "hour", "day-of-month", "month", "day-of-week"
  };
  private static final Pattern NUMERIC_FIELD = Pattern.compile("[0-9*,/-]+");
  private static final Pattern NAMED_FIELD = Pattern.compile("[0-9A-Za-z*,/-]+");
  private static final Set<String> MONTHS =
      Set.of("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC");
  private static final Set<String> DAYS = Set.of("SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT");

  /** Day names in crontab's numbering: Sunday is 0. */
  private static final List<String> DAY_ORDER =
      List.of("SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT");

  private static final Pattern DOW_NUMBERS = Pattern.compile("(\\*|[0-9]+(-[0-9]+)?)(/[0-9]+)?");

  private Crontab() {}

  /**
   * Converts a 5-field crontab line to a Quartz expression, or throws IllegalArgumentException with
   * a human reason.
   */
  public static String toQuartz(String fiveFields) {
    String line = fiveFields.strip();
    if (line.startsWith("@")) {
      String macro = MACROS.get(line.toLowerCase(Locale.ROOT));
      if (macro == null) {
        throw new IllegalArgumentException(
            "unknown crontab macro '"
                + line
                + "'; known are @hourly, @daily, @midnight, @weekly, @monthly, @yearly, @annually"
                + (line.equalsIgnoreCase("@reboot") ? " (@reboot has no meaning here)" : ""));
      }
      return macro;
    }
    String[] f = line.split("\\s+");
    if (f.length != 5) {
      throw new IllegalArgumentException(
          "a crontab line has 5 fields (minute hour day-of-month month day-of-week), got "
              + f.length);
    }
    for (int i = 0; i < 5; i++) {
      boolean named = i >= 3;
      if (!(named ? NAMED_FIELD : NUMERIC_FIELD).matcher(f[i]).matches()) {
        throw new IllegalArgumentException(
            FIELD_NAMES[i]
                + " '"
                + f[i]
                + "' is not crontab syntax (numbers, *, ranges a-b, lists a,b, steps /n"
                + (named ? ", names" : "")
                + "); for Quartz extras (L, W, #, ?) write the 6-field Quartz form");
      }
      if (named) {
        checkNames(FIELD_NAMES[i], f[i], i == 3 ? MONTHS : DAYS);
      }
    }
    String dom = f[2];
    String dow = dayOfWeek(f[4]);
    if (dow.equals("*")) {
      dow = "?";
    } else if (dom.equals("*")) {
      dom = "?";
    } else {
      throw new IllegalArgumentException(
          "day-of-month '"
              + f[2]
              + "' and day-of-week '"
              + f[4]
              + "' are both restricted: crontab then fires when EITHER matches, which Quartz"
              + " cannot express; set one of them to * (or use two jobs)");
    }
    String quartz = String.join(" ", "0", f[0], f[1], dom, f[3].toUpperCase(Locale.ROOT), dow);
    try {
      CronExpression.validateExpression(quartz);
    } catch (ParseException e) {
      throw new IllegalArgumentException(
          "'" + line + "' converts to '" + quartz + "', which Quartz refuses: " + e.getMessage(),
          e);
    }
    return quartz;
  }

  private static void checkNames(String field, String value, Set<String> names) {
    for (String token : value.toUpperCase(Locale.ROOT).split("[,/-]")) {
      if (token.chars().anyMatch(Character::isLetter) && !names.contains(token)) {
        throw new IllegalArgumentException(
            field + " '" + value + "' has an unknown name '" + token + "'");
      }
    }
  }

  /** Crontab day-of-week to Quartz: numbers shifted by one (0 and 7 = Sunday = 1), names kept. */
  private static String dayOfWeek(String field) {
    if (field.equals("*")) {
      return "*";
    }
    List<Object> out = new ArrayList<>(); // Integer (Quartz day) or String (name element)
    for (String element : field.split(",", -1)) {
      if (element.isEmpty()) {
        throw new IllegalArgumentException("day-of-week '" + field + "' has an empty list element");
      }
      if (element.chars().anyMatch(Character::isLetter) && element.contains("/")) {
        // Quartz ignores the step of a range of names (MON-FRI/2 fires every weekday): names
        // with a step become numbers first (mon-fri/2 = 1-5/2: Monday, Wednesday, Friday).
        String numbered = element.toUpperCase(Locale.ROOT);
        for (int day = 0; day < DAY_ORDER.size(); day++) {
          numbered = numbered.replace(DAY_ORDER.get(day), String.valueOf(day));
        }
        for (int day : crontabDays(numbered)) {
          out.add(day == 0 ? 1 : day + 1);
        }
      } else if (element.chars().anyMatch(Character::isLetter)) {
        out.add(element.toUpperCase(Locale.ROOT));
      } else if (DOW_NUMBERS.matcher(element).matches()) {
        for (int day : crontabDays(element)) {
          out.add(day == 0 ? 1 : day + 1);
        }
      } else {
        throw new IllegalArgumentException(
            "day-of-week element '" + element + "' is not a number, range or step");
      }
    }
    return join(new ArrayList<>(new LinkedHashSet<>(out)));
  }

  /** The crontab days (0..6, Sunday = 0) of one element such as 5, 1-5, 5-7, *&#47;2, 1-5/2. */
  private static List<Integer> crontabDays(String element) {
    String range = element;
    int step = 1;
    int slash = element.indexOf('/');
    if (slash >= 0) {
      range = element.substring(0, slash);
      step = number(element.substring(slash + 1), element);
      if (step < 1) {
        throw new IllegalArgumentException("day-of-week step in '" + element + "' must be >= 1");
      }
    }
    int from;
    int to;
    if (range.equals("*")) {
      from = 0;
      to = 6;
    } else if (range.contains("-")) {
      from = number(range.substring(0, range.indexOf('-')), element);
      to = number(range.substring(range.indexOf('-') + 1), element);
    } else {
      from = number(range, element);
      to = slash >= 0 ? 7 : from;
    }
    if (from > 7 || to > 7) {
      throw new IllegalArgumentException(
          "day-of-week '" + element + "' is out of range: days are 0-7 (0 and 7 are Sunday)");
    }
    if (from > to) {
      throw new IllegalArgumentException(
          "day-of-week range '" + element + "' runs backwards; write it as a list");
    }
    List<Integer> days = new ArrayList<>();
    for (int d = from; d <= to; d += step) {
      days.add(d % 7);
    }
    return days;
  }

  private static int number(String text, String element) {
    try {
      return Integer.parseInt(text);
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("day-of-week '" + element + "' is not valid");
    }
  }

  /** Joins days, writing runs of three or more ascending days as a range (2,3,4,5,6 -> 2-6). */
  private static String join(List<Object> items) {
    StringBuilder sb = new StringBuilder();
    int i = 0;
    while (i < items.size()) {
      if (sb.length() > 0) {
        sb.append(',');
      }
      Object item = items.get(i);
      int j = i;
      if (item instanceof Integer start) {
        while (j + 1 < items.size()
            && items.get(j + 1) instanceof Integer n
            && n == (Integer) items.get(j) + 1) {
          j++;
        }
        if (j - i >= 2) {
          sb.append(start).append('-').append(items.get(j));
          i = j + 1;
          continue;
        }
      }
      sb.append(item);
      i++;
    }
    return sb.toString();
  }
}
