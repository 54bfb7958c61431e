package dev.aenstream.sae;

/**
 * Shard {@code index} of {@code count} of a dictionary: features [index·D/count,
 * (index+1)·D/count), so that {@code count} encoders (machines, or GPUs) each hold and compute a
 * slice of one SAE, and the global top-k of a row is the top-k of their merged codes ({@link
 * SparseCodes#merge}).
 */
public record DictionaryShard(int index, int count) {
    /** The whole dictionary. */
    public static final DictionaryShard WHOLE = new DictionaryShard(0, 1);

    public DictionaryShard {
        if (count < 1 || index < 0 || index >= count)
            throw new IllegalArgumentException(
                    "a shard is i/S with 0 <= i < S, got " + index + "/" + count);
    }

    /** Parses {@code i/S}. */
    public static DictionaryShard parse(String text) {
        String[] parts = text.split("/");
        try {
            if (parts.length == 2)
                return new DictionaryShard(
                        Integer.parseInt(parts[0].trim()), Integer.parseInt(parts[1].trim()));
        } catch (NumberFormatException e) {
            // The message below says what is expected.
        }
        throw new IllegalArgumentException("a shard is i/S, e.g. 0/4, not '" + text + "'");
    }

    /** The first feature of this shard in a dictionary of {@code d}. */
    public int first(int d) {
        return (int) ((long) index * d / count);
    }

    /** One past the last feature of this shard in a dictionary of {@code d}. */
    public int end(int d) {
        return (int) ((long) (index + 1) * d / count);
    }

    /** {@code i/S}, as {@link #parse} reads it. */
    public String label() {
        return index + "/" + count;
    }

    /** How a person reads which features of {@code d} it serves; empty for the whole. */
    public String describe(int d) {
        if (count == 1) return "";
        return " shard " + label() + " (features " + first(d) + " to " + (end(d) - 1) + ")";
    }

    public int width(int d) {
        return end(d) - first(d);
    }
}
