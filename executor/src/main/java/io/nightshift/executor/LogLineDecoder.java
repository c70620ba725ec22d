package io.nightshift.executor;

import java.util.ArrayList;
import java.util.List;

/**
 * Reads the JSON of {@link LogLine#toJson()} (one object, or an array of them as the stream entries
 * carry) straight into {@link LogLine}s, without building a JSON tree: the log subscriber decodes
 * every line once, and the tree plus the map lookups cost more than storing the line.
 *
 * <p>Strict JSON of the contract: the eight fields in any order ({@code runId}, {@code stepRunId},
 * {@code attempt}, {@code seq} integers; {@code step}, {@code ts}, {@code stream}, {@code line}
 * strings), other fields skipped whatever their value. Anything else (a missing field, a wrong
 * type, a fraction, a raw control character in a string, trailing text) is an {@link
 * IllegalArgumentException} naming the position.
 */
public final class LogLineDecoder {
  private final String text;
  private int at;

  private LogLineDecoder(String text) {
    this.text = text;
  }

  /** The lines of a JSON array of line objects. */
  public static List<LogLine> lines(String json) {
    LogLineDecoder d = new LogLineDecoder(json);
    List<LogLine> lines = new ArrayList<>();
    d.expect('[');
    if (!d.consume(']')) {
      do {
        lines.add(d.line());
      } while (d.consume(','));
      d.expect(']');
    }
    d.end();
    return lines;
  }

  /** The line of one JSON line object. */
  public static LogLine line(String json) {
    LogLineDecoder d = new LogLineDecoder(json);
    LogLine line = d.line();
    d.end();
    return line;
  }

  private LogLine line() {
    expect('{');
    long runId = 0;
    long stepRunId = 0;
    long attempt = 0;
    long seq = 0;
    String step = null;
    String ts = null;
    String stream = null;
    String line = null;
    int seen = 0;
    if (!consume('}')) {
      do {
        String key = string();
        expect(':');
        switch (key) {
          case "runId" -> {
            runId = integer(key);
            seen |= 1;
          }
          case "stepRunId" -> {
            stepRunId = integer(key);
            seen |= 2;
          }
          case "attempt" -> {
            attempt = integer(key);
            seen |= 4;
          }
          case "seq" -> {
            seq = integer(key);
            seen |= 8;
          }
          case "step" -> step = requiredString(key);
          case "ts" -> ts = requiredString(key);
          case "stream" -> stream = requiredString(key);
          case "line" -> line = requiredString(key);
          default -> skipValue();
        }
      } while (consume(','));
      expect('}');
    }
    if (seen != 15 || step == null || ts == null || stream == null || line == null) {
      throw fail("a log line needs runId, stepRunId, step, attempt, seq, ts, stream and line");
    }
    if (attempt < Integer.MIN_VALUE || attempt > Integer.MAX_VALUE) {
      throw fail("attempt out of range: " + attempt);
    }
    return new LogLine(
        runId, stepRunId, step, (int) attempt, seq, Instants.parse(ts), stream, line);
  }

  private String requiredString(String key) {
    skipSpace();
    if (at < text.length() && text.charAt(at) != '"') {
      throw fail(key + " must be a string");
    }
    return string();
  }

  private long integer(String key) {
    skipSpace();
    int start = at;
    boolean negative = at < text.length() && text.charAt(at) == '-';
    if (negative) {
      at++;
    }
    int digitsFrom = at;
    long value = 0;
    while (at < text.length()) {
      char c = text.charAt(at);
      if (c < '0' || c > '9') {
        break;
      }
      int digit = c - '0';
      if (value > (Long.MAX_VALUE - digit) / 10) {
        throw fail(key + " out of range");
      }
      value = value * 10 + digit;
      at++;
    }
    int digits = at - digitsFrom;
    if (digits == 0
        || (digits > 1 && text.charAt(digitsFrom) == '0')
        || (at < text.length() && ".eE".indexOf(text.charAt(at)) >= 0)) {
      at = start;
      throw fail(key + " must be an integer");
    }
    return negative ? -value : value;
  }

