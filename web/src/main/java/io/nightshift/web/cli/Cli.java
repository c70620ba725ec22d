package io.nightshift.web.cli;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ScopeType;

/**
 * {@code nightshift COMMAND ...}: the command-line client. It talks to a server over HTTP only and
 * imports nothing of the server. Exit status: 0 done (a followed run succeeded), 1 a followed run
 * failed or was canceled, 2 a usage error or an error from the API (its message, on one line).
 */
@Command(
    name = "nightshift",
    mixinStandardHelpOptions = true,
    versionProvider = Cli.Version.class,
    description = "Nightshift command-line client (run 'nightshift serve' to start a server).",
    subcommands = {
      RunCommands.Start.class,
      RunCommands.List.class,
      RunCommands.Status.class,
      RunCommands.Logs.class,
      RunCommands.Cancel.class,
      RunCommands.Retry.class,
      JobCommands.class,
      ApprovalCommands.List.class,
      ApprovalCommands.Approve.class,
      ApprovalCommands.Deny.class,
      TemplateCommands.class,
      TokenCommands.class,
      NodeCommands.class,
      BackupCommand.class,
      Apply.class,
      Export.class,
      CommandLine.HelpCommand.class
    })
public final class Cli {
  public static final int OK = 0;
  public static final int RUN_FAILED = 1;
  public static final int ERROR = 2;

  @Option(
      names = "--url",
      scope = ScopeType.INHERIT,
      description = "Server URL (else NIGHTSHIFT_URL, the profile, http://127.0.0.1:8080).")
  String url;

  @Option(
      names = "--token",
      scope = ScopeType.INHERIT,
      description = "API token (else NIGHTSHIFT_TOKEN, the profile).")
  String token;

  @Option(
      names = "--json",
      scope = ScopeType.INHERIT,
      description = "Print JSON (for scripts) instead of tables.")
  boolean json;

  private final Map<String, String> env;
  private final PrintWriter out;
  private final PrintWriter err;
  private final boolean terminal;
  private Api api;

  Cli(Map<String, String> env, PrintWriter out, PrintWriter err, boolean terminal) {
    this.env = env;
    this.out = out;
    this.err = err;
    this.terminal = terminal;
  }

  /** {@code java -jar nightshift.jar COMMAND ...}: runs the command and exits with its status. */
  public static void main(String[] args) {
    PrintWriter out = new PrintWriter(System.out, true);
    PrintWriter err = new PrintWriter(System.err, true);
    int status = execute(args, System.getenv(), out, err, System.console() != null);
    out.flush();
    err.flush();
    System.exit(status);
  }

  /** Runs one command line; what a person would see goes to {@code out} and {@code err}. */
  public static int execute(
      String[] args, Map<String, String> env, PrintWriter out, PrintWriter err, boolean terminal) {
    Cli cli = new Cli(env, out, err, terminal);
    CommandLine line = new CommandLine(cli);
    helpOnEveryCommand(line);
    line.setOut(out);
    line.setErr(err);
    line.setExitCodeExceptionMapper(e -> ERROR);
    line.setExecutionExceptionHandler(
        (e, cmd, parsed) -> {
          if (e instanceof ApiError a && a.status() == 401 && !cli.tokenGiven) {
            cli.fail(
                e.getMessage()
                    + "; no token was given: pass --token, set NIGHTSHIFT_TOKEN or put token= in"
                    + " the profile "
                    + cli.profilePath());
          } else if (e instanceof ApiError || e instanceof CliError) {
            cli.fail(e.getMessage());
          } else {
            cli.fail(e.getClass().getSimpleName() + ": " + e.getMessage());
          }
          return ERROR;
        });
    line.setParameterExceptionHandler(
        (e, argv) -> {
          cli.fail(e.getMessage());
          e.getCommandLine().usage(err);
          return ERROR;
        });
    return line.execute(args);
  }

  /**
   * {@code -h/--help} on every subcommand ({@code nightshift jobs run --help} shows its usage, not
   * "Missing required parameter"); the top command has it with {@code --version} already.
   */
  private static void helpOnEveryCommand(CommandLine line) {
    CommandLine.Model.CommandSpec spec = line.getCommandSpec();
    if (spec.findOption("--help") == null) {
      spec.addOption(
          CommandLine.Model.OptionSpec.builder("-h", "--help")
              .usageHelp(true)
              .description("Show this help message and exit.")
              .build());
    }
    line.getSubcommands().values().forEach(Cli::helpOnEveryCommand);
  }

  /** Whether the API client was given a token (a 401 without one says how to give it). */
  private boolean tokenGiven;

  /** The API client, from --url/--token, NIGHTSHIFT_URL/NIGHTSHIFT_TOKEN, or the profile file. */
  Api api() {
    if (api == null) {
      String named = env.get("NIGHTSHIFT_PROFILE");
      String givenUrl = first(url, env.get("NIGHTSHIFT_URL"), null);
      String givenToken = first(token, env.get("NIGHTSHIFT_TOKEN"), null);
      // Read only when it is needed: --url and --token (or their variables) go without it.
      Profile profile =
          givenUrl != null && givenToken != null
              ? new Profile(null, null)
              : Profile.load(profilePath(), named != null && !named.isBlank());
      String u = first(givenUrl, profile.url(), "http://127.0.0.1:8080");
      checkUrl(
          u,
          url != null && !url.isBlank()
              ? "--url"
              : env.get("NIGHTSHIFT_URL") != null && !env.get("NIGHTSHIFT_URL").isBlank()
                  ? "NIGHTSHIFT_URL"
                  : "the profile's url");
      String t = first(givenToken, profile.token(), null);
      tokenGiven = t != null;
      api = new Api(u, t, this::note);
    }
    return api;
  }

  /** An http(s) URL with a host, else a usage error naming where it came from. */
  private static void checkUrl(String u, String from) {
    String problem;
    try {
      java.net.URI uri = new java.net.URI(u);
      String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
      problem =
          !scheme.equals("http") && !scheme.equals("https")
              ? "it must start with http:// or https://"
              : uri.getHost() == null ? "it names no host" : null;
    } catch (java.net.URISyntaxException e) {
      problem = e.getReason();
    }
    if (problem != null) {
      throw new CliError("bad server URL '" + u + "' (" + from + "): " + problem);
    }
  }

  Path profilePath() {
    String explicit = env.get("NIGHTSHIFT_PROFILE");
    if (explicit != null && !explicit.isBlank()) {
      return Path.of(explicit);
    }
    String home = env.getOrDefault("HOME", System.getProperty("user.home"));
    return Path.of(home, ".config", "nightshift", "profile");
  }

  Output output() {
    return new Output(out, json, terminal && !env.containsKey("NO_COLOR"));
  }

  PrintWriter err() {
    return err;
  }

  /** Says something on standard error that does not end the command. */
  void note(String message) {
    err.println("nightshift: " + message);
    err.flush();
  }

  void fail(String message) {
    String text = message == null ? "failed" : message.replaceAll("\\s*\\R\\s*", " ");
    err.println(
        (terminal && !env.containsKey("NO_COLOR")
                ? "\u001b[31mnightshift:\u001b[0m "
                : "nightshift: ")
            + text);
    err.flush();
  }

  private static String first(String... values) {
    for (String v : values) {
      if (v != null && !v.isBlank()) {
        return v;
      }
    }
    return null;
  }

  /** The version of the jar, for --version. */
  static final class Version implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
      String v = Cli.class.getPackage().getImplementationVersion();
      return new String[] {"nightshift " + (v == null ? "(development build)" : v)};
    }
  }
}
