package dev.aenstream.produce.splice;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.onnx.proto.OnnxMl.ModelProto;
import dev.aenstream.avro.ModelHead;
import dev.aenstream.avro.SpliceFigures;
import dev.aenstream.produce.transformer.ModelSource;
import dev.aenstream.produce.transformer.TokenSequence;
import dev.aenstream.produce.transformer.Tokeniser;
import dev.aenstream.sae.importers.SaeSources;
import dev.aenstream.sae.runtime.Device;
import dev.aenstream.sae.runtime.SaeEncoder;
import java.io.ByteArrayInputStream;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The live splice takes exactly its share of the batches, evenly, and reports per version the
 * figures of every batch that version was spliced into so far, as an evaluation of those batches
 * alone computes them; a new version starts over.
 */
class LiveSpliceTest {
    @Test
    void everyOtherBatchIsSplicedAndEachRecordHoldsItsVersionSoFar() throws Exception {
        ModelSource source =
                ModelSource.resolve(
                        SpliceEvaluationTest.FIXTURES.resolve("decoders/gpt2").toString(), null);
        ModelProto model = ModelProto.parseFrom(source.model());
        String hook = SpliceEvaluationTest.afterLayer0(model);
        SaeSources.EncoderModel sae =
                SaeSources.load(
                        SpliceEvaluationTest.FIXTURES.resolve("splice/gpt2-sae"),
                        Integer.MAX_VALUE,
                        false);
        List<List<TokenSequence>> batches = new ArrayList<>();
        try (Tokeniser tokeniser =
                new Tokeniser(new ByteArrayInputStream(source.tokenizerJson()), 64)) {
            for (String line :
                    Files.readAllLines(SpliceEvaluationTest.FIXTURES.resolve("splice/eval.txt")))
                batches.add(tokeniser.windows(line));
        }
        List<SpliceFigures> sent = new ArrayList<>();
        try (SaeEncoder encoder =
                        SaeEncoder.open(sae.model(), sae.n(), sae.d(), sae.kMax(), Device.CPU, 1);
                SplicedModel spliced = SplicedModel.open(model, hook, Device.CPU, 1);
                SplicedModel reference = SplicedModel.open(model, hook, Device.CPU, 1)) {
            SaeSplice splice = new SaeSplice(encoder, sae.decoder(), false);
            long[] version = {1};
            LiveSplice live =
                    new LiveSplice(
                            spliced,
                            () -> List.of(new LiveSplice.Target("aen", version[0], splice)),
                            0.5,
                            new LiveSplice.Source("gpt2", hook, "p1"),
                            sent::add);
            for (int i = 0; i < 4; i++) live.ran(batches.get(i));
            version[0] = 2;
            for (int i = 4; i < batches.size(); i++) live.ran(batches.get(i));

            // Batches 1, 3 and 5 (every other, the first at i = 1) were spliced.
            assertThat(sent).extracting(SpliceFigures::getVersion).containsExactly(1L, 1L, 2L);
            assertThat(sent).allSatisfy(f -> assertThat(f.getHead()).isEqualTo(ModelHead.LOGITS));
            SpliceEvaluation v1 = new SpliceEvaluation(reference, splice);
            v1.add(batches.get(1));
            v1.add(batches.get(3));
            assertSame(sent.get(1), v1);
            SpliceEvaluation v2 = new SpliceEvaluation(reference, splice);
            v2.add(batches.get(5));
            assertSame(sent.get(2), v2);
        }
    }

    private static void assertSame(SpliceFigures f, SpliceEvaluation reference) {
        assertThat(f.getTokens()).isEqualTo(reference.tokens());
        assertThat(f.getSequences()).isEqualTo(reference.sequences());
        for (Map.Entry<String, Double> e : reference.figures().entrySet())
            assertThat(f.getFigures().get(e.getKey()))
                    .as(e.getKey())
                    .isCloseTo(e.getValue(), within(1e-12));
    }
}
