package dev.aenstream.sae.setting;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A value for each of a list of {@link Setting}s, every one checked against its rule: what a
 * configuration record holds. Immutable; {@link #with} returns a copy.
 */
public final class SettingValues {
    private final Map<Setting<?>, Object> values;

    private SettingValues(Map<Setting<?>, Object> values) {
        this.values = Collections.unmodifiableMap(values);
    }

    /** The defaults of {@code settings} in {@code profile} for rows of width {@code n}. */
    public static SettingValues defaults(List<Setting<?>> settings, Profile profile, int n) {
        Map<Setting<?>, Object> v = new LinkedHashMap<>();
        for (Setting<?> s : settings) v.put(s, s.check(s.defaults().at(profile, n)));
        return new SettingValues(v);
    }

    /**
     * The defaults of settings whose defaults do not depend on the profile or the row width (the
     * settings of the encoder, monitor and trainer process).
     */
    public static SettingValues defaults(List<Setting<?>> settings) {
        Map<Setting<?>, Object> v = new LinkedHashMap<>();
        for (Setting<?> s : settings) v.put(s, s.check(s.defaultValue()));
        return new SettingValues(v);
    }

    /** The value of {@code setting}. */
    public <T> T get(Setting<T> setting) {
        Object v = values.get(setting);
        if (v == null) throw new IllegalArgumentException("no setting " + setting.name() + " here");
        return setting.type().cast(v);
    }

    /** A copy with {@code setting} set to {@code value}, checked against its rule. */
    public SettingValues with(Setting<?> setting, Object value) {
        if (!values.containsKey(setting))
            throw new IllegalArgumentException("no setting " + setting.name() + " here");
        Map<Setting<?>, Object> v = new LinkedHashMap<>(values);
        v.put(setting, setting.check(value));
        return new SettingValues(v);
    }

    /** The settings, in their declared order, with their values. */
    public Map<Setting<?>, Object> asMap() {
        return values;
    }

    /** A copy with {@code key}'s setting (its name or flag) parsed from {@code text}. */
    public SettingValues with(String key, String text) {
        Setting<?> setting = find(key);
        return with(setting, setting.parse(text));
    }

    /** The setting called {@code key} (its name or flag), or an error that lists the keys. */
    public Setting<?> find(String key) {
        for (Setting<?> s : values.keySet()) if (s.answersTo(key)) return s;
        StringBuilder known = new StringBuilder();
        for (Setting<?> s : values.keySet()) {
            if (s.flag() == null) continue;
            if (known.length() > 0) known.append(", ");
            known.append(s.flag());
        }
        throw new IllegalArgumentException("unknown setting '" + key + "' (" + known + ")");
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof SettingValues other && values.equals(other.values);
    }

    @Override
    public int hashCode() {
        return values.hashCode();
    }

    @Override
    public String toString() {
        StringBuilder b = new StringBuilder("{");
        values.forEach(
                (s, v) ->
                        b.append(b.length() > 1 ? ", " : "")
                                .append(s.name())
                                .append('=')
                                .append(v));
        return b.append('}').toString();
    }
}
