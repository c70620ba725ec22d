package io.nightshift.executor;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * What to run for one step: a program and its arguments, never a command line to be spliced.
 *
 * @param argv program and arguments, passed to the kernel as they are (no shell unless argv[0] is
 *     one)
 * @param env the step's own variables (parameters and run variables), set on top of the few the
 *     {@link StepEnvironment} lets through from the service; step parameters reach the process only
 *     this way
 * @param workDir working directory, created (mode 0700) if missing
 * @param timeout after which the whole process group is killed, or null for none
 * @param secrets values masked as {@code ******} in every line before the sink sees it
 * @param maxLines cap on the stdout and stderr lines delivered for the step; later lines are
 *     counted and dropped
 * @param maxLineLength lines longer than this many chars are cut and marked
 */
public record ProcessSpec(
    List<String> argv,
    Map<String, String> env,
    Path workDir,
    Duration timeout,
    Set<String> secrets,
    long maxLines,
    int maxLineLength) {

  public ProcessSpec {
    Objects.requireNonNull(argv, "argv");
    if (argv.isEmpty()) {
      throw new IllegalArgumentException("argv must name a program");
    }
    argv = List.copyOf(argv);
    for (String arg : argv) {
      if (arg.indexOf('\0') >= 0) {
        throw new IllegalArgumentException("argv must not contain NUL characters");
      }
    }
    if (argv.get(0).isBlank()) {
      throw new IllegalArgumentException("argv[0] must name a program");
    }
    env = Map.copyOf(Objects.requireNonNull(env, "env"));
    env.forEach(
        (name, value) -> {
          if (name.isEmpty() || name.indexOf('=') >= 0 || name.indexOf('\0') >= 0) {
            throw new IllegalArgumentException("invalid environment variable name: '" + name + "'");
          }
          if (value.indexOf('\0') >= 0) {
            throw new IllegalArgumentException(
                "environment variable " + name + " must not contain NUL characters");
          }
        });
    Objects.requireNonNull(workDir, "workDir");
    SpecLimits.checkTimeout(timeout);
    secrets = Set.copyOf(Objects.requireNonNull(secrets, "secrets"));
    SpecLimits.checkLines(maxLines, maxLineLength);
  }
}
