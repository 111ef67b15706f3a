package dev.corral.agent.runtime;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The host's network links, changed through iproute2's {@code ip} command: the node's bridge and the VMs' taps on
 * it. Every failure is an {@link IOException} whose message is the command and what it printed
 * ({@code ip link add corral0 type bridge failed (exit 2): RTNETLINK answers: Operation not permitted}).
 */
public final class IpLinks {

    private static final long TIMEOUT_SECONDS = 10;

    private final String ip;

    /** @param ip the {@code ip} executable (a name looked up in PATH, or a path) */
    public IpLinks(String ip) {
        this.ip = ip;
    }

    public IpLinks() {
        this("ip");
    }

    /** Whether a link of that name exists. */
    public boolean exists(String link) throws IOException {
        return run("link", "show", "dev", link).exit() == 0;
    }

    /**
     * Makes sure the bridge exists, has the subnet's gateway address (replacing another address it had in that subnet
     * only as {@code ip addr replace} does) and is up.
     */
    public void ensureBridge(String bridge, Subnet subnet) throws IOException {
        if (!exists(bridge)) {
            check(run("link", "add", bridge, "type", "bridge"));
        }
        check(run("addr", "replace", subnet.gatewayWithPrefix(), "dev", bridge));
        check(run("link", "set", bridge, "up"));
    }

    /** Makes {@code link} a port of {@code bridge} and brings it up. */
    public void attach(String link, String bridge) throws IOException {
        check(run("link", "set", link, "master", bridge, "up"));
    }

    /** The names of the bridge's ports. */
    public List<String> ports(String bridge) throws IOException {
        var result = check(run("-o", "link", "show", "master", bridge));
        var names = new ArrayList<String>();
        // "7: crabc@if6: <BROADCAST,...> mtu 1500 master corral0 ..."
        for (String line : result.output().split("\n")) {
            String[] fields = line.split(": ", 3);
            if (fields.length >= 2) {
                String name = fields[1].trim();
                int at = name.indexOf('@');
                names.add(at < 0 ? name : name.substring(0, at));
            }
        }
        return names;
    }

    /**
     * Whether the link is a tap that a live process holds open: a non-persistent tap ({@code persist off}) exists only
     * as long as its process keeps it, so it is never stray.
     */
    public boolean isHeldTap(String link) throws IOException {
        return heldTap(check(run("-d", "-o", "link", "show", "dev", link)).output());
    }

    /** Reads {@code ip -d -o link show}'s line: {@code ... tun type tap pi off vnet_hdr on persist off ...}. */
    static boolean heldTap(String details) {
        return details.contains(" tun type tap ") && details.contains(" persist off ");
    }

    /**
     * A container's interface on the bridge: a veth pair whose {@code host} end is a port of {@code bridge} and whose
     * other end is {@code eth0} in the network namespace {@code netns} (created here, bound at /run/netns/NAME), with
     * the address (CIDR form), the route to {@code gateway}, and loopback up.
     */
    public void addVethIntoNamespace(String host, String peer, String bridge, String netns, String addressWithPrefix, String gateway)
            throws IOException {
        check(run("netns", "add", netns));
        check(run("link", "add", host, "type", "veth", "peer", "name", peer));
        check(run("link", "set", peer, "netns", netns));
        check(run("link", "set", host, "master", bridge, "up"));
        check(run("-n", netns, "link", "set", peer, "name", "eth0"));
        check(run("-n", netns, "addr", "add", addressWithPrefix, "dev", "eth0"));
        check(run("-n", netns, "link", "set", "eth0", "up"));
        check(run("-n", netns, "link", "set", "lo", "up"));
        check(run("-n", netns, "route", "add", "default", "via", gateway));
    }

    /** Whether the network namespace is there (/run/netns/NAME). */
    public boolean namespaceExists(String netns) {
        return java.nio.file.Files.exists(java.nio.file.Path.of("/run/netns", netns));
    }

    /** Deletes the network namespace (the veth end in it, and so its peer, go with it); nothing when there is none. */
    public void deleteNamespace(String netns) throws IOException {
        if (namespaceExists(netns)) {
            check(run("netns", "delete", netns));
        }
    }

    /** Deletes the link; nothing when it does not exist. */
    public void delete(String link) throws IOException {
        if (exists(link)) {
            check(run("link", "delete", "dev", link));
        }
    }

    private record Result(List<String> command, int exit, String output) {
    }

    private static Result check(Result result) throws IOException {
        if (result.exit() != 0) {
            throw new IOException(String.join(" ", result.command()) + " failed (exit " + result.exit() + "): "
                    + result.output().strip());
        }
        return result;
    }

    private Result run(String... args) throws IOException {
        var command = new ArrayList<String>();
        command.add(ip);
        command.addAll(List.of(args));
        Process process;
        try {
            process = new ProcessBuilder(command).redirectErrorStream(true).start();
        } catch (IOException e) {
            throw new IOException("cannot run " + String.join(" ", command) + " (is iproute2 installed?): " + e.getMessage(), e);
        }
        try {
            process.getOutputStream().close();
            byte[] output = process.getInputStream().readAllBytes();
            if (!process.waitFor(TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                throw new IOException(String.join(" ", command) + " did not finish within " + TIMEOUT_SECONDS + " s");
            }
            return new Result(command, process.exitValue(), new String(output, StandardCharsets.UTF_8));
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new IOException(String.join(" ", command) + " was interrupted", e);
        }
    }
}
