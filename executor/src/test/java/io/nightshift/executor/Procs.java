package io.nightshift.executor;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/** Test-side view of /proc, written apart from the production code it checks. */
final class Procs {
  private Procs() {}

  /** Pids of live (not zombie) processes in process group {@code pgid}. */
  static List<Long> inGroup(long pgid) {
    List<Long> pids = new ArrayList<>();
    try (Stream<Path> dirs = Files.list(Path.of("/proc"))) {
      for (Path dir : (Iterable<Path>) dirs::iterator) {
        String name = dir.getFileName().toString();
        if (!name.chars().allMatch(Character::isDigit)) {
          continue;
        }
        String stat;
        try {
          stat = Files.readString(dir.resolve("stat"));
        } catch (IOException e) {
          continue; // gone meanwhile
        }
        String[] after = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        boolean zombie = after[0].equals("Z") || after[0].equals("X");
        if (!zombie && Long.parseLong(after[2]) == pgid) {
          pids.add(Long.parseLong(name));
        }
      }
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
    return pids;
  }

  /** Whether a process exists and is not a zombie (a zombie waits for init to reap it). */
  static boolean running(long pid) {
    try {
      String state = statField(pid, 3);
      return !state.equals("Z") && !state.equals("X");
    } catch (IOException e) {
      return false;
    }
  }

  /** Field {@code n} (1-based, as in proc(5)) of /proc/pid/stat. */
  static String statField(long pid, int n) throws IOException {
    String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
    return stat.substring(stat.lastIndexOf(')') + 2).split(" ")[n - 3];
  }
}
