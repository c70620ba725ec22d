package io.nightshift.executor;

import java.time.Instant;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/** Keeps every line it is given, for assertions; safe to read while a step runs. */
final class CollectingSink implements LineSink {
  record Line(long seq, Instant ts, String stream, String text) {}

  final List<Line> lines = new CopyOnWriteArrayList<>();

  @Override
  public void line(long seq, Instant ts, String stream, String text) {
    lines.add(new Line(seq, ts, stream, text));
  }

  List<String> texts(String stream) {
    return lines.stream().filter(l -> l.stream().equals(stream)).map(Line::text).toList();
  }

  List<String> stdout() {
    return texts(LogLine.STDOUT);
  }

  List<String> stderr() {
    return texts(LogLine.STDERR);
  }

  List<String> system() {
    return texts(LogLine.SYSTEM);
  }

  List<Long> seqs() {
    return lines.stream().map(Line::seq).toList();
  }
}
