package io.nightshift.executor;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class WorkDirsTest {
  @TempDir Path tmp;

  @Test
  void a_root_whose_runs_were_all_deleted_is_removed() throws Exception {
    WorkDirs dirs = new WorkDirs(tmp.resolve("nightshift-node-1234abcd"));
    dirs.create(7);
    dirs.delete(7);

    assertThat(dirs.deleteRootIfEmpty()).isTrue();
    assertThat(dirs.root()).doesNotExist();
    assertThat(tmp).exists();
  }

  @Test
  void a_root_never_created_counts_as_gone() throws Exception {
    WorkDirs dirs = new WorkDirs(tmp.resolve("never"));

    assertThat(dirs.deleteRootIfEmpty()).isTrue();
  }

  @Test
  void a_root_holding_a_run_directory_stays_with_everything_in_it() throws Exception {
    WorkDirs dirs = new WorkDirs(tmp.resolve("root"));
    Path run = dirs.create(7);
    Files.writeString(run.resolve("out.txt"), "kept");

    assertThat(dirs.deleteRootIfEmpty()).isFalse();
    assertThat(run.resolve("out.txt")).hasContent("kept");
  }

  @Test
  void a_root_holding_anything_besides_runs_stays() throws Exception {
    WorkDirs dirs = new WorkDirs(tmp.resolve("root"));
    dirs.create(7);
    dirs.delete(7);
    Files.writeString(dirs.root().resolve("operator-notes"), "mine");

    assertThat(dirs.deleteRootIfEmpty()).isFalse();
    assertThat(dirs.root().resolve("operator-notes")).hasContent("mine");
  }
}
