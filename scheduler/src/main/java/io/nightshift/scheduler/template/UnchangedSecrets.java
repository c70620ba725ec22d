package io.nightshift.scheduler.template;

import io.nightshift.scheduler.error.Invalid;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Answers show secrets as {@link #MASK}; a document read and written back carries the mask where a
 * secret was. On write the mask means "unchanged": it is replaced by the stored secret (secret
 * parameter defaults and job values, webhook secrets, and the tokens of webhook URLs that {@link
 * WebhookUrls} masks). A mask with no stored secret to keep is a 400 naming the field, never stored
 * literally.
 */
public final class UnchangedSecrets {
  public static final String MASK = "******";

  private UnchangedSecrets() {}

  /** {@code given} with masked secret defaults and webhook secrets taken from {@code stored}. */
  public static Template template(Template given, Template stored) {
    List<Invalid.Problem> problems = new ArrayList<>();
    List<ParamSpec> params = new ArrayList<>();
    for (int i = 0; i < given.params().size(); i++) {
      ParamSpec p = given.params().get(i);
      if (!p.secret() || !MASK.equals(p.defaultValue())) {
        params.add(p);
        continue;
      }
      String kept =
          stored == null
              ? null
              : stored
                  .param(p.name())
                  .filter(ParamSpec::secret)
                  .map(ParamSpec::defaultValue)
                  .orElse(null);
      if (kept == null) {
        problems.add(
            new Invalid.Problem(
                "params[" + i + "].default",
                "'"
                    + MASK
                    + "' means 'unchanged', but there is no stored default of secret parameter '"
                    + p.name()
                    + "' to keep; give the value"));
      }
      params.add(
          new ParamSpec(
              p.name(), p.description(), p.required(), true, kept, p.allowed(), p.pattern()));
    }
    List<Webhook> webhooks =
        webhooks(given.webhooks(), stored == null ? List.of() : stored.webhooks(), problems);
    if (!problems.isEmpty()) {
      throw new Invalid(problems);
    }
    return new Template(
        given.name(), given.description(), params, given.onFailure(), given.steps(), webhooks);
  }

  /**
   * {@code given} with its masked parts taken from the stored webhook each stands for: a URL
   * written back as shown ({@link WebhookUrls#shown}: password and query values masked) becomes the
   * stored URL that shows so, and a masked secret the secret of that same stored webhook. Which
   * one: among the stored webhooks not yet taken whose URL is (or shows as) the given one, those
   * with the same events, the one at the same position first; a secret whose URL changed is the one
   * at the same position. URL and secret always come from one stored webhook, so that two webhooks
   * whose URLs differ only in a masked value are never crossed. Problems name {@code notify[i].url}
   * or {@code notify[i].secret}.
   */
  public static List<Webhook> webhooks(
      List<Webhook> given, List<Webhook> stored, List<Invalid.Problem> problems) {
    // First every webhook that names a stored one by its URL (as stored or as shown), then, for a
    // masked secret whose URL changed, the stored one at its place, unless a given webhook names
    // that one: a secret never goes with a URL other than its own.
    int[] match = new int[given.size()];
    Set<Integer> taken = new HashSet<>();
    for (int i = 0; i < given.size(); i++) {
      Webhook w = given.get(i);
      boolean masked = WebhookUrls.isShownForm(w.url()) || MASK.equals(w.secret());
      match[i] = masked ? standsFor(w, i, stored, taken) : -1;
      if (match[i] >= 0) {
        taken.add(match[i]);
      }
    }
    Set<Integer> named = new HashSet<>(taken);
    for (int i = 0; i < given.size(); i++) {
      for (int j = 0; j < stored.size(); j++) {
        if (stored.get(j).url().equals(given.get(i).url())) {
          named.add(j);
        }
      }
    }
    List<Webhook> out = new ArrayList<>();
    for (int i = 0; i < given.size(); i++) {
      Webhook w = given.get(i);
      boolean maskedUrl = WebhookUrls.isShownForm(w.url());
      boolean maskedSecret = MASK.equals(w.secret());
      if (match[i] < 0 && maskedSecret && !maskedUrl && i < stored.size() && !named.contains(i)) {
        match[i] = i; // the URL changed, the secret is kept
        named.add(i);
      }
      String url = w.url();
      if (maskedUrl && match[i] >= 0) {
        url = stored.get(match[i]).url();
      } else if (maskedUrl) {
        problems.add(
            new Invalid.Problem(
                "notify[" + i + "].url",
                "'"
                    + MASK
                    + "' in a URL means 'unchanged', but no stored webhook URL shows as "
                    + w.url()
                    + "; give the whole URL"));
      }
      String secret = w.secret();
      if (maskedSecret && match[i] >= 0 && stored.get(match[i]).secret() != null) {
        secret = stored.get(match[i]).secret();
      } else if (maskedSecret) {
        problems.add(
            new Invalid.Problem(
                "notify[" + i + "].secret",
                "'"
                    + MASK
                    + "' means 'unchanged', but no stored webhook secret for "
                    + w.url()
                    + " to keep; give the secret"));
      }
      out.add(new Webhook(url, w.events(), secret));
    }
    return out;
  }

  /** The stored webhook (not yet taken) that {@code w}, at {@code index}, stands for, or -1. */
  private static int standsFor(Webhook w, int index, List<Webhook> stored, Set<Integer> taken) {
    List<Integer> sameUrl = new ArrayList<>();
    for (int j = 0; j < stored.size(); j++) {
      String url = stored.get(j).url();
      if (!taken.contains(j) && (url.equals(w.url()) || WebhookUrls.shown(url).equals(w.url()))) {
        sameUrl.add(j);
      }
    }
    List<Integer> sameEvents =
        sameUrl.stream().filter(j -> stored.get(j).events().equals(w.events())).toList();
    List<Integer> candidates = sameEvents.isEmpty() ? sameUrl : sameEvents;
    if (candidates.contains(index)) {
      return index;
    }
    return candidates.isEmpty() ? -1 : candidates.get(0);
  }

  /**
   * A run's own values ({@code params} of a request that starts a run, nullable): {@link #MASK} for
   * a secret parameter is refused, naming {@code params.NAME}. A run keeps no earlier value that
   * the mask could stand for, and taken literally it would run with {@code ******}. {@code instead}
   * says what to do instead.
   */
  public static void refuseInRun(
      Template template, io.vertx.core.json.JsonObject params, JsonReader in, String instead) {
    if (params == null) {
      return;
    }
    for (String name : params.fieldNames()) {
      boolean secret = template.param(name).map(ParamSpec::secret).orElse(false);
      if (secret && MASK.equals(params.getValue(name))) {
        in.problem(
            "params." + name,
            "'"
                + MASK
                + "' is how a secret is shown, not a value: a run has no stored value to keep; "
                + instead);
      }
    }
  }

  /**
   * Job values: a masked value of a parameter the template marks secret is the job's stored value
   * ({@code stored} may be empty); problems name {@code params.NAME}.
   */
  public static Map<String, String> params(
      Template template,
      Map<String, String> given,
      Map<String, String> stored,
      List<Invalid.Problem> problems) {
    Map<String, String> out = new LinkedHashMap<>(given);
    given.forEach(
        (name, value) -> {
          boolean secret = template.param(name).map(ParamSpec::secret).orElse(false);
          if (!secret || !MASK.equals(value)) {
            return;
          }
          String kept = stored.get(name);
          if (kept == null || MASK.equals(kept)) {
            problems.add(
                new Invalid.Problem(
                    "params." + name,
                    "'" + MASK + "' means 'unchanged', but there is no stored value to keep"));
          } else {
            out.put(name, kept);
          }
        });
    return out;
  }
}
