package io.beamline.runners.microbatch;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.BeforeClass;
import org.junit.Test;

/** The dependency rules of {@code docs/architecture.md}, checked on the compiled classes. */
public class ArchitectureTest {
  private static JavaClasses classes;

  @BeforeClass
  public static void importClasses() {
    classes =
        new ClassFileImporter()
            .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
            .importPackages("io.beamline");
  }

  @Test
  public void sdkNeverImportsARunner() {
    noClasses()
        .that()
        .resideInAPackage("io.beamline.sdk..")
        .should()
        .dependOnClassesThat()
        .resideInAPackage("io.beamline.runners..")
        .check(classes);
  }

  @Test
  public void sdkPublicApiDoesNotExposeInternals() {
    noClasses()
        .that()
        .resideInAPackage("io.beamline.sdk")
        .should()
        .dependOnClassesThat()
        .resideInAPackage("io.beamline.sdk.internal..")
        .check(classes);
  }

  @Test
  public void monitoringUsesOnlySdksPublicApiAndNoRunner() {
    noClasses()
        .that()
        .resideInAPackage("io.beamline.monitoring..")
        .should()
        .dependOnClassesThat()
        .resideInAnyPackage("io.beamline.sdk.internal..", "io.beamline.runners..")
        .check(classes);
  }

  @Test
  public void sdkNeverImportsMonitoring() {
    noClasses()
        .that()
        .resideInAPackage("io.beamline.sdk..")
        .should()
        .dependOnClassesThat()
        .resideInAPackage("io.beamline.monitoring..")
        .check(classes);
  }

  @Test
  public void microBatchRunnerDoesNotImportOtherRunners() {
    noClasses()
        .that()
        .resideInAPackage("io.beamline.runners.microbatch..")
        .should()
        .dependOnClassesThat()
        .resideInAPackage("io.beamline.runners.realtime..")
        .check(classes);
  }
}
