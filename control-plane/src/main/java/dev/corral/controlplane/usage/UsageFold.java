package dev.corral.controlplane.usage;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;

/**
 * The meter's rule, without I/O: lifecycle events of one workload, applied in sequence order, turn into closed
 * usage intervals and the open one.
 *
 * <p>Events arrive in order per workload (the record key is the uid), but a consumer may see one twice, and one
 * may be missing for good (a topic trimmed before the meter read it). So an event is applied only when its
 * sequence is the next one; an earlier sequence is stale; a later one waits as pending until the gap fills, or
 * until the caller gives up waiting ({@code skipGaps}) and the interval it opens is flagged {@code SequenceGap}.
 */
public final class UsageFold {

    public static final String NO_START_EVENT = "NoStartEvent";
    public static final String SEQUENCE_GAP = "SequenceGap";

    private UsageFold() {
    }

    /**
     * @param applied the events applied, in order
     * @param pending the events still waiting for an earlier sequence
     * @param stale   the events at or below a sequence already applied (duplicates under another id)
     */
    public record Result(MeterState state, List<Interval> closed, List<UsageEvent> applied, List<UsageEvent> pending,
            List<UsageEvent> stale) {
    }

    /** Applies what can be applied of {@code events} (new ones and earlier pending ones, in any order). */
    public static Result fold(MeterState state, Collection<UsageEvent> events, boolean skipGaps) {
        var sorted = new ArrayList<>(events);
        sorted.sort(Comparator.comparingLong(UsageEvent::sequence));
        var closed = new ArrayList<Interval>();
        var applied = new ArrayList<UsageEvent>();
        var pending = new ArrayList<UsageEvent>();
        var stale = new ArrayList<UsageEvent>();
        for (var e : sorted) {
            if (e.sequence() <= state.appliedSequence()) {
                stale.add(e);
            } else if (e.sequence() == state.appliedSequence() + 1 || (skipGaps && pending.isEmpty())) {
                state = step(state, e, e.sequence() != state.appliedSequence() + 1, closed);
                applied.add(e);
            } else {
                pending.add(e);
            }
        }
        return new Result(state, closed, applied, pending, stale);
    }

    /** One event, known to be the next one to apply (or the first after a gap). */
    static MeterState step(MeterState s, UsageEvent e, boolean afterGap, List<Interval> closed) {
        if (s.phase() == Phase.Gone) {
            return withSequence(s, e.sequence());
        }
        Phase target = Phase.after(e.action(), s.phase());
        // A clock that went backwards on the node must not make a negative interval.
        Instant t = s.since() != null && e.time().isBefore(s.since()) ? s.since() : e.time();
        boolean sameShape = s.vcpus() == e.vcpus() && s.memoryMiB() == e.memoryMiB() && Objects.equals(s.devices(), e.devices())
                && s.diskGiB() == e.diskGiB();
        if (target == s.phase() && (sameShape || !target.counts())) {
            return withSequence(s, e.sequence());
        }
        if (s.phase().counts() && t.isAfter(s.since())) {
            closed.add(s.openUntil(t));
        }
        String flag = null;
        if (afterGap) {
            flag = SEQUENCE_GAP;
        } else if (target == Phase.Running && s.phase() != Phase.Running && !e.action().equals("running")) {
            // Seen running only through exists (or stopping): the start event was never seen.
            flag = NO_START_EVENT;
        } else if (target == s.phase()) {
            flag = s.flag();
        }
        boolean counts = target.counts();
        return new MeterState(s.uid(), s.kind(), s.name(), s.project(), e.sequence(), target, counts ? t : null,
                counts ? e.vcpus() : 0, counts ? e.memoryMiB() : 0, counts ? e.devices() : java.util.Map.of(), flag,
                counts ? e.diskGiB() : 0);
    }

    private static MeterState withSequence(MeterState s, long sequence) {
        return new MeterState(s.uid(), s.kind(), s.name(), s.project(), sequence, s.phase(), s.since(), s.vcpus(),
                s.memoryMiB(), s.devices(), s.flag(), s.diskGiB());
    }
}
