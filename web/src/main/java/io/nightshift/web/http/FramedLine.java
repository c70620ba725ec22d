package io.nightshift.web.http;

import io.nightshift.executor.LogLine;
import io.vertx.core.buffer.Buffer;

/** A log line with its encoded SSE frame, as streams hold and send it. */
record FramedLine(LogLine line, Buffer frame) {}
