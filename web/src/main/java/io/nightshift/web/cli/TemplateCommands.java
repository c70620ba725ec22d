package io.nightshift.web.cli;

import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/**
 * {@code templates} lists templates; {@code templates show NAME}, {@code templates diff NAME V1
 * V2}.
 */
@Command(
    name = "templates",
    description = "Templates: list (default), show, diff.",
    subcommands = {TemplateCommands.Show.class, TemplateCommands.Diff.class})
final class TemplateCommands extends Base {
  @Override
  int run() {
    List<JsonObject> templates = new ArrayList<>();
    api().each("/api/v1/templates?limit=500", "after", templates::add);
    out()
        .list(
            new io.vertx.core.json.JsonArray(new ArrayList<Object>(templates)),
            List.of("NAME", "VERSION", "STEPS", "UPDATED", "DESCRIPTION"),
            t ->
                List.of(
                    t.getString("name"),
                    String.valueOf(t.getValue("version")),
                    t.containsKey("problem") ? "?" : String.valueOf(t.getJsonArray("steps").size()),
                    String.valueOf(t.getString("updatedAt")),
                    t.containsKey("problem")
                        ? "NOT READABLE: " + t.getString("problem")
                        : t.getString("description") == null ? "" : t.getString("description")));
    return Cli.OK;
  }

  static JsonObject fetch(Api api, String name, Integer version) {
    return api.get(
        "/api/v1/templates/" + Api.encode(name) + (version == null ? "" : "?version=" + version));
  }

  @Command(name = "show", description = "A template as YAML (--json: as the API answers it).")
  static final class Show extends Base {
    @Parameters(index = "0", paramLabel = "NAME")
    String name;

    @Parameters(index = "1", arity = "0..1", paramLabel = "VERSION")
    Integer version;

    @Override
    int run() {
      JsonObject template = fetch(api(), name, version);
      Output out = out();
      if (out.json()) {
        out.json(template);
      } else {
        out.line("# " + name + " version " + template.getValue("version"));
        out.line(
            Documents.yaml(Documents.asCode(Documents.Kind.TEMPLATE, template)).stripTrailing());
      }
      return Cli.OK;
    }
  }

  @Command(name = "diff", description = "What changed between two versions of a template.")
  static final class Diff extends Base {
    @Parameters(index = "0", paramLabel = "NAME")
    String name;

    @Parameters(index = "1", paramLabel = "V1")
    int from;

    @Parameters(index = "2", paramLabel = "V2")
    int to;

    @Override
    int run() {
      String a =
          Documents.yaml(Documents.asCode(Documents.Kind.TEMPLATE, fetch(api(), name, from)));
      String b = Documents.yaml(Documents.asCode(Documents.Kind.TEMPLATE, fetch(api(), name, to)));
      Output out = out();
      List<String> lines = LineDiff.unified(a.lines().toList(), b.lines().toList());
      if (out.json()) {
        out.json(new io.vertx.core.json.JsonArray(new ArrayList<Object>(lines)));
        return Cli.OK;
      }
      out.line("--- " + name + " v" + from);
      out.line("+++ " + name + " v" + to);
      if (lines.isEmpty()) {
        out.line("(no differences)");
      }
      lines.forEach(l -> out.line(out.diffLine(l)));
      return Cli.OK;
    }
  }
}
