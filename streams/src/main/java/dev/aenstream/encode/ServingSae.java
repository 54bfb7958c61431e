package dev.aenstream.encode;

import dev.aenstream.sae.runtime.SaeEncoder;

/** One SAE version the encoders serve; {@code origin} tells a person where its weights came from. */
public record ServingSae(String saeId, long version, SaeEncoder encoder, String origin) {
    public ServingSae {
        if (saeId == null || saeId.isBlank()) throw new IllegalArgumentException("saeId is required");
        if (version <= 0) throw new IllegalArgumentException("version must be positive, got " + version);
    }
}
