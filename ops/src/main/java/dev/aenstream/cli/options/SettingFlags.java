package dev.aenstream.cli.options;

import dev.aenstream.sae.setting.Setting;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.IModelTransformer;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;

/**
 * Command-line options made from declared {@link Setting}s: one per setting with a flag, with its
 * type, doc and default, so that a setting is declared once for its record, the command line, the
 * properties file ({@code --config}, keyed by flag) and docs/. Every option class that declares
 * settings names this transformer; picocli keeps one transformer per command whatever its mixins
 * say, so it adds the options of every such mixin of the command, once.
 */
public final class SettingFlags implements IModelTransformer {
    /** Marks the options made here (as their description key, which no resource bundle reads). */
    private static final String TAG = "aen.setting.";

    /** An option class whose flags are made from declared settings. */
    interface Declared {
        /** The settings it offers as flags. */
        List<Setting<?>> declared();

        /** Changes to the command once its flags are in (descriptions made at run time). */
        default void adjust(CommandSpec spec) {}
    }

    @Override
    public CommandSpec transform(CommandSpec spec) {
        if (spec.userObject() instanceof Declared d) add(spec, d);
        for (CommandSpec mixin : spec.mixins().values())
            if (mixin.userObject() instanceof Declared d) add(spec, d);
        return spec;
    }

    private static void add(CommandSpec spec, Declared declared) {
        for (Setting<?> s : declared.declared()) {
            if (s.flag() == null) continue;
            String tag = TAG + s.name();
            OptionSpec existing = spec.findOption(s.flag());
            if (existing != null) {
                // Added already, through another path to the same mixin; any other option of that
                // name would read this setting's value for it.
                if (tag.equals(existing.descriptionKey())) continue;
                throw new IllegalStateException(
                        s.option() + " of setting " + s.name() + " clashes with another option");
            }
            OptionSpec.Builder option =
                    OptionSpec.builder(s.option())
                            .descriptionKey(tag)
                            .type(s.type())
                            .description(
                                    // picocli formats descriptions: a literal % is written %%.
                                    (s.doc() + " (default: " + s.defaults().describe() + ").")
                                            .replace("%", "%%"));
            if (s.type() == Boolean.class) option.arity("0");
            else option.paramLabel(s.paramLabel());
            spec.addOption(option.build());
        }
        declared.adjust(spec);
    }

    /** The value given for {@code setting} (checked), or its default. */
    static <T> T value(CommandSpec spec, Setting<T> setting) {
        Object given = given(spec, List.of(setting)).get(setting);
        return given == null ? setting.defaultValue() : setting.type().cast(given);
    }

    /**
     * The values given for {@code settings} on the command line or in the properties file, each
     * checked against its rule; an error names the flag and the value given.
     */
    static Map<Setting<?>, Object> given(CommandSpec spec, List<Setting<?>> settings) {
        Map<Setting<?>, Object> given = new LinkedHashMap<>();
        for (Setting<?> s : settings) {
            if (s.flag() == null) continue;
            Object value = spec.findOption(s.flag()).getValue();
            if (value == null) continue;
            try {
                given.put(s, s.check(value));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(
                        s.option() + " " + value + ": " + e.getMessage(), e);
            }
        }
        return given;
    }
}
