package dev.corral.controlplane.usage;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;

/** Plausible lifecycles of workloads: scheduled, started, running for a while, stopped, restarted, deleted. */
public final class Histories {

    private Histories() {
    }

    /** One workload's events in sequence order, starting at {@code start}, with a constant shape. */
    public static List<UsageEvent> random(Random random, String project, String uid, Instant start) {
        var events = new ArrayList<UsageEvent>();
        double vcpus = 1 + random.nextInt(8);
        long memoryMiB = 256L * (1 + random.nextInt(16));
        Map<String, Integer> devices = random.nextInt(4) == 0 ? Map.of("gpu", 1 + random.nextInt(2)) : Map.of();
        // A third have no disks; the others a boot disk and volumes, in all 1 to 2000 GiB (fixed at create).
        long diskGiB = random.nextInt(3) == 0 ? 0 : 1 + random.nextInt(2000);
        long t = start.getEpochSecond();
        var actions = new ArrayList<String>();
        if (random.nextInt(6) == 0) {
            // Seen only from an exists onwards: its start was never published (or trimmed away).
            actions.add("exists");
        } else {
            actions.add("scheduled");
        }
        int cycles = 1 + random.nextInt(3);
        for (int c = 0; c < cycles; c++) {
            if (c > 0 || actions.getFirst().equals("scheduled")) {
                actions.add("starting");
                actions.add("running");
            }
            for (int i = random.nextInt(4); i > 0; i--) {
                actions.add("exists");
            }
            if (random.nextInt(5) == 0) {
                actions.add("failed");
            } else {
                actions.add("stopping");
                actions.add("stopped");
            }
        }
        if (random.nextInt(3) > 0) {
            actions.add("deleted");
        } else if (random.nextBoolean()) {
            // Still running at the end of the story.
            actions.add("starting");
            actions.add("running");
        }
        long sequence = 1;
        for (String action : actions) {
            t += random.nextInt(4) == 0 ? 0 : random.nextInt(1800);
            events.add(new UsageEvent(uid + "-" + sequence, action, uid, "VM", "vm-" + uid.substring(0, 8), project, sequence,
                    Instant.ofEpochSecond(t), vcpus, memoryMiB, devices, diskGiB));
            sequence++;
        }
        return events;
    }
}
