package io.nightshift.executor;

import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * The environment a step's process starts with, built from an allow-list instead of inherited: a
 * few variables of the service's own environment ({@link #ALWAYS} plus the operator's {@code
 * executor.passEnv}), then the step's variables (parameters and {@code NIGHTSHIFT_*} run variables)
 * on top. Nothing else of the service's environment (its admin token, its database password)
 * reaches a step.
 *
 * @param passed names of the service's variables a step inherits
 * @param service the service's environment ({@link System#getenv()} outside tests)
 */
public record StepEnvironment(Set<String> passed, Map<String, String> service) {
  /** What every step inherits from the service, if set there. */
  public static final List<String> ALWAYS = List.of("PATH", "HOME", "LANG", "TZ");

  /** The PATH of a step when the service has none. */
  static final String DEFAULT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

  public StepEnvironment {
    Set<String> names = new LinkedHashSet<>(ALWAYS);
    for (String name : Objects.requireNonNull(passed, "passed")) {
      if (!validName(name)) {
        throw new IllegalArgumentException("not an environment variable name: '" + name + "'");
      }
      names.add(name);
    }
    passed = Set.copyOf(names);
    service = Map.copyOf(Objects.requireNonNull(service, "service"));
  }

  /** The allow-list {@link #ALWAYS} plus {@code passEnv}, read from this JVM's environment. */
  public static StepEnvironment of(List<String> passEnv) {
    return new StepEnvironment(new LinkedHashSet<>(passEnv), System.getenv());
  }

  /** Only {@link #ALWAYS}. */
  public static StepEnvironment defaults() {
    return of(List.of());
  }

  /** True for a name a shell can export: a letter or underscore, then letters, digits, _. */
  public static boolean validName(String name) {
    return name != null && name.matches("[A-Za-z_][A-Za-z0-9_]*");
  }

  /** The complete environment of a step whose own variables are {@code step}. */
  public Map<String, String> build(Map<String, String> step) {
    Map<String, String> env = new LinkedHashMap<>();
    for (String name : passed) {
      String value = service.get(name);
      if (value != null) {
        env.put(name, value);
      }
    }
    env.putIfAbsent("PATH", DEFAULT_PATH);
    env.putAll(step);
    return env;
  }
}
