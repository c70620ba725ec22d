package io.nightshift.web.cli;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

/** What the CLI prints: aligned tables for people, JSON for scripts, colours on a terminal only. */
final class Output {
  private static final String RESET = "\u001b[0m";

  private final PrintWriter out;
  private final boolean json;
  private final boolean colour;

  Output(PrintWriter out, boolean json, boolean colour) {
    this.out = out;
    this.json = json;
    this.colour = colour && !json;
  }

  boolean json() {
    return json;
  }

  void json(Object value) {
    out.println(
        value instanceof JsonObject o
            ? o.encodePrettily()
            : value instanceof JsonArray a ? a.encodePrettily() : String.valueOf(value));
    out.flush();
  }

  void line(String text) {
    out.println(text);
    out.flush();
  }

  /** An answer of the API: as is in JSON, else {@code text} (one line about it). */
  void answer(JsonObject answer, String text) {
    if (json) {
      json(answer);
    } else {
      line(text);
    }
  }

  /** A list of items: as is in JSON, else a table of one {@code row} an item. */
  void list(JsonArray items, List<String> header, Function<JsonObject, List<String>> row) {
    if (json) {
      json(items);
    } else {
      table(header, rows(items, row));
    }
  }

  /** One row of cells an item (each a JSON object). */
  static List<List<String>> rows(JsonArray items, Function<JsonObject, List<String>> row) {
    List<List<String>> rows = new ArrayList<>();
    items.forEach(o -> rows.add(row.apply((JsonObject) o)));
    return rows;
  }

  /** Columns padded to the widest cell; the header line is bold on a terminal. */
  void table(List<String> header, List<List<String>> rows) {
    int[] width = new int[header.size()];
    List<List<String>> all = new ArrayList<>();
    all.add(header);
    all.addAll(rows);
    for (List<String> row : all) {
      for (int i = 0; i < width.length; i++) {
        width[i] = Math.max(width[i], plain(cell(row, i)).length());
      }
    }
    for (int r = 0; r < all.size(); r++) {
      StringBuilder line = new StringBuilder();
      for (int i = 0; i < width.length; i++) {
        String cell = cell(all.get(r), i);
        line.append(cell);
        if (i < width.length - 1) {
          line.append(" ".repeat(width[i] - plain(cell).length() + 2));
        }
      }
      String text = line.toString().stripTrailing();
      out.println(r == 0 && colour ? "\u001b[1m" + text + RESET : text);
    }
    if (rows.isEmpty()) {
      out.println("(none)");
    }
    out.flush();
  }

  /** A status word, green/red/yellow on a terminal. */
  String status(String status) {
    if (!colour || status == null) {
      return String.valueOf(status);
    }
    String code =
        switch (status) {
          case "SUCCEEDED", "APPROVED", "ROLLED_BACK" -> "\u001b[32m";
          case "FAILED", "TIMED_OUT", "DENIED", "ROLLBACK_FAILED", "EXPIRED" -> "\u001b[31m";
          case "CANCELED", "CANCELING", "SKIPPED" -> "\u001b[90m";
          default -> "\u001b[33m";
        };
    return code + status + RESET;
  }

  /** A line of a diff: additions green, removals red, on a terminal. */
  String diffLine(String line) {
    if (!colour) {
      return line;
    }
    if (line.startsWith("+")) {
      return "\u001b[32m" + line + RESET;
    }
    return line.startsWith("-") ? "\u001b[31m" + line + RESET : line;
  }

  /** Dim text (step names before log lines) on a terminal. */
  String dim(String text) {
    return colour ? "\u001b[36m" + text + RESET : text;
  }

  private static String cell(List<String> row, int i) {
    return i < row.size() && row.get(i) != null ? row.get(i) : "";
  }

  private static String plain(String text) {
    return text.replaceAll("\u001b\\[[0-9;]*m", "");
  }
}
