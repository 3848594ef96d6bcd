package io.beamline.io.lakehouse;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.BeforeClass;
import org.junit.Test;

/**
 * An IO module builds on Beam and the sdk's public SPI only ({@code io.beamline.sdk}, {@code .io},
 * {@code .testing}): never on the sdk's internals or on a runner, so it works on every runner.
 */
public class ArchitectureTest {
  private static JavaClasses classes;

  @BeforeClass
  public static void importClasses() {
    classes =
        new ClassFileImporter()
            .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
            .importPackages("io.beamline.io.lakehouse");
  }

  @Test
  public void usesOnlyThePublicSpiOfTheSdk() {
    noClasses()
        .that()
        .resideInAPackage("io.beamline.io.lakehouse..")
        .should()
        .dependOnClassesThat()
        .resideInAnyPackage("io.beamline.sdk.internal..", "io.beamline.runners..")
        .check(classes);
  }
}
