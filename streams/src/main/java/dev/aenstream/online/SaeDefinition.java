package dev.aenstream.online;

import dev.aenstream.sae.train.TrainConfig;

/** One SAE an online trainer trains: its id and its full training configuration. */
public record SaeDefinition(String saeId, TrainConfig config) {
    public SaeDefinition {
        if (saeId == null || !saeId.matches("[A-Za-z0-9._-]+")) {
            throw new IllegalArgumentException(
                    "SAE id must be letters, digits, '.', '_' or '-', got " + saeId);
        }
    }
}
