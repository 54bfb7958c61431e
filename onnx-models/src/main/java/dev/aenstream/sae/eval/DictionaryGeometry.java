package dev.aenstream.sae.eval;

import dev.aenstream.sae.SaeParameters;
import java.util.stream.IntStream;
import org.ejml.UtilEjml;
import org.ejml.data.DMatrixRMaj;
import org.ejml.dense.row.CommonOps_DDRM;
import org.ejml.dense.row.factory.DecompositionFactory_DDRM;
import org.ejml.interfaces.decomposition.EigenDecomposition_F64;

/**
 * The paper's geometry of a dictionary (docs/aen-sae.md, "Geometry of starvation"): how alike its
 * atoms are (coherence) and, for the active set A of each row of codes, how well conditioned the
 * active atoms are, how much they leak into the inactive ones, and how far their span explains each
 * inactive atom (its cross-leverage; a feature with high cross-leverage is shadowed).
 */
public final class DictionaryGeometry {
    /** A code counts as active above docs/aen-sae.md's fire threshold. */
    public static final double ACTIVE_THRESHOLD = 1e-12;

    /**
     * A Gram matrix whose smallest singular value is below this share of its largest counts as
     * singular: float32 atoms carry about 7 digits, so a ratio of 1e10 is already noise.
     */
    public static final double SINGULAR = 1e-10;

    /** Blocks of rows that {@link #activeSets} measures in parallel. */
    private static final int BLOCKS = 16;

    /** The widest dictionary whose D^T D (8 D^2 bytes; 32 MiB at this width) is kept. */
    static final int GRAM_MAX_D = 2048;

    private final int n;
    private final int d;
    private final DMatrixRMaj atoms;
    private final int gramMaxD;
    private final double[] atomSquares;
    private DMatrixRMaj outer;
    private DMatrixRMaj atomGram;

    private DictionaryGeometry(int n, int d, DMatrixRMaj atoms, int gramMaxD) {
        this.n = n;
        this.d = d;
        this.atoms = atoms;
        this.gramMaxD = gramMaxD;
        atomSquares = new double[d];
        for (int i = 0; i < n; i++)
            for (int j = 0; j < d; j++) atomSquares[j] += atoms.get(i, j) * atoms.get(i, j);
    }

    /** The decoder atoms of {@code params} (the columns of W_dec), normalised to unit length. */
    public static DictionaryGeometry of(SaeParameters params) {
        return of(params, GRAM_MAX_D);
    }

    /** As {@link #of(SaeParameters)}, keeping D^T D only up to {@code gramMaxD} atoms. */
    static DictionaryGeometry of(SaeParameters params, int gramMaxD) {
        int n = params.n();
        int d = params.d();
        DMatrixRMaj atoms = new DMatrixRMaj(n, d);
        float[] w = params.wDec();
        for (int i = 0; i < n * d; i++) atoms.data[i] = w[i];
        for (int j = 0; j < d; j++) {
            double sq = 0;
            for (int i = 0; i < n; i++) sq += atoms.get(i, j) * atoms.get(i, j);
            double norm = Math.max(Math.sqrt(sq), 1e-12);
            for (int i = 0; i < n; i++) atoms.set(i, j, atoms.get(i, j) / norm);
        }
        return new DictionaryGeometry(n, d, atoms, gramMaxD);
    }

    /**
     * Mean and max over atoms of the largest |cos| to another atom.
     *
     * @param mean mean nearest-neighbour |cos|
     * @param max largest |cos| between two atoms
     */
    public record Coherence(double mean, double max) {}

    public Coherence coherence() {
        DMatrixRMaj gram = atomGram();
        if (gram == null) CommonOps_DDRM.multTransA(atoms, atoms, gram = new DMatrixRMaj(d, d));
        double sum = 0;
        double max = 0;
        for (int j = 0; j < d; j++) {
            double nearest = 0;
            for (int k = 0; k < d; k++)
                if (k != j) nearest = Math.max(nearest, Math.abs(gram.get(j, k)));
            sum += nearest;
            max = Math.max(max, nearest);
        }
        return new Coherence(d > 1 ? sum / d : 0, max);
    }

