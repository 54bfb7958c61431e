package dev.aenstream.sae.setting;

import java.math.BigDecimal;
import java.util.Locale;
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
 * @param type Integer, Long or Double
 * @param defaults the default in each profile
 * @param rule what a value must be, as the error says it, e.g. "positive"
 * @param valid the test of {@code rule}
 * @param doc one line for {@code --help} and docs/
 */
public record Setting<T extends Number>(
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
    }

    /** {@code value} checked against the rule and converted to this setting's type. */
    public T check(Number value) {
        T v = convert(value);
        if (!valid.test(v))
            throw new IllegalArgumentException(name + " must be " + rule + ", got " + format(v));
        return v;
    }

    /** {@code text} parsed as this setting's type and checked. */
    public T parse(String text) {
        String t = text.trim();
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

    private T convert(Number value) {
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

    /** "number" or "whole number", for errors. */
    public String typeName() {
        return type == Double.class ? "number" : "whole number";
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
