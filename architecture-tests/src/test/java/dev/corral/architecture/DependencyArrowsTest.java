package dev.corral.architecture;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.classes;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.Architectures.layeredArchitecture;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.tngtech.archunit.core.domain.JavaClass;
import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.library.dependencies.SliceAssignment;
import com.tngtech.archunit.library.dependencies.SliceIdentifier;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The dependency arrows of ARCHITECTURE.md, checked on the compiled main classes of every module:
 * {@code cli → api}, {@code node-agent → api, hypervisor-engine}, {@code control-plane → api}; nothing depends
 * on control-plane or node-agent; inside the engine, devices never touch KVM, the CPU does not know its user-mode
 * runner ({@code usermode} depends on {@code cpu}, not the other way round) and the CPU's rooms depend one way
 * (docs/0007, "Packages").
 */
class DependencyArrowsTest {

    private static final String API = "dev.corral.api..";
    private static final String CLI = "dev.corral.cli..";
    private static final String AGENT = "dev.corral.agent..";
    private static final String CONTROL_PLANE = "dev.corral.controlplane..";
    private static final String ENGINE = "dev.corral.engine..";
    private static final String EMBEDDED = "dev.corral.embedded..";

    private static JavaClasses corral;

    @BeforeAll
    static void importCorral() {
        corral = new ClassFileImporter()
                .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
                .importPackages("dev.corral");
    }

    @Test
    void everyModuleIsOnTheClasspathSoNoRulePassesVacuously() {
        for (String pkg : new String[] {"dev.corral.api", "dev.corral.cli", "dev.corral.agent",
                "dev.corral.controlplane", "dev.corral.engine", "dev.corral.embedded"}) {
            assertTrue(corral.stream().anyMatch(c -> c.getPackageName().startsWith(pkg)), "no classes found in " + pkg);
        }
    }

    @Test
    void apiIsPlainJavaAndJacksonAnnotations() {
        classes().that().resideInAPackage(API)
                // javax.net.ssl is the JDK's own TLS API (java.base): PemTrust, shared by the CLI, agent and control plane.
                .should().onlyDependOnClassesThat().resideInAnyPackage(API, "java..", "javax.net.ssl..", "com.fasterxml.jackson.annotation..")
                .check(corral);
    }

    @Test
    void cliDependsOnlyOnApi() {
        noClasses().that().resideInAPackage(CLI)
                .should().dependOnClassesThat().resideInAnyPackage(AGENT, CONTROL_PLANE, ENGINE, EMBEDDED)
                .check(corral);
    }

    @Test
    void engineIsALibraryThatKnowsNoServiceAndNoFramework() {
        noClasses().that().resideInAPackage(ENGINE)
                .should().dependOnClassesThat().resideInAnyPackage(API, CLI, AGENT, CONTROL_PLANE, EMBEDDED,
                        "io.quarkus..", "jakarta..", "org.jboss..")
                .check(corral);
    }

    @Test
    void nothingDependsOnControlPlane() {
        noClasses().that().resideOutsideOfPackage(CONTROL_PLANE)
                .should().dependOnClassesThat().resideInAPackage(CONTROL_PLANE)
                .check(corral);
    }

    @Test
    void nothingDependsOnNodeAgent() {
        noClasses().that().resideOutsideOfPackage(AGENT)
                .should().dependOnClassesThat().resideInAPackage(AGENT)
                .check(corral);
    }

    @Test
    void controlPlaneAndAgentDoNotKnowEachOther() {
        noClasses().that().resideInAPackage(AGENT)
                .should().dependOnClassesThat().resideInAPackage(CONTROL_PLANE)
                .check(corral);
        noClasses().that().resideInAPackage(CONTROL_PLANE)
                .should().dependOnClassesThat().resideInAnyPackage(AGENT, ENGINE)
                .check(corral);
    }

