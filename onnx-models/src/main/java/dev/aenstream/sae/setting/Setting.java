package dev.aenstream.sae.setting;

import java.math.BigDecimal;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.function.Predicate;

/**
 * One setting, declared once (Kafka's {@code ConfigDef} is the model): the name it has in
 * docs/aen-sae.md and in checkpoints, the command line's flag (null: not on the command line), its
 * number type, its defaults, the rule every value keeps, and a one-line doc. Configuration records,
 * command-line options, the properties file and the reference table in docs/ all read these.
 *
 * @param name the key in checkpoints and {@code --sae} specs, e.g. {@code tWarm}
 * @param flag the long option without dashes, e.g. {@code warmup}; null for none
 * @param paramLabel what the option's value is called in {@code --help}
 * @param type Integer, Long, Double, String, Boolean or Path
 * @param defaults the default in each profile
 * @param rule what a value must be, as the error says it, e.g. "positive"
 * @param valid the test of {@code rule}
 * @param doc one line for {@code --help} and docs/
 */
public record Setting<T>(
        String name,
        String flag,
        String paramLabel,
        Class<T> type,
        Defaults<T> defaults,
        String rule,
        Predicate<T> valid,
        String doc) {

    /** The default of a setting in each profile; {@code n} is the width of an activation row. */
    public interface Defaults<T> {
        T at(Profile profile, int n);

        /** The defaults as {@code --help} and docs/ print them. */
        String describe();

        /** The same default in every profile. */
        static <T> Defaults<T> always(T value) {
            return new Defaults<>() {
                @Override
                public T at(Profile profile, int n) {
                    return value;
                }

                @Override
                public String describe() {
                    return Setting.format(value);
                }
            };
        }

        /** One default for synthetic data, another for language models. */
        static <T> Defaults<T> per(T synthetic, T languageModel) {
            return new Defaults<>() {
                @Override
                public T at(Profile profile, int n) {
                    return profile == Profile.SYNTHETIC ? synthetic : languageModel;
                }

                @Override
                public String describe() {
                    return format(synthetic)
                            + " synthetic, "
                            + format(languageModel)
                            + " language model";
                }
            };
        }
    }

    public Setting {
        if (name == null || type == null || defaults == null || valid == null || doc == null)
            throw new IllegalArgumentException(
                    "a setting needs a name, type, defaults, rule and doc");
    }

    /**
     * The default, for settings of the processes (encoder, monitor, trainer) whose default is the
     * same in every profile and for every row width.
     */
    public T defaultValue() {
        return defaults.at(Profile.LANGUAGE_MODEL, 0);
    }

    /** A real-valued setting. */
    public static Setting<Double> real(
            String name,
            String flag,
            String paramLabel,
            Defaults<Double> defaults,
            Rule<Double> rule,
            String doc) {
        return new Setting<>(
                name, flag, paramLabel, Double.class, defaults, rule.text(), rule.test(), doc);
    }

    /** An int setting. */
    public static Setting<Integer> integer(
            String name,
            String flag,
            String paramLabel,
            Defaults<Integer> defaults,
            Rule<Integer> rule,
            String doc) {
        return new Setting<>(
                name, flag, paramLabel, Integer.class, defaults, rule.text(), rule.test(), doc);
    }

    /** A long setting (steps, tokens, seeds). */
    public static Setting<Long> whole(
            String name,
            String flag,
            String paramLabel,
            Defaults<Long> defaults,
            Rule<Long> rule,
            String doc) {
        return new Setting<>(
                name, flag, paramLabel, Long.class, defaults, rule.text(), rule.test(), doc);
    }

    /** A text setting (ids, names). */
    public static Setting<String> text(
            String name,
            String flag,
            String paramLabel,
            String defaultValue,
            Rule<String> rule,
            String doc) {
        return new Setting<>(
                name,
                flag,
                paramLabel,
                String.class,
                Defaults.always(defaultValue),
                rule.text(),
                rule.test(),
                doc);
    }

    /** An on/off setting; on the command line a flag without a value. */
    public static Setting<Boolean> bool(
            String name, String flag, boolean defaultValue, String doc) {
        return new Setting<>(
                name,
                flag,
                null,
                Boolean.class,
                Defaults.always(defaultValue),
                "true or false",
                v -> true,
                doc);
    }

    /**
     * A setting that takes one constant of {@code type}; any case on the command line, and {@code
     * -} for {@code _} (skip-to-latest for SKIP_TO_LATEST).
     */
    public static <E extends Enum<E>> Setting<E> choice(
            String name,
            String flag,
            String paramLabel,
            Class<E> type,
            E defaultValue,
            String doc) {
        List<String> names = new ArrayList<>();
        for (E e : type.getEnumConstants()) names.add(e.name());
        return new Setting<>(
                name,
                flag,
                paramLabel,
                type,
                Defaults.always(defaultValue),
                "one of " + String.join(", ", names),
                v -> true,
                doc);
    }

    /** A path setting (directories, files). */
    public static Setting<Path> path(
            String name, String flag, String paramLabel, Path defaultValue, String doc) {
        return new Setting<>(
                name,
                flag,
                paramLabel,
                Path.class,
                Defaults.always(defaultValue),
                "a path",
                v -> true,
                doc);
    }

    /** A rule a value keeps, and the words an error says it with. */
    public record Rule<T>(String text, Predicate<T> test) {
        public static <T extends Number> Rule<T> positive() {
            return new Rule<>("positive", v -> v.doubleValue() > 0);
        }

        public static <T extends Number> Rule<T> nonNegative() {
            return new Rule<>(">= 0", v -> v.doubleValue() >= 0);
        }

        public static <T extends Number> Rule<T> any() {
            return new Rule<>("any", v -> !Double.isNaN(v.doubleValue()));
        }

        /** In [0, 1): an EMA's decay. */
        public static Rule<Double> decay() {
            return new Rule<>("in [0, 1)", v -> v >= 0 && v < 1);
        }

        /** In (0, 1]: a share. */
        public static Rule<Double> share() {
            return new Rule<>("in (0, 1]", v -> v > 0 && v <= 1);
        }

        /** In [from, to]. */
        public static <T extends Number> Rule<T> between(long from, long to) {
            return new Rule<>(
                    "in [" + from + ", " + to + "]",
                    v -> v.doubleValue() >= from && v.doubleValue() <= to);
        }

        /** Not blank. */
        public static Rule<String> present() {
            return new Rule<>("not blank", v -> !v.isBlank());
        }

        /** One of {@code values}. */
        public static Rule<String> oneOf(Set<String> values) {
            return new Rule<>("one of " + String.join(", ", values), values::contains);
        }
    }

    /**
     * A setting is its declaration: two declarations are two settings even when they read alike,
     * and a lookup by setting costs an identity hash, not a hash of every component.
     */
    @Override
    public boolean equals(Object o) {
        return this == o;
    }

    @Override
    public int hashCode() {
        return System.identityHashCode(this);
    }

    /** {@code value} checked against the rule and converted to this setting's type. */
    public T check(Object value) {
        if (value == null) throw new IllegalArgumentException(name + " needs a value");
        T v = convert(value);
        if (!valid.test(v))
            throw new IllegalArgumentException(name + " must be " + rule + ", got " + format(v));
        return v;
    }

    /** {@code text} parsed as this setting's type and checked. */
    public T parse(String text) {
        String t = text.trim();
        if (type == String.class) return check(t);
        if (type == Path.class) return check(Path.of(t));
        if (type.isEnum()) {
            for (T constant : type.getEnumConstants())
                if (((Enum<?>) constant).name().equalsIgnoreCase(t.replace('-', '_')))
                    return check(constant);
            throw new IllegalArgumentException(name + " must be " + rule + ", got '" + text + "'");
        }
        if (type == Boolean.class) {
            if (!t.equalsIgnoreCase("true") && !t.equalsIgnoreCase("false"))
                throw new IllegalArgumentException(
                        name + " must be true or false, got '" + text + "'");
            return check(Boolean.parseBoolean(t));
        }
        try {
            return check(
                    type == Double.class
                            ? Double.parseDouble(t)
                            : new BigDecimal(t).longValueExact());
        } catch (NumberFormatException | ArithmeticException e) {
            throw new IllegalArgumentException(
                    name + " must be a " + typeName() + ", got '" + text + "'");
        }
    }

    private T convert(Object given) {
        if (!numeric()) {
            if (given instanceof String text && !type.isInstance(given)) return parse(text);
            if (!type.isInstance(given))
                throw new IllegalArgumentException(
                        name + " must be a " + typeName() + ", got " + given);
            return type.cast(given);
        }
        if (!(given instanceof Number value))
            throw new IllegalArgumentException(
                    name + " must be a " + typeName() + ", got " + given);
        Object v;
        if (type == Double.class) v = value.doubleValue();
        else {
            double d = value.doubleValue();
            if (d != Math.rint(d) || Double.isInfinite(d))
                throw new IllegalArgumentException(
                        name + " must be a " + typeName() + ", got " + value);
            v =
                    type == Integer.class
                            ? (Object) Math.toIntExact(value.longValue())
                            : (Object) value.longValue();
        }
        return type.cast(v);
    }

    /** What a value is, for errors: "number", "whole number", "text", "path" or "true or false". */
    public String typeName() {
        if (type == Double.class) return "number";
        if (type == String.class) return "text";
        if (type == Path.class) return "path";
        if (type == Boolean.class) return "true or false";
        if (type.isEnum()) return rule;
        return "whole number";
    }

    private boolean numeric() {
        return Number.class.isAssignableFrom(type);
    }

    /** The command line's option, e.g. {@code --warmup}; null when there is none. */
    public String option() {
        return flag == null ? null : "--" + flag;
    }

    /** Whether {@code key} names this setting: its name or flag, any case, '_' for '-'. */
    public boolean answersTo(String key) {
        String k = key.trim().replace('_', '-').toLowerCase(Locale.ROOT);
        return k.equals(name.toLowerCase(Locale.ROOT)) || (flag != null && k.equals(flag));
    }

    static String format(Object value) {
        if (value instanceof Double d && Double.isInfinite(d)) return "none";
        return String.valueOf(value);
    }
}
