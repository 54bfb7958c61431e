package dev.aenstream.cli.options;

import dev.aenstream.online.SaeDefinition;
import dev.aenstream.sae.penalty.Penalties;
import dev.aenstream.sae.penalty.Penalty;
import dev.aenstream.sae.train.TrainConfig;

/**
 * Parses {@code --sae ID[:ARCH][,key=value...]}: an SAE to train side by side with others, its
 * architecture (default: the id when it names one, else aen) and hyperparameters that differ from
 * the command's, e.g. {@code aen:aen,lambda1=0.004} or {@code base:l1,d_sae=2048}.
 */
public final class SaeSpec {
    private SaeSpec() {}

    public static SaeDefinition parse(String spec, TrainConfig base) {
        String[] parts = spec.split(",");
        String[] head = parts[0].split(":", 2);
        String id = head[0].trim();
        String archText = head.length > 1 ? head[1].trim() : id;
        Penalty arch;
        try {
            arch = Penalties.parse(archText);
        } catch (IllegalArgumentException e) {
            if (head.length > 1) throw e;
            arch = Penalties.AEN;
        }
        TrainConfig.Builder c = base.with(arch).toBuilder();
        for (int i = 1; i < parts.length; i++) {
            String[] kv = parts[i].split("=", 2);
            if (kv.length != 2)
                throw new IllegalArgumentException(
                        "--sae " + spec + ": expected key=value, got '" + parts[i] + "'");
            String key = kv[0].trim();
            try {
                if (key.equalsIgnoreCase("d_sae") || key.equalsIgnoreCase("d-sae"))
                    c.d(Integer.parseInt(kv[1].trim()));
                else c.set(key, kv[1]);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("--sae " + spec + ": " + e.getMessage(), e);
            }
        }
        try {
            return new SaeDefinition(id, c.build());
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("--sae " + spec + ": " + e.getMessage(), e);
        }
    }
}
