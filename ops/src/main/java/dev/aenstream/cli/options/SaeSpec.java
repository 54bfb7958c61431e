package dev.aenstream.cli.options;

import dev.aenstream.online.SaeDefinition;
import dev.aenstream.sae.Arch;
import dev.aenstream.sae.train.TrainConfig;
import java.util.Locale;

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
            if (kv.length != 2)
                throw new IllegalArgumentException(
                        "--sae " + spec + ": expected key=value, got '" + parts[i] + "'");
            c = set(c, kv[0].trim().toLowerCase(Locale.ROOT).replace('-', '_'), kv[1].trim(), spec);
        }
        return new SaeDefinition(id, c);
    }

    private static TrainConfig set(TrainConfig c, String key, String value, String spec) {
        double v;
        try {
            v = Double.parseDouble(value);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(
                    "--sae " + spec + ": " + key + " must be a number, got '" + value + "'");
        }
        return switch (key) {
            case "lambda1" -> c.withLambdas(v, c.lambda2());
            case "lambda2" -> c.withLambdas(c.lambda1(), v);
            case "warmup" -> c.withWarmup((long) v, c.tRamp());
            case "ramp" -> c.withWarmup(c.tWarm(), (long) v);
            case "topk", "k" -> c.withK((int) v);
            case "d_sae" -> c.toBuilder().d((int) v).build();
            case "lr" -> c.toBuilder().lr(v).build();
            case "gamma" -> c.toBuilder().gamma(v).build();
            case "beta" -> c.toBuilder().beta(v).build();
            case "p" -> c.toBuilder().p(v).build();
            case "w_min" -> c.toBuilder().wMin(v).build();
            case "w_max" -> c.toBuilder().wMax(v).build();
            case "max_grad_norm" -> c.toBuilder().maxGradNorm(v).build();
            case "dead_window" -> c.toBuilder().deadWindowTokens((long) v).build();
            case "seed" -> c.toBuilder().seed((long) v).build();
            case "ghost_scale" -> c.toBuilder().ghostScale(v).build();
            case "ghost_threshold" -> c.toBuilder().ghostThreshold(v).build();
            case "ghost_beta" -> c.toBuilder().ghostBeta(v).build();
            case "ghost_min_steps" -> c.toBuilder().ghostMinSteps((long) v).build();
            default ->
                    throw new IllegalArgumentException(
                            "--sae "
                                    + spec
                                    + ": unknown key '"
                                    + key
                                    + "' (lambda1, lambda2, gamma, beta, p, w_min, w_max, warmup,"
                                    + " ramp, topk, lr, d_sae, max_grad_norm, dead_window, seed,"
                                    + " ghost_scale, ghost_threshold, ghost_beta,"
                                    + " ghost_min_steps)");
        };
    }
}
