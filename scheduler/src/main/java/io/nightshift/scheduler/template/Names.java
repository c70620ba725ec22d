package io.nightshift.scheduler.template;

import java.util.regex.Pattern;

/** The name rules shared by templates, jobs, tokens, steps and parameters. */
public final class Names {
  /** Templates, jobs and tokens: used in URLs. */
  public static final Pattern RESOURCE = Pattern.compile("[a-z0-9][a-z0-9._-]{0,63}");

  /** Steps: shown in logs and URLs' query strings; letters of either case allowed. */
  public static final Pattern STEP = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,63}");

  /** Parameters become environment variables, so they follow the shell's rules. */
  public static final Pattern PARAM = Pattern.compile("[A-Za-z_][A-Za-z0-9_]{0,63}");

  /** Environment variables set by Nightshift itself; a template may not declare them. */
  public static final String SYSTEM_PREFIX = "NIGHTSHIFT_";

  /** The system variables a step sees (some only in some runs, such as the job's name). */
  public static final java.util.Set<String> SYSTEM_VARIABLES =
      java.util.Set.of(
          "NIGHTSHIFT_RUN_ID",
          "NIGHTSHIFT_TEMPLATE",
          "NIGHTSHIFT_TEMPLATE_VERSION",
          "NIGHTSHIFT_STEP",
          "NIGHTSHIFT_ATTEMPT",
          "NIGHTSHIFT_TRIGGERED_BY",
          "NIGHTSHIFT_STEP_RUN_ID",
          "NIGHTSHIFT_JOB",
          "NIGHTSHIFT_NODE");

  /**
   * Variables that change what a shell, the dynamic loader or an interpreter runs rather than carry
   * a value: a parameter of such a name would let whoever starts a run decide what code the step
   * runs (a library to preload, a file a shell sources, where commands are looked up).
   */
  public static final java.util.Set<String> CODE_VARIABLES =
      java.util.Set.of(
          "PATH",
          "IFS",
          "BASH_ENV",
          "SHELLOPTS",
          "BASHOPTS",
          "PS4",
          "PROMPT_COMMAND",
          "CDPATH",
          "GLOBIGNORE",
          "GCONV_PATH",
          "OPENSSL_CONF",
          "PYTHONPATH",
          "PYTHONHOME",
          "PYTHONSTARTUP",
          "PYTHONWARNINGS",
          "BROWSER",
          "PERL5LIB",
          "PERLLIB",
          "PERL5OPT",
          "RUBYLIB",
          "RUBYOPT",
          "NODE_OPTIONS",
          "NODE_PATH",
          "CLASSPATH",
          "JAVA_TOOL_OPTIONS",
          "_JAVA_OPTIONS",
          "JDK_JAVA_OPTIONS",
          "MAVEN_OPTS",
          "GRADLE_OPTS",
          "ANT_OPTS",
          "SBT_OPTS",
          "GIT_SSH",
          "GIT_SSH_COMMAND",
          "GIT_EXEC_PATH",
          // The repository (and so the configuration, hooks and fsmonitor command) git uses.
          "GIT_DIR",
          "GIT_CONFIG",
          // Programs that tools run on the user's behalf: a password prompt, a pager, an editor,
          // a proxy, a diff tool, a debugger, the files git or zsh read their settings from.
          "GIT_ASKPASS",
          "SSH_ASKPASS",
          "SUDO_ASKPASS",
          "GIT_PAGER",
          "PAGER",
          "MANPAGER",
          "LESSOPEN",
          "LESSCLOSE",
          "EDITOR",
          "VISUAL",
          "GIT_EDITOR",
          "GIT_SEQUENCE_EDITOR",
          "GIT_PROXY_COMMAND",
          "GIT_EXTERNAL_DIFF",
          "GIT_TEMPLATE_DIR",
          "PERL5DB",
          "LUA_INIT",
          "LUA_PATH",
          "LUA_CPATH",
          "XDG_CONFIG_HOME",
          "ZDOTDIR");

  /**
   * Prefixes of such variables: the loader's ({@code LD_PRELOAD}), bash's exported functions, git's
   * configuration given in the environment ({@code GIT_CONFIG_KEY_0=core.sshCommand}); and npm's
   * ({@code npm_config_script_shell}, in any case: {@link #isCodeVariable}).
   */
  private static final java.util.List<String> CODE_PREFIXES =
      java.util.List.of("LD_", "DYLD_", "BASH_FUNC_", "GIT_CONFIG_");

  /** Whether a variable of this name decides what code runs ({@link #CODE_VARIABLES}). */
  public static boolean isCodeVariable(String name) {
    return CODE_VARIABLES.contains(name)
        || CODE_PREFIXES.stream().anyMatch(name::startsWith)
        // npm reads its settings from the environment whatever their case.
        || name.toLowerCase(java.util.Locale.ROOT).startsWith("npm_config_");
  }

  /** {@code $name} or {@code ${name}} in HTTP and notify fields (group 1 or 2 is the name). */
  public static final Pattern VARIABLE =
      Pattern.compile("\\$(?:\\{([A-Za-z_][A-Za-z0-9_]*)\\}|([A-Za-z_][A-Za-z0-9_]*))");

  private Names() {}

  public static boolean isResourceName(String name) {
    return name != null && RESOURCE.matcher(name).matches();
  }

  public static String resourceRule() {
    return "must match [a-z0-9][a-z0-9._-]{0,63} (lower-case letters, digits, '.', '_', '-';"
        + " at most 64 characters)";
  }
}
