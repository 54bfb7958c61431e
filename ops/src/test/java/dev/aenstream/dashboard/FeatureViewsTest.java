package dev.aenstream.dashboard;

import static org.assertj.core.api.Assertions.assertThat;

import dev.aenstream.monitor.FeatureAccumulator;
import dev.aenstream.sae.SparseCodes;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * A feature page follows its feature through a version that permuted the dictionary: the density of
 * older windows is read under the id the feature had there, and the history names it.
 */
class FeatureViewsTest {
    @Test
    void aFeatureIsFollowedUnderItsOldIdAcrossVersions() {
        FeatureViews views = new FeatureViews();
        // v1: feature 0 fires on every token, feature 2 never. v2 swapped them: v2's feature 2
        // continues v1's feature 0, and v2's feature 0 is new.
        views.window(window(1, 1_000, new int[] {0}));
        views.lineage("s", 2, 1, new int[] {-1, 1, 0}, new float[] {0, 1f, 0.95f});
        views.window(window(2, 2_000, new int[] {2}));
        Map<String, Object> page = views.feature("s", 2);
        @SuppressWarnings("unchecked")
        List<Map<String, Object>> density = (List<Map<String, Object>>) page.get("density");
        assertThat(density).extracting(p -> p.get("density")).containsExactly(1.0, 1.0);
        @SuppressWarnings("unchecked")
        List<Map<String, Object>> versions = (List<Map<String, Object>>) page.get("versions");
        assertThat(versions).extracting(v -> v.get("version")).containsExactly(2L, 1L);
        assertThat(versions).extracting(v -> v.get("feature")).containsExactly(2, 0);
        assertThat(versions.get(0).get("continues"))
                .isEqualTo(Map.of("version", 1L, "feature", 0, "cos", 0.95f));

        // The new feature 0 of v2 has no past.
        @SuppressWarnings("unchecked")
        List<Map<String, Object>> fresh =
                (List<Map<String, Object>>) views.feature("s", 0).get("versions");
        assertThat(fresh).extracting(v -> v.get("version")).containsExactly(2L);
        assertThat(fresh.get(0).get("new_in_version")).isEqualTo(true);
    }

    /** A window of 4 tokens in which {@code firing} fire on every token. */
    private static dev.aenstream.avro.FeatureStats window(long version, long endMs, int[] firing) {
        FeatureAccumulator acc = new FeatureAccumulator("s", version, 3, endMs - 1_000);
        int rows = 4;
        int[] offsets = new int[rows + 1];
        int[] idx = new int[rows * firing.length];
        float[] val = new float[idx.length];
        int[] active = new int[rows];
        for (int r = 0; r < rows; r++) {
            for (int f = 0; f < firing.length; f++) {
                idx[r * firing.length + f] = firing[f];
                val[r * firing.length + f] = 1f;
            }
            offsets[r + 1] = (r + 1) * firing.length;
            active[r] = firing.length;
        }
        acc.add(new SparseCodes(rows, 3, offsets, idx, val, active));
        return acc.toRecord(endMs);
    }
}
