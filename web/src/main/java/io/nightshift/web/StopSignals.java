package io.nightshift.web;

import java.util.concurrent.atomic.AtomicBoolean;
import sun.misc.Signal;

/**
 * SIGTERM and SIGINT stop the node on a thread of its own, then exit: the JVM's shutdown starts
 * only once the drain is over. Left to the JVM, a signal would run every shutdown hook at once, the
 * drain's beside Vert.x's own, which removes the files the console is served from: the console
 * would answer 500 for the whole drain (up to {@code shutdown.graceSeconds}). A second signal while
 * the node drains changes nothing (as a second SIGTERM to a JVM already shutting down). Where these
 * signals cannot be handled, the shutdown hook stops the node as before.
 */
final class StopSignals {
  private static final AtomicBoolean STOPPING = new AtomicBoolean();

  private StopSignals() {}

  static void handle(Runnable stop) {
    for (String name : new String[] {"TERM", "INT"}) {
      try {
        Signal.handle(
            new Signal(name),
            signal -> {
              if (STOPPING.compareAndSet(false, true)) {
                Thread thread =
                    new Thread(
                        () -> {
                          stop.run();
                          System.exit(0);
                        },
                        "nightshift-stop");
                thread.start();
              }
            });
      } catch (IllegalArgumentException unavailable) {
        // The JVM keeps this signal (e.g. -Xrs): its shutdown hook stops the node.
      }
    }
  }
}
