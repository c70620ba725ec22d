package io.nightshift.web.cli;

import io.nightshift.web.cli.Documents.Document;
import io.nightshift.web.cli.Documents.Kind;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code apply -f DIR} (or one file): makes the server hold the templates and jobs of a folder.
 * Idempotent: what is already there is left alone (no new version), and it says so.
 */
@Command(
    name = "apply",
    description =
        "Apply a folder of template and job files (YAML or JSON), or one such file, idempotently.")
final class Apply extends Base {
  private static final Set<String> ENDED =
      Set.of("SUCCEEDED", "FAILED", "CANCELED", "TIMED_OUT", "ROLLED_BACK", "ROLLBACK_FAILED");

  @Option(
      names = {"-f", "--folder", "--file"},
      required = true,
      paramLabel = "DIR|FILE",
      description = "A folder (every .yaml, .yml and .json file under it) or one file.")
  Path folder;

  @Option(
      names = "--dry-run",
      description =
          "Say what would change, each change checked by the server (every problem of a file is"
              + " said); change nothing. Exit 2 when one is refused.")
  boolean dryRun;

  @Option(names = "--prune", description = "Delete templates and jobs the folder does not have.")
  boolean prune;

  @Option(names = "--force", description = "With --prune: delete jobs even with an active run.")
  boolean force;

  /** One line of the report. */
  record Change(String kind, String name, String action, String detail) {}

  /** Templates this run creates or changes (a dry run checks their jobs against neither). */
  private final Set<String> changedTemplates = new java.util.HashSet<>();

  @Override
  int run() {
    if (prune && !Files.isDirectory(folder)) {
      // Everything on the server but this file's one template or job would go.
      throw new CliError(
          "--prune needs a folder: it deletes what the folder does not have, and "
              + folder
              + " is not a folder");
    }
    Map<Kind, Map<String, Document>> wanted = read(folder);
    List<Change> changes = new ArrayList<>();
    boolean refused = false;
    try {
      for (Kind kind : List.of(Kind.TEMPLATE, Kind.JOB)) {
        for (Document d : wanted.get(kind).values()) {
          Change change = apply(d);
          refused |= change.action().equals(REFUSED);
          changes.add(change);
        }
      }
      if (prune) {
        // Templates of jobs kept (with an active run) stay too: a job needs its template.
        java.util.Set<String> neededTemplates = new java.util.HashSet<>();
        wanted
            .get(Kind.JOB)
            .values()
            .forEach(d -> neededTemplates.add(d.body().getString("template")));
        for (Kind kind : List.of(Kind.JOB, Kind.TEMPLATE)) {
          List<JsonObject> present = new ArrayList<>();
          api().each("/api/v1/" + kind.plural + "?limit=500", "after", present::add);
          for (JsonObject p : present) {
            String name = p.getString("name");
            if (wanted.get(kind).containsKey(name)) {
              continue;
            }
            Change change =
                kind == Kind.TEMPLATE && neededTemplates.contains(name)
                    ? new Change(kind.word(), name, "kept", "a job kept on the server uses it")
                    : prune(kind, name);
            if (kind == Kind.JOB && change.action().equals("kept")) {
              neededTemplates.add(p.getString("template"));
            }
            refused |= change.action().equals("kept");
            changes.add(change);
          }
        }
      }
    } catch (ApiError | CliError stopped) {
      // What was changed before the error is said, then the error (exit 2).
      if (!changes.isEmpty()) {
        report(changes);
      }
      throw stopped;
    }
    report(changes);
    return refused ? Cli.ERROR : Cli.OK;
  }

  private Change apply(Document d) {
    String path = "/api/v1/" + d.kind().plural + "/" + Api.encode(d.name());
    JsonObject current;
    try {
      current = api().get(path);
    } catch (ApiError e) {
      if (e.status() != 404) {
        throw e;
      }
      current = null;
    }
    String word = d.kind().word();
    if (current != null && Documents.same(d.kind(), current, d.body())) {
      return new Change(word, d.name(), "unchanged", version(d.kind(), current));
    }
    String action = current == null ? "created" : "updated";
    if (d.kind() == Kind.TEMPLATE) {
      changedTemplates.add(d.name());
    }
    if (dryRun) {
      return check(d, path, "would be " + action);
    }
    JsonObject stored;
    try {
      stored = api().put(path, Documents.desired(d.kind(), d.body()));
    } catch (ApiError e) {
      throw new ApiError(e.status(), d.file() + ": " + e.getMessage());
    }
    // A template change that a job of it no longer matches (the job's file may come next).
    stored
        .getJsonArray("warnings", new io.vertx.core.json.JsonArray())
        .forEach(w -> cli().note(d.file() + ": warning: " + w));
    return new Change(word, d.name(), action, version(d.kind(), stored));
  }

  /** The action of a change a dry run refused. */
  private static final String REFUSED = "refused";

