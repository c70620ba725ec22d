package io.nightshift.scheduler.template;

import java.time.Instant;

/** A template version as stored: the definition plus its version number and times. */
public record StoredTemplate(
    Template template, int version, Instant createdAt, Instant updatedAt, String updatedBy) {
  public String name() {
    return template.name();
  }
}
