package dev.aenstream.avro;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.math.BigDecimal;
import java.nio.ByteBuffer;
import java.nio.FloatBuffer;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class MatricesTest {

    /**
     * The value of a binary16 bit pattern, computed from its definition rather than by bit tricks.
     */
    private static double halfByDefinition(int bits) {
        int sign = (bits >>> 15) == 1 ? -1 : 1;
        int exp = (bits >>> 10) & 0x1f;
        int mant = bits & 0x3ff;
        if (exp == 0) return sign * mant * Math.pow(2, -24);
        return sign * (1 + mant / 1024.0) * Math.pow(2, exp - 15);
    }

    @Test
    void everyFiniteHalfDecodesToItsDefinedValueAndEncodesBack() {
        for (int bits = 0; bits < 0x10000; bits++) {
            if (((bits >>> 10) & 0x1f) == 0x1f) continue;
            float f = Matrices.halfToFloat((short) bits);
            assertThat((double) f).isEqualTo(halfByDefinition(bits));
            if (bits == 0x8000) continue; // -0 encodes to -0, compared as shorts below
            assertThat(Matrices.floatToHalf(f) & 0xffff).isEqualTo(bits);
        }
        assertThat(Matrices.floatToHalf(-0f) & 0xffff).isEqualTo(0x8000);
        assertThat(Matrices.halfToFloat((short) 0x7c00)).isEqualTo(Float.POSITIVE_INFINITY);
        assertThat(Matrices.halfToFloat((short) 0x7e00)).isNaN();
        assertThat(Matrices.floatToHalf(1e6f) & 0xffff).isEqualTo(0x7c00);
    }

    @Test
    void floatToHalfRoundsToTheNearestHalf() {
        SplittableRandom random = new SplittableRandom(7);
        for (int i = 0; i < 200_000; i++) {
            float f =
                    (float) ((random.nextDouble() * 2 - 1) * Math.pow(2, random.nextInt(-26, 16)));
            int got = Matrices.floatToHalf(f) & 0xffff;
            double err = Math.abs(halfByDefinition(got) - f);
            // No other half may be strictly closer: check both neighbours of the result.
            for (int neighbour : new int[] {got - 1, got + 1}) {
                if ((neighbour & 0x7fff) >= 0x7c00
                        || neighbour < 0
                        || (neighbour ^ got) >>> 15 != 0) continue;
                assertThat(err)
                        .as("f=%s got=%x neighbour=%x", f, got, neighbour)
                        .isLessThanOrEqualTo(Math.abs(halfByDefinition(neighbour) - f));
            }
        }
    }

    @Test
    void bfloat16RoundsToNearestEven() {
        assertThat(Matrices.bfloat16ToFloat(Matrices.floatToBfloat16(1.0f))).isEqualTo(1.0f);
        float justAboveHalfway = Float.intBitsToFloat(0x3f808001);
        assertThat(Matrices.floatToBfloat16(justAboveHalfway) & 0xffff).isEqualTo(0x3f81);
        float halfwayEven = Float.intBitsToFloat(0x3f808000);
        assertThat(Matrices.floatToBfloat16(halfwayEven) & 0xffff).isEqualTo(0x3f80);
        float halfwayOdd = Float.intBitsToFloat(0x3f818000);
        assertThat(Matrices.floatToBfloat16(halfwayOdd) & 0xffff).isEqualTo(0x3f82);
        assertThat(Matrices.bfloat16ToFloat(Matrices.floatToBfloat16(Float.NaN))).isNaN();
        SplittableRandom random = new SplittableRandom(3);
        for (int i = 0; i < 10_000; i++) {
            float f = (float) random.nextGaussian();
            float back = Matrices.bfloat16ToFloat(Matrices.floatToBfloat16(f));
            assertThat(new BigDecimal(back).subtract(new BigDecimal(f)).abs().doubleValue())
                    .isLessThanOrEqualTo(Math.ulp(f) * 32768.0);
        }
    }

    @Test
    void roundTripsEveryDtype() {
        float[] values = {0f, 1f, -2.5f, 0.333f, 1024f, -0.001f};
        for (Dtype dtype : Dtype.values()) {
            ByteBuffer bytes = Matrices.encode(values, 0, 2, 3, dtype);
            assertThat(bytes.remaining()).isEqualTo(6 * Matrices.bytesPerElement(dtype));
            FloatBuffer out = FloatBuffer.allocate(6);
            Matrices.decode(bytes, dtype, 2, 3, out);
            double tolerance = dtype == Dtype.FLOAT32 ? 0 : dtype == Dtype.FLOAT16 ? 1e-3 : 1e-2;
            for (int i = 0; i < 6; i++) {
                assertThat((double) out.get(i))
                        .isCloseTo(
                                values[i],
                                org.assertj.core.data.Offset.offset(
                                        Math.abs(values[i]) * tolerance));
            }
        }
    }

    @Test
    void aPayloadOfTheWrongLengthIsRefusedWithTheShape() {
        ByteBuffer bytes = Matrices.encode(new float[6], 0, 2, 3, Dtype.FLOAT32);
        assertThatThrownBy(
                        () -> Matrices.decode(bytes, Dtype.FLOAT32, 2, 4, FloatBuffer.allocate(8)))
                .isInstanceOf(PayloadException.class)
                .hasMessageContaining("24 bytes")
                .hasMessageContaining("2 rows x 4");
    }

    @Test
    void normalisedRowsHaveNormSqrtNAndTheFactorsUndoIt() {
        float[] x = {3, 4, 0, 0, 0, 0, 1, -1, 2, 2};
        float[] original = x.clone();
        float[] scales = Matrices.normaliseRows(x, 2, 2, 4);
        assertThat(x[0]).isEqualTo(3f);
        assertThat(scales[0]).as("a zero row stays zero").isEqualTo((float) (2 / 1e-12));
        for (int i = 2; i < 6; i++) assertThat(x[i]).isZero();
        double sq = 0;
        for (int i = 6; i < 10; i++) sq += x[i] * x[i];
        assertThat(Math.sqrt(sq)).isCloseTo(2.0, org.assertj.core.data.Offset.offset(1e-6));
        for (int i = 6; i < 10; i++)
            assertThat((double) x[i] / scales[1])
                    .isCloseTo(original[i], org.assertj.core.data.Offset.offset(1e-6));
    }
}