    /**
     * Geometry of the active sets of some rows of codes, averaged over the rows with at least one
     * active feature.
     *
     * @param rows rows with at least one active feature
     * @param condition mean condition number of the active atoms' Gram matrix D_A^T D_A, over the
     *     rows where it is not singular
     * @param singularRows rows whose active atoms are linearly dependent (more than n of them, or
     *     repeated): their condition number is infinite
     * @param leakage mean interaction leakage ||D_Ac^T D_A||_F
     * @param crossLeverage per feature, mean over the rows where it is inactive of h_j(A) = d_j^T
     *     D_A (D_A^T D_A)^-1 D_A^T d_j, the share of its atom the active atoms' span explains (NaN
     *     for a feature active on every row)
     */
    public record ActiveSets(
            int rows, double condition, int singularRows, double leakage, double[] crossLeverage) {
        /** Mean cross-leverage over the given features (NaN for none). */
        public double meanCrossLeverage(int[] features) {
            double sum = 0;
            int count = 0;
            for (int j : features) {
                if (!Double.isNaN(crossLeverage[j])) {
                    sum += crossLeverage[j];
                    count++;
                }
            }
            return count == 0 ? Double.NaN : sum / count;
        }
    }

    /** The geometry of the active sets of {@code rows} rows of dense codes ({@code rows x D}). */
    public ActiveSets activeSets(float[] codes, int rows) {
        // Blocks of rows are measured in parallel and added in block order, so the figures do not
        // depend on how many cores there are.
        int blockRows = Math.max(1, (rows + BLOCKS - 1) / BLOCKS);
        int blocks = (rows + blockRows - 1) / blockRows;
        Sums total = new Sums(d);
        IntStream.range(0, blocks)
                .parallel()
                .mapToObj(b -> measure(codes, b * blockRows, Math.min(rows, (b + 1) * blockRows)))
                .toList()
                .forEach(total::add);
        double[] leverage = new double[d];
        for (int j = 0; j < d; j++)
            leverage[j] =
                    total.inactiveRows[j] == 0
                            ? Double.NaN
                            : total.leverageSum[j] / total.inactiveRows[j];
        int used = total.used;
        int singular = total.singular;
        return new ActiveSets(
                used,
                used == singular ? Double.NaN : total.conditionSum / (used - singular),
                singular,
                used == 0 ? Double.NaN : total.leakageSum / used,
                leverage);
    }

    /** Running sums of {@link ActiveSets}' figures over some rows. */
    private static final class Sums {
        final double[] leverageSum;
        final int[] inactiveRows;
        double conditionSum;
        int singular;
        double leakageSum;
        int used;

        Sums(int d) {
            leverageSum = new double[d];
            inactiveRows = new int[d];
        }

        void add(Sums other) {
            for (int j = 0; j < leverageSum.length; j++) {
                leverageSum[j] += other.leverageSum[j];
                inactiveRows[j] += other.inactiveRows[j];
            }
            conditionSum += other.conditionSum;
            singular += other.singular;
            leakageSum += other.leakageSum;
            used += other.used;
        }
    }

