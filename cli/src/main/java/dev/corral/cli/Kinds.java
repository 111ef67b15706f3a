package dev.corral.cli;

import java.util.List;
import java.util.Optional;

import com.fasterxml.jackson.databind.JsonNode;
import dev.corral.cli.output.Column;
import dev.corral.cli.output.Quantities;

/** The resource types the CLI knows: their names as users type them, their API paths and their table columns. */
public enum Kinds {

    VM("VM", "vms", List.of("vm", "vms", "virtualmachine", "virtualmachines"), "/v1/vms", true),
    CONTAINER("Container", "containers", List.of("container", "containers", "ct"), "/v1/containers", true),
    NODE("Node", "nodes", List.of("node", "nodes", "no"), "/v1/nodes", false),
    IMAGE("Image", "images", List.of("image", "images", "img"), "/v1/images", true),
    INSTANCE_TYPE("InstanceType", "instancetypes", List.of("instancetype", "instancetypes", "it"), "/v1/instancetypes", false),
    EVENT("Event", "events", List.of("event", "events", "ev"), "/v1/events", true),
    PROJECT("Project", "projects", List.of("project", "projects", "proj"), "/v1/projects", false),
    /** Bearer tokens (admins only); named by their id; deleting one revokes it. */
    TOKEN("Token", "tokens", List.of("token", "tokens"), "/v1/tokens", false);

    public final String kind;
    public final String plural;
    public final List<String> names;
    public final String path;
    public final boolean namespaced;

    Kinds(String kind, String plural, List<String> names, String path, boolean namespaced) {
        this.kind = kind;
        this.plural = plural;
        this.names = names;
        this.path = path;
        this.namespaced = namespaced;
    }

    /** The singular lower-case name used in {@code vm/web-1}. */
    public String singular() {
        return names.getFirst();
    }

    public static Optional<Kinds> byName(String name) {
        String n = name.toLowerCase();
        for (var k : values()) {
            if (k.names.contains(n) || k.kind.equalsIgnoreCase(n)) {
                return Optional.of(k);
            }
        }
        return Optional.empty();
    }

