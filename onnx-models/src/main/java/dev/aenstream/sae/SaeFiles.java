package dev.aenstream.sae;

import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/** Saves and loads {@link SaeParameters} as safetensors with docs/aen-sae.md's tensor names. */
public final class SaeFiles {
    private SaeFiles() {}

    public static void save(Path file, SaeParameters p, Map<String, String> metadata)
            throws IOException {
        Map<String, Safetensors.Tensor> tensors = new LinkedHashMap<>();
        tensors.put("W_enc", Safetensors.Tensor.ofFloats(p.wEnc(), p.d(), p.n()));
        tensors.put("b_enc", Safetensors.Tensor.ofFloats(p.bEnc(), p.d()));
        tensors.put("W_dec", Safetensors.Tensor.ofFloats(p.wDec(), p.n(), p.d()));
        tensors.put("b_dec", Safetensors.Tensor.ofFloats(p.bDec(), p.n()));
        Safetensors.write(file, tensors, metadata);
    }

    public static SaeParameters load(Path file) throws IOException {
        Safetensors.Contents contents = Safetensors.read(file);
        Safetensors.Tensor wEnc = contents.require("W_enc");
        if (wEnc.shape().length != 2) {
            throw new IOException(
                    file
                            + ": W_enc must be 2-D (D x n), has shape "
                            + java.util.Arrays.toString(wEnc.shape()));
        }
        int d = Math.toIntExact(wEnc.shape()[0]);
        int n = Math.toIntExact(wEnc.shape()[1]);
        try {
            return new SaeParameters(
                    n,
                    d,
                    wEnc.toFloats(),
                    contents.require("b_enc").toFloats(),
                    contents.require("W_dec").toFloats(),
                    contents.require("b_dec").toFloats());
        } catch (IllegalArgumentException e) {
            throw new IOException(file + ": " + e.getMessage(), e);
        }
    }
}
