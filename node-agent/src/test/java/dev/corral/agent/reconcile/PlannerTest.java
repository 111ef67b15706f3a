package dev.corral.agent.reconcile;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;

import dev.corral.agent.reconcile.Observed.State;
import org.junit.jupiter.api.Test;

class PlannerTest {

    private static Desired wanted(boolean running, String token) {
        return new Desired("VM", "u1", "web-1", "default", 3, 1, 64, "ticker", null, running, token, List.of(), 0);
    }

    private static Observed has(State state, String token, String reason) {
        return new Observed("u1", state, 3, token, reason);
    }

    @Test
    void newWorkloadThatShouldRunIsStarted() {
        assertThat(Planner.plan(wanted(true, ""), null)).contains(new Action.Start(wanted(true, "")));
    }

    @Test
    void newWorkloadCreatedStoppedIsLeftAlone() {
        assertThat(Planner.plan(wanted(false, ""), null)).isEmpty();
    }

    @Test
    void nothingWantedAndNothingHadIsNothingToDo() {
        assertThat(Planner.plan(null, null)).isEmpty();
    }

    @Test
    void workloadNoLongerPlacedHereIsDeletedWhateverItsState() {
        for (var state : State.values()) {
            assertThat(Planner.plan(null, has(state, "", null))).as(state.name()).contains(new Action.Delete("u1"));
        }
    }

    @Test
    void runningWorkloadAsWantedNeedsNothing() {
        assertThat(Planner.plan(wanted(true, "t1"), has(State.RUNNING, "t1", null))).isEmpty();
        assertThat(Planner.plan(wanted(true, "t1"), has(State.STARTING, "t1", null))).isEmpty();
        assertThat(Planner.plan(wanted(true, "t1"), has(State.STOPPING, "t1", "StopRequested"))).isEmpty();
    }

    @Test
    void stopActionStopsARunningWorkload() {
        assertThat(Planner.plan(wanted(false, ""), has(State.RUNNING, "", null))).contains(new Action.Stop("u1", "StopRequested"));
    }

    @Test
    void newRestartTokenRestartsARunningWorkloadThroughAStop() {
        assertThat(Planner.plan(wanted(true, "t2"), has(State.RUNNING, "t1", null))).contains(new Action.Stop("u1", "RestartRequested"));
        // Once stopped for the restart, it starts.
        assertThat(Planner.plan(wanted(true, "t2"), has(State.STOPPED, "t1", "RestartRequested"))).contains(new Action.Start(wanted(true, "t2")));
    }

    @Test
    void guestThatPoweredOffStaysOffUntilTheControlPlaneAsksForARestart() {
        assertThat(Planner.plan(wanted(true, "t1"), has(State.STOPPED, "t1", "GuestPoweredOff"))).isEmpty();
        assertThat(Planner.plan(wanted(true, "t1"), has(State.FAILED, "t1", "GuestCrashed"))).isEmpty();
        assertThat(Planner.plan(wanted(true, "t2"), has(State.FAILED, "t1", "GuestCrashed"))).contains(new Action.Start(wanted(true, "t2")));
    }

    @Test
    void workloadStoppedOnRequestStartsWhenWantedRunningAgain() {
        assertThat(Planner.plan(wanted(true, "t1"), has(State.STOPPED, "t1", "StopRequested"))).contains(new Action.Start(wanted(true, "t1")));
    }

    @Test
    void stoppingAWorkloadThatEndedOnItsOwnRecordsTheStopSoThatAStartLaterWorks() {
        assertThat(Planner.plan(wanted(false, "t1"), has(State.FAILED, "t1", "GuestCrashed"))).contains(new Action.Stop("u1", "StopRequested"));
        assertThat(Planner.plan(wanted(false, "t1"), has(State.STOPPED, "t1", "StopRequested"))).isEmpty();
    }

    @Test
    void workloadLostWithThePreviousAgentIsReported() {
        assertThat(Planner.plan(wanted(true, "t1"), has(State.LOST, "t1", "AgentRestarted"))).contains(new Action.ReportLost(wanted(true, "t1")));
        // Not wanted running any more: it is stopped (it is), and says so.
        assertThat(Planner.plan(wanted(false, "t1"), has(State.LOST, "t1", "AgentRestarted"))).contains(new Action.Stop("u1", "StopRequested"));
    }

    @Test
    void guestThatResetItsMachineBootsAgainAtOnceAsAPcReboots() {
        assertThat(Planner.plan(wanted(true, "t1"), has(State.STOPPED, "t1", "GuestReset"))).contains(new Action.Start(wanted(true, "t1")));
        // Unless it is no longer wanted running: then the stop is recorded, as for any other end.
        assertThat(Planner.plan(wanted(false, "t1"), has(State.STOPPED, "t1", "GuestReset"))).contains(new Action.Stop("u1", "StopRequested"));
    }

    @Test
    void workloadForcedOffAfterItsGraceCountsAsStoppedOnRequest() {
        assertThat(Planner.plan(wanted(false, "t1"), has(State.STOPPED, "t1", "StopForced"))).isEmpty();
        assertThat(Planner.plan(wanted(true, "t1"), has(State.STOPPED, "t1", "StopForced"))).contains(new Action.Start(wanted(true, "t1")));
    }
}
