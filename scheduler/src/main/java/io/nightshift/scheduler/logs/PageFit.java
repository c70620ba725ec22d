package io.nightshift.scheduler.logs;

import java.time.Instant;
import org.jooq.Condition;
import org.jooq.Record4;

/**
 * How many lines of a keys query (time, step run, seq, text length; in the order the page reads)
 * fit one page: at most {@code limit}, and at most {@link LogStore#PAGE_CHARS} chars of text, but
 * always at least one line. {@code last} is the key of the last line that fits (null: no line),
 * {@code more} says whether lines are left beyond it.
 */
record PageFit(int lines, Record4<Instant, Long, Long, Integer> last, boolean more) {

  static PageFit of(Iterable<Record4<Instant, Long, Long, Integer>> keys, int limit) {
    int fit = 0;
    long chars = 0;
    Record4<Instant, Long, Long, Integer> last = null;
    for (Record4<Instant, Long, Long, Integer> k : keys) {
      long length = k.value4() == null ? 0 : k.value4();
      if (fit == limit || (fit > 0 && chars + length > LogStore.PAGE_CHARS)) {
        return new PageFit(fit, last, true);
      }
      chars += length;
      fit++;
      last = k;
    }
    return new PageFit(fit, last, false);
  }

  /**
   * The lines from the first one read up to the last that fits, for a page read forward (later
   * lines) or backward ({@code backward}: earlier lines).
   */
  Condition bound(boolean backward) {
    return LogStore.beyond(last.value1(), last.value2(), last.value3(), backward, true);
  }
}