  /**
   * A dry run's change, checked by the server as the PUT would be (every problem, nothing stored):
   * refused with the server's reasons, or {@code action}. A job whose template this run changes is
   * checked against the template as it will be only by the real run.
   */
  private Change check(Document d, String path, String action) {
    String word = d.kind().word();
    if (d.kind() == Kind.JOB && changedTemplates.contains(d.body().getString("template"))) {
      return new Change(word, d.name(), action, "checked once its template is applied");
    }
    JsonObject checked;
    try {
      checked = api().put(path, Documents.desired(d.kind(), d.body()).copy().put("dryRun", true));
    } catch (ApiError e) {
      if (e.status() == 403) {
        return new Change(word, d.name(), action, "not checked: needs the operator role");
      }
      if (e.status() == 400 && e.getMessage().contains("dryRun: unknown field")) {
        // A node of an earlier version: it refused the whole body, checking nothing.
        return new Change(word, d.name(), action, "not checked: the server predates dry runs");
      }
      if (e.status() != 400 && e.status() != 409 && e.status() != 422) {
        throw e;
      }
      cli().note(d.file() + ": " + e.getMessage());
      return new Change(word, d.name(), REFUSED, e.getMessage());
    }
    if (!checked.getBoolean("dryRun", false)) {
      throw new CliError(
          d.file() + ": the server stored this change although it was sent as a dry run");
    }
    checked
        .getJsonArray("warnings", new io.vertx.core.json.JsonArray())
        .forEach(w -> cli().note(d.file() + ": warning: " + w));
    return new Change(word, d.name(), action, "");
  }

  private Change prune(Kind kind, String name) {
    String word = kind.word();
    if (kind == Kind.JOB && !force) {
      JsonObject runs = api().get("/api/v1/runs?limit=100&job=" + Api.encode(name));
      for (Object o : runs.getJsonArray("items")) {
        JsonObject run = (JsonObject) o;
        if (!ENDED.contains(run.getString("status"))) {
          return new Change(
              word,
              name,
              "kept",
              "run " + run.getValue("id") + " is active; --force deletes it anyway");
        }
      }
    }
    if (dryRun) {
      return new Change(word, name, "would be deleted", "");
    }
    api().delete("/api/v1/" + kind.plural + "/" + Api.encode(name));
    return new Change(word, name, "deleted", "");
  }

  private static String version(Kind kind, JsonObject stored) {
    return kind == Kind.TEMPLATE ? "v" + stored.getValue("version") : "";
  }

  private void report(List<Change> changes) {
    Output out = out();
    if (out.json()) {
      JsonArray items = new JsonArray();
      changes.forEach(
          c ->
              items.add(
                  new JsonObject()
                      .put("kind", c.kind())
                      .put("name", c.name())
                      .put("action", c.action())
                      .put("detail", c.detail())));
      out.json(items);
      return;
    }
    List<List<String>> rows = new ArrayList<>();
    Map<String, Integer> counts = new LinkedHashMap<>();
    for (Change c : changes) {
      rows.add(List.of(c.kind(), c.name(), c.action(), c.detail()));
      counts.merge(c.action(), 1, Integer::sum);
    }
    out.table(List.of("KIND", "NAME", "ACTION", ""), rows);
    List<String> summary = new ArrayList<>();
    counts.forEach((action, n) -> summary.add(n + " " + action));
    out.line((dryRun ? "dry run, nothing changed: " : "") + String.join(", ", summary));
  }

  /**
   * Every template and job file under the folder (or the one file), by kind and name; duplicates
   * are an error.
   */
  static Map<Kind, Map<String, Document>> read(Path folder) {
    Map<Kind, Map<String, Document>> out = new LinkedHashMap<>();
    out.put(Kind.TEMPLATE, new LinkedHashMap<>());
    out.put(Kind.JOB, new LinkedHashMap<>());
    if (Files.isRegularFile(folder)) {
      Document d = Documents.read(folder);
      out.get(d.kind()).put(d.name(), d);
      return out;
    }
    if (!Files.isDirectory(folder)) {
      throw new CliError(folder + ": no such file or folder");
    }
    List<Path> files;
    try (Stream<Path> walk = Files.walk(folder)) {
      files =
          walk.filter(Files::isRegularFile)
              .filter(
                  p -> {
                    String n = p.getFileName().toString();
                    return n.endsWith(".yaml") || n.endsWith(".yml") || n.endsWith(".json");
                  })
              .sorted()
              .toList();
    } catch (IOException e) {
      throw new CliError(folder + ": cannot read: " + e.getMessage());
    }
    for (Path file : files) {
      Document d = Documents.read(file);
      Document before = out.get(d.kind()).putIfAbsent(d.name(), d);
      if (before != null) {
        throw new CliError(
            file + ": " + d.kind().word() + " '" + d.name() + "' is also in " + before.file());
      }
    }
    return out;
  }
}
