package dev.corral.controlplane.workload;

import java.util.List;
import java.util.regex.Pattern;

import dev.corral.api.DeviceRequest;
import dev.corral.api.Problem;

/** Rules for device requests, shared by instance types and VMs. */
public final class DeviceRequests {

    private static final Pattern CLASS = Pattern.compile("[a-z][-a-z0-9]{0,31}");
    private static final Pattern HEX4 = Pattern.compile("[0-9a-f]{4}");

    private DeviceRequests() {
    }

    public static void check(String field, List<DeviceRequest> requests, List<Problem.FieldError> errors) {
        if (requests == null) {
            return;
        }
        if (requests.size() > 16) {
            errors.add(new Problem.FieldError(field, "at most 16 device requests"));
        }
        for (int i = 0; i < requests.size(); i++) {
            var r = requests.get(i);
            String f = field + "[" + i + "]";
            if (r == null) {
                errors.add(new Problem.FieldError(f, "must not be null"));
                continue;
            }
            if (r.deviceClass() == null || !CLASS.matcher(r.deviceClass()).matches()) {
                errors.add(new Problem.FieldError(f + ".class", "is required: a class name such as gpu, network, storage, accelerator"));
            }
            if (r.vendor() != null && !HEX4.matcher(r.vendor()).matches()) {
                errors.add(new Problem.FieldError(f + ".vendor", "must be a PCI vendor id, 4 lowercase hex digits (e.g. 10de)"));
            }
            if (r.device() != null && !HEX4.matcher(r.device()).matches()) {
                errors.add(new Problem.FieldError(f + ".device", "must be a PCI device id, 4 lowercase hex digits"));
            }
            if (r.count() != null && (r.count() < 1 || r.count() > 16)) {
                errors.add(new Problem.FieldError(f + ".count", "must be between 1 and 16"));
            }
        }
    }

    /** The requests with their defaults (count 1). */
    public static List<DeviceRequest> normalized(List<DeviceRequest> requests) {
        return requests == null ? null : requests.stream()
                .map(r -> new DeviceRequest(r.deviceClass(), r.vendor(), r.device(), r.count() == null ? 1 : r.count()))
                .toList();
    }
}
