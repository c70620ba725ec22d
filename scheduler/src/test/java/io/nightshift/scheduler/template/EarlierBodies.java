package io.nightshift.scheduler.template;

import static io.nightshift.sql.Tables.TEMPLATE;
import static io.nightshift.sql.Tables.TEMPLATE_VERSION;

import org.jooq.DSLContext;

/**
 * Template bodies as an earlier Nightshift could have stored them, written straight to the table
 * (the API refuses them now): for tests of what a node does with a version it cannot read.
 */
public final class EarlierBodies {
  private EarlierBodies() {}

  /** Replaces the body of every stored version of template {@code name} with {@code body}. */
  public static void store(DSLContext dsl, String name, String body) {
    int changed =
        dsl.update(TEMPLATE_VERSION)
            .set(TEMPLATE_VERSION.BODY, body)
            .where(
                TEMPLATE_VERSION.TEMPLATE_ID.eq(
                    dsl.select(TEMPLATE.ID).from(TEMPLATE).where(TEMPLATE.NAME.eq(name))))
            .execute();
    if (changed == 0) {
      throw new IllegalStateException("no stored version of template '" + name + "'");
    }
  }

  /** {@code {"name": name, "steps": null}}: what versions before 2026-12-05 let through. */
  public static String nullSteps(String name) {
    return "{\"name\":\"" + name + "\",\"steps\":null}";
  }
}
