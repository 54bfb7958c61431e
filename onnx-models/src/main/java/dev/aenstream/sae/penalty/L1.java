package dev.aenstream.sae.penalty;

import java.util.List;

/** Vanilla L1: lambda1 * sum_j |h_j|, the baseline every SAE paper starts from. */
public final class L1 extends Penalised {
    L1() {
        super("l1", "vanilla L1", List.of());
    }
}