    /** The sums over rows {@code from} (inclusive) to {@code to} (exclusive). */
    private Sums measure(float[] codes, int from, int to) {
        Sums sums = new Sums(d);
        int[] active = new int[d];
        for (int r = from; r < to; r++) {
            int a = 0;
            for (int j = 0; j < d; j++) if (codes[r * d + j] > ACTIVE_THRESHOLD) active[a++] = j;
            if (a == 0) continue;
            sums.used++;
            DMatrixRMaj dA = new DMatrixRMaj(n, a);
            for (int i = 0; i < n; i++)
                for (int c = 0; c < a; c++) dA.set(i, c, atoms.get(i, active[c]));
            boolean[] isActive = new boolean[d];
            for (int c = 0; c < a; c++) isActive[active[c]] = true;
            // G = D_A^T D_A, or with more active atoms than n the n x n D_A D_A^T, whose non-zero
            // eigenvalues and Frobenius norm are G's (G is then singular).
            boolean wide = a > n;
            DMatrixRMaj gram = wide ? new DMatrixRMaj(n, n) : new DMatrixRMaj(a, a);
            if (wide) CommonOps_DDRM.multOuter(dA, gram);
            else CommonOps_DDRM.multInner(dA, gram);
            // C = D_A^T D, every atom's inner products with the active atoms: the leakage is the
            // norm of its inactive columns. Past n active atoms it is ||D_A^T D||^2 - ||G||^2,
            // from D D^T, without the a x d product.
            DMatrixRMaj cross = null;
            double leak = 0;
            if (wide) {
                DMatrixRMaj t = new DMatrixRMaj(n, a);
                CommonOps_DDRM.mult(outer(), dA, t);
                leak = CommonOps_DDRM.elementSum(elementProduct(dA, t)) - squares(gram);
            } else {
                cross = new DMatrixRMaj(a, d);
                DMatrixRMaj all = atomGram();
                if (all == null) CommonOps_DDRM.multTransA(dA, atoms, cross);
                else
                    for (int c = 0; c < a; c++)
                        System.arraycopy(all.data, active[c] * d, cross.data, c * d, d);
                for (int c = 0; c < a; c++)
                    for (int j = 0; j < d; j++)
                        if (!isActive[j]) leak += cross.get(c, j) * cross.get(c, j);
            }
            sums.leakageSum += Math.sqrt(Math.max(leak, 0));
            Projection p = project(dA, gram, cross);
            if (Double.isInfinite(p.condition())) sums.singular++;
            else sums.conditionSum += p.condition();
            if (p.leverage() == null) continue;
            for (int j = 0; j < d; j++) {
                if (isActive[j]) continue;
                sums.leverageSum[j] += p.leverage()[j];
                sums.inactiveRows[j]++;
            }
        }
        return sums;
    }

    /**
     * D^T D, computed once, for dictionaries of at most {@code gramMaxD} atoms (null for wider
     * ones): its rows are every active set's C, which would otherwise take an a x n x D product a
     * row.
     */
    private synchronized DMatrixRMaj atomGram() {
        if (atomGram == null && d <= gramMaxD)
            CommonOps_DDRM.multTransA(atoms, atoms, atomGram = new DMatrixRMaj(d, d));
        return atomGram;
    }

    /** D D^T, computed once, the first time a row has more active atoms than n. */
    private synchronized DMatrixRMaj outer() {
        if (outer == null) CommonOps_DDRM.multOuter(atoms, outer = new DMatrixRMaj(n, n));
        return outer;
    }

    /**
     * One active set's cross-leverage per atom and the condition number of its Gram matrix.
     *
     * @param leverage h_j for every atom j; null where the eigendecomposition failed
     * @param condition ratio of the largest to the smallest eigenvalue of D_A^T D_A, infinite when
     *     the smallest is below {@link #SINGULAR} of the largest
     */
    private record Projection(double[] leverage, double condition) {}

