package dev.aenstream.sae.train;

/** The variance over a batch's rows of each column, summed over the columns: the fve's terms. */
final class BatchVariance {
    private final int n;
    private final StepThreads threads;
    private final ThreadLocal<float[]> scratch;

    BatchVariance(int n, StepThreads threads) {
        this.n = n;
        this.threads = threads;
        this.scratch = ThreadLocal.withInitial(() -> new float[n]);
    }

    /**
     * Summed over columns, the variance over the batch of each column of {@code rows} rows of
     * {@code t}; their sum of squares goes to {@code sq[at]}. Each thread takes a block of rows.
     */
    double of(float[] t, int offset, int rows, double[] sq, int at) {
        int pieces = threads.count();
        double[][] sums = new double[pieces][n];
        double[] squares = new double[pieces];
        threads.forPieces(
                pieces,
                p -> {
                    float[] row = scratch.get();
                    double[] sum = sums[p];
                    double q = 0;
                    for (int b = (int) ((long) rows * p / pieces);
                            b < (int) ((long) rows * (p + 1) / pieces);
                            b++) {
                        System.arraycopy(t, offset + b * n, row, 0, n);
                        for (int i = 0; i < n; i++) {
                            double value = row[i];
                            sum[i] += value;
                            q += value * value;
                        }
                    }
                    squares[p] = q;
                });
        double square = 0, means = 0;
        for (int p = 0; p < pieces; p++) square += squares[p];
        for (int i = 0; i < n; i++) {
            double sum = 0;
            for (int p = 0; p < pieces; p++) sum += sums[p][i];
            means += (sum / rows) * (sum / rows);
        }
        sq[at] = square;
        return square / rows - means;
    }
}
