package dev.aenstream.architecture;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.classes;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noMethods;
import static com.tngtech.archunit.library.Architectures.layeredArchitecture;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;
import static org.assertj.core.api.Assertions.assertThat;

import com.tngtech.archunit.base.DescribedPredicate;
import com.tngtech.archunit.core.domain.InstanceofCheck;
import com.tngtech.archunit.core.domain.JavaAccess;
import com.tngtech.archunit.core.domain.JavaClass;
import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.domain.JavaCodeUnit;
import com.tngtech.archunit.core.domain.JavaConstructorCall;
import com.tngtech.archunit.core.domain.JavaFieldAccess;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.lang.ArchCondition;
import com.tngtech.archunit.lang.ConditionEvents;
import com.tngtech.archunit.lang.SimpleConditionEvent;
import dev.aenstream.avro.Alert;
import dev.aenstream.avro.AlertType;
import dev.aenstream.avro.Dtype;
import dev.aenstream.avro.KafkaConnection;
import dev.aenstream.avro.Matrices;
import dev.aenstream.avro.RecordDecodingException;
import dev.aenstream.encode.ActivationCheck;
import dev.aenstream.encode.EncodeApp;
import dev.aenstream.encode.EncodeConfig;
import dev.aenstream.encode.SaeRegistry;
import dev.aenstream.models.ModelPublisher;
import dev.aenstream.monitor.AlertPublisher;
import dev.aenstream.monitor.AlertSink;
import dev.aenstream.monitor.MonitorConfig;
import dev.aenstream.node.TemporaryState;
import dev.aenstream.online.OnlineTrainerConfig;
import dev.aenstream.online.TrainingLoop;
import dev.aenstream.produce.synthetic.SpikedConfig;
import dev.aenstream.sae.onnx.Activation;
import dev.aenstream.sae.penalty.Penalty;
import dev.aenstream.sae.runtime.OrtSessions;
import dev.aenstream.sae.setting.Setting;
import dev.aenstream.sae.train.TrainConfig;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The dependency rules of the code base (docs/architecture.md), checked on the compiled main
 * classes of every module: a change that breaks one fails the build.
 */
class ArchitectureTest {
    private static JavaClasses classes;

    @BeforeAll
    static void importMainClasses() {
        classes =
                new ClassFileImporter()
                        .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
                        .withImportOption(location -> !location.contains("-tests.jar"))
                        .importPackages("dev.aenstream");
    }

    @Test
    void modulesDependOnlyDownTheDataFlow() {
        layeredArchitecture()
                .consideringOnlyDependenciesInLayers()
                .layer("avro")
                .definedBy("dev.aenstream.avro..")
                .layer("onnx-models")
                .definedBy("dev.aenstream.sae..")
                .layer("producers")
                .definedBy("dev.aenstream.produce..")
                .layer("streams")
                .definedBy(
                        "dev.aenstream.topics..",
                        "dev.aenstream.encode..",
                        "dev.aenstream.monitor..",
                        "dev.aenstream.models..",
                        "dev.aenstream.online..",
                        "dev.aenstream.node..")
                .layer("ops")
                .definedBy(
                        "dev.aenstream.cli..",
                        "dev.aenstream.experiment..",
                        "dev.aenstream.bench..",
                        "dev.aenstream.broker..",
                        "dev.aenstream.chaos..",
                        "dev.aenstream.dashboard..")
                .whereLayer("ops")
                .mayNotBeAccessedByAnyLayer()
                .whereLayer("streams")
                .mayOnlyBeAccessedByLayers("ops")
                .whereLayer("producers")
                .mayOnlyBeAccessedByLayers("streams", "ops")
                .whereLayer("onnx-models")
                .mayOnlyBeAccessedByLayers("producers", "streams", "ops")
                .check(classes);
    }

    @Test
    void noCyclesBetweenPackages() {
        slices().matching("dev.aenstream.(**)").should().beFreeOfCycles().check(classes);
    }

    @Test
    void theStreamProcessorsNeverUseTheTrainer() {
        noClasses()
                .that()
                .resideInAnyPackage(
                        "dev.aenstream.encode..",
                        "dev.aenstream.monitor..",
                        "dev.aenstream.models..")
                .should()
                .dependOnClassesThat()
                .resideInAPackage("dev.aenstream.online..")
                .check(classes);
    }

