package io.nightshift.scheduler.template;

import java.time.Instant;

/**
 * A template version as stored: the definition plus its version number and times. A version this
 * node cannot read (see {@link TemplateRepository#list}) has no definition but a {@code problem}
 * saying why.
 */
public record StoredTemplate(
    String name,
    Template template,
    int version,
    Instant createdAt,
    Instant updatedAt,
    String updatedBy,
    String problem) {
  public StoredTemplate(
      Template template, int version, Instant createdAt, Instant updatedAt, String updatedBy) {
    this(template.name(), template, version, createdAt, updatedAt, updatedBy, null);
  }

  /** True when the stored body could be read; otherwise {@link #problem} says why not. */
  public boolean readable() {
    return template != null;
  }
}
