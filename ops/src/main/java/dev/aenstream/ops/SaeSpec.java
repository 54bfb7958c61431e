package dev.aenstream.ops;

import dev.aenstream.sae.Arch;
import dev.aenstream.train.SaeDefinition;
import dev.aenstream.train.TrainConfig;
import java.util.Locale;

/**
 * Parses {@code --sae ID[:ARCH][,key=value...]}: an SAE to train side by side with others, its
 * architecture (default: the id when it names one, else aen) and hyperparameters that differ from the
 * command's, e.g. {@code aen:aen,lambda1=0.004} or {@code base:l1,d_sae=2048}.
 */
final class SaeSpec {
    private SaeSpec() {}

    static SaeDefinition parse(String spec, TrainConfig base) {
        String[] parts = spec.split(",");
        String[] head = parts[0].split(":", 2);
        String id = head[0].trim();
        String archText = head.length > 1 ? head[1].trim() : id;
        Arch arch;
        try {
            arch = Arch.parse(archText);
        } catch (IllegalArgumentException e) {
            if (head.length > 1) throw e;
            arch = Arch.AEN;
        }
        TrainConfig c = base.with(arch);
        for (int i = 1; i < parts.length; i++) {
            String[] kv = parts[i].split("=", 2);
            if (kv.length != 2) throw new IllegalArgumentException("--sae " + spec + ": expected key=value, got '" + parts[i] + "'");
            c = set(c, kv[0].trim().toLowerCase(Locale.ROOT).replace('-', '_'), kv[1].trim(), spec);
        }
        return new SaeDefinition(id, c);
    }

    private static TrainConfig set(TrainConfig c, String key, String value, String spec) {
        double v;
        try {
            v = Double.parseDouble(value);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("--sae " + spec + ": " + key + " must be a number, got '" + value + "'");
        }
        return switch (key) {
            case "lambda1" -> c.withLambdas(v, c.lambda2());
            case "lambda2" -> c.withLambdas(c.lambda1(), v);
            case "warmup" -> c.withWarmup((long) v, c.tRamp());
            case "ramp" -> c.withWarmup(c.tWarm(), (long) v);
            case "topk", "k" -> c.withK((int) v);
            case "d_sae" -> new TrainConfig(c.arch(), c.n(), (int) v, c.batch(), c.lr(), c.lambda1(), c.lambda2(), c.gamma(), c.beta(),
                    c.p(), c.wMin(), c.wMax(), c.tWarm(), c.tRamp(), Math.min(c.k(), (int) v), c.maxGradNorm(), c.adamBeta1(),
                    c.adamBeta2(), c.adamEps(), c.seed(), c.deadWindowTokens());
            case "lr", "gamma", "beta", "p", "w_min", "w_max", "max_grad_norm", "dead_window", "seed" -> new TrainConfig(c.arch(), c.n(),
                    c.d(), c.batch(), key.equals("lr") ? v : c.lr(), c.lambda1(), c.lambda2(), key.equals("gamma") ? v : c.gamma(),
                    key.equals("beta") ? v : c.beta(), key.equals("p") ? v : c.p(), key.equals("w_min") ? v : c.wMin(),
                    key.equals("w_max") ? v : c.wMax(), c.tWarm(), c.tRamp(), c.k(), key.equals("max_grad_norm") ? v : c.maxGradNorm(),
                    c.adamBeta1(), c.adamBeta2(), c.adamEps(), key.equals("seed") ? (long) v : c.seed(),
                    key.equals("dead_window") ? (long) v : c.deadWindowTokens());
            default -> throw new IllegalArgumentException("--sae " + spec + ": unknown key '" + key + "' (lambda1, lambda2, gamma, beta, "
                    + "p, w_min, w_max, warmup, ramp, topk, lr, d_sae, max_grad_norm, dead_window, seed)");
        };
    }
}
