package dev.aenstream.encode;

import dev.aenstream.avro.SourceBinding;
import dev.aenstream.sae.DictionaryShard;
import dev.aenstream.sae.SaeDecoder;
import dev.aenstream.sae.SparseCodes;
import dev.aenstream.sae.runtime.SaeEncoder;

/**
 * One SAE version the encoders serve; {@code origin} tells a person where its weights came from.
 * The decoder, when known (else null), lets the statistics report the fve of the reconstruction;
 * {@code normalised} says the graph rescales rows to norm sqrt(n) first. The encoder computes
 * {@code shard}'s slice of a dictionary of {@code d} features (the whole one, unless sharded); it
 * takes the activation records of {@code source} only.
 */
public record ServingSae(
        String saeId,
        long version,
        SaeEncoder encoder,
        String origin,
        SaeDecoder decoder,
        boolean normalised,
        DictionaryShard shard,
        int d,
        SourceBinding source) {
    public ServingSae {
        if (source == null) source = SourceBinding.ANY;
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

    /** A shard, or the whole dictionary, that takes records of any source. */
    public ServingSae(
            String saeId,
            long version,
            SaeEncoder encoder,
            String origin,
            SaeDecoder decoder,
            boolean normalised,
            DictionaryShard shard,
            int d) {
        this(saeId, version, encoder, origin, decoder, normalised, shard, d, SourceBinding.ANY);
    }

    /** This SAE, taking only the records of {@code source}. */
    public ServingSae withSource(SourceBinding source) {
        return new ServingSae(
                saeId, version, encoder, origin, decoder, normalised, shard, d, source);
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
