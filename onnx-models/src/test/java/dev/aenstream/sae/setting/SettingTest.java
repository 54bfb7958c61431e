package dev.aenstream.sae.setting;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.aenstream.sae.setting.Setting.Rule;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/** Every kind of setting parses its text, refuses what breaks its rule, and says why. */
class SettingTest {
    enum Codec {
        NONE,
        LZ4
    }

    private static final Setting<Codec> CODEC =
            Setting.choice("codec", "codec", "CODEC", Codec.class, Codec.LZ4, "the codec");
    private static final Setting<String> MODE =
            Setting.text(
                    "mode",
                    "mode",
                    "MODE",
                    "fast",
                    Rule.oneOf(new TreeSet<>(Set.of("fast", "slow"))),
                    "the mode");
    private static final Setting<Boolean> ON = Setting.bool("on", "on", false, "on or off");
    private static final Setting<Path> DIR =
            Setting.path("dir", "dir", "DIR", Path.of("data"), "a directory");
    private static final Setting<Integer> COUNT =
            Setting.integer(
                    "count",
                    "count",
                    "N",
                    Setting.Defaults.always(3),
                    Rule.between(1, 9),
                    "a count");

    @Test
    void eachKindParsesItsText() {
        assertThat(CODEC.parse("lz4")).isEqualTo(Codec.LZ4);
        assertThat(CODEC.parse(" None ")).isEqualTo(Codec.NONE);
        assertThat(MODE.parse("slow")).isEqualTo("slow");
        assertThat(ON.parse("TRUE")).isTrue();
        assertThat(DIR.parse("/tmp/x")).isEqualTo(Path.of("/tmp/x"));
        assertThat(COUNT.parse("9")).isEqualTo(9);
        // A value of the setting's type or its text: both are taken.
        assertThat(DIR.check("state")).isEqualTo(Path.of("state"));
        assertThat(CODEC.check(Codec.NONE)).isEqualTo(Codec.NONE);
    }

    @Test
    void aValueThatBreaksTheRuleSaysWhichAndWhy() {
        assertThatThrownBy(() -> CODEC.parse("gzip"))
                .hasMessage("codec must be one of NONE, LZ4, got 'gzip'");
        assertThatThrownBy(() -> MODE.parse("medium"))
                .hasMessage("mode must be one of fast, slow, got medium");
        assertThatThrownBy(() -> ON.parse("yes")).hasMessage("on must be true or false, got 'yes'");
        assertThatThrownBy(() -> COUNT.parse("10")).hasMessage("count must be in [1, 9], got 10");
        assertThatThrownBy(() -> COUNT.parse("2.5"))
                .hasMessage("count must be a whole number, got '2.5'");
        assertThatThrownBy(() -> COUNT.check(null)).hasMessage("count needs a value");
    }

    @Test
    void defaultsAreCheckedAndValuesKeptByDeclaration() {
        SettingValues v = SettingValues.defaults(List.of(CODEC, MODE, ON, DIR, COUNT));
        assertThat(v.get(DIR)).isEqualTo(Path.of("data"));
        SettingValues changed = v.with("count", "5").with(ON, true);
        assertThat(changed.get(COUNT)).isEqualTo(5);
        assertThat(changed.get(ON)).isTrue();
        assertThat(v.get(COUNT)).as("values are immutable").isEqualTo(3);
        assertThatThrownBy(() -> v.with("speed", "1"))
                .hasMessage("unknown setting 'speed' (codec, mode, on, dir, count)");
    }

    @Test
    void theTableListsFlagNameDefaultRuleAndDoc() {
        assertThat(SettingTable.of(List.of(COUNT, CODEC)))
                .isEqualTo(
                        "| flag | name | default | must be | meaning |\n"
                                + "|---|---|---|---|---|\n"
                                + "| `--count` | `count` | 3 | in [1, 9] | a count |\n"
                                + "| `--codec` | `codec` | LZ4 | one of NONE, LZ4 | the codec |\n");
    }
}
