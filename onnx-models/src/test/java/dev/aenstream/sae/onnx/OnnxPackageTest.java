package dev.aenstream.sae.onnx;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.Channels;
import java.nio.channels.WritableByteChannel;
import org.junit.jupiter.api.Test;

/** Values narrowed to 16 bits come out the same however their floats were cut into writes. */
class OnnxPackageTest {
    @Test
    void floatsSplitAcrossWritesNarrowAsWholeOnes() throws IOException {
        float[] values = {1.5f, -2.25f, 3.0e-3f, 65504f, -0.0f, 1e-8f, 7f};
        TensorValues whole = TensorValues.of(values);
        // The same bytes, written three at a time: every float but the first straddles writes.
        TensorValues ragged =
                new TensorValues() {
                    @Override
                    public long bytes() {
                        return whole.bytes();
                    }

                    @Override
                    public void writeTo(WritableByteChannel out) throws IOException {
                        ByteArrayOutputStream all = new ByteArrayOutputStream();
                        whole.writeTo(Channels.newChannel(all));
                        byte[] bytes = all.toByteArray();
                        for (int at = 0; at < bytes.length; at += 3)
                            out.write(ByteBuffer.wrap(bytes, at, Math.min(3, bytes.length - at)));
                    }
                };
        for (WeightPrecision p :
                new WeightPrecision[] {WeightPrecision.FLOAT16, WeightPrecision.BFLOAT16}) {
            byte[] expected = written(whole.in(p));
            assertThat(written(ragged.in(p))).as(p.label()).isEqualTo(expected);
            assertThat(expected).hasSize(values.length * 2);
            ByteBuffer read = ByteBuffer.wrap(expected).order(ByteOrder.LITTLE_ENDIAN);
            for (float v : values) assertThat(p.widen(read.getShort())).isEqualTo(p.round(v));
        }
    }

    private static byte[] written(TensorValues values) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        values.writeTo(Channels.newChannel(out));
        return out.toByteArray();
    }
}