    /**
     * h_j = c_j^T G^+ c_j with c_j = D_A^T d_j and G = D_A^T D_A, the squared length of d_j's
     * projection on the span of D_A, from one symmetric eigendecomposition of {@code gram}: G
     * against {@code cross} = C, or without it (more active atoms than n) D_A D_A^T against the
     * atoms. Two SVDs of G per row, the obvious way, took a second a row at L0 400. The
     * decomposition overwrites {@code gram}, which the caller has done with.
     */
    private Projection project(DMatrixRMaj dA, DMatrixRMaj gram, DMatrixRMaj cross) {
        int a = dA.numCols;
        boolean wide = cross == null;
        int size = gram.numRows;
        // n independent active atoms span all of R^n, which holds every atom whole: h_j is
        // ||d_j||^2, and the eigenvalues alone, a fraction of the work, tell whether they are.
        if (wide && fullRank(gram.copy(), a))
            return new Projection(atomSquares, Double.POSITIVE_INFINITY);
        EigenDecomposition_F64<DMatrixRMaj> eig = DecompositionFactory_DDRM.eig(size, true, true);
        if (!eig.decompose(gram)) return new Projection(null, Double.POSITIVE_INFINITY);
        Spectrum spectrum = Spectrum.of(eig);
        double[] values = spectrum.values();
        double max = spectrum.max();
        double min = spectrum.min();
        double condition = wide || min <= max * SINGULAR ? Double.POSITIVE_INFINITY : max / min;
        double cut = spectrum.cut(a);
        int kept = 0;
        for (double v : values) if (v > cut) kept++;
        // Rows of the basis: v_k / sqrt(lambda_k) against C, or u_k against the atoms.
        DMatrixRMaj basis = new DMatrixRMaj(kept, size);
        int row = 0;
        for (int k = 0; k < size; k++) {
            if (values[k] <= cut) continue;
            DMatrixRMaj vector = eig.getEigenVector(k);
            double scale = wide ? 1 : 1 / Math.sqrt(values[k]);
            for (int i = 0; i < size; i++) basis.set(row, i, vector.get(i) * scale);
            row++;
        }
        DMatrixRMaj z = new DMatrixRMaj(kept, d);
        CommonOps_DDRM.mult(basis, wide ? atoms : cross, z);
        double[] h = new double[d];
        for (int k = 0; k < kept; k++)
            for (int j = 0; j < d; j++) h[j] += z.get(k, j) * z.get(k, j);
        return new Projection(h, condition);
    }

    /** Whether every eigenvalue of the symmetric {@code gram} is above the pseudo-inverse's cut. */
    private static boolean fullRank(DMatrixRMaj gram, int a) {
        EigenDecomposition_F64<DMatrixRMaj> eig =
                DecompositionFactory_DDRM.eig(gram.numRows, false, true);
        if (!eig.decompose(gram)) return false;
        Spectrum spectrum = Spectrum.of(eig);
        return spectrum.min() > spectrum.cut(a);
    }

    /** The magnitudes of a symmetric decomposition's eigenvalues, with their least and largest. */
    private record Spectrum(double[] values, double min, double max) {
        static Spectrum of(EigenDecomposition_F64<DMatrixRMaj> eig) {
            int size = eig.getNumberOfEigenvalues();
            double[] values = new double[size];
            double max = 0;
            double min = Double.POSITIVE_INFINITY;
            for (int k = 0; k < size; k++) {
                values[k] = Math.abs(eig.getEigenvalue(k).real);
                max = Math.max(max, values[k]);
                min = Math.min(min, values[k]);
            }
            return new Spectrum(values, min, max);
        }

        /**
         * The pseudo-inverse's cut (EJML's) for the Gram matrix of {@code a} atoms: eigenvalues at
         * or below it count as zero.
         */
        double cut(int a) {
            return UtilEjml.EPS * a * max;
        }
    }

    private static DMatrixRMaj elementProduct(DMatrixRMaj x, DMatrixRMaj y) {
        DMatrixRMaj out = new DMatrixRMaj(x.numRows, x.numCols);
        CommonOps_DDRM.elementMult(x, y, out);
        return out;
    }

    private static double squares(DMatrixRMaj x) {
        double sum = 0;
        for (int i = 0; i < x.getNumElements(); i++) sum += x.data[i] * x.data[i];
        return sum;
    }

    /**
     * docs/aen-sae.md's shrinkage: mean ||xhat||_1 / mean ||x||_1 over {@code rows} rows of width
     * n; below 1 when the penalty shrinks reconstructions.
     */
    public static double shrinkage(float[] x, float[] xhat, int rows, int n) {
        double sumX = 0;
        double sumHat = 0;
        for (int i = 0; i < rows * n; i++) {
            sumX += Math.abs(x[i]);
            sumHat += Math.abs(xhat[i]);
        }
        return sumX == 0 ? Double.NaN : sumHat / sumX;
    }
}
