package dev.aenstream.sae.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.core.json.JsonReadFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import dev.aenstream.sae.penalty.AdaptiveWeights;
import dev.aenstream.sae.penalty.ElasticNet;
import dev.aenstream.sae.penalty.Ghost;
import dev.aenstream.sae.penalty.Penalised;
import dev.aenstream.sae.penalty.Penalties;
import dev.aenstream.sae.penalty.TopK;
import org.junit.jupiter.api.Test;

/** Training configurations made from the declared settings: defaults, checks, and their JSON. */
class TrainConfigTest {
    private static final ObjectMapper JSON =
            JsonMapper.builder().enable(JsonReadFeature.ALLOW_NON_NUMERIC_NUMBERS).build();

    @Test
    void eachProfileTakesItsDefaults() {
        TrainConfig synthetic = TrainConfig.synthetic(Penalties.AEN, 256, 1024);
        assertThat(synthetic.get(TrainConfig.BATCH)).isEqualTo(256);
        assertThat(synthetic.get(TrainConfig.MAX_GRAD_NORM)).isInfinite();
        assertThat(synthetic.get(AdaptiveWeights.T_WARM)).isEqualTo(10_000L);
        assertThat(synthetic.defaultSteps()).isEqualTo(20_000L);
        TrainConfig lm = TrainConfig.languageModel(Penalties.AEN, 4096, 1024);
        assertThat(lm.get(TrainConfig.BATCH)).isEqualTo(4096);
        assertThat(lm.get(TrainConfig.LR)).isEqualTo(5e-4);
        assertThat(lm.get(AdaptiveWeights.BETA)).isEqualTo(0.9999);
        assertThat(TrainConfig.languageModel(Penalties.AEN, 768, 1024).get(TrainConfig.LR))
                .isEqualTo(1e-3);
    }

    @Test
    void aDefaultKIsCappedAtDButAGivenOneIsChecked() {
        TrainConfig small = TrainConfig.synthetic(Penalties.parse("topk"), 8, 16);
        assertThat(small.get(TopK.K)).isEqualTo(16);
        assertThat(small.toBuilder().d(4).build().get(TopK.K)).isEqualTo(4);
        assertThatThrownBy(() -> small.with(TopK.K, 17))
                .hasMessageContaining("TopK needs 1 <= k <= D, got k=17 for D=16");
    }

    @Test
    void aValueOutsideItsRuleIsRefusedByName() {
        TrainConfig c = TrainConfig.synthetic(Penalties.AEN, 8, 16);
        assertThatThrownBy(() -> c.with(AdaptiveWeights.BETA, 1.0))
                .hasMessage("beta must be in [0, 1), got 1.0");
        assertThatThrownBy(() -> c.with(TrainConfig.BATCH, 0))
                .hasMessage("batch must be positive, got 0");
        assertThatThrownBy(() -> c.with(AdaptiveWeights.T_WARM, 2.5))
                .hasMessageContaining("tWarm must be a whole number");
        assertThatThrownBy(() -> c.toBuilder().set("lamda1", "0.1"))
                .hasMessageStartingWith("unknown setting 'lamda1' (")
                .hasMessageContaining("lambda1");
        assertThat(c.toBuilder().set("w_min", "0.5").build().get(AdaptiveWeights.W_MIN))
                .isEqualTo(0.5);
    }

    @Test
    void hasAnswersForThePenaltysOwnSettingsAndTheCommonOnes() {
        TrainConfig topk = TrainConfig.synthetic(Penalties.parse("topk"), 8, 16);
        assertThat(topk.has(TopK.K)).isTrue();
        assertThat(topk.has(Penalised.LAMBDA1)).isFalse();
        assertThat(topk.has(TrainConfig.BATCH)).isTrue();
        TrainConfig l1 = topk.with(Penalties.parse("l1"));
        assertThat(l1.has(ElasticNet.LAMBDA2)).isFalse();
        assertThat(l1.penaltySettings()).containsOnlyKeys("lambda1");
        assertThat(l1.with(Penalties.parse("ghost")).penaltySettings())
                .containsOnlyKeys(
                        "lambda1", "ghostScale", "ghostThreshold", "ghostBeta", "ghostMinSteps");
    }

    @Test
    void jsonRoundTripsEverySetting() throws Exception {
        TrainConfig c =
                TrainConfig.synthetic(Penalties.parse("ghost"), 8, 16).toBuilder()
                        .set(Ghost.BETA, 0.5)
                        .set(TrainConfig.SEED, 7)
                        .build();
        String json = JSON.writeValueAsString(c);
        assertThat(json).contains("\"arch\":\"ghost\"").contains("\"ghostBeta\":0.5");
        assertThat(JSON.readValue(json, TrainConfig.class)).isEqualTo(c);
    }

    /** A checkpoint's configuration as the record wrote it before settings were declared. */
    @Test
    void aCheckpointFromBeforeReadsAsItWasWritten() throws Exception {
        String old =
                "{\"arch\":\"AEN\",\"n\":8,\"d\":16,\"batch\":32,\"lr\":0.002,\"lambda1\":0.004,"
                    + "\"lambda2\":2.0E-4,\"gamma\":0.5,\"beta\":0.99,\"p\":0.05,\"wMin\":0.01,"
                    + "\"wMax\":10.0,\"tWarm\":30,\"tRamp\":40,\"k\":16,\"maxGradNorm\":Infinity,"
                    + "\"adamBeta1\":0.9,\"adamBeta2\":0.999,\"adamEps\":1.0E-8,\"seed\":3,"
                    + "\"deadWindowTokens\":1000,\"ghostScale\":0.1,\"ghostThreshold\":1.0E-6,"
                    + "\"ghostBeta\":0.9999,\"ghostMinSteps\":2000}";
        TrainConfig c = JSON.readValue(old, TrainConfig.class);
        assertThat(c.penalty()).isSameAs(Penalties.AEN);
        assertThat(c.get(TrainConfig.BATCH)).isEqualTo(32);
        assertThat(c.get(Penalised.LAMBDA1)).isEqualTo(0.004);
        assertThat(c.get(AdaptiveWeights.T_RAMP)).isEqualTo(40L);
        assertThat(c.get(TrainConfig.MAX_GRAD_NORM)).isInfinite();
        assertThat(c.get(TrainConfig.SEED)).isEqualTo(3L);
    }
}