    public List<Column> columns(boolean wide) {
        Column name = new Column("NAME", o -> o.path("metadata").path("name").asText());
        Column age = new Column("AGE", o -> Quantities.age(o.path("metadata").path("creationTimestamp").asText(null)));
        return switch (this) {
            case VM -> wide
                    ? List.of(name, phase(), node(), vcpus(), memory(), new Column("IMAGE", o -> text(o, "spec", "image")),
                            new Column("INSTANCE-TYPE", o -> text(o, "spec", "instanceType")),
                            new Column("DEVICES", o -> String.valueOf(o.path("status").path("devices").size())),
                            new Column("DISK", o -> gib(o.path("status").path("resources").path("diskGiB"))),
                            new Column("IPS", o -> text(o, "status", "network", "ip")),
                            new Column("MAC", o -> text(o, "status", "network", "mac")), age)
                    : List.of(name, phase(), node(), vcpus(), memory(), age);
            case CONTAINER -> wide
                    ? List.of(name, phase(), node(), vcpus(), memory(), new Column("IMAGE", o -> text(o, "spec", "image")),
                            new Column("IPS", o -> text(o, "status", "network", "ip")),
                            new Column("EXIT", o -> text(o, "status", "exitCode")), age)
                    : List.of(name, phase(), node(), vcpus(), memory(), age);
            case NODE -> {
                var status = new Column("STATUS", o -> text(o, "status", "phase")
                        + (o.path("spec").path("unschedulable").asBoolean() ? ",SchedulingDisabled" : ""));
                var accel = new Column("ACCELERATOR", o -> text(o, "status", "accelerator"));
                var cpus = new Column("VCPUS", o -> text(o, "status", "capacity", "vcpus"));
                var mem = new Column("MEMORY", o -> Quantities.mib(o.path("status").path("capacity").path("memoryMiB")));
                yield wide
                        ? List.of(name, status, accel, cpus, mem,
                                new Column("ALLOCATED-VCPUS", o -> Quantities.number(o.path("status").path("allocated").path("vcpus"))),
                                new Column("ALLOCATED-MEMORY", o -> Quantities.mib(o.path("status").path("allocated").path("memoryMiB"))),
                                new Column("DEVICES", o -> String.valueOf(o.path("status").path("devices").size())), age)
                        : List.of(name, status, accel, cpus, mem, age);
            }
            case IMAGE -> List.of(name, new Column("ARCH", o -> text(o, "spec", "architecture")),
                    new Column("KERNEL", o -> shortSha(o.path("spec").path("kernel").path("sha256").asText(null))),
                    new Column("INITRD", o -> shortSha(o.path("spec").path("initrd").path("sha256").asText(null))),
                    new Column("DISK", o -> disk(o.path("spec").path("disk"))), age);
            case INSTANCE_TYPE -> List.of(name, new Column("VCPUS", o -> text(o, "spec", "vcpus")),
                    new Column("MEMORY", o -> Quantities.mib(o.path("spec").path("memoryMiB"))),
                    new Column("DEVICES", o -> devices(o.path("spec").path("devices"))), age);
            case EVENT -> List.of(new Column("LAST SEEN", o -> Quantities.age(o.path("lastTimestamp").asText(null))),
                    new Column("TYPE", o -> o.path("type").asText()), new Column("REASON", o -> o.path("reason").asText()),
                    new Column("OBJECT", o -> o.path("involvedObject").path("kind").asText().toLowerCase() + "/"
                            + o.path("involvedObject").path("name").asText()),
                    new Column("COUNT", o -> o.path("count").asText()), new Column("MESSAGE", o -> o.path("message").asText()));
            case PROJECT -> List.of(name, new Column("DESCRIPTION", o -> text(o, "spec", "description")), age);
            case TOKEN -> List.of(new Column("ID", o -> o.path("id").asText()), new Column("SUBJECT", o -> o.path("subject").asText()),
                    new Column("ROLE", o -> o.path("role").asText()),
                    new Column("SCOPE", o -> o.path(o.has("node") ? "node" : "project").asText("<all>")),
                    new Column("EXPIRES", o -> o.path("expiresAt").asText("<never>")),
                    new Column("REVOKED", o -> o.path("revokedAt").asText("<no>")),
                    new Column("AGE", o -> Quantities.age(o.path("createdAt").asText(null))));
        };
    }

    private static Column phase() {
        return new Column("PHASE", o -> text(o, "status", "phase"));
    }

    private static Column node() {
        return new Column("NODE", o -> text(o, "status", "node"));
    }

    private static Column vcpus() {
        return new Column("VCPUS", o -> Quantities.number(o.path("status").path("resources").path("vcpus")));
    }

    private static Column memory() {
        return new Column("MEMORY", o -> Quantities.mib(o.path("status").path("resources").path("memoryMiB")));
    }

    static String text(JsonNode o, String... path) {
        JsonNode n = o;
        for (String p : path) {
            n = n.path(p);
        }
        return n.isMissingNode() || n.isNull() ? "<none>" : n.asText();
    }

    private static String gib(JsonNode value) {
        return value.isNumber() ? value.asLong() + "Gi" : "<none>";
    }

    /**
     * {@code qcow2 3Gi}, {@code raw 64Mi}: the format and the size the guest sees, in whole GiB where it is at least
     * one, else in MiB (rounded up).
     */
    private static String disk(JsonNode disk) {
        if (!disk.isObject()) {
            return "<none>";
        }
        long bytes = disk.path("virtualSizeBytes").asLong(0);
        String size = bytes <= 0 ? "" : bytes >= 1L << 30 ? " " + ((bytes + (1L << 30) - 1) >> 30) + "Gi"
                : " " + ((bytes + (1L << 20) - 1) >> 20) + "Mi";
        return disk.path("format").asText("raw") + size;
    }

    private static String shortSha(String sha) {
        return sha == null ? "<none>" : sha.substring(0, Math.min(12, sha.length()));
    }

    private static String devices(JsonNode requests) {
        if (!requests.isArray() || requests.isEmpty()) {
            return "<none>";
        }
        var parts = new java.util.ArrayList<String>();
        requests.forEach(r -> parts.add(r.path("class").asText() + "=" + r.path("count").asInt(1)));
        return String.join(",", parts);
    }
}
