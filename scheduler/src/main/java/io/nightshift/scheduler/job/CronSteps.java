package io.nightshift.scheduler.job;

/**
 * Steps ({@code /n}) in a Quartz cron expression that Quartz accepts but does not do what they say:
 * a step of 0 ({@code *}{@code /0} fires as {@code *} in one field and as {@code 0} in another) and
 * a step on a range of names ({@code MON-FRI/2} and {@code JAN-MAR/2} fire on every day or month of
 * the range, the step ignored). Refused for new schedules, with the form that does what was meant.
 */
final class CronSteps {
  private static final String[] FIELDS = {
    "second", "minute", "hour", "day-of-month", "month", "day-of-week", "year"
  };

  private CronSteps() {}

  /** Why {@code expression} (already valid for Quartz) is refused, or null. */
  static String problem(String expression) {
    String[] fields = expression.split(" ");
    for (int f = 0; f < fields.length && f < FIELDS.length; f++) {
      for (String element : fields[f].split(",")) {
        int slash = element.indexOf('/');
        if (slash < 0) {
          continue;
        }
        String step = element.substring(slash + 1);
        if (step.chars().allMatch(Character::isDigit) && Integer.parseInt(step) == 0) {
          return FIELDS[f]
              + " '"
              + element
              + "': a step must be at least 1 (Quartz does not refuse /0, and fires it as if there"
              + " were no step or only at the start)";
        }
        if (element.substring(0, slash).chars().anyMatch(Character::isLetter)) {
          return FIELDS[f]
              + " '"
              + element
              + "': Quartz ignores a step after names (it would fire on every "
              + (f == 5 ? "day" : "month")
              + " of the range); write the range with numbers, "
              + (f == 5
                  ? "SUN=1 ... SAT=7 (MON-FRI/2 is 2-6/2)"
                  : "JAN=1 ... DEC=12 (JAN-MAR/2 is 1-3/2)");
        }
      }
    }
    return null;
  }
}