    @Test
    void onlyTheCommandsUseTheCommands() {
        noClasses()
                .that()
                .resideOutsideOfPackage("dev.aenstream.cli")
                .should()
                .dependOnClassesThat()
                .resideInAPackage("dev.aenstream.cli")
                .check(classes);
        noClasses()
                .that()
                .resideInAnyPackage(
                        "dev.aenstream.experiment..",
                        "dev.aenstream.bench..",
                        "dev.aenstream.broker..",
                        "dev.aenstream.chaos..",
                        "dev.aenstream.dashboard..")
                .should()
                .dependOnClassesThat()
                .resideInAPackage("dev.aenstream.cli..")
                .check(classes);
    }

    @Test
    void theLabAndTheDashboardAreSeparateRooms() {
        noClasses()
                .that()
                .resideInAnyPackage(
                        "dev.aenstream.bench..",
                        "dev.aenstream.experiment..",
                        "dev.aenstream.chaos..")
                .should()
                .dependOnClassesThat()
                .resideInAPackage("dev.aenstream.dashboard..")
                .because("the lab measures and the dashboard shows; neither needs the other")
                .check(classes);
        noClasses()
                .that()
                .resideInAPackage("dev.aenstream.dashboard..")
                .should()
                .dependOnClassesThat()
                .resideInAnyPackage(
                        "dev.aenstream.bench..",
                        "dev.aenstream.experiment..",
                        "dev.aenstream.chaos..",
                        "dev.aenstream.broker..")
                .because("the dashboard reads topics; it runs no benchmark, soak or broker")
                .check(classes);
    }

    @Test
    void theTrainingLoopKnowsNoKafka() {
        noClasses()
                .that()
                .resideInAPackage("dev.aenstream.online")
                .and()
                .haveSimpleNameNotStartingWith("Kafka")
                .should()
                .dependOnClassesThat()
                .resideInAnyPackage("org.apache.kafka..", "dev.aenstream.topics..")
                .orShould()
                .dependOnClassesThat(
                        JavaClass.Predicates.equivalentTo(ModelPublisher.class)
                                .or(JavaClass.Predicates.equivalentTo(AlertPublisher.class))
                                .or(JavaClass.Predicates.equivalentTo(KafkaConnection.class)))
                .because(
                        "the loop meets Kafka only through its ports (ActivationSource,"
                                + " VersionSink, TrainerOutputs), whose adapters are Kafka*; the"
                                + " node package wires them")
                .check(classes);
    }

    @Test
    void commandsAndBenchmarksRunEncodersAndTrainersAsNodes() {
        noClasses()
                .that()
                .resideInAnyPackage(
                        "dev.aenstream.cli..", "dev.aenstream.bench..", "dev.aenstream.chaos..")
                .should()
                .callConstructor(
                        EncodeApp.class,
                        KafkaConnection.class,
                        EncodeConfig.class,
                        SaeRegistry.class)
                .orShould()
                .callMethod(TrainingLoop.class, "run", java.util.function.BooleanSupplier.class)
                .because(
                        "an encoder is an EncoderNode and a trainer a TrainerNode wherever they"
                                + " run, so their wiring is written once (docs/architecture.md)")
                .check(classes);
    }

    @Test
    void foldersInTheSystemTempFolderAreRemovedByWhoeverMadeThem() {
        noClasses()
                .that()
                .doNotBelongToAnyOf(TemporaryState.class, OrtSessions.class)
                .should()
                .callMethod(
                        java.nio.file.Files.class,
                        "createTempDirectory",
                        String.class,
                        java.nio.file.attribute.FileAttribute[].class)
                .because(
                        "a run's throwaway state (a demo's or benchmark's Kafka Streams stores, an"
                            + " embedded broker's logs) is a TemporaryState, removed when the run"
                            + " ends or fails; left behind, every run added its stores to the"
                            + " system's temp folder")
                .check(classes);
    }

    @Test
    void onnxRuntimeIsHadThroughOrtSessions() {
        noClasses()
                .that()
                .doNotBelongToAnyOf(OrtSessions.class)
                .should()
                .callMethod(ai.onnxruntime.OrtEnvironment.class, "getEnvironment")
                .because(
                        "OrtSessions points ONNX Runtime at the one shared copy of its native"
                                + " libraries before they load; loaded another way, every process"
                                + " copies them into the temp folder and a killed one leaves 24 MB"
                                + " there")
                .check(classes);
    }

