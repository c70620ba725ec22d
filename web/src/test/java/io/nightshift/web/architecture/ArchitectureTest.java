package io.nightshift.web.architecture;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.Test;

/** Dependencies point inward: web -> scheduler -> executor; jOOQ tables stay in repositories. */
class ArchitectureTest {
  static final JavaClasses CLASSES =
      new ClassFileImporter()
          .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
          .withImportOption(location -> !location.contains("-tests.jar"))
          .importPackages("io.nightshift");

  @Test
  void only_web_uses_vertx_web() {
    noClasses()
        .that()
        .resideOutsideOfPackage("io.nightshift.web..")
        .should()
        .dependOnClassesThat()
        .resideInAPackage("io.vertx.ext.web..")
        .check(CLASSES);
  }

  @Test
  void the_scheduler_and_executor_do_not_know_the_web_layer() {
    noClasses()
        .that()
        .resideInAnyPackage("io.nightshift.scheduler..", "io.nightshift.executor..")
        .should()
        .dependOnClassesThat()
        .resideInAPackage("io.nightshift.web..")
        .check(CLASSES);
  }

  @Test
  void the_command_line_client_imports_no_server_code() {
    noClasses()
        .that()
        .resideInAPackage("io.nightshift.web.cli..")
        .should()
        .dependOnClassesThat()
        .resideInAnyPackage(
            "io.nightshift.scheduler..",
            "io.nightshift.executor..",
            "io.nightshift.sql..",
            "io.nightshift.web",
            "io.nightshift.web.http..",
            "io.nightshift.web.config..",
            "io.vertx.ext..",
            "org.jooq..")
        .check(CLASSES);
  }

  @Test
  void the_executor_does_not_know_the_scheduler() {
    noClasses()
        .that()
        .resideInAPackage("io.nightshift.executor..")
        .should()
        .dependOnClassesThat()
        .resideInAPackage("io.nightshift.scheduler..")
        .check(CLASSES);
  }

  @Test
  void generated_tables_are_used_only_by_repositories() {
    noClasses()
        .that()
        .resideOutsideOfPackage("io.nightshift.sql..")
        .and()
        .haveSimpleNameNotEndingWith("Repository")
        .and()
        .haveSimpleNameNotEndingWith("Store")
        .and()
        .doNotHaveSimpleName("AuditLog")
        .should()
        .dependOnClassesThat()
        .resideInAPackage("io.nightshift.sql..")
        .check(CLASSES);
  }
}
