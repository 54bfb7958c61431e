package dev.aenstream.sae.eval;

import dev.aenstream.sae.SaeParameters;
import org.ejml.data.DMatrixRMaj;
import org.ejml.dense.row.CommonOps_DDRM;
import org.ejml.dense.row.factory.DecompositionFactory_DDRM;
import org.ejml.dense.row.factory.LinearSolverFactory_DDRM;
import org.ejml.interfaces.linsol.LinearSolverDense;

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

    private final int n;
    private final int d;
    private final DMatrixRMaj atoms;

    private DictionaryGeometry(int n, int d, DMatrixRMaj atoms) {
        this.n = n;
        this.d = d;
        this.atoms = atoms;
    }

    /** The decoder atoms of {@code params} (the columns of W_dec), normalised to unit length. */
    public static DictionaryGeometry of(SaeParameters params) {
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
        return new DictionaryGeometry(n, d, atoms);
    }

    /**
     * Mean and max over atoms of the largest |cos| to another atom.
     *
     * @param mean mean nearest-neighbour |cos|
     * @param max largest |cos| between two atoms
     */
    public record Coherence(double mean, double max) {}

    public Coherence coherence() {
        DMatrixRMaj gram = new DMatrixRMaj(d, d);
        CommonOps_DDRM.multTransA(atoms, atoms, gram);
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
        double[] leverageSum = new double[d];
        int[] inactiveRows = new int[d];
        double conditionSum = 0;
        int singular = 0;
        double leakageSum = 0;
        int used = 0;
        int[] active = new int[d];
        for (int r = 0; r < rows; r++) {
            int a = 0;
            for (int j = 0; j < d; j++) if (codes[r * d + j] > ACTIVE_THRESHOLD) active[a++] = j;
            if (a == 0) continue;
            used++;
            DMatrixRMaj dA = new DMatrixRMaj(n, a);
            for (int i = 0; i < n; i++)
                for (int c = 0; c < a; c++) dA.set(i, c, atoms.get(i, active[c]));
            DMatrixRMaj gram = new DMatrixRMaj(a, a);
            CommonOps_DDRM.multTransA(dA, dA, gram);
            double kappa = condition(gram);
            if (Double.isInfinite(kappa)) singular++;
            else conditionSum += kappa;
            // C = D_A^T D: every atom's inner products with the active atoms.
            DMatrixRMaj cross = new DMatrixRMaj(a, d);
            CommonOps_DDRM.multTransA(dA, atoms, cross);
            boolean[] isActive = new boolean[d];
            for (int c = 0; c < a; c++) isActive[active[c]] = true;
            double leak = 0;
            for (int c = 0; c < a; c++)
                for (int j = 0; j < d; j++)
                    if (!isActive[j]) leak += cross.get(c, j) * cross.get(c, j);
            leakageSum += Math.sqrt(leak);
            // h_j = c_j^T G^+ c_j with c_j = D_A^T d_j, solved by pseudo-inverse so a singular
            // active set (more atoms than n, or repeated atoms) still has a projection.
            LinearSolverDense<DMatrixRMaj> solver = LinearSolverFactory_DDRM.pseudoInverse(true);
            DMatrixRMaj z = new DMatrixRMaj(a, d);
            solver.setA(gram.copy());
            solver.solve(cross, z);
            for (int j = 0; j < d; j++) {
                if (isActive[j]) continue;
                double h = 0;
                for (int c = 0; c < a; c++) h += cross.get(c, j) * z.get(c, j);
                leverageSum[j] += h;
                inactiveRows[j]++;
            }
        }
        double[] leverage = new double[d];
        for (int j = 0; j < d; j++)
            leverage[j] = inactiveRows[j] == 0 ? Double.NaN : leverageSum[j] / inactiveRows[j];
        return new ActiveSets(
                used,
                used == singular ? Double.NaN : conditionSum / (used - singular),
                singular,
                used == 0 ? Double.NaN : leakageSum / used,
                leverage);
    }

    /**
     * Ratio of the largest to the smallest singular value; infinite when the smallest is below
     * {@link #SINGULAR} of the largest.
     */
    private static double condition(DMatrixRMaj gram) {
        var svd = DecompositionFactory_DDRM.svd(gram.numRows, gram.numCols, false, false, true);
        if (!svd.decompose(gram.copy())) return Double.POSITIVE_INFINITY;
        double max = 0;
        double min = Double.POSITIVE_INFINITY;
        for (double s : svd.getSingularValues()) {
            max = Math.max(max, s);
            min = Math.min(min, s);
        }
        return min <= max * SINGULAR ? Double.POSITIVE_INFINITY : max / min;
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
