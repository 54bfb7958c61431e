package dev.aenstream.produce.splice;

import ai.onnxruntime.OrtException;
import dev.aenstream.sae.SaeDecoder;
import dev.aenstream.sae.SparseCodes;
import dev.aenstream.sae.runtime.SaeEncoder;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;

/**
 * decode(encode(x)) with the encoder the stream encoders run and the SAE's decoder. An SAE that
 * normalises its rows (to L2 norm sqrt(n), inside its encoder) reconstructs the normalised row; the
 * reconstruction is scaled back by the row's own factor so that it can stand in for the row, as
 * SAELens unscales for SAEs trained on normalised activations.
 */
public final class SaeSplice {
    /** A batch's codes and reconstructions ({@code rows x n}). */
    public record Reconstruction(SparseCodes codes, float[] xhat) {}

    private final SaeEncoder encoder;
    private final SaeDecoder decoder;
    private final boolean normalise;

    public SaeSplice(SaeEncoder encoder, SaeDecoder decoder, boolean normalise) {
        if (decoder == null)
            throw new IllegalArgumentException(
                    "the SAE carries no decoder (an encoder exported on its own): splicing needs"
                            + " the reconstruction");
        if (encoder.n() != decoder.n() || encoder.d() != decoder.d())
            throw new IllegalArgumentException(
                    "encoder (n="
                            + encoder.n()
                            + ", D="
                            + encoder.d()
                            + ") and decoder (n="
                            + decoder.n()
                            + ", D="
                            + decoder.d()
                            + ") differ");
        this.encoder = encoder;
        this.decoder = decoder;
        this.normalise = normalise;
    }

    /** The width of the rows it reads. */
    public int n() {
        return encoder.n();
    }

    /** The dictionary's size. */
    public int d() {
        return encoder.d();
    }

    /** Codes and reconstructions of {@code rows} rows of {@code x}. */
    public Reconstruction apply(float[] x, int rows) throws OrtException {
        int n = encoder.n();
        FloatBuffer in =
                ByteBuffer.allocateDirect(rows * n * Float.BYTES)
                        .order(ByteOrder.nativeOrder())
                        .asFloatBuffer();
        in.put(x, 0, rows * n).flip();
        SparseCodes codes = encoder.encode(in, rows);
        float[] xhat = new float[rows * n];
        float[] row = new float[n];
        for (int r = 0; r < rows; r++) {
            decoder.decode(codes, r, row);
            float scale = normalise ? rowNorm(x, r, n) / (float) Math.sqrt(n) : 1f;
            for (int i = 0; i < n; i++) xhat[r * n + i] = row[i] * scale;
        }
        return new Reconstruction(codes, xhat);
    }

    private static float rowNorm(float[] x, int r, int n) {
        double sum = 0;
        for (int i = 0; i < n; i++) sum += (double) x[r * n + i] * x[r * n + i];
        return sum == 0 ? (float) Math.sqrt(n) : (float) Math.sqrt(sum);
    }
}
