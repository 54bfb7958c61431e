package dev.aenstream.sae;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/** Runs onnx.checker (Debian's python3-onnx, installed by .ci/test-deps) on a model file. */
public final class OnnxChecker {
    private OnnxChecker() {}

    public static void check(Path model) throws Exception {
        Process check =
                new ProcessBuilder(
                                "/usr/bin/python3",
                                "-c",
                                "import sys, onnx; m = onnx.load(sys.argv[1]);"
                                    + " onnx.checker.check_model(m, full_check=True); print('ok',"
                                    + " [o.name for o in m.graph.output])",
                                model.toString())
                        .redirectErrorStream(true)
                        .start();
        assertThat(check.waitFor(120, TimeUnit.SECONDS)).isTrue();
        String out = new String(check.getInputStream().readAllBytes());
        assertThat(out)
                .as(
                        "onnx.checker needs Debian's python3-onnx in /usr/bin/python3 (apt-get"
                            + " install python3-onnx, or run .ci/test-deps as root, which `./mvnw"
                            + " verify` does)")
                .doesNotContain("No module named");
        assertThat(check.exitValue()).as(out).isZero();
        assertThat(out).contains("ok").contains("values").contains("indices");
    }
}
