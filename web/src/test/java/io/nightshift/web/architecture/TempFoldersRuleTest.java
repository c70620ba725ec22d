package io.nightshift.web.architecture;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import io.nightshift.scheduler.TempFolders;
import java.nio.file.Files;
import java.nio.file.attribute.FileAttribute;
import org.junit.jupiter.api.Test;

/**
 * Nothing creates a folder or file straight in the temp dir but {@link TempFolders}, which deletes
 * what it made at the latest when the JVM exits: two suite runs once left ~350 MB in /tmp. Tests
 * use JUnit's {@code @TempDir} or {@link TempFolders}; the product names its folders itself.
 */
class TempFoldersRuleTest {
  static final JavaClasses CLASSES = new ClassFileImporter().importPackages("io.nightshift");

  @Test
  void only_temp_folders_creates_entries_in_the_temp_dir() {
    noClasses()
        .that()
        .doNotBelongToAnyOf(TempFolders.class)
        .should()
        .callMethod(Files.class, "createTempDirectory", String.class, FileAttribute[].class)
        .orShould()
        .callMethod(
            Files.class, "createTempFile", String.class, String.class, FileAttribute[].class)
        .because("a folder in the temp dir nobody deletes piles up run after run")
        .check(CLASSES);
  }

  @Test
  void the_rule_sees_the_test_classes_of_web_and_of_the_scheduler() {
    org.assertj.core.api.Assertions.assertThat(CLASSES.contain(TempFolders.class)).isTrue();
    org.assertj.core.api.Assertions.assertThat(CLASSES.contain(io.nightshift.web.TestServer.class))
        .isTrue();
  }
}
