package dev.aenstream.sae.onnx;

import ai.onnx.proto.OnnxMl;
import dev.aenstream.sae.SaeDecoder;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.WritableByteChannel;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The weights of an encoder graph that {@link EncoderGraph} built, read back from its package as
 * values to write again: so that a version from the models topic can be rebuilt as one shard of its
 * dictionary without ever being whole in memory. Tensors stored in float16 or bfloat16 (and {@code
 * W_enc} cut into cast blocks) come back as float32 values, exactly.
 */
public final class EncoderTensors {
    private EncoderTensors() {}

    /**
     * An encoder's weights, the precision its matrices were stored in, and the spec it was built
     * with (null for graphs built before they recorded it: the model's own metadata says).
     */
    public record Read(EncoderGraph.Weights weights, WeightPrecision precision, EncoderSpec spec) {}

    /**
     * The weights of {@code model}, whose external tensors lie in {@code file} from {@code
     * weightsStart}; the decoder's tensors when the graph carries them.
     *
     * @throws IOException when the graph is not one {@link EncoderGraph} builds (an ONNX encoder
     *     made elsewhere), naming what is missing
     */
    public static Read read(OnnxMl.ModelProto model, Path file, long weightsStart)
            throws IOException {
        return read(
                model,
                (t, offset, length) -> TensorValues.fromFile(file, weightsStart + offset, length));
    }

    /** The weights of a package's encoder, its external tensors taken from where they are. */
    public static Read read(OnnxPackage pkg) throws IOException {
        return read(
                OnnxMl.ModelProto.parseFrom(pkg.graph()),
                (t, offset, length) -> {
                    for (OnnxPackage.External e : pkg.externals())
                        if (e.offset() == offset && e.values().bytes() == length) return e.values();
                    throw new IOException(
                            t.getName() + "'s external data is not among the package's weights");
                });
    }

    /** Where an external tensor's stored bytes are. */
    @FunctionalInterface
    private interface Locator {
        TensorValues find(OnnxMl.TensorProto t, long offset, long length) throws IOException;
    }

    private static Read read(OnnxMl.ModelProto model, Locator external) throws IOException {
        Map<String, OnnxMl.TensorProto> byName = new HashMap<>();
        for (OnnxMl.TensorProto t : model.getGraph().getInitializerList())
            byName.put(t.getName(), t);
        OnnxMl.TensorProto bDec = byName.get("b_dec");
        if (bDec == null || bDec.getDimsCount() != 1)
            throw new IOException(
                    "not an encoder built by aen (no b_dec tensor): only SAEs that aen trained or"
                            + " imported can be split into shards");
        int n = Math.toIntExact(bDec.getDims(0));
        List<OnnxMl.TensorProto> wEnc = matrices(byName, "W_enc");
        List<OnnxMl.TensorProto> bEnc = new ArrayList<>();
        if (byName.containsKey("b_enc")) bEnc.add(byName.get("b_enc"));
        else
            for (int b = 0; byName.containsKey("b_enc." + b); b++)
                bEnc.add(byName.get("b_enc." + b));
        if (wEnc.isEmpty() || bEnc.size() != wEnc.size())
            throw new IOException(
                    "not an encoder built by aen (no W_enc and b_enc tensors): only SAEs that aen"
                            + " trained or imported can be split into shards");
        WeightPrecision precision = precision(wEnc.get(0));
        long d = 0;
        TensorValues w = null;
        TensorValues b = null;
        for (int i = 0; i < wEnc.size(); i++) {
            OnnxMl.TensorProto block = wEnc.get(i);
            if (block.getDimsCount() != 2 || block.getDims(1) != n)
                throw new IOException(block.getName() + " is not a [rows, " + n + "] matrix");
            d += block.getDims(0);
            TensorValues wv = values(block, external);
            TensorValues bv = values(bEnc.get(i), external);
            w = w == null ? wv : w.then(wv);
            b = b == null ? bv : b.then(bv);
        }
        if (w.bytes() != d * n * Float.BYTES || b.bytes() != d * Float.BYTES)
            throw new IOException("W_enc and b_enc do not hold " + d + " features of width " + n);
        TensorValues atoms = null;
        TensorValues decoderBias = null;
        OnnxMl.TensorProto atomsTensor = stored(byName, SaeDecoder.ATOMS);
        if (atomsTensor != null && byName.containsKey(SaeDecoder.B_DEC)) {
            atoms = values(atomsTensor, external);
            decoderBias = values(byName.get(SaeDecoder.B_DEC), external);
        }
        return new Read(
                new EncoderGraph.Weights(
                        n,
                        Math.toIntExact(d),
                        w,
                        b,
                        values(bDec, external),
                        atoms,
                        decoderBias,
                        byName.containsKey(EncoderGraph.THRESHOLD)
                                ? values(byName.get(EncoderGraph.THRESHOLD), external)
                                : null),
                precision,
                spec(model, precision, byName.containsKey(EncoderGraph.THRESHOLD)));
    }

