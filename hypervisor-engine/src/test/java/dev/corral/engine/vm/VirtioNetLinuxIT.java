package dev.corral.engine.vm;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import dev.corral.engine.guests.DebianPackages;
import dev.corral.engine.net.Tap;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Two VMs running Debian's kernel on the software CPU, each with a virtio-net NIC over a real TAP device, the two taps
 * ports of a Linux bridge this test creates on the host (with 10.213.0.1/24 on it). The kernel's own virtio_net
 * driver (loaded from the initramfs by the virtio-net check guest, src/test/guests/virtio-net) finds the NIC at
 * 00:0a.0 with the MAC the VM was given and its link up, brings eth0 up with a static address, and pings the host
 * (guest to host and back through the tap) and the other VM (VM to VM through the bridge), its queues interrupting
 * through MSI-X. Needs root and /dev/net/tun (skipped without them); the bridge and taps are gone afterwards.
 */
class VirtioNetLinuxIT {

    private static final Path SCRIPT = Path.of("src/test/guests/virtio-net/build.sh");
    private static final Path OUT = Path.of("target/guests/virtio-net");
    private static final String SUFFIX = Long.toString(ProcessHandle.current().pid() % 100_000);
    private static final String BRIDGE = "cbr" + SUFFIX;
    private static final List<Tap> TAPS = new ArrayList<>();

    @BeforeAll
    static void aBridgeWithTwoTaps() throws Exception {
        try {
            for (String t : new String[] {"a", "b"}) {
                TAPS.add(Tap.open("cnt" + SUFFIX + t));
            }
        } catch (IOException e) {
            Assumptions.abort("no TAP devices here: " + e.getMessage());
        }
        ip("link", "add", BRIDGE, "type", "bridge");
        ip("addr", "add", "10.213.0.1/24", "dev", BRIDGE);
        ip("link", "set", BRIDGE, "up");
        for (var tap : TAPS) {
            ip("link", "set", tap.name(), "master", BRIDGE);
            ip("link", "set", tap.name(), "up");
        }
    }

    @AfterAll
    static void removeThem() throws Exception {
        for (var tap : TAPS) {
            tap.close(); // not persistent: the interface goes with it
        }
        if (Files.exists(Path.of("/sys/class/net", BRIDGE))) {
            ip("link", "del", BRIDGE);
        }
        for (var tap : TAPS) {
            assertThat(Path.of("/sys/class/net", tap.name())).doesNotExist();
        }
        assertThat(Path.of("/sys/class/net", BRIDGE)).doesNotExist();
    }

    @Test
    void twoGuestsOnABridgeReachTheHostAndEachOtherThroughTheirVirtioNetDrivers() throws Exception {
        DebianPackages.run(Path.of("."), "sh", SCRIPT.toString(), OUT.toString());
        byte[] kernel = Files.readAllBytes(OUT.resolve("vmlinuz"));
        byte[] initrd = Files.readAllBytes(OUT.resolve("initramfs.cpio"));
        String[] addresses = {"10.213.0.2", "10.213.0.3"};
        var consoles = new ArrayList<ByteArrayOutputStream>();
        var vms = new ArrayList<VirtualMachine>();
        try {
            for (int i = 0; i < 2; i++) {
                var console = new ByteArrayOutputStream();
                consoles.add(console);
                var nic = new VmConfig.Nic(TAPS.get(i), "02:c0:ff:ee:00:0" + (i + 1));
                String cmdline = "console=ttyS0 panic=-1 corral.ip=" + addresses[i] + " corral.host=10.213.0.1 corral.peer=" + addresses[1 - i];
                var config = new VmConfig("net-it-" + i, 1, 256L << 20, kernel, initrd, cmdline, false, List.of(), VmAccelerator.EMULATED,
                        List.of(nic));
                var vm = VirtualMachine.create(config, b -> {
                    synchronized (console) {
                        console.write(b);
                    }
                }, new VirtualMachine.Listener() {
                    @Override
                    public void started() {
                    }

                    @Override
                    public void finished(VirtualMachine.Outcome o) {
                    }
                });
                vms.add(vm);
            }
            for (var vm : vms) {
                vm.start();
            }
            long deadline = System.nanoTime() + Duration.ofMinutes(10).toNanos();
            while (!(text(consoles.get(0)).contains("corral net: done") && text(consoles.get(1)).contains("corral net: done"))
                    && System.nanoTime() < deadline && vms.stream().noneMatch(vm -> vm.outcome().isPresent())) {
                Thread.sleep(200);
            }
        } finally {
            for (var vm : vms) {
                vm.close(); // the guests wait to be stopped once done
            }
        }
        for (int i = 0; i < 2; i++) {
            String out = text(consoles.get(i));
            assertThat(out).as(out).contains("corral net: done");
            assertThat(out).contains("pci 0000:00:0a.0: [1af4:1041] type 00 class 0x020000",
                    "corral net: eth0 mac 02:c0:ff:ee:00:0" + (i + 1) + " driver virtio_net",
                    "corral net: eth0 up carrier 1",
                    "corral net: host 10.213.0.1 reachable: 3 packets received",
                    "corral net: peer " + addresses[1 - i] + " reachable: 3 packets received");
            // Both queues took their interrupts as MSI-X messages through the local APIC.
            for (String queue : new String[] {"input.0", "output.0"}) {
                assertThat(out).containsPattern("corral net: interrupts .* [0-9]+: +[1-9][0-9]* +PCI-MSI +[0-9]+-edge +virtio[0-9]-" + queue + ";");
            }
            assertThat(out).containsPattern("corral net: eth0 stats rx [1-9][0-9]* tx [1-9][0-9]* errors rx 0 tx 0");
            assertThat(out).doesNotContain("cannot load", "unreachable", "NETDEV WATCHDOG", "needs a reset");
        }
        // The host's side saw the frames: what the guests sent came out of the taps, what the host sent went in.
        for (var tap : TAPS) {
            var stats = Path.of("/sys/class/net", tap.name(), "statistics");
            assertThat(Long.parseLong(Files.readString(stats.resolve("rx_packets")).strip())).isGreaterThan(6);
            assertThat(Long.parseLong(Files.readString(stats.resolve("tx_packets")).strip())).isGreaterThan(6);
        }
    }

    private static String text(ByteArrayOutputStream console) {
        synchronized (console) {
            return console.toString(StandardCharsets.UTF_8).replace("\r", "");
        }
    }

    private static void ip(String... args) throws Exception {
        var command = new String[args.length + 1];
        command[0] = "ip";
        System.arraycopy(args, 0, command, 1, args.length);
        DebianPackages.run(Path.of("."), command);
    }
}
