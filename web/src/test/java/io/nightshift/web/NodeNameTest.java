package io.nightshift.web;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class NodeNameTest {
  @TempDir Path dir;

  @Test
  void a_second_node_on_the_same_host_and_data_dir_gets_its_own_name_and_a_restart_keeps_it()
      throws Exception {
    String first;
    String second;
    try (NodeName a = NodeName.claim(dir, "host1");
        NodeName b = NodeName.claim(dir, "host1")) {
      first = a.name();
      second = b.name();
      assertThat(first).matches("host1-[0-9a-f]{8}");
      assertThat(second).matches("host1-[0-9a-f]{8}").isNotEqualTo(first);
    }
    try (NodeName again = NodeName.claim(dir, "host1")) {
      assertThat(again.name()).as("a restarted node keeps its name").isEqualTo(first);
    }
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(dir.resolve("node.id"))))
        .isEqualTo("rw-------");
  }

  @Test
  void nodes_on_different_data_dirs_of_one_host_get_different_names(@TempDir Path other) {
    try (NodeName a = NodeName.claim(dir, "h");
        NodeName b = NodeName.claim(other, "h")) {
      assertThat(a.name()).isNotEqualTo(b.name());
    }
  }
}
