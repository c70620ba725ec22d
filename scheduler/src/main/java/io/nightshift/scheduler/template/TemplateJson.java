package io.nightshift.scheduler.template;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.LinkedHashMap;
import java.util.Map;

/** Writes a {@link Template} as the JSON of the API; {@link TemplateParser} reads it back. */
public final class TemplateJson {
  private TemplateJson() {}

  /** The whole template, secrets included (what is stored). */
  public static JsonObject toJson(Template t) {
    return toJson(t, false);
  }

  /**
   * The template as API answers show it: webhook secrets, tokens in webhook URLs ({@link
   * WebhookUrls}) and defaults of secret parameters are {@code ******} (written back, the mask
   * means "unchanged": {@link UnchangedSecrets}).
   */
  public static JsonObject shown(Template t) {
    return toJson(t, true);
  }

  private static JsonObject toJson(Template t, boolean masked) {
    JsonObject json = new JsonObject().put("name", t.name());
    if (t.description() != null) {
      json.put("description", t.description());
    }
    JsonArray params = new JsonArray();
    t.params().forEach(p -> params.add(param(p, masked)));
    json.put("params", params);
    json.put("onFailure", t.onFailure().json());
    JsonArray steps = new JsonArray();
    t.steps().forEach(s -> steps.add(step(s)));
    json.put("steps", steps);
    if (!t.webhooks().isEmpty()) {
      json.put("notify", webhooks(t.webhooks(), masked));
    }
    return json;
  }

  /**
   * Webhooks as JSON; {@code masked} hides secrets and the tokens in URLs (API answers, audit),
   * storage keeps them.
   */
  public static JsonArray webhooks(java.util.List<Webhook> hooks, boolean masked) {
    JsonArray out = new JsonArray();
    for (Webhook w : hooks) {
      JsonObject json =
          new JsonObject()
              .put("url", masked ? WebhookUrls.shown(w.url()) : w.url())
              .put("events", new JsonArray(w.events()));
      if (w.secret() != null) {
        json.put("secret", masked ? UnchangedSecrets.MASK : w.secret());
      }
      out.add(json);
    }
    return out;
  }

  private static JsonObject param(ParamSpec p, boolean masked) {
    JsonObject json = new JsonObject().put("name", p.name());
    if (p.description() != null) {
      json.put("description", p.description());
    }
    json.put("required", p.required()).put("secret", p.secret());
    if (p.defaultValue() != null) {
      json.put("default", masked && p.secret() ? UnchangedSecrets.MASK : p.defaultValue());
    }
    if (!p.allowed().isEmpty()) {
      json.put("enum", new JsonArray(p.allowed()));
    }
    if (p.pattern() != null) {
      json.put("pattern", p.pattern());
    }
    return json;
  }

  private static JsonObject step(StepSpec s) {
    JsonObject json =
        new JsonObject()
            .put("name", s.name())
            .put("kind", s.kind().json())
            .put("needs", new JsonArray(s.needs()));
    if (s.description() != null) {
      json.put("description", s.description());
    }
    if (s.timeoutSeconds() != null) {
      json.put("timeoutSeconds", s.timeoutSeconds());
    }
    json.put("retries", s.retries())
        .put("retryBackoffSeconds", s.retryBackoffSeconds())
        .put("ignoreFailure", s.ignoreFailure());
    if (s.undo() != null) {
      json.put("undo", s.undo());
    }
    StepAction action = s.action();
    if (action instanceof StepAction.Command c) {
      json.put("command", c.command());
    } else if (action instanceof StepAction.Script sc) {
      json.put("interpreter", sc.interpreter()).put("script", sc.script());
    } else if (action instanceof StepAction.Http h) {
      request(json, h.method(), h.url(), h.headers(), h.body());
      json.put("expectStatus", h.expectStatus());
    } else if (action instanceof StepAction.Notify n) {
      request(json, n.method(), n.url(), n.headers(), n.body());
    } else if (action instanceof StepAction.Approval a) {
      json.put("approvers", new JsonArray(a.approvers()));
      if (a.message() != null) {
        json.put("message", a.message());
      }
      json.put("onTimeout", a.onTimeout());
    }
    return json;
  }

  private static void request(
      JsonObject json, String method, String url, Map<String, String> headers, String body) {
    json.put("method", method).put("url", url);
    json.put("headers", new JsonObject(new LinkedHashMap<String, Object>(headers)));
    if (body != null) {
      json.put("body", body);
    }
  }
}
