package dev.aenstream.sae.train;

import ai.onnxruntime.OrtException;
import dev.aenstream.sae.SaeParameters;
import dev.aenstream.sae.onnx.EncoderGraph;
import dev.aenstream.sae.penalty.SparseTerms;
import dev.aenstream.sae.runtime.Device;
import java.util.Arrays;

/**
 * The training step of {@link TrainStepGraph}, exact, with every product after the encoder's
 * touching only the active codes. The one dense product, the pre-activations, runs in ONNX Runtime
 * ({@link PreActivations}) and the active codes are read off it; the reconstruction, the penalty's
 * terms ({@link SparseTerms}), the gradient on the codes, {@code dW_enc} and {@code dW_dec} are
 * sums over the active entries; Adam and the atoms' renormalisation stay dense, as PyTorch does
 * them ({@link SparseState}). With L0 active codes per row of D, the products after the encoder's
 * cost {@code B L0 n} instead of {@code B D n}. AuxK's dead codes are read off the same
 * pre-activations and cost {@code B k_aux n} more; the ghost proxy costs {@code 5 B n} per
 * persistently dead feature ({@link SparseGhostProxy}).
 */
public final class SparseStep implements TrainingStep {
    private static final double CLIP_EPS = 1e-6;

    private TrainConfig config;
    private final int n;
    private final int d;
    private final SparseTerms terms;
    private final PreActivations product;
    private final StepThreads threads;
    private final SparseCodesOfStep codes;
    private final SparseState state;
    private long step;

    // Per-step scratch, sized for a full batch and reused.
    private final float[] xc, e, dXhat;
    private final float[] gWEnc, gBEnc, gAtoms, gBDec;
    private final double[] colSumH;

    /** Per feature, the sum of squares of its rows of dW_enc and dW_dec. */
    private final double[] featureSquares;

    private final float[] fireCounts, maxH;
    private final ThreadLocal<StepScratch> scratch;
    private final BatchVariance variance;

    /** AuxK's dead codes, or null for every other penalty. */
    private final SparseDeadCodes aux;

    /** The ghost proxy, or null for every other penalty. */
    private final SparseGhostProxy ghost;

    /** Tokens since each feature last fired, as the state carries them. */
    private float[] sinceFired;

    private SparseStep(
            TrainConfig config,
            SparseTerms terms,
            SparseState state,
            Device device,
            int threadCount)
            throws OrtException {
        this.config = config;
        this.n = config.n();
        this.d = config.d();
        this.terms = terms;
        int batch = config.get(TrainConfig.BATCH);
        this.product = new PreActivations(n, d, batch, terms.k(), device, threadCount);
        this.threads = new StepThreads(threadCount);
        this.codes = new SparseCodesOfStep(batch, d);
        this.state = state;
        xc = new float[batch * n];
        e = new float[batch * n];
        dXhat = new float[batch * n];
        gWEnc = new float[state.wEnc.length];
        gBEnc = new float[d];
        gAtoms = new float[state.atoms.length];
        gBDec = new float[n];
        colSumH = new double[d];
        featureSquares = new double[d];
        fireCounts = new float[d];
        maxH = new float[d];
        int width = n;
        scratch = ThreadLocal.withInitial(() -> new StepScratch(width));
        variance = new BatchVariance(n, threads);
        SparseTerms.DeadFeatureLoss deadFeatureLoss = terms.deadFeatureLoss();
        aux =
                deadFeatureLoss == null
                        ? null
                        : new SparseDeadCodes(deadFeatureLoss, codes, batch, n, d);
        SparseTerms.DeadFeatureProxy proxy = terms.deadFeatureProxy();
        ghost =
                proxy == null
                        ? null
                        : new SparseGhostProxy(proxy, n, d, batch, device, threadCount);
        sinceFired = new float[d];
    }

    /** Whether the configuration's penalty has an exact sparse step. */
    public static boolean serves(TrainConfig config) {
        return config.penalty().sparseTerms(config.settings(), config.d()) != null;
    }

    /** Opens the sparse step for the configuration with a copy of the given state. */
    public static SparseStep open(TrainConfig config, TrainState state, Device device, int threads)
            throws OrtException {
        SparseStep step = open(config, new SparseState(config.n(), config.d()), device, threads);
        step.load(state);
        return step;
    }

