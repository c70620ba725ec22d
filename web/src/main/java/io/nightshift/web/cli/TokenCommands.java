package io.nightshift.web.cli;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code tokens} lists API tokens (admin); {@code tokens create NAME -r ROLE}, {@code tokens revoke
 * NAME}.
 */
@Command(
    name = "tokens",
    description = "API tokens: list (default), create, revoke (admin only).",
    subcommands = {TokenCommands.Create.class, TokenCommands.Revoke.class})
final class TokenCommands extends Base {
  @Override
  int run() {
    JsonObject page = api().get("/api/v1/tokens");
    out()
        .list(
            page.getJsonArray("items"),
            List.of("NAME", "ROLES", "CREATED BY", "LAST USED"),
            t ->
                List.of(
                    t.getString("name"),
                    String.join(",", t.getJsonArray("roles").getList()),
                    String.valueOf(t.getString("createdBy")),
                    t.getString("lastUsedAt") == null ? "never" : t.getString("lastUsedAt")));
    return Cli.OK;
  }

  @Command(name = "create", description = "Create a token; its secret is printed once.")
  static final class Create extends Base {
    @Parameters(paramLabel = "NAME")
    String name;

    @Option(
        names = {"-r", "--role"},
        required = true,
        description = "viewer, operator, approver, admin or an approval scope (repeatable).")
    List<String> roles;

    @Override
    int run() {
      JsonObject created =
          api()
              .post(
                  "/api/v1/tokens",
                  new JsonObject().put("name", name).put("roles", new JsonArray(roles)));
      Output out = out();
      if (out.json()) {
        out.json(created);
      } else {
        out.line(created.getString("token"));
        cli()
            .err()
            .println("nightshift: token " + name + " created; the secret above is shown only once");
        cli().err().flush();
      }
      return Cli.OK;
    }
  }

  @Command(name = "revoke", description = "Revoke a token.")
  static final class Revoke extends Base {
    @Parameters(paramLabel = "NAME")
    String name;

    @Override
    int run() {
      api().delete("/api/v1/tokens/" + Api.encode(name));
      if (!out().json()) {
        out().line("token " + name + " revoked");
      }
      return Cli.OK;
    }
  }
}
