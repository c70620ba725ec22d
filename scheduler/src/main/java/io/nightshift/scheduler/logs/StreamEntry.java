package io.nightshift.scheduler.logs;

import io.nightshift.executor.LogLine;
import java.util.List;

/**
 * One entry of the log stream: its id and the lines it carries (empty if deleted or unreadable).
 */
record StreamEntry(String id, List<LogLine> lines) {}
