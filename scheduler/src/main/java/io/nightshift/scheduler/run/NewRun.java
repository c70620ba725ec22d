package io.nightshift.scheduler.run;

import io.nightshift.scheduler.template.Template;
import java.util.Map;

/** What is needed to create a run: the template snapshot, resolved values and who started it. */
public record NewRun(
    Template template,
    int templateVersion,
    String job,
    Trigger trigger,
    String triggeredBy,
    Map<String, String> params,
    Long retryOf) {
  public NewRun {
    params = Map.copyOf(params);
  }
}