    /**
     * Opens the sparse step on the given state's own arrays, without the copy {@link #open} makes:
     * for dictionaries where two copies do not fit in memory. The caller must not use {@code state}
     * again.
     */
    public static SparseStep take(TrainConfig config, TrainState state, Device device, int threads)
            throws OrtException {
        state.requireShape(config.n(), config.d());
        float[] ema = state.ema();
        float[] firing = state.firingEma();
        float[] since = state.sinceFired();
        long at = state.step();
        SparseState taken = new SparseState(state);
        // The decoder was copied into atoms: let its 2 GiB go before the gradients are allocated.
        state = null;
        SparseStep step = open(config, taken, device, threads);
        step.terms.load(ema);
        if (step.ghost != null) step.ghost.load(firing);
        step.sinceFired = since;
        step.step = at;
        return step;
    }

    private static SparseStep open(
            TrainConfig config, SparseState state, Device device, int threads) throws OrtException {
        SparseTerms terms = config.penalty().sparseTerms(config.settings(), config.d());
        if (terms == null)
            throw new IllegalArgumentException(
                    config.penalty().description() + " has no sparse step");
        return new SparseStep(
                config,
                terms,
                state,
                device,
                threads > 0 ? threads : Runtime.getRuntime().availableProcessors());
    }

    @Override
    public TrainConfig config() {
        return config;
    }

    @Override
    public void setLambda1(double lambda1) {
        config = config.withLambda1(lambda1);
    }

    @Override
    public Device device() {
        return product.device();
    }

    @Override
    public long step() {
        return step;
    }

    @Override
    public void load(TrainState from) {
        state.load(from);
        terms.load(from.ema());
        if (ghost != null) ghost.load(from.firingEma());
        sinceFired = from.sinceFired().clone();
        step = from.step();
    }

    @Override
    public TrainState state() {
        return state.toState(
                step, terms.ema(), ghost == null ? null : ghost.firingEma(), sinceFired);
    }

    @Override
    public SaeParameters parameters() {
        return state.parameters();
    }

    @Override
    public StepResult run(float[] batch, int offset, int rows) throws OrtException {
        int batchSize = config.get(TrainConfig.BATCH);
        if (rows <= 0 || rows > batchSize)
            throw new IllegalArgumentException(
                    "a step takes 1.." + batchSize + " rows, got " + rows);
        long t = step + 1;
        double phi = config.phi(t);

        // Forward: the active codes, then the reconstruction and its error row by row.
        threads.forRange(0, rows, (from, to) -> centre(batch, offset, from, to));
        product.run(xc, rows, state.wEnc, state.bEnc, codes, threads);
        boolean auxThisStep = aux != null && aux.select(rows, sinceFired, threads);
        double bn = (double) rows * n;
        float scale = (float) (2 / bn);
        threads.forRange(0, rows, (from, to) -> reconstruct(batch, offset, from, to, scale));
        double auxLoss = auxThisStep ? aux.loss(rows, e, state.atoms, threads) : 0;
        double[] sq = new double[2];
        double unexplained = variance.of(e, 0, rows, sq, 0);
        double total = variance.of(batch, offset, rows, sq, 1);
        double mse = sq[0] / bn;
        threads.forRange(0, d, this::featureTotals);
        double sumSquaresH = 0;
        for (int k = 0; k < codes.entries(); k++) sumSquaresH += (double) codes.h[k] * codes.h[k];
        double[] penalty = terms.loss(config.settings(), colSumH, sumSquaresH, rows, phi);
        if (ghost != null) auxLoss += ghost.loss(t, fireCounts, rows, e, sq[0], state);
        double loss = mse + penalty[0] + penalty[1] + auxLoss;

        // Backward, on the active entries only.
        threads.forRange(0, codes.entries(), this::codeGradients);
        threads.forRange(0, d, this::featureGradients);
        decoderBiasGradient(rows);
        if (ghost != null) ghost.addTo(gWEnc, gBEnc, gAtoms, featureSquares);

        // The matrices' squares were summed per feature as their rows were written.
        double squares = 0;
        for (int j = 0; j < d; j++) squares += featureSquares[j] + (double) gBEnc[j] * gBEnc[j];
        for (int i = 0; i < n; i++) squares += (double) gBDec[i] * gBDec[i];
        double gradNorm = Math.sqrt(squares);
        boolean applied = Double.isFinite(loss) && Double.isFinite(gradNorm);
        if (applied) {
            double clip =
                    Math.min(1, config.get(TrainConfig.MAX_GRAD_NORM) / (gradNorm + CLIP_EPS));
            state.adam(
                    config, t, new float[][] {gWEnc, gBEnc, gAtoms, gBDec}, (float) clip, threads);
            terms.applied();
            if (ghost != null) ghost.applied();
            if (aux != null)
                for (int j = 0; j < d; j++)
                    sinceFired[j] = fireCounts[j] > 0 ? 0 : sinceFired[j] + rows;
            step = t;
        }

        double l0 = 0;
        for (int j = 0; j < d; j++) l0 += fireCounts[j];
        float[] meanAbsH = new float[d];
        for (int j = 0; j < d; j++) meanAbsH[j] = (float) (colSumH[j] / rows);
        float[] w = terms.weights();
        return new StepResult(
                t,
                applied,
                rows,
                mse,
                penalty[0],
                penalty[1],
                loss,
                gradNorm,
                l0 / rows,
                1 - unexplained / total,
                phi,
                meanAbsH,
                maxH.clone(),
                fireCounts.clone(),
                w == null ? null : w.clone(),
                auxLoss);
    }