    /**
     * The parameters of an encoder that carries its decoder (every version aen publishes does),
     * read into arrays: what an exporter writes out.
     *
     * @throws IOException when the graph has no decoder tensors
     */
    public static dev.aenstream.sae.SaeParameters parameters(Read read) throws IOException {
        EncoderGraph.Weights w = read.weights();
        if (w.atoms() == null)
            throw new IOException(
                    "the encoder carries no decoder ("
                            + SaeDecoder.ATOMS
                            + "), so its SAE cannot"
                            + " be written out whole");
        float[] atoms = w.atoms().floats();
        float[] wDec = new float[atoms.length];
        // Atoms are rows [D, n]; W_dec is [n, D].
        for (int j = 0; j < w.d(); j++)
            for (int i = 0; i < w.n(); i++) wDec[i * w.d() + j] = atoms[j * w.n() + i];
        return new dev.aenstream.sae.SaeParameters(
                w.n(), w.d(), w.wEnc().floats(), w.bEnc().floats(), wDec, w.bDec().floats());
    }

    private static EncoderSpec spec(
            OnnxMl.ModelProto model, WeightPrecision precision, boolean thresholds) {
        Map<String, String> props = new HashMap<>();
        for (OnnxMl.StringStringEntryProto e : model.getMetadataPropsList())
            props.put(e.getKey(), e.getValue());
        String kMax = props.get(EncoderGraph.K_MAX);
        if (kMax == null) return null;
        String activation = props.get(EncoderGraph.ACTIVATION);
        return new EncoderSpec(
                Integer.parseInt(kMax),
                Boolean.parseBoolean(props.get(EncoderGraph.NORMALISE)),
                activation != null
                        ? Activation.named(activation)
                        // Encoders built before the activation was recorded: TopK, or JumpReLU
                        // exactly when they carry thresholds.
                        : Boolean.parseBoolean(props.get(EncoderGraph.TOP_K))
                                ? Activation.TOP_K
                                : thresholds ? Activation.JUMP_RELU : Activation.RELU,
                precision);
    }

    /** {@code name} in float32, or stored narrow ({@code name.float16}), or its cast blocks. */
    private static List<OnnxMl.TensorProto> matrices(
            Map<String, OnnxMl.TensorProto> byName, String name) {
        OnnxMl.TensorProto whole = stored(byName, name);
        if (whole != null) return List.of(whole);
        List<OnnxMl.TensorProto> blocks = new ArrayList<>();
        for (int b = 0; stored(byName, name + "." + b) != null; b++)
            blocks.add(stored(byName, name + "." + b));
        return blocks;
    }

    private static OnnxMl.TensorProto stored(Map<String, OnnxMl.TensorProto> byName, String name) {
        for (WeightPrecision p : WeightPrecision.values()) {
            OnnxMl.TensorProto t =
                    byName.get(p == WeightPrecision.FLOAT32 ? name : name + "." + p.label());
            if (t != null) return t;
        }
        return null;
    }

    private static WeightPrecision precision(OnnxMl.TensorProto t) throws IOException {
        WeightPrecision p = WeightPrecision.of(t.getDataType());
        if (p == null) throw new IOException(t.getName() + " has element type " + t.getDataType());
        return p;
    }

    /** A tensor's values as float32, from the graph or from where the package keeps them. */
    private static TensorValues values(OnnxMl.TensorProto t, Locator external) throws IOException {
        WeightPrecision precision = precision(t);
        if (t.getDataLocation() != OnnxMl.TensorProto.DataLocation.EXTERNAL) {
            byte[] raw = t.getRawData().toByteArray();
            return new TensorValues() {
                @Override
                public long bytes() {
                    return raw.length;
                }

                @Override
                public void writeTo(WritableByteChannel out) throws IOException {
                    OnnxPackage.drain(ByteBuffer.wrap(raw).position(raw.length), out);
                }
            }.widened(precision);
        }
        long offset = -1;
        long length = -1;
        for (OnnxMl.StringStringEntryProto e : t.getExternalDataList()) {
            if (e.getKey().equals("offset")) offset = Long.parseLong(e.getValue());
            if (e.getKey().equals("length")) length = Long.parseLong(e.getValue());
        }
        if (offset < 0 || length < 0)
            throw new IOException(t.getName() + " has no offset and length for its external data");
        return external.find(t, offset, length).widened(precision);
    }
}
