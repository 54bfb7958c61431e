package dev.aenstream.sae.penalty;

import dev.aenstream.sae.setting.Setting;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;

/** The registry of penalties: adding one is its class, its line in {@code permits} and here. */
public final class Penalties {
    /** The architecture runs train unless told otherwise. */
    public static final Penalty AEN = new Aen();

    /** Every penalty, in the order help texts and experiments list them. */
    public static final List<Penalty> ALL =
            List.of(
                    AEN,
                    new L1(),
                    new ElasticNet(),
                    new AdaptiveLasso(),
                    new TopK(),
                    new Ghost(),
                    new AuxK());

    private Penalties() {}

    /** The penalty labelled {@code label} exactly, if any (labels on the models topic). */
    public static Optional<Penalty> find(String label) {
        return ALL.stream().filter(p -> p.label().equals(label)).findFirst();
    }

    /** The penalty labelled {@code text} (any case), or an error that lists them. */
    public static Penalty parse(String text) {
        String label = text.trim().toLowerCase(Locale.ROOT);
        for (Penalty p : ALL) if (p.label().equals(label)) return p;
        throw new IllegalArgumentException(
                "architecture must be " + labels() + ", got '" + text + "'");
    }

    /** "aen, l1, ... or ghost". */
    public static String labels() {
        List<String> labels = ALL.stream().map(Penalty::label).toList();
        return String.join(", ", labels.subList(0, labels.size() - 1))
                + " or "
                + labels.get(labels.size() - 1);
    }

    /** "aen (adaptive elastic net), l1 (vanilla L1), ...", for {@code --help}. */
    public static String described() {
        List<String> parts =
                ALL.stream().map(p -> p.label() + " (" + p.description() + ")").toList();
        return String.join(", ", parts.subList(0, parts.size() - 1))
                + " or "
                + parts.get(parts.size() - 1);
    }

    /** Every penalty's settings, each once, in the order the penalties list them. */
    public static List<Setting<?>> settings() {
        Set<Setting<?>> all = new LinkedHashSet<>();
        for (Penalty p : ALL) all.addAll(p.settings());
        return new ArrayList<>(all);
    }
}
