package io.nightshift.scheduler.template;

import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * A parameter's {@code pattern}, matched with a bounded amount of work. Java's regular expressions
 * backtrack: {@code (.*a){12}} against 32 characters takes seconds of CPU. The value is handed to
 * the matcher through a character sequence that counts every read and gives up past a budget
 * proportional to the value's length, so a match costs at most a few milliseconds whatever the
 * pattern; one that would cost more is refused as too costly. Patterns are also capped in length.
 */
public final class BoundedPattern {
  /** Longest pattern a template may declare. */
  public static final int MAX_LENGTH = 500;

  private static final long MIN_BUDGET = 200_000;
  private static final long BUDGET_PER_CHAR = 200;

  /** What matching a value gave. */
  public enum Result {
    MATCH,
    NO_MATCH,
    TOO_COSTLY
  }

  private final Pattern pattern;

  private BoundedPattern(Pattern pattern) {
    this.pattern = pattern;
  }

  /**
   * Compiles a pattern, or throws {@link IllegalArgumentException} with a sentence saying why it is
   * refused (too long, or not a regular expression).
   */
  public static BoundedPattern compile(String regex) {
    if (regex.length() > MAX_LENGTH) {
      throw new IllegalArgumentException(
          "must be at most " + MAX_LENGTH + " characters, got " + regex.length());
    }
    try {
      return new BoundedPattern(Pattern.compile(regex));
    } catch (PatternSyntaxException e) {
      throw new IllegalArgumentException(
          "is not a valid regular expression: " + e.getDescription());
    } catch (StackOverflowError e) {
      throw new IllegalArgumentException("is nested too deeply");
    }
  }

  /** A pattern stored before the length cap: compiled without it (still matched with a budget). */
  public static BoundedPattern compileStored(String regex) {
    return new BoundedPattern(Pattern.compile(regex));
  }

  /** Whether the whole value matches, within the work budget. */
  public Result matches(String value) {
    Budgeted input = new Budgeted(value, Math.max(MIN_BUDGET, BUDGET_PER_CHAR * value.length()));
    try {
      return pattern.matcher(input).matches() ? Result.MATCH : Result.NO_MATCH;
    } catch (Exhausted | StackOverflowError e) {
      return Result.TOO_COSTLY;
    }
  }

  /** The sentence for a value the pattern could not be checked against in time. */
  public static String tooCostly(String shownValue) {
    return shownValue
        + " could not be checked against the pattern in time: the pattern backtracks too much"
        + " for this value (use a simpler pattern without nested or repeated wildcards)";
  }

  private static final class Exhausted extends RuntimeException {
    Exhausted() {
      super(null, null, false, false);
    }
  }

  /** The value, counting each character the matcher reads. */
  private static final class Budgeted implements CharSequence {
    private final String text;
    private long left;

    Budgeted(String text, long budget) {
      this.text = text;
      this.left = budget;
    }

    @Override
    public char charAt(int index) {
      if (--left < 0) {
        throw new Exhausted();
      }
      return text.charAt(index);
    }

    @Override
    public int length() {
      return text.length();
    }

    @Override
    public CharSequence subSequence(int start, int end) {
      return text.subSequence(start, end);
    }

    @Override
    public String toString() {
      return text;
    }
  }
}