    /** Rows {@code from..to}: xc = x - b_dec, the encoder's input. */
    private void centre(float[] batch, int offset, int from, int to) {
        StepScratch s = scratch.get();
        for (int b = from; b < to; b++) {
            System.arraycopy(batch, offset + b * n, s.x, 0, n);
            for (int i = 0; i < n; i++) s.a[i] = s.x[i] - state.bDec[i];
            System.arraycopy(s.a, 0, xc, b * n, n);
        }
    }

    /**
     * Rows {@code from..to}: xhat = b_dec + the sum of the row's active atoms, e = xhat - x, d loss
     * / d xhat = e * {@code scale}, and on each active entry the reconstruction's share of d loss /
     * d h, the dot of d loss / d xhat with its atom: done row by row while the row's atoms are
     * still in cache (the penalty's share is added once the batch's terms are known).
     */
    private void reconstruct(float[] batch, int offset, int from, int to, float scale) {
        StepScratch s = scratch.get();
        for (int b = from; b < to; b++) {
            System.arraycopy(batch, offset + b * n, s.x, 0, n);
            System.arraycopy(state.bDec, 0, s.a, 0, n);
            for (int k = codes.rowStart[b]; k < codes.rowStart[b + 1]; k++) {
                float h = codes.h[k];
                System.arraycopy(state.atoms, codes.feature[k] * n, s.t, 0, n);
                for (int i = 0; i < n; i++) s.a[i] += h * s.t[i];
            }
            for (int i = 0; i < n; i++) {
                s.a[i] -= s.x[i];
                s.b[i] = s.a[i] * scale;
            }
            System.arraycopy(s.a, 0, e, b * n, n);
            System.arraycopy(s.b, 0, dXhat, b * n, n);
            // A float sum is not vectorised whatever its offsets: the atom is read in place.
            for (int k = codes.rowStart[b]; k < codes.rowStart[b + 1]; k++)
                codes.dPre[k] = Dot.of(s.b, state.atoms, codes.feature[k] * n, n);
        }
    }

    /** Features {@code from..to}: the sum, fires and largest of their codes. */
    private void featureTotals(int from, int to) {
        for (int j = from; j < to; j++) {
            double sum = 0;
            float fires = 0, max = 0;
            for (int c = codes.colStart[j]; c < codes.colStart[j + 1]; c++) {
                float h = codes.h[codes.colEntry[c]];
                sum += h;
                if (h > EncoderGraph.FIRE_THRESHOLD) fires++;
                max = Math.max(max, h);
            }
            colSumH[j] = sum;
            fireCounts[j] = fires;
            maxH[j] = max;
        }
    }

    /** Entries {@code from..to}: the penalty's share of d loss / d h added to the codes'. */
    private void codeGradients(int from, int to) {
        for (int k = from; k < to; k++)
            codes.dPre[k] = (float) (codes.dPre[k] + terms.dH(codes.feature[k], codes.h[k]));
    }

