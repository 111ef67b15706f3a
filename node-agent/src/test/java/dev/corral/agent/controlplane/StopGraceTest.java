package dev.corral.agent.controlplane;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;

import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

/** How long a stop lets the guest shut down, read from the workload's spec as the control plane writes it. */
class StopGraceTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    private static Duration grace(String spec) throws Exception {
        long seconds = AssignmentWatcher.stopGraceSeconds(JSON.readTree(spec));
        return seconds < 0 ? null : Duration.ofSeconds(seconds);
    }

    @Test
    void theStopActionsOwnTimeoutWins() throws Exception {
        assertThat(grace("{\"stopTimeoutSeconds\": 30, \"stopRequest\": {\"timeoutSeconds\": 5, \"force\": false}}"))
                .isEqualTo(Duration.ofSeconds(5));
    }

    @Test
    void aForcedStopHasNoGrace() throws Exception {
        assertThat(grace("{\"stopTimeoutSeconds\": 30, \"stopRequest\": {\"timeoutSeconds\": 0, \"force\": true}}")).isZero();
    }

    @Test
    void withoutAStopActionTheSpecsDefaultApplies() throws Exception {
        assertThat(grace("{\"stopTimeoutSeconds\": 12}")).isEqualTo(Duration.ofSeconds(12));
        // Nothing said at all: the record's default (the API's 30 s for VMs).
        assertThat(grace("{}")).isNull();
    }
}
