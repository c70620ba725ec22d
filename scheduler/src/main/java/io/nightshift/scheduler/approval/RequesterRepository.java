package io.nightshift.scheduler.approval;

import static io.nightshift.sql.Tables.API_TOKEN;
import static io.nightshift.sql.Tables.AUDIT_EVENT;
import static io.nightshift.sql.Tables.RUN;
import static io.nightshift.sql.Tables.TEMPLATE;
import static io.nightshift.sql.Tables.TEMPLATE_VERSION;

import io.nightshift.scheduler.template.TemplateRepository;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.jooq.DSLContext;

/**
 * Who asked for a run, for the four-eyes rule: the people an approval of the run must not be
 * decided by (see {@link Approvers}).
 */
final class RequesterRepository {
  private RequesterRepository() {}

  /**
   * Who asked for run {@code runId}: along its retry chain, each run's starter, its job's creator
   * and last changer, its template version's author, and whoever weakened an approval step of its
   * template up to that version (those changes are added to {@code weakened}). Token names become
   * their owners.
   */
  static Requesters requesters(DSLContext tx, long runId, List<String> weakened) {
    Set<String> names = new LinkedHashSet<>();
    Long at = runId;
    for (int hops = 0; at != null && hops < 100; hops++) {
      var run =
          tx.select(
                  RUN.TRIGGERED_BY,
                  RUN.JOB_NAME,
                  RUN.TEMPLATE_NAME,
                  RUN.TEMPLATE_VERSION,
                  RUN.RETRY_OF)
              .from(RUN)
              .where(RUN.ID.eq(at))
              .fetchOne();
      if (run == null) {
        break;
      }
      names.add(run.value1());
      if (run.value2() != null) {
        for (String action : List.of("job.create", "job.update")) {
          tx.select(AUDIT_EVENT.ACTOR)
              .from(AUDIT_EVENT)
              .where(AUDIT_EVENT.TARGET_KIND.eq("job"))
              .and(AUDIT_EVENT.TARGET.eq(run.value2()))
              .and(AUDIT_EVENT.ACTION.eq(action))
              .orderBy(AUDIT_EVENT.ID.desc())
              .limit(1)
              .fetchOptional(AUDIT_EVENT.ACTOR)
              .ifPresent(names::add);
        }
      }
      tx.select(TEMPLATE_VERSION.CREATED_BY)
          .from(TEMPLATE_VERSION)
          .join(TEMPLATE)
          .on(TEMPLATE.ID.eq(TEMPLATE_VERSION.TEMPLATE_ID))
          .where(TEMPLATE.NAME.eq(run.value3()))
          .and(TEMPLATE_VERSION.VERSION.eq(run.value4()))
          .fetchOptional(TEMPLATE_VERSION.CREATED_BY)
          .ifPresent(names::add);
      for (var change :
          tx.select(AUDIT_EVENT.ACTOR, AUDIT_EVENT.DETAIL)
              .from(AUDIT_EVENT)
              .where(AUDIT_EVENT.TARGET_KIND.eq("template"))
              .and(AUDIT_EVENT.TARGET.eq(run.value3()))
              .and(AUDIT_EVENT.ACTION.eq(TemplateRepository.WEAKENED))
              .orderBy(AUDIT_EVENT.ID.desc())
              .limit(20)
              .fetch()) {
        JsonObject detail = new JsonObject(change.value2());
        int version = detail.getInteger("version", 0);
        if (version <= run.value4()) {
          names.add(change.value1());
          String sentence =
              "template '"
                  + run.value3()
                  + "' version "
                  + version
                  + " by "
                  + change.value1()
                  + ": "
                  + String.join("; ", detail.getJsonArray("changes").getList());
          if (!weakened.contains(sentence)) {
            weakened.add(sentence);
          }
        }
      }
      at = run.value5();
    }
    names.removeAll(Requesters.NOT_PEOPLE);
    Set<String> people = new LinkedHashSet<>();
    Map<String, String> owners =
        tx.select(API_TOKEN.NAME, API_TOKEN.OWNER)
            .from(API_TOKEN)
            .where(API_TOKEN.NAME.in(names))
            .fetchMap(API_TOKEN.NAME, API_TOKEN.OWNER);
    for (String name : names) {
      String owner = owners.get(name);
      people.add(owner == null ? name : owner);
    }
    return new Requesters(new ArrayList<>(people));
  }
}