    @Test
    void topologiesRouteByNamedChildrenNotByType() {
        classes()
                .that()
                .haveSimpleNameEndingWith("Topology")
                .and()
                .resideInAnyPackage("dev.aenstream.encode", "dev.aenstream.monitor")
                .should(
                        new ArchCondition<JavaClass>("make no instanceof check") {
                            @Override
                            public void check(JavaClass c, ConditionEvents events) {
                                for (JavaCodeUnit unit : c.getCodeUnits())
                                    for (InstanceofCheck check : unit.getInstanceofChecks())
                                        events.add(
                                                SimpleConditionEvent.violated(
                                                        c,
                                                        unit.getFullName()
                                                                + " checks instanceof "
                                                                + check.getRawType().getName()));
                            }
                        })
                .because(
                        "each processor forwards each kind of output to the child named for it"
                                + " (docs/architecture.md)")
                .check(classes);
    }

    @Test
    void activationRecordsAreCheckedInOnePlace() {
        noClasses()
                .that()
                .resideInAnyPackage("dev.aenstream.encode", "dev.aenstream.online")
                .and()
                .doNotBelongToAnyOf(ActivationCheck.class)
                .should()
                .dependOnClassesThat()
                .belongToAnyOf(RecordDecodingException.class)
                .orShould()
                .callMethod(Matrices.class, "bytesPerElement", Dtype.class)
                .because("encoders and trainer share one check of a record's bytes and shape")
                .check(classes);
    }

    @Test
    void theMonitorIsTheOneWriterOfAlerts() {
        noClasses()
                .that()
                .resideOutsideOfPackage("dev.aenstream.monitor")
                .should()
                .callMethodWhere(
                        DescribedPredicate.describe(
                                "a method that makes or sends an alert",
                                call ->
                                        (call.getTargetOwner().isAssignableTo(AlertSink.class)
                                                        && Set.of("send", "alert", "into")
                                                                .contains(call.getName()))
                                                || (call.getTargetOwner()
                                                                .isEquivalentTo(Alert.class)
                                                        && call.getName().equals("newBuilder"))))
                .because(
                        "trainer and encoders publish facts; the monitor decides what is an alert"
                                + " (docs/architecture.md)")
                .check(classes);
    }

    @Test
    void onlyThePenaltiesKnowWhichPenaltyTheyAre() {
        classes()
                .that()
                .resideOutsideOfPackage("dev.aenstream.sae.penalty")
                .should(
                        new ArchCondition<JavaClass>(
                                "use a concrete penalty only for the settings it declares") {
                            @Override
                            public void check(JavaClass c, ConditionEvents events) {
                                for (JavaAccess<?> access : c.getAccessesFromSelf()) {
                                    JavaClass owner = access.getTargetOwner();
                                    if (!concretePenalty(owner)) continue;
                                    boolean settingDeclaration =
                                            access instanceof JavaFieldAccess field
                                                    && field.getTarget()
                                                            .resolveMember()
                                                            .map(
                                                                    f ->
                                                                            f.getRawType()
                                                                                    .isAssignableTo(
                                                                                            Setting
                                                                                                    .class))
                                                            .orElse(false);
                                    if (!settingDeclaration)
                                        events.add(
                                                SimpleConditionEvent.violated(
                                                        c, access.getDescription()));
                                }
                                reportInstanceofChecks(
                                        c, ArchitectureTest::concretePenalty, events);
                            }
                        })
                .because(
                        "what differs between architectures lives in their penalty classes; others"
                                + " ask a Penalty, and read a concrete one only for the settings it"
                                + " declares (docs/architecture.md)")
                .check(classes);
    }

    @Test
    void aPenaltyAnswersWithBehaviourNotFlags() {
        noMethods()
                .that()
                .areDeclaredInClassesThat()
                .areAssignableTo(Penalty.class)
                .and()
                .arePublic()
                .should()
                .haveRawReturnType(boolean.class)
                .because("a flag on the kind brings back the branches the penalty classes replace")
                .check(classes);
    }

    @Test
    void onlyAnActivationKnowsWhichActivationItIs() {
        classes()
                .that()
                .areNotAssignableTo(Activation.class)
                .should(
                        new ArchCondition<JavaClass>("not name a concrete activation") {
                            @Override
                            public void check(JavaClass c, ConditionEvents events) {
                                for (JavaAccess<?> access : c.getAccessesFromSelf())
                                    if (concreteActivation(access.getTargetOwner()))
                                        events.add(
                                                SimpleConditionEvent.violated(
                                                        c, access.getDescription()));
                                reportInstanceofChecks(
                                        c, ArchitectureTest::concreteActivation, events);
                            }
                        })
                .because(
                        "what differs between ReLU, TopK and JumpReLU encoders lives in their"
                                + " Activation classes; others ask an Activation"
                                + " (docs/architecture.md)")
                .check(classes);
    }

