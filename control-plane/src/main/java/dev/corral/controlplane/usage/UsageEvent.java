package dev.corral.controlplane.usage;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import dev.corral.api.AssignedDevice;
import dev.corral.api.CloudEvent;
import dev.corral.api.LifecycleData;

/**
 * A lifecycle event as the meter needs it.
 *
 * @param action  the last part of the CloudEvent type: {@code running}, {@code stopped}, ...
 * @param devices devices held, counted per class
 */
public record UsageEvent(String id, String action, String uid, String kind, String name, String project, long sequence,
        Instant time, double vcpus, long memoryMiB, Map<String, Integer> devices) {

    public static UsageEvent of(CloudEvent<LifecycleData> event) {
        var d = event.data();
        if (event.id() == null || event.type() == null || event.time() == null || d == null || d.uid() == null
                || d.kind() == null || d.name() == null || d.project() == null || d.sequence() < 1) {
            throw new IllegalArgumentException("a lifecycle event needs id, type, time and data with kind, uid, name, "
                    + "project and a sequence of at least 1");
        }
        return new UsageEvent(event.id(), event.type().substring(event.type().lastIndexOf('.') + 1), d.uid(), d.kind(),
                d.name(), d.project(), d.sequence(), event.time(), d.vcpus(), d.memoryMiB(), perClass(d.devices()));
    }

    static Map<String, Integer> perClass(List<AssignedDevice> devices) {
        var counts = new TreeMap<String, Integer>();
        if (devices != null) {
            for (var device : devices) {
                counts.merge(device.deviceClass() == null ? "unclassified" : device.deviceClass(), 1, Integer::sum);
            }
        }
        return counts;
    }

    /** The devices back as a list (for events kept while pending). */
    List<AssignedDevice> deviceList() {
        var list = new ArrayList<AssignedDevice>();
        devices.forEach((cls, n) -> {
            for (int i = 0; i < n; i++) {
                list.add(new AssignedDevice(null, cls));
            }
        });
        return list;
    }
}