    /** Features {@code from..to}: their rows of dW_enc and of dW_dec (as atoms), and db_enc. */
    private void featureGradients(int from, int to) {
        StepScratch s = scratch.get();
        for (int j = from; j < to; j++) {
            Arrays.fill(s.a, 0f);
            Arrays.fill(s.b, 0f);
            double bias = 0;
            bias += accumulate(codes, dXhat, j, s);
            if (aux != null && aux.active()) bias += accumulate(aux.codes, aux.dRecon, j, s);
            System.arraycopy(s.a, 0, gWEnc, j * n, n);
            System.arraycopy(s.b, 0, gAtoms, j * n, n);
            gBEnc[j] = (float) bias;
            double squares = 0;
            for (int i = 0; i < n; i++)
                squares += (double) s.a[i] * s.a[i] + (double) s.b[i] * s.b[i];
            featureSquares[j] = squares;
        }
    }

    /**
     * Adds feature {@code j}'s entries of {@code of} to its rows of dW_enc ({@code s.a}, from the
     * codes' gradients and xc) and dW_dec ({@code s.b}, from the codes and {@code dRecon}); returns
     * their share of db_enc.
     */
    private double accumulate(SparseCodesOfStep of, float[] dRecon, int j, StepScratch s) {
        double bias = 0;
        for (int c = of.colStart[j]; c < of.colStart[j + 1]; c++) {
            int k = of.colEntry[c];
            int row = of.row[k] * n;
            float dPre = of.dPre[k];
            float h = of.h[k];
            bias += dPre;
            System.arraycopy(xc, row, s.t, 0, n);
            System.arraycopy(dRecon, row, s.u, 0, n);
            for (int i = 0; i < n; i++) {
                s.a[i] += dPre * s.t[i];
                s.b[i] += h * s.u[i];
            }
        }
        return bias;
    }

    /** db_dec = sum_b dxhat - db_enc W_enc. */
    private void decoderBiasGradient(int rows) {
        StepScratch s = scratch.get();
        double[] acc = new double[n];
        for (int b = 0; b < rows; b++) {
            System.arraycopy(dXhat, b * n, s.t, 0, n);
            for (int i = 0; i < n; i++) acc[i] += s.t[i];
        }
        Arrays.fill(s.a, 0f);
        for (int j = 0; j < d; j++) {
            float g = gBEnc[j];
            if (g == 0) continue;
            System.arraycopy(state.wEnc, j * n, s.t, 0, n);
            for (int i = 0; i < n; i++) s.a[i] += g * s.t[i];
        }
        for (int i = 0; i < n; i++) gBDec[i] = (float) (acc[i] - s.a[i]);
    }

    /** The step's kernels, each timed alone by the JMH benchmark {@code SparseKernelsBenchmark}. */
    enum Kernel {
        /** Centring, the encoder's product in ONNX Runtime and reading the active codes off it. */
        PRE_ACTIVATIONS,
        /**
         * The sparse decoder forward, the error, and the reconstruction's share of d loss / d h.
         */
        RECONSTRUCT,
        /** The two sparse outer products: dW_enc = xc^T dz and dW_dec = h^T dxhat. */
        FEATURE_GRADIENTS,
        /** Adam on every parameter and the atoms' renormalisation (dense, as PyTorch does it). */
        ADAM
    }

    /**
     * Runs one kernel over {@code rows} rows of {@code batch} as the latest {@link #run} left the
     * step: the codes, errors and gradients it computed stay, so each kernel can be timed alone.
     */
    void kernel(Kernel kernel, float[] batch, int rows) throws OrtException {
        switch (kernel) {
            case PRE_ACTIVATIONS -> {
                threads.forRange(0, rows, (from, to) -> centre(batch, 0, from, to));
                product.run(xc, rows, state.wEnc, state.bEnc, codes, threads);
            }
            case RECONSTRUCT ->
                    threads.forRange(
                            0, rows, (from, to) -> reconstruct(batch, 0, from, to, 1f / rows));
            case FEATURE_GRADIENTS -> threads.forRange(0, d, this::featureGradients);
            case ADAM ->
                    state.adam(
                            config,
                            step + 1,
                            new float[][] {gWEnc, gBEnc, gAtoms, gBDec},
                            1f,
                            threads);
        }
    }

    /** Active entries of the latest step's codes. */
    int entries() {
        return codes.entries();
    }

    /** Threads the kernels run on. */
    StepThreads threads() {
        return threads;
    }

    @Override
    public void close() throws OrtException {
        threads.close();
        product.close();
        if (ghost != null) ghost.close();
    }
}
