package dev.aenstream.encode;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.aenstream.avro.Topics;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** The limits a topology built without a config runs under are ones a configured encoder has. */
class RecordLimitsTest {
    @Test
    void theDefaultTransactionTimeoutIsTheOneANarrowSaeGets() {
        long configured =
                EncodeConfig.defaults(new Topics(""), Path.of("unused")).transactionTimeoutMs(1);
        // 0 is the setting's "size it by the SAE": as a timeout it made every record "slow".
        assertThat(RecordLimits.defaults().transactionTimeoutMs()).isEqualTo(configured);
        assertThat(new RecordLimits(1, 1 << 20).transactionTimeoutMs()).isEqualTo(configured);
    }

    @Test
    void aTimeoutThatIsNoDurationIsRefused() {
        assertThatThrownBy(() -> new RecordLimits(1, 1 << 20, 0))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("transaction timeout must be positive");
    }
}
