package dev.corral.agent.container;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * The OCI runtime configuration ({@code config.json}, runtime-spec 1.0) of one container run: what runc starts and
 * how it is confined. Pure: the same process and limits always give the same document.
 *
 * <ul>
 * <li>namespaces: pid, mount, network (a new one with only a loopback interface, which runc brings up; or the one the
 * agent made for the node's network, {@link ContainerNetwork}), ipc, uts, cgroup;</li>
 * <li>cgroups: {@code /corral/<uid>/c} under the agent's {@code /corral/<uid>}, which holds the memory limit
 * ({@link Cgroups}); a CFS quota from the CPU limit and a pids limit here;</li>
 * <li>the capabilities container runtimes grant by default (containerd's and Docker's fourteen), no-new-privileges,
 * a seccomp filter that refuses what Docker's default profile refuses a container without CAP_SYS_ADMIN (kernel
 * modules, kexec, mount, namespaces and user namespaces, keyrings, BPF, perf, clock changes ...) with EPERM;</li>
 * <li>runc's default masked and read-only /proc and /sys paths; /sys and the cgroup file system read-only.</li>
 * </ul>
 */
final class Bundle {

    static final long CPU_PERIOD_MICROS = 100_000;

    /** containerd's and Docker's default capability set. */
    static final List<String> DEFAULT_CAPABILITIES = List.of("CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FSETID", "CAP_FOWNER",
            "CAP_MKNOD", "CAP_NET_RAW", "CAP_SETGID", "CAP_SETUID", "CAP_SETFCAP", "CAP_SETPCAP", "CAP_NET_BIND_SERVICE",
            "CAP_SYS_CHROOT", "CAP_KILL", "CAP_AUDIT_WRITE");

    /** runc's defaults ({@code runc spec}). */
    static final List<String> MASKED_PATHS = List.of("/proc/acpi", "/proc/asound", "/proc/kcore", "/proc/keys",
            "/proc/latency_stats", "/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug", "/sys/firmware", "/proc/scsi");
    static final List<String> READONLY_PATHS = List.of("/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger");

    /**
     * System calls a container may not make (EPERM): those Docker's default profile leaves out for a container
     * without CAP_SYS_ADMIN and the other capabilities it does not have.
     */
    static final List<String> DENIED_SYSCALLS = List.of("acct", "add_key", "bpf", "clock_adjtime", "clock_settime",
            "create_module", "delete_module", "finit_module", "fanotify_init", "fsconfig", "fsmount", "fsopen", "fspick",
            "get_kernel_syms", "get_mempolicy", "init_module", "ioperm", "iopl", "kcmp", "kexec_file_load", "kexec_load",
            "keyctl", "lookup_dcookie", "mbind", "mount", "mount_setattr", "move_mount", "move_pages", "name_to_handle_at",
            "nfsservctl", "open_by_handle_at", "open_tree", "perf_event_open", "pivot_root", "process_vm_readv",
            "process_vm_writev", "ptrace", "query_module", "quotactl", "reboot", "request_key", "set_mempolicy", "setns",
            "settimeofday", "stime", "swapoff", "swapon", "syslog", "umount", "umount2", "unshare", "uselib",
            "userfaultfd", "ustat", "vm86", "vm86old");
    private static final long CLONE_NEWUSER = 0x10000000L;

    /**
     * What the container runs and with what limits.
     *
     * @param args     the process and its arguments (never empty)
     * @param env      {@code NAME=value}, in order
     * @param uid      the user it runs as
     * @param rootfs   the mounted root file system (absolute)
     * @param cpus     the CPU limit in vCPUs
     * @param netns    the network namespace to join (the node's network); null: a new one, loopback only
     */
    record Process(List<String> args, List<String> env, String cwd, int uid, int gid, String hostname, String rootfs,
            boolean readOnlyRoot, double cpus, long pidsLimit, String cgroupsPath, String netns) {

        Process(List<String> args, List<String> env, String cwd, int uid, int gid, String hostname, String rootfs,
                boolean readOnlyRoot, double cpus, long pidsLimit, String cgroupsPath) {
            this(args, env, cwd, uid, gid, hostname, rootfs, readOnlyRoot, cpus, pidsLimit, cgroupsPath, null);
        }
    }

    private Bundle() {
    }