    @Test
    void devicesNeverTouchKvm() {
        noClasses().that().resideInAPackage("dev.corral.engine.devices..")
                .should().dependOnClassesThat().resideInAPackage("dev.corral.engine.kvm..")
                .allowEmptyShould(true)
                .check(corral);
    }

    @Test
    void theCpuKnowsNothingOfItsUserModeRunner() {
        noClasses().that().resideInAPackage("dev.corral.engine.cpu..")
                .should().dependOnClassesThat().resideInAPackage("dev.corral.engine.usermode..")
                .check(corral);
    }

    @Test
    void cpuRoomsHaveNoCycles() {
        slices().assignedFrom(packagesUnder("dev.corral.engine.cpu")).should().beFreeOfCycles().check(corral);
    }

    /** state <- sys <- decode <- interp <- translate <- cpu: each room uses only the rooms below it. */
    @Test
    void cpuRoomsDependDownOnly() {
        layeredArchitecture().consideringOnlyDependenciesInLayers()
                .layer("facade").definedBy("dev.corral.engine.cpu")
                .layer("translate").definedBy("dev.corral.engine.cpu.translate..")
                .layer("interp").definedBy("dev.corral.engine.cpu.interp..")
                .layer("decode").definedBy("dev.corral.engine.cpu.decode..")
                .layer("sys").definedBy("dev.corral.engine.cpu.sys..")
                .layer("state").definedBy("dev.corral.engine.cpu.state..")
                .whereLayer("facade").mayNotBeAccessedByAnyLayer()
                .whereLayer("translate").mayOnlyBeAccessedByLayers("facade")
                .whereLayer("interp").mayOnlyBeAccessedByLayers("facade", "translate")
                .whereLayer("decode").mayOnlyBeAccessedByLayers("facade", "translate", "interp")
                .whereLayer("sys").mayOnlyBeAccessedByLayers("facade", "translate", "interp", "decode")
                .check(corral);
    }

    @Test
    void nativeCallsStayInTheSysPackage() {
        noClasses().that().resideInAPackage(ENGINE).and().resideOutsideOfPackage("dev.corral.engine.sys..")
                .should().dependOnClassesThat().haveFullyQualifiedName("java.lang.foreign.Linker")
                .check(corral);
    }

    @Test
    void nothingCallsARestResource() {
        classes().that().resideInAPackage("..rest..")
                .should().onlyHaveDependentClassesThat().resideInAPackage("..rest..")
                .check(corral);
    }

    @Test
    void controlPlanePackagesHaveNoCycles() {
        slices().assignedFrom(packagesUnder("dev.corral.controlplane")).should().beFreeOfCycles().check(corral);
    }

    @Test
    void nodeAgentPackagesHaveNoCycles() {
        slices().assignedFrom(packagesUnder("dev.corral.agent")).should().beFreeOfCycles().check(corral);
    }

    @Test
    void cliPackagesHaveNoCycles() {
        slices().assignedFrom(packagesUnder("dev.corral.cli")).should().beFreeOfCycles().check(corral);
    }

    /**
     * One slice per direct subpackage of {@code root}, and one more for the classes in {@code root} itself:
     * {@code slices().matching("root.(*)..")} leaves the root's classes out of every slice, so a cycle between
     * the root and a subpackage would pass unseen.
     */
    private static SliceAssignment packagesUnder(String root) {
        return new SliceAssignment() {
            @Override
            public SliceIdentifier getIdentifierOf(JavaClass javaClass) {
                String pkg = javaClass.getPackageName();
                if (pkg.equals(root)) {
                    return SliceIdentifier.of("(root)");
                }
                if (!pkg.startsWith(root + ".")) {
                    return SliceIdentifier.ignore();
                }
                String rest = pkg.substring(root.length() + 1);
                int dot = rest.indexOf('.');
                return SliceIdentifier.of(dot < 0 ? rest : rest.substring(0, dot));
            }

            @Override
            public String getDescription() {
                return "packages under " + root + " (its own classes as one slice)";
            }
        };
    }
}
