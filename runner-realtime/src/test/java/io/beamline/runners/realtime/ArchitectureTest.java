package io.beamline.runners.realtime;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.BeforeClass;
import org.junit.Test;

/** The dependency rules of {@code docs/architecture.md} for this module, on the compiled classes. */
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
  public void realtimeRunnerDoesNotImportOtherRunners() {
    noClasses()
        .that()
        .resideInAPackage("io.beamline.runners.realtime..")
        .should()
        .dependOnClassesThat()
        .resideInAPackage("io.beamline.runners.microbatch..")
        .check(classes);
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
}