    static ObjectNode config(ObjectMapper json, Process p) {
        var c = json.createObjectNode();
        c.put("ociVersion", "1.0.2");
        var process = c.putObject("process");
        process.put("terminal", false);
        var user = process.putObject("user");
        user.put("uid", p.uid());
        user.put("gid", p.gid());
        strings(process.putArray("args"), p.args());
        strings(process.putArray("env"), p.env());
        process.put("cwd", p.cwd());
        var caps = process.putObject("capabilities");
        for (String set : List.of("bounding", "effective", "permitted")) {
            strings(caps.putArray(set), DEFAULT_CAPABILITIES);
        }
        process.put("noNewPrivileges", true);
        var root = c.putObject("root");
        root.put("path", p.rootfs());
        root.put("readonly", p.readOnlyRoot());
        c.put("hostname", p.hostname());
        var mounts = c.putArray("mounts");
        mount(mounts, "/proc", "proc", "proc", List.of("nosuid", "noexec", "nodev"));
        mount(mounts, "/dev", "tmpfs", "tmpfs", List.of("nosuid", "strictatime", "mode=755", "size=65536k"));
        mount(mounts, "/dev/pts", "devpts", "devpts", List.of("nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"));
        mount(mounts, "/dev/shm", "tmpfs", "shm", List.of("nosuid", "noexec", "nodev", "mode=1777", "size=65536k"));
        mount(mounts, "/dev/mqueue", "mqueue", "mqueue", List.of("nosuid", "noexec", "nodev"));
        mount(mounts, "/sys", "sysfs", "sysfs", List.of("nosuid", "noexec", "nodev", "ro"));
        mount(mounts, "/sys/fs/cgroup", "cgroup", "cgroup", List.of("nosuid", "noexec", "nodev", "relatime", "ro"));
        mount(mounts, "/tmp", "tmpfs", "tmpfs", List.of("nosuid", "nodev", "mode=1777"));
        var linux = c.putObject("linux");
        linux.put("cgroupsPath", p.cgroupsPath());
        var resources = linux.putObject("resources");
        var deny = resources.putArray("devices").addObject();
        deny.put("allow", false);
        deny.put("access", "rwm");
        var cpu = resources.putObject("cpu");
        cpu.put("quota", Math.max(1000, Math.round(p.cpus() * CPU_PERIOD_MICROS)));
        cpu.put("period", CPU_PERIOD_MICROS);
        resources.putObject("pids").put("limit", p.pidsLimit());
        var namespaces = linux.putArray("namespaces");
        for (String ns : List.of("pid", "network", "ipc", "uts", "mount", "cgroup")) {
            var n = namespaces.addObject();
            n.put("type", ns);
            if (ns.equals("network") && p.netns() != null) {
                n.put("path", p.netns());
            }
        }
        strings(linux.putArray("maskedPaths"), MASKED_PATHS);
        strings(linux.putArray("readonlyPaths"), READONLY_PATHS);
        linux.set("seccomp", seccomp(json));
        return c;
    }

    private static ObjectNode seccomp(ObjectMapper json) {
        var s = json.createObjectNode();
        s.put("defaultAction", "SCMP_ACT_ALLOW");
        strings(s.putArray("architectures"), List.of("SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"));
        var syscalls = s.putArray("syscalls");
        var denied = syscalls.addObject();
        strings(denied.putArray("names"), DENIED_SYSCALLS);
        denied.put("action", "SCMP_ACT_ERRNO");
        denied.put("errnoRet", 1);
        // A new user namespace through clone: refused as unshare is. clone3 takes its flags in memory, where a filter
        // cannot look: it says "not implemented", and the C library falls back to clone.
        var userns = syscalls.addObject();
        strings(userns.putArray("names"), List.of("clone"));
        userns.put("action", "SCMP_ACT_ERRNO");
        userns.put("errnoRet", 1);
        var arg = userns.putArray("args").addObject();
        arg.put("index", 0);
        arg.put("value", CLONE_NEWUSER);
        arg.put("valueTwo", CLONE_NEWUSER);
        arg.put("op", "SCMP_CMP_MASKED_EQ");
        var clone3 = syscalls.addObject();
        strings(clone3.putArray("names"), List.of("clone3"));
        clone3.put("action", "SCMP_ACT_ERRNO");
        clone3.put("errnoRet", 38);
        return s;
    }

    private static void mount(ArrayNode mounts, String destination, String type, String source, List<String> options) {
        var m = mounts.addObject();
        m.put("destination", destination);
        m.put("type", type);
        m.put("source", source);
        strings(m.putArray("options"), options);
    }

    private static void strings(ArrayNode array, List<String> values) {
        values.forEach(array::add);
    }

    /**
     * The process's arguments, Docker's way: {@code command} replaces the image's Entrypoint (and then its Cmd is
     * dropped too), {@code args} replaces its Cmd.
     *
     * @return empty when there is nothing to run
     */
    static List<String> args(List<String> command, List<String> args, List<String> entrypoint, List<String> cmd) {
        var all = new ArrayList<String>();
        if (command != null) {
            all.addAll(command);
            if (args != null) {
                all.addAll(args);
            }
        } else {
            if (entrypoint != null) {
                all.addAll(entrypoint);
            }
            if (args != null) {
                all.addAll(args);
            } else if (cmd != null) {
                all.addAll(cmd);
            }
        }
        return all;
    }

    /** The image's environment with the container's added and overriding it (by name); PATH defaulted when absent. */
    static List<String> env(List<String> image, Map<String, String> container) {
        var merged = new LinkedHashMap<String, String>();
        merged.put("PATH", "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
        if (image != null) {
            for (String e : image) {
                int eq = e.indexOf('=');
                merged.put(eq < 0 ? e : e.substring(0, eq), eq < 0 ? "" : e.substring(eq + 1));
            }
        }
        if (container != null) {
            merged.putAll(container);
        }
        var env = new ArrayList<String>();
        merged.forEach((k, v) -> env.add(k + "=" + v));
        return env;
    }
}
