package io.nightshift.scheduler.template;

import java.util.Map;
import java.util.regex.Pattern;

/**
 * Rules a template version must meet to be stored, beyond what {@link TemplateParser#parse} reads:
 * rules added after templates were stored, so that those stay readable. A parameter may not be
 * named like a variable that decides what code runs; and what would otherwise fail only when a run
 * starts (on a Friday night) is refused now: a secret default shorter than a secret value may be, a
 * header a request cannot carry, a NUL no program can be given, an approval's {@code onTimeout:
 * approve} that can never take effect.
 */
final class NewTemplateRules {
  /** A header name: an HTTP token (RFC 9110). */
  private static final Pattern HEADER_NAME = Pattern.compile("[!#$%&'*+.^_`|~0-9A-Za-z-]+");

  /** Headers the JDK's HTTP client sets itself and refuses from a caller (every call fails). */
  private static final java.util.List<String> RESTRICTED_HEADERS =
      java.util.List.of("connection", "content-length", "expect", "host", "upgrade");

  private NewTemplateRules() {}

  /** Adds a problem to {@code in} for each rule {@code template} breaks. */
  static void check(JsonReader in, Template template) {
    for (int i = 0; i < template.params().size(); i++) {
      param(in, template.params().get(i), "params[" + i + "]");
    }
    for (int i = 0; i < template.steps().size(); i++) {
      StepSpec step = template.steps().get(i);
      String at = "steps[" + i + "]";
      headers(in, step, at);
      noNul(in, step, at);
      approval(in, step, at);
    }
  }

  /** The most values a parameter's {@code enum} may list (a choice, not a data set). */
  static final int MAX_ENUM_VALUES = 1000;

  private static void param(JsonReader in, ParamSpec p, String at) {
    if (p.allowed().size() > MAX_ENUM_VALUES) {
      in.problem(
          at + ".enum",
          "must list at most " + MAX_ENUM_VALUES + " values, got " + p.allowed().size());
    } else if (new java.util.HashSet<>(p.allowed()).size() < p.allowed().size()) {
      java.util.Set<String> seen = new java.util.HashSet<>();
      String twice = p.allowed().stream().filter(v -> !seen.add(v)).findFirst().orElseThrow();
      in.problem(at + ".enum", "lists '" + twice + "' more than once");
    }
    if (Names.isCodeVariable(p.name())) {
      in.problem(
          at + ".name",
          "'"
              + p.name()
              + "' would let whoever starts a run decide what code its steps run (it is given to"
              + " them as an environment variable); choose another name");
    }
    String value = p.defaultValue();
    if (p.secret()
        && value != null
        && !value.isEmpty()
        && !UnchangedSecrets.MASK.equals(value)
        && value.length() < ParamSpec.MIN_SECRET_LENGTH) {
      in.problem(
          at + ".default",
          "a secret value must be at least " + ParamSpec.MIN_SECRET_LENGTH + " characters");
    }
  }

  private static void headers(JsonReader in, StepSpec step, String at) {
    Map<String, String> headers =
        step.action() instanceof StepAction.Http h
            ? h.headers()
            : step.action() instanceof StepAction.Notify n ? n.headers() : Map.of();
    headers.forEach(
        (name, value) -> {
          if (!HEADER_NAME.matcher(name).matches()) {
            in.problem(
                at + ".headers",
                "'" + name.replaceAll("\\p{Cntrl}", "?") + "' is not a header name");
          } else if (RESTRICTED_HEADERS.contains(name.toLowerCase(java.util.Locale.ROOT))) {
            in.problem(
                at + ".headers." + name,
                "is set by the HTTP client itself: a step cannot give any of "
                    + String.join(", ", RESTRICTED_HEADERS));
          } else if (value.chars().anyMatch(c -> c == '\r' || c == '\n' || c == 0)) {
            in.problem(at + ".headers." + name, "must not contain line breaks or NUL");
          }
        });
  }

  /**
   * A command (and an undo) is one argument of {@code sh -c}: the kernel refuses to start a program
   * with an argument over 128 KiB ("Argument list too long"), so a longer one is refused here
   * rather than failing every run. A script is written to a file and has no such bound.
   */
  static final int MAX_COMMAND_BYTES = 64 * 1024;

  private static void noNul(JsonReader in, StepSpec step, String at) {
    String code =
        step.action() instanceof StepAction.Command c
            ? c.command()
            : step.action() instanceof StepAction.Script sc ? sc.script() : null;
    String field = at + "." + (step.kind() == StepKind.COMMAND ? "command" : "script");
    if (code != null && code.indexOf(0) >= 0) {
      in.problem(field, "must not contain NUL characters");
    }
    if (step.kind() == StepKind.COMMAND && code != null) {
      commandSize(in, field, code);
    }
    if (step.undo() != null && step.undo().indexOf(0) >= 0) {
      in.problem(at + ".undo", "must not contain NUL characters");
    }
    if (step.undo() != null) {
      commandSize(in, at + ".undo", step.undo());
    }
  }

  private static void commandSize(JsonReader in, String field, String command) {
    int bytes = command.getBytes(java.nio.charset.StandardCharsets.UTF_8).length;
    if (bytes > MAX_COMMAND_BYTES) {
      in.problem(
          field,
          "must be at most "
              + MAX_COMMAND_BYTES
              + " bytes in UTF-8, got "
              + bytes
              + " (it is one argument of sh -c); a longer program belongs in a script step");
    }
  }

  private static void approval(JsonReader in, StepSpec step, String at) {
    if (step.action() instanceof StepAction.Approval approval
        && "approve".equals(approval.onTimeout())
        && step.timeoutSeconds() == null) {
      in.problem(
          at + ".onTimeout",
          "'approve' takes effect only with timeoutSeconds (without one the approval waits for a"
              + " decision for ever); give timeoutSeconds or leave onTimeout out");
    }
  }
}
