package io.nightshift.scheduler.run;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.function.UnaryOperator;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@code $name} and {@code ${name}} in HTTP and notify fields and approval messages, replaced by a
 * value escaped for the field it lands in. Names without a value are left as written. Commands and
 * scripts never go through here: they get their values as environment variables.
 */
public final class Substitution {
  private static final Pattern VARIABLE = io.nightshift.scheduler.template.Names.VARIABLE;

  private Substitution() {}

  /** For URLs: values are percent-encoded, so they cannot add a path, query or host. */
  public static String url(String text, Map<String, String> values) {
    return replace(
        text, values, v -> URLEncoder.encode(v, StandardCharsets.UTF_8).replace("+", "%20"));
  }

  /** For JSON bodies: values are escaped as the inside of a JSON string. */
  public static String json(String text, Map<String, String> values) {
    return replace(text, values, Substitution::jsonEscape);
  }

  /** For text a person reads (an approval's message): values as they are. */
  public static String text(String text, Map<String, String> values) {
    return replace(text, values, UnaryOperator.identity());
  }

  /** For headers: line breaks are removed, so a value cannot add a header. */
  public static String header(String text, Map<String, String> values) {
    return replace(text, values, v -> v.replace("\r", "").replace("\n", " "));
  }

  static String replace(String text, Map<String, String> values, UnaryOperator<String> escape) {
    if (text == null) {
      return null;
    }
    Matcher m = VARIABLE.matcher(text);
    StringBuilder out = new StringBuilder();
    while (m.find()) {
      String name = m.group(1) != null ? m.group(1) : m.group(2);
      String value = values.get(name);
      m.appendReplacement(
          out, Matcher.quoteReplacement(value == null ? m.group() : escape.apply(value)));
    }
    m.appendTail(out);
    return out.toString();
  }

  static String jsonEscape(String value) {
    StringBuilder out = new StringBuilder(value.length() + 8);
    for (int i = 0; i < value.length(); i++) {
      char c = value.charAt(i);
      switch (c) {
        case '"' -> out.append("\\\"");
        case '\\' -> out.append("\\\\");
        case '\n' -> out.append("\\n");
        case '\r' -> out.append("\\r");
        case '\t' -> out.append("\\t");
        default -> {
          if (c < 0x20) {
            out.append(String.format("\\u%04x", (int) c));
          } else {
            out.append(c);
          }
        }
      }
    }
    return out.toString();
  }
}
