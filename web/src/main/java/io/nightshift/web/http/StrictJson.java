package io.nightshift.web.http;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import io.nightshift.scheduler.error.Invalid;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads a request body as JSON, refusing a key that appears twice in one object (a parser that
 * keeps the last one lets a reviewed value be replaced unseen): 400 naming the key's path, such as
 * {@code steps[1].command}.
 */
final class StrictJson {
  private static final JsonFactory FACTORY = new JsonFactory();

  /** Why a text is not JSON: a sentence. */
  static final class NotJson extends RuntimeException {
    NotJson(String message) {
      super(message);
    }
  }

  private StrictJson() {}

  static Object read(byte[] body) {
    try (JsonParser parser = FACTORY.createParser(body)) {
      if (parser.nextToken() == null) {
        throw new NotJson("it is empty");
      }
      Object value = value(parser, "");
      if (parser.nextToken() != null) {
        throw new NotJson("unexpected text after the end of the value");
      }
      return value;
    } catch (IOException e) {
      String message = String.valueOf(e.getMessage());
      int nl = message.indexOf('\n');
      throw new NotJson(nl < 0 ? message : message.substring(0, nl));
    }
  }

  private static Object value(JsonParser parser, String path) throws IOException {
    switch (parser.currentToken()) {
      case START_OBJECT -> {
        Map<String, Object> fields = new LinkedHashMap<>();
        while (parser.nextToken() == JsonToken.FIELD_NAME) {
          String key = parser.currentName();
          String at = path.isEmpty() ? key : path + "." + key;
          if (fields.containsKey(key)) {
            throw Invalid.of(at, "appears twice in the same object; each key may appear once");
          }
          parser.nextToken();
          fields.put(key, value(parser, at));
        }
        return new JsonObject(fields);
      }
      case START_ARRAY -> {
        List<Object> items = new ArrayList<>();
        while (parser.nextToken() != JsonToken.END_ARRAY) {
          items.add(value(parser, path + "[" + items.size() + "]"));
        }
        return new JsonArray(items);
      }
      case VALUE_STRING -> {
        return parser.getText();
      }
      case VALUE_NUMBER_INT, VALUE_NUMBER_FLOAT -> {
        return parser.getNumberValue();
      }
      case VALUE_TRUE -> {
        return Boolean.TRUE;
      }
      case VALUE_FALSE -> {
        return Boolean.FALSE;
      }
      case VALUE_NULL -> {
        return null;
      }
      default -> throw new NotJson("unexpected " + parser.currentToken());
    }
  }
}
