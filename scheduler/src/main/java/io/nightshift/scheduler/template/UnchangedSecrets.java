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
   * {@code given} with masked secrets taken from the stored webhook of the same URL (else the one
   * at the same position); problems name {@code notify[i].secret}.
   */
  public static List<Webhook> webhooks(
      List<Webhook> given, List<Webhook> stored, List<Invalid.Problem> problems) {
    List<Webhook> out = new ArrayList<>();
    Set<Integer> used = new HashSet<>();
    for (int i = 0; i < given.size(); i++) {
      Webhook w = keptUrl(given.get(i), i, stored, problems);
      if (!MASK.equals(w.secret())) {
        out.add(w);
        continue;
      }
      int match = match(w, i, stored, used);
      if (match < 0) {
        problems.add(
            new Invalid.Problem(
                "notify[" + i + "].secret",
                "'"
                    + MASK
                    + "' means 'unchanged', but no stored webhook secret for "
                    + w.url()
                    + " to keep; give the secret"));
        out.add(w);
        continue;
      }
      used.add(match);
      out.add(new Webhook(w.url(), w.events(), stored.get(match).secret()));
    }
    return out;
  }

  /**
   * A URL written back as shown ({@link WebhookUrls#shown}: its password and query values masked)
   * stands for the stored webhook URL that shows that way; problems name {@code notify[i].url}.
   */
  private static Webhook keptUrl(
      Webhook w, int index, List<Webhook> stored, List<Invalid.Problem> problems) {
    if (!WebhookUrls.isShownForm(w.url())) {
      return w;
    }
    for (Webhook s : stored) {
      if (!s.url().equals(w.url()) && WebhookUrls.shown(s.url()).equals(w.url())) {
        return new Webhook(s.url(), w.events(), w.secret());
      }
    }
    if (stored.stream().noneMatch(s -> s.url().equals(w.url()))) {
      problems.add(
          new Invalid.Problem(
              "notify[" + index + "].url",
              "'"
                  + MASK
                  + "' in a URL means 'unchanged', but no stored webhook URL shows as "
                  + w.url()
                  + "; give the whole URL"));
    }
    return w;
  }

  private static int match(Webhook w, int index, List<Webhook> stored, Set<Integer> used) {
    for (int j = 0; j < stored.size(); j++) {
      if (!used.contains(j)
          && stored.get(j).secret() != null
          && stored.get(j).url().equals(w.url())) {
        return j;
      }
    }
    if (index < stored.size() && !used.contains(index) && stored.get(index).secret() != null) {
      return index;
    }
    return -1;
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
