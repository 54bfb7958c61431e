package dev.aenstream.encode;

import dev.aenstream.sae.DictionaryShard;
import dev.aenstream.sae.SaeDecoder;
import dev.aenstream.sae.SparseCodes;
import dev.aenstream.sae.runtime.SaeEncoder;

/**
 * One SAE version the encoders serve; {@code origin} tells a person where its weights came from.
 * The decoder, when known (else null), lets the statistics report the fve of the reconstruction;
 * {@code normalised} says the graph rescales rows to norm sqrt(n) first. The encoder computes
 * {@code shard}'s slice of a dictionary of {@code d} features (the whole one, unless sharded).
 */
public record ServingSae(
        String saeId,
        long version,
        SaeEncoder encoder,
        String origin,
        SaeDecoder decoder,
        boolean normalised,
        DictionaryShard shard,
        int d) {
    public ServingSae {
        if (saeId == null || saeId.isBlank())
            throw new IllegalArgumentException("saeId is required");
        if (version <= 0)
            throw new IllegalArgumentException("version must be positive, got " + version);
        if (shard == null) throw new IllegalArgumentException("a shard is required");
        if (encoder != null && encoder.d() != shard.width(d))
            throw new IllegalArgumentException(
                    "shard "
                            + shard.label()
                            + " of D="
                            + d
                            + " has "
                            + shard.width(d)
                            + " features, but its encoder has "
                            + encoder.d());
    }

    /** The whole dictionary, with its decoder when known. */
    public ServingSae(
            String saeId,
            long version,
            SaeEncoder encoder,
            String origin,
            SaeDecoder decoder,
            boolean normalised) {
        this(
                saeId,
                version,
                encoder,
                origin,
                decoder,
                normalised,
                DictionaryShard.WHOLE,
                encoder == null ? 0 : encoder.d());
    }

    /** An SAE served without its decoder. */
    public ServingSae(String saeId, long version, SaeEncoder encoder, String origin) {
        this(saeId, version, encoder, origin, null, false);
    }

    /** The encoder's codes with global feature ids of the whole dictionary. */
    SparseCodes global(SparseCodes codes) {
        return shard.count() == 1 ? codes : codes.inDictionary(shard.first(d), d);
    }
}