    /**
     * Reports every {@code instanceof} check in {@code c} against a class {@code concrete} takes.
     */
    private static void reportInstanceofChecks(
            JavaClass c, java.util.function.Predicate<JavaClass> concrete, ConditionEvents events) {
        for (JavaCodeUnit unit : c.getCodeUnits())
            for (InstanceofCheck check : unit.getInstanceofChecks())
                if (concrete.test(check.getRawType()))
                    events.add(
                            SimpleConditionEvent.violated(
                                    c,
                                    unit.getFullName()
                                            + " checks instanceof "
                                            + check.getRawType().getName()));
    }

    private static boolean concreteActivation(JavaClass c) {
        return c.isAssignableTo(Activation.class) && !c.isEquivalentTo(Activation.class);
    }

    private static boolean concretePenalty(JavaClass c) {
        return c.isAssignableTo(Penalty.class) && !c.isEquivalentTo(Penalty.class);
    }

    @Test
    void eachAlertTypeIsRaisedByOneClass() {
        JavaClasses monitor =
                new ClassFileImporter()
                        .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
                        .withImportOption(location -> !location.contains("-tests.jar"))
                        .importPackages("dev.aenstream.monitor");
        Map<String, Set<String>> raisers = new TreeMap<>();
        for (JavaClass c : monitor) {
            c.getFieldAccessesFromSelf().stream()
                    .filter(f -> f.getTargetOwner().isEquivalentTo(AlertType.class))
                    .filter(f -> !f.getName().equals("UNKNOWN") && !f.getName().startsWith("$"))
                    .forEach(
                            f ->
                                    raisers.computeIfAbsent(f.getName(), k -> new TreeSet<>())
                                            .add(topLevel(c).getName()));
        }
        assertThat(raisers.keySet())
                .as("every alert type but UNKNOWN is raised somewhere in the monitor")
                .containsExactlyInAnyOrderElementsOf(
                        java.util.Arrays.stream(AlertType.values())
                                .map(Enum::name)
                                .filter(n -> !n.equals("UNKNOWN"))
                                .toList());
        assertThat(raisers).allSatisfy((type, by) -> assertThat(by).as(type).hasSize(1));
    }

    private static JavaClass topLevel(JavaClass c) {
        JavaClass top = c;
        while (top.getEnclosingClass().isPresent()) top = top.getEnclosingClass().get();
        return top;
    }

    @Test
    void configurationsAreBuiltByName() {
        for (Class<?> config :
                new Class<?>[] {
                    TrainConfig.class,
                    OnlineTrainerConfig.class,
                    MonitorConfig.class,
                    EncodeConfig.class,
                    SpikedConfig.class
                }) {
            noClasses()
                    .should()
                    .callConstructorWhere(positionalOutsideOf(config))
                    .because(config.getSimpleName() + " is set field by field through its builder")
                    .check(classes);
        }
    }

    @Test
    void everyPackageLivesInOneModule() {
        Map<String, Set<String>> modulesByPackage = new TreeMap<>();
        for (JavaClass c : classes) {
            String location = c.getSource().orElseThrow().getUri().toString();
            modulesByPackage
                    .computeIfAbsent(c.getPackageName(), p -> new TreeSet<>())
                    .add(module(location));
        }
        assertThat(modulesByPackage)
                .as("packages and the modules that hold them")
                .isNotEmpty()
                .allSatisfy((pkg, modules) -> assertThat(modules).as(pkg).hasSize(1));
    }

    /**
     * A call of {@code config}'s constructor from anywhere but the type itself and the types nested
     * in it (its builder).
     */
    private static DescribedPredicate<JavaConstructorCall> positionalOutsideOf(Class<?> config) {
        return DescribedPredicate.describe(
                "the constructor of " + config.getSimpleName() + " outside it and its builder",
                call ->
                        call.getTargetOwner().isEquivalentTo(config)
                                && !within(call.getOriginOwner(), config));
    }

    private static boolean within(JavaClass origin, Class<?> config) {
        for (JavaClass c = origin; c != null; c = c.getEnclosingClass().orElse(null)) {
            if (c.isEquivalentTo(config)) return true;
        }
        return false;
    }

    /**
     * The Maven module a class file comes from: the folder above its {@code target}, or its jar's
     * name.
     */
    private static String module(String location) {
        int target = location.indexOf("/target/");
        if (target >= 0)
            return location.substring(location.lastIndexOf('/', target - 1) + 1, target);
        int jar = location.indexOf(".jar");
        return jar >= 0 ? location.substring(location.lastIndexOf('/', jar) + 1, jar) : location;
    }
}