  /** A JSON string at the position (after blanks); the fast path copies it without escapes. */
  private String string() {
    skipSpace();
    if (at >= text.length() || text.charAt(at) != '"') {
      throw fail("expected a string");
    }
    int start = ++at;
    int n = text.length();
    while (at < n) {
      char c = text.charAt(at);
      if (c == '"') {
        return text.substring(start, at++);
      }
      if (c == '\\') {
        return escapedString(start);
      }
      if (c < 0x20) {
        throw fail("raw control character in a string");
      }
      at++;
    }
    throw fail("unterminated string");
  }

  private String escapedString(int start) {
    StringBuilder out = new StringBuilder(at - start + 16).append(text, start, at);
    int n = text.length();
    while (at < n) {
      char c = text.charAt(at++);
      if (c == '"') {
        return out.toString();
      }
      if (c < 0x20) {
        at--;
        throw fail("raw control character in a string");
      }
      if (c != '\\') {
        out.append(c);
        continue;
      }
      if (at >= n) {
        break;
      }
      char e = text.charAt(at++);
      switch (e) {
        case '"', '\\', '/' -> out.append(e);
        case 'b' -> out.append('\b');
        case 'f' -> out.append('\f');
        case 'n' -> out.append('\n');
        case 'r' -> out.append('\r');
        case 't' -> out.append('\t');
        case 'u' -> out.append(unicode());
        default -> {
          at--;
          throw fail("bad escape \\" + e);
        }
      }
    }
    throw fail("unterminated string");
  }

  private char unicode() {
    if (at + 4 > text.length()) {
      throw fail("short \\u escape");
    }
    int value = 0;
    for (int i = 0; i < 4; i++) {
      int digit = Character.digit(text.charAt(at), 16);
      if (digit < 0) {
        throw fail("bad \\u escape");
      }
      value = value * 16 + digit;
      at++;
    }
    return (char) value;
  }

  /** Skips any JSON value (fields of later versions of the contract). */
  private void skipValue() {
    skipSpace();
    if (at >= text.length()) {
      throw fail("expected a value");
    }
    char c = text.charAt(at);
    switch (c) {
      case '"' -> string();
      case '{' -> {
        at++;
        if (!consume('}')) {
          do {
            string();
            expect(':');
            skipValue();
          } while (consume(','));
          expect('}');
        }
      }
      case '[' -> {
        at++;
        if (!consume(']')) {
          do {
            skipValue();
          } while (consume(','));
          expect(']');
        }
      }
      default -> {
        if (!word("true") && !word("false") && !word("null")) {
          skipNumber();
        }
      }
    }
  }

  private boolean word(String w) {
    if (text.startsWith(w, at)) {
      at += w.length();
      return true;
    }
    return false;
  }

  private void skipNumber() {
    int start = at;
    while (at < text.length() && "+-0123456789.eE".indexOf(text.charAt(at)) >= 0) {
      at++;
    }
    if (at == start) {
      throw fail("expected a value");
    }
    try {
      Double.parseDouble(text.substring(start, at));
    } catch (NumberFormatException e) {
      at = start;
      throw fail("bad number");
    }
  }

  private void skipSpace() {
    while (at < text.length()) {
      char c = text.charAt(at);
      if (c != ' ' && c != '\n' && c != '\r' && c != '\t') {
        return;
      }
      at++;
    }
  }

  private boolean consume(char c) {
    skipSpace();
    if (at < text.length() && text.charAt(at) == c) {
      at++;
      return true;
    }
    return false;
  }

  private void expect(char c) {
    if (!consume(c)) {
      throw fail("expected '" + c + "'");
    }
  }

  private void end() {
    skipSpace();
    if (at != text.length()) {
      throw fail("unexpected text after the value");
    }
  }

  private IllegalArgumentException fail(String what) {
    return new IllegalArgumentException(what + " at char " + at + " of the log line JSON");
  }
}
