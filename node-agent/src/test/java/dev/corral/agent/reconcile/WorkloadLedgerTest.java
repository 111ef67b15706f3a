package dev.corral.agent.reconcile;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import com.fasterxml.jackson.databind.ObjectMapper;

import dev.corral.agent.reconcile.Observed.State;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class WorkloadLedgerTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    private static Desired vm(String uid) {
        return new Desired("VM", uid, "web-" + uid, "default", 1, 1, 64, "ticker", null, true, "", List.of(), 0);
    }

    @Test
    void sequenceNumbersSurviveAReopenAndAreNeverHandedOutTwice() {
        var ledger = WorkloadLedger.open(dir, JSON);
        ledger.record(vm("a"), new Observed("a", State.STOPPED, 1, "", "StopRequested"));
        assertThat(ledger.nextSequence("a")).isEqualTo(1);
        assertThat(ledger.nextSequence("a")).isEqualTo(2);

        var reopened = WorkloadLedger.open(dir, JSON);
        assertThat(reopened.nextSequence("a")).isEqualTo(3);
        assertThat(reopened.observed("a").state()).as("a stopped workload stays stopped").isEqualTo(State.STOPPED);
    }

    @Test
    void workloadsActiveWhenTheAgentDiedAreLostAfterAReopen() {
        var ledger = WorkloadLedger.open(dir, JSON);
        ledger.record(vm("a"), new Observed("a", State.RUNNING, 1, "", null));
        ledger.record(vm("b"), new Observed("b", State.STARTING, 1, "", null));
        ledger.record(vm("c"), new Observed("c", State.FAILED, 1, "", "GuestCrashed"));

        var reopened = WorkloadLedger.open(dir, JSON);
        assertThat(reopened.observed("a").state()).isEqualTo(State.LOST);
        assertThat(reopened.observed("b").state()).isEqualTo(State.LOST);
        assertThat(reopened.observed("c").state()).isEqualTo(State.FAILED);
    }

    @Test
    void raisingTheSequenceToWhatTheControlPlaneAppliedNeverLowersIt() {
        var ledger = WorkloadLedger.open(dir, JSON);
        ledger.record(vm("a"), new Observed("a", State.RUNNING, 1, "", null));
        ledger.raiseSequence("a", 7);
        ledger.raiseSequence("a", 3);
        assertThat(ledger.nextSequence("a")).isEqualTo(8);
    }

    @Test
    void unreadableEntryIsSetAsideAndTheAgentStarts() throws Exception {
        Files.createDirectories(dir);
        Files.writeString(dir.resolve("x.json"), "{not json");
        var ledger = WorkloadLedger.open(dir, JSON);
        assertThat(ledger.all()).isEmpty();
        assertThat(dir.resolve("x.json.unreadable")).exists();
    }

    @Test
    void uidThatCouldLeaveTheDirectoryIsRefused() {
        var ledger = WorkloadLedger.open(dir, JSON);
        assertThatThrownBy(() -> ledger.record(vm("../../etc/passwd"), new Observed("../../etc/passwd", State.RUNNING, 1, "", null)))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void ledgerFileWrittenBeforeDisksAndNetworksStillReads() throws Exception {
        Files.createDirectories(dir);
        // As an agent before disks and networks wrote it.
        Files.writeString(dir.resolve("a.json"), """
                {"uid":"a","sequence":4,"desired":{"kind":"VM","uid":"a","name":"web-a","project":"default","generation":2,
                 "vcpus":1.0,"memoryMiB":64,"image":"ticker","cmdline":null,"running":true,"restartToken":"","devices":[],
                 "appliedSequence":3,"stopGraceSeconds":30},
                 "observed":{"uid":"a","state":"STOPPED","generation":2,"restartToken":"","reason":"StopRequested"}}""");
        var entry = WorkloadLedger.open(dir, JSON).get("a").orElseThrow();
        assertThat(entry.sequence()).isEqualTo(4);
        assertThat(entry.desired().disks()).isEqualTo(Desired.Disks.NONE);
        assertThat(entry.desired().network()).isNull();
        assertThat(entry.desired().diskGiB()).isNull();
    }

    @Test
    void disksAndNetworkSurviveAReopen() {
        var ledger = WorkloadLedger.open(dir, JSON);
        var d = new Desired("VM", "a", "web-a", "default", 1, 1, 64, "debian", null, true, "", List.of(), 0, 30,
                new Desired.Disks(10, List.of(new Desired.Volume("data", 5))), new Desired.Network("02:00:00:00:00:01", "10.88.0.2",
                        "10.88.0.0/24"), 15L);
        ledger.record(d, new Observed("a", State.STOPPED, 1, "", null));
        assertThat(WorkloadLedger.open(dir, JSON).get("a").orElseThrow().desired()).isEqualTo(d);
    }

    @Test
    void removedWorkloadIsGoneAfterAReopen() {
        var ledger = WorkloadLedger.open(dir, JSON);
        ledger.record(vm("a"), new Observed("a", State.RUNNING, 1, "", null));
        ledger.remove("a");
        assertThat(WorkloadLedger.open(dir, JSON).all()).isEmpty();
    }
}
