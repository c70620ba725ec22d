package io.nightshift.scheduler.run;

import io.nightshift.scheduler.template.Template;
import java.util.List;
import java.util.Map;

/**
 * What is needed to create a run: the template snapshot, resolved values and who started it; for a
 * retry from failed, the steps of the earlier run it keeps (stored SUCCEEDED from the start); the
 * client's key for the request that starts it, if it sent one ({@link RequestedRuns}).
 */
public record NewRun(
    Template template,
    int templateVersion,
    String job,
    Trigger trigger,
    String triggeredBy,
    Map<String, String> params,
    Long retryOf,
    List<StepRun> kept,
    RequestKey request) {
  public NewRun {
    params = Map.copyOf(params);
    kept = List.copyOf(kept);
  }

  /** A run that keeps the given steps of an earlier run; started without a request key. */
  public NewRun(
      Template template,
      int templateVersion,
      String job,
      Trigger trigger,
      String triggeredBy,
      Map<String, String> params,
      Long retryOf,
      List<StepRun> kept) {
    this(template, templateVersion, job, trigger, triggeredBy, params, retryOf, kept, null);
  }

  /** This run, started by the request {@code request} identifies (null: none). */
  public NewRun withRequest(RequestKey request) {
    return new NewRun(
        template, templateVersion, job, trigger, triggeredBy, params, retryOf, kept, request);
  }

  /** A run that keeps no step of an earlier run. */
  public NewRun(
      Template template,
      int templateVersion,
      String job,
      Trigger trigger,
      String triggeredBy,
      Map<String, String> params,
      Long retryOf) {
    this(template, templateVersion, job, trigger, triggeredBy, params, retryOf, List.of());
  }
}
