package io.nightshift.scheduler.secrets;

import io.nightshift.scheduler.template.ParamSpec;
import io.nightshift.scheduler.template.Template;
import io.nightshift.scheduler.template.TemplateJson;
import io.nightshift.scheduler.template.TemplateParser;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The stored (JSON) forms of what holds secrets, with the secrets sealed by a {@link SecretCipher}:
 * webhook secrets and secret parameter defaults of a template, secret parameter values of a run or
 * a job. Reading opens every sealed string, wherever it is, and leaves values stored in clear
 * (before encryption existed) as they are.
 */
public final class StoredSecrets {
  private StoredSecrets() {}

  /** A template as stored (version body, run snapshot). */
  public static String template(SecretCipher cipher, Template template) {
    JsonObject json = TemplateJson.toJson(template);
    JsonArray params = json.getJsonArray("params");
    for (int i = 0; i < params.size(); i++) {
      JsonObject p = params.getJsonObject(i);
      if (p.getBoolean("secret", false) && p.getString("default") != null) {
        p.put("default", cipher.seal(p.getString("default")));
      }
    }
    if (json.containsKey("notify")) {
      sealWebhooks(cipher, json.getJsonArray("notify"));
    }
    return json.encode();
  }

  /** Reads a stored template back. */
  public static Template template(SecretCipher cipher, String stored, String name) {
    return TemplateParser.parse(open(cipher, stored), name);
  }

  /** Run or job values as stored: the values of parameters {@code template} marks secret sealed. */
  public static JsonObject params(
      SecretCipher cipher, Template template, Map<String, String> values) {
    JsonObject json = new JsonObject();
    values.forEach(
        (name, value) ->
            json.put(
                name,
                template != null && template.param(name).map(ParamSpec::secret).orElse(false)
                    ? cipher.seal(value)
                    : value));
    return json;
  }

  /** Stored values read back as strings. */
  public static Map<String, String> params(SecretCipher cipher, String stored) {
    Map<String, String> values = new LinkedHashMap<>();
    open(cipher, stored).forEach(e -> values.put(e.getKey(), String.valueOf(e.getValue())));
    return values;
  }

  /** A job body as stored: its secret values (by {@code template}) and webhook secrets sealed. */
  public static JsonObject job(SecretCipher cipher, JsonObject body, Template template) {
    JsonObject json = body.copy();
    Map<String, String> values = new LinkedHashMap<>();
    JsonObject given = json.getJsonObject("params", new JsonObject());
    given.forEach(e -> values.put(e.getKey(), String.valueOf(e.getValue())));
    json.put("params", params(cipher, template, values));
    if (json.getJsonArray("notify") != null) {
      sealWebhooks(cipher, json.getJsonArray("notify"));
    }
    return json;
  }

  /** Whether a stored template holds a secret default or webhook secret in clear. */
  public static boolean clearInTemplate(JsonObject stored) {
    for (Object o : stored.getJsonArray("params", new JsonArray())) {
      if (o instanceof JsonObject p && p.getBoolean("secret", false) && clear(p, "default")) {
        return true;
      }
    }
    return clearInWebhooks(stored.getJsonArray("notify"));
  }

  /** Whether stored values hold a value of a parameter {@code template} marks secret in clear. */
  public static boolean clearInParams(JsonObject stored, Template template) {
    if (stored == null || template == null) {
      return false;
    }
    for (ParamSpec p : template.params()) {
      if (p.secret() && clear(stored, p.name())) {
        return true;
      }
    }
    return false;
  }

  /**
   * Whether a stored job body holds a secret value (by {@code template}) or webhook secret in
   * clear.
   */
  public static boolean clearInJob(JsonObject stored, Template template) {
    return clearInParams(stored.getJsonObject("params"), template)
        || clearInWebhooks(stored.getJsonArray("notify"));
  }

  private static boolean clearInWebhooks(JsonArray hooks) {
    if (hooks == null) {
      return false;
    }
    for (Object o : hooks) {
      if (o instanceof JsonObject hook && clear(hook, "secret")) {
        return true;
      }
    }
    return false;
  }

  private static boolean clear(JsonObject json, String key) {
    Object value = json.getValue(key);
    return value != null && !SecretCipher.sealed(String.valueOf(value));
  }

  /** A stored JSON object with every sealed string opened. */
  public static JsonObject open(SecretCipher cipher, String stored) {
    JsonObject json = new JsonObject(stored);
    return stored.contains(SecretCipher.PREFIX) ? (JsonObject) open(cipher, json) : json;
  }

  private static Object open(SecretCipher cipher, Object value) {
    if (value instanceof String s) {
      return cipher.open(s);
    }
    if (value instanceof JsonObject o) {
      JsonObject out = new JsonObject();
      o.forEach(e -> out.put(e.getKey(), open(cipher, e.getValue())));
      return out;
    }
    if (value instanceof JsonArray a) {
      JsonArray out = new JsonArray();
      a.forEach(v -> out.add(open(cipher, v)));
      return out;
    }
    return value;
  }

  private static void sealWebhooks(SecretCipher cipher, JsonArray hooks) {
    for (int i = 0; i < hooks.size(); i++) {
      JsonObject hook = hooks.getJsonObject(i);
      if (hook.getString("secret") != null) {
        hook.put("secret", cipher.seal(hook.getString("secret")));
      }
    }
  }
}
