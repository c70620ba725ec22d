package io.nightshift.executor;

import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicLong;

/** Named daemon threads, so a stuck step never keeps the JVM from exiting. */
public final class DaemonThreads implements ThreadFactory {
  private final String prefix;
  private final AtomicLong count = new AtomicLong();

  public DaemonThreads(String prefix) {
    this.prefix = prefix;
  }

  @Override
  public Thread newThread(Runnable task) {
    Thread thread = new Thread(task, prefix + count.incrementAndGet());
    thread.setDaemon(true);
    return thread;
  }
}
