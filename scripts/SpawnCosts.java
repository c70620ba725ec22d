import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * What a step's process costs before it does anything: the machine's CPU (from /proc/stat, all
 * programs) per spawn of {@code sh -c 'echo hi'} from this JVM, alone and behind {@code setsid}
 * (as a step is started). Run by scripts/spawn-costs.sh, once per JDK launch mechanism.
 */
public class SpawnCosts {
  public static void main(String[] args) throws Exception {
    int n = args.length > 0 ? Integer.parseInt(args[0]) : 1500;
    String mechanism = System.getProperty("jdk.lang.Process.launchMechanism", "POSIX_SPAWN");
    for (List<String> command :
        List.of(
            List.of("/bin/sh", "-c", "echo hi"),
            List.of("/usr/bin/setsid", "/bin/sh", "-c", "echo hi"))) {
      spawn(command, 200);
      long cpu = busyTicks();
      long start = System.nanoTime();
      spawn(command, n);
      double ms = (busyTicks() - cpu) * 10.0 / n;
      double wall = (System.nanoTime() - start) / 1e6 / n;
      System.out.printf(
          "%-12s %-40s %5.2f ms of CPU per spawn, %5.2f ms wall (%d spawns)%n",
          mechanism, String.join(" ", command), ms, wall, n);
    }
  }

  private static void spawn(List<String> command, int times) throws Exception {
    for (int i = 0; i < times; i++) {
      new ProcessBuilder(command)
          .redirectOutput(ProcessBuilder.Redirect.DISCARD)
          .start()
          .waitFor();
    }
  }

  /** user + nice + system + irq + softirq + steal ticks of the whole machine (100 per second). */
  private static long busyTicks() throws Exception {
    String[] f = Files.readAllLines(Path.of("/proc/stat")).get(0).trim().split("\\s+");
    long busy = 0;
    for (int i = 1; i <= 8; i++) {
      if (i != 4 && i != 5) {
        busy += Long.parseLong(f[i]);
      }
    }
    return busy;
  }
}
