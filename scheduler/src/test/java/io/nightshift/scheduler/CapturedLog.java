package io.nightshift.scheduler;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import java.util.List;
import org.slf4j.LoggerFactory;

/**
 * What a class logs at INFO and above while it is open (the tests' logback configuration passes
 * only WARN): its messages, formatted. Closing it puts the logger back as it was.
 */
public final class CapturedLog implements AutoCloseable {
  private final Logger logger;
  private final Level level;
  private final ListAppender<ILoggingEvent> events = new ListAppender<>();

  private CapturedLog(Class<?> of) {
    logger = (Logger) LoggerFactory.getLogger(of);
    level = logger.getLevel();
    events.start();
    logger.addAppender(events);
    logger.setLevel(Level.INFO);
  }

  public static CapturedLog of(Class<?> logging) {
    return new CapturedLog(logging);
  }

  /** The messages logged so far, formatted, in order. */
  public List<String> messages() {
    return List.copyOf(events.list).stream().map(ILoggingEvent::getFormattedMessage).toList();
  }

  @Override
  public void close() {
    logger.detachAppender(events);
    logger.setLevel(level);
  }
}
