package dev.aenstream.encode;

import dev.aenstream.sae.SaeDecoder;
import dev.aenstream.sae.runtime.SaeEncoder;

/**
 * One SAE version the encoders serve; {@code origin} tells a person where its weights came from.
 * The decoder, when known (else null), lets the statistics report the fve of the reconstruction;
 * {@code normalised} says the graph rescales rows to norm sqrt(n) first.
 */
public record ServingSae(
        String saeId,
        long version,
        SaeEncoder encoder,
        String origin,
        SaeDecoder decoder,
        boolean normalised) {
    public ServingSae {
        if (saeId == null || saeId.isBlank())
            throw new IllegalArgumentException("saeId is required");
        if (version <= 0)
            throw new IllegalArgumentException("version must be positive, got " + version);
    }

    /** An SAE served without its decoder. */
    public ServingSae(String saeId, long version, SaeEncoder encoder, String origin) {
        this(saeId, version, encoder, origin, null, false);
    }
}
