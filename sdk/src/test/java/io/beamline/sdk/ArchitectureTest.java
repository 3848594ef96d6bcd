package io.beamline.sdk;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.Architectures.layeredArchitecture;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.BeforeClass;
import org.junit.Test;

/**
 * The dependency rules of the shared core ({@code sdk/README.md}, {@code docs/architecture.md}),
 * checked on the compiled classes: the core never depends on a runner or an IO module, the plan is
 * plain data, and each internal package uses only the packages below it.
 */
public class ArchitectureTest {
  private static JavaClasses classes;

  @BeforeClass
  public static void importClasses() {
    classes =
        new ClassFileImporter()
            .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
            .importPackages("io.beamline.sdk");
  }

  @Test
  public void sdkNeverImportsARunnerOrAnIoModule() {
    noClasses()
        .that()
        .resideInAPackage("io.beamline.sdk..")
        .should()
        .dependOnClassesThat()
        .resideInAnyPackage("io.beamline.runners..", "io.beamline.io..")
        .check(classes);
  }

  @Test
  public void publicApiDoesNotExposeInternals() {
    noClasses()
        .that()
        .resideInAnyPackage("io.beamline.sdk", "io.beamline.sdk.io", "io.beamline.sdk.testing")
        .should()
        .dependOnClassesThat()
        .resideInAPackage("io.beamline.sdk.internal..")
        .check(classes);
  }

  @Test
  public void internalPackagesAreLayered() {
    layeredArchitecture()
        .consideringOnlyDependenciesInAnyPackage("io.beamline.sdk.internal..")
        .layer("plan").definedBy("io.beamline.sdk.internal.plan..")
        .layer("exchange").definedBy("io.beamline.sdk.internal.exchange..")
        .layer("time").definedBy("io.beamline.sdk.internal.time..")
        .layer("sideinput").definedBy("io.beamline.sdk.internal.sideinput..")
        .layer("metrics").definedBy("io.beamline.sdk.internal.metrics..")
        .layer("lifecycle").definedBy("io.beamline.sdk.internal.lifecycle..")
        .layer("state").definedBy("io.beamline.sdk.internal.state..")
        .layer("operators").definedBy("io.beamline.sdk.internal.operators..")
        .layer("checkpoint").definedBy("io.beamline.sdk.internal.checkpoint..")
        .layer("translation").definedBy("io.beamline.sdk.internal.translation..")
        // the plan is plain data: nothing of execution reaches into it
        .whereLayer("plan").mayOnlyBeAccessedByLayers(
            "exchange", "state", "operators", "checkpoint", "translation")
        .whereLayer("exchange").mayOnlyBeAccessedByLayers("state", "operators")
        .whereLayer("state").mayOnlyBeAccessedByLayers("operators", "checkpoint")
        .whereLayer("time").mayOnlyBeAccessedByLayers("operators", "state")
        .whereLayer("sideinput").mayOnlyBeAccessedByLayers("state", "operators")
        .whereLayer("operators").mayNotBeAccessedByAnyLayer()
        .whereLayer("translation").mayNotBeAccessedByAnyLayer()
        .whereLayer("checkpoint").mayNotBeAccessedByAnyLayer()
        .whereLayer("metrics").mayNotBeAccessedByAnyLayer()
        .whereLayer("lifecycle").mayNotBeAccessedByAnyLayer()
        .check(classes);
  }

  @Test
  public void planImportsNothingOfExecution() {
    noClasses()
        .that()
        .resideInAPackage("io.beamline.sdk.internal.plan..")
        .should()
        .dependOnClassesThat()
        .resideInAnyPackage(
            "io.beamline.sdk.internal.exchange..",
            "io.beamline.sdk.internal.operators..",
            "io.beamline.sdk.internal.state..",
            "io.beamline.sdk.internal.time..",
            "io.beamline.sdk.internal.sideinput..",
            "io.beamline.sdk.internal.checkpoint..",
            "io.beamline.sdk.internal.metrics..")
        .check(classes);
  }
}
