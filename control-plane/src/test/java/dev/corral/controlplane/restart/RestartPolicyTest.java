package dev.corral.controlplane.restart;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;

import dev.corral.api.RestartStatus;
import org.junit.jupiter.api.Test;

class RestartPolicyTest {

    private static final Instant T = Instant.parse("2026-11-25T00:00:00Z");
    private static final Duration FIRST = Duration.ofSeconds(10);

    @Test
    void alwaysRestartsAfterACleanPowerOffButOnFailureAndNeverDoNot() {
        assertThat(RestartPolicy.decide("Always", "stopped", "GuestPoweredOff", null, T, T, FIRST).restart()).isTrue();
        var onFailure = RestartPolicy.decide("OnFailure", "stopped", "GuestPoweredOff", null, T, T, FIRST);
        assertThat(onFailure.restart()).isFalse();
        assertThat(onFailure.message()).isEqualTo("Not restarted (GuestPoweredOff): restartPolicy is OnFailure and it stopped cleanly.");
        assertThat(RestartPolicy.decide("OnFailure", "failed", "GuestCrashed", null, T, T, FIRST).restart()).isTrue();
        assertThat(RestartPolicy.decide("Never", "failed", "GuestCrashed", null, T, T, FIRST).restart()).isFalse();
    }

    @Test
    void restartsInARowBackOffExponentiallyUpToFiveMinutes() {
        RestartStatus status = new RestartStatus(0, null, null, T);
        long[] waits = new long[8];
        Instant now = T.plusSeconds(5);
        for (int i = 0; i < waits.length; i++) {
            var d = RestartPolicy.decide("Always", "failed", "GuestCrashed", status, now, now, FIRST);
            waits[i] = Duration.between(now, d.next().nextAt()).toSeconds();
            status = new RestartStatus(d.next().count(), null, d.next().reason(), now.plusSeconds(1));
            now = now.plusSeconds(30);
        }
        assertThat(waits).containsExactly(10, 20, 40, 80, 160, 300, 300, 300);
        assertThat(status.count()).isEqualTo(8);
    }

    @Test
    void aWorkloadThatRanTenMinutesStartsTheCountAgain() {
        var crashLooping = new RestartStatus(6, null, "GuestCrashed", T);
        var soon = RestartPolicy.decide("Always", "failed", "GuestCrashed", crashLooping, T.plusSeconds(60), T.plusSeconds(60), FIRST);
        assertThat(soon.next().count()).isEqualTo(7);
        var later = RestartPolicy.decide("Always", "failed", "GuestCrashed", crashLooping, T.plusSeconds(600), T.plusSeconds(600), FIRST);
        assertThat(later.next().count()).isEqualTo(1);
        assertThat(later.next().nextAt()).isEqualTo(T.plusSeconds(610));
        assertThat(later.message()).isEqualTo("Restarting in 10 s after GuestCrashed (restart 1, restartPolicy Always).");
    }

    @Test
    void restartsAfterItsNodeAgentStoppedOrRestartedAreAtOnceAndDoNotGrowTheBackoff() {
        var status = new RestartStatus(2, null, "GuestCrashed", T);
        Instant now = T.plusSeconds(30);
        // Three restarts of the local cloud in a row: each brings the VM back at once, the crash count stays.
        for (String reason : new String[] {"AgentStopped", "AgentRestarted", "AgentStopped"}) {
            var d = RestartPolicy.decide("OnFailure", "failed", reason, status, now, now, FIRST);
            assertThat(d.restart()).isTrue();
            assertThat(d.next().nextAt()).isEqualTo(now);
            assertThat(d.next().count()).isEqualTo(2);
            status = new RestartStatus(d.next().count(), null, d.next().reason(), now.plusSeconds(1));
            now = now.plusSeconds(30);
        }
        // A crash after them backs off from where the crashes had got to.
        var crash = RestartPolicy.decide("OnFailure", "failed", "GuestCrashed", status, now, now, FIRST);
        assertThat(Duration.between(now, crash.next().nextAt())).isEqualTo(Duration.ofSeconds(40));
        assertThat(RestartPolicy.decide("Never", "failed", "AgentStopped", status, now, now, FIRST).restart()).isFalse();
    }
}
