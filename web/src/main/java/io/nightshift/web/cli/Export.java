package io.nightshift.web.cli;

import io.nightshift.web.cli.Documents.Kind;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/**
 * {@code export DIR}: writes every template and job as YAML files ({@code templates/NAME.yaml},
 * {@code jobs/NAME.yaml}) that {@code apply -f DIR} takes back unchanged.
 */
@Command(name = "export", description = "Write the server's templates and jobs as YAML files.")
final class Export extends Base {
  @Parameters(paramLabel = "DIR")
  Path folder;

  @Override
  int run() {
    int written = 0;
    int unreadable = 0;
    for (Kind kind : List.of(Kind.TEMPLATE, Kind.JOB)) {
      List<JsonObject> items = new ArrayList<>();
      api().each("/api/v1/" + kind.plural + "?limit=500", "after", items::add);
      Path dir = folder.resolve(kind.plural);
      try {
        Files.createDirectories(dir);
        for (JsonObject item : items) {
          if (item.containsKey("problem")) {
            // No definition to write (and an empty one would replace it at the next apply).
            cli()
                .fail(
                    kind.word()
                        + " '"
                        + item.getString("name")
                        + "' not exported: "
                        + item.getString("problem"));
            unreadable++;
            continue;
          }
          Path file = dir.resolve(item.getString("name") + ".yaml");
          Files.writeString(file, Documents.yaml(Documents.asCode(kind, item)));
          written++;
        }
      } catch (IOException e) {
        throw new CliError(dir + ": cannot write: " + e.getMessage());
      }
    }
    if (!out().json()) {
      out().line(written + " file(s) written to " + folder);
    }
    return unreadable == 0 ? Cli.OK : Cli.ERROR;
  }
}
