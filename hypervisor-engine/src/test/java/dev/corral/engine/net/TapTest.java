package dev.corral.engine.net;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HexFormat;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Real TAP devices on this host (the tests run as root with /dev/net/tun; they are skipped only where it cannot be
 * opened): the interface exists while the tap is open and is gone once it is closed or its process is killed; frames
 * the host's stack sends out of it arrive in {@link Tap#receive}; a frame {@link Tap#send} writes reaches a socket
 * on the host; {@link Tap#close} wakes a receiver that waits.
 */
@Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD) // a guard against a receiver that never wakes, not a speed assertion
class TapTest {

    private static final String PREFIX = "ct" + ProcessHandle.current().pid() % 100_000;

    /** The child process of {@link #aTapIsGoneWhenTheProcessHoldingItIsKilled}: opens a tap, says so, waits. */
    public static void main(String[] args) throws Exception {
        try (var tap = Tap.open(args[0])) {
            System.out.println("open " + tap.name());
            System.out.flush();
            Thread.sleep(60_000);
        }
    }

    @BeforeAll
    static void tunCanBeOpened() {
        try (var tap = Tap.open(PREFIX + "p")) {
            // it can
        } catch (IOException e) {
            Assumptions.abort("no TAP devices here: " + e.getMessage());
        }
    }

    @Test
    void theInterfaceExistsWhileTheTapIsOpenAndIsGoneOnceClosed() throws Exception {
        String name = PREFIX + "a";
        var sys = Path.of("/sys/class/net", name);
        try (var tap = Tap.open(name)) {
            assertThat(tap.name()).isEqualTo(name);
            assertThat(sys).exists();
            assertThat(Files.readString(sys.resolve("tun_flags")).strip()).isEqualTo("0x1002"); // IFF_TAP | IFF_NO_PI
            tap.close();
            tap.close(); // idempotent
            assertThat(sys).doesNotExist();
            assertThatThrownBy(() -> tap.send(ByteBuffer.allocate(60))).isInstanceOf(IOException.class).hasMessageContaining("closed");
            assertThat(tap.receive(ByteBuffer.allocate(NetBackend.MAX_FRAME))).isEqualTo(-1);
        }
    }

    @Test
    void aTapIsGoneWhenTheProcessHoldingItIsKilled() throws Exception {
        String name = PREFIX + "k";
        var java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        var child = new ProcessBuilder(java, "--enable-native-access=ALL-UNNAMED", "-cp", System.getProperty("java.class.path"),
                TapTest.class.getName(), name).redirectErrorStream(true).start();
        try {
            var lines = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8));
            assertThat(lines.readLine()).isEqualTo("open " + name);
            assertThat(Path.of("/sys/class/net", name)).exists();
        } finally {
            child.destroyForcibly(); // SIGKILL: nothing in the process gets to close the tap
            assertThat(child.waitFor(30, TimeUnit.SECONDS)).isTrue();
        }
        awaitGone(name);
    }

    @Test
    void framesTheHostSendsOutOfTheTapAreReceivedAndFramesSentIntoItReachAHostSocket() throws Exception {
        String name = PREFIX + "f";
        try (var tap = Tap.open(name)) {
            ip("addr", "add", "10.213.9.1/24", "dev", name);
            ip("link", "set", name, "up");
            // The host resolves 10.213.9.2 before it can send to it: its ARP request goes out of the tap.
            try (var socket = new DatagramSocket()) {
                socket.send(new DatagramPacket(new byte[] {1}, 1, InetAddress.getByName("10.213.9.2"), 9));
            }
            var buffer = ByteBuffer.allocate(NetBackend.MAX_FRAME);
            byte[] hostMac = HexFormat.ofDelimiter(":").parseHex(Files.readString(Path.of("/sys/class/net", name, "address")).strip());
            boolean arp = false;
            long deadline = System.nanoTime() + 20_000_000_000L;
            while (!arp && System.nanoTime() < deadline) {
                buffer.clear();
                int n = tap.receive(buffer, 1000);
                if (n >= 42) { // IPv6 router solicitations and MLD reports may come first
                    var f = buffer.flip();
                    arp = f.getShort(12) == 0x0806 && f.getShort(20) == 1 && f.getInt(38) == 0x0ad50902; // who-has 10.213.9.2
                    if (arp) {
                        byte[] source = new byte[6];
                        f.get(6, source);
                        assertThat(source).isEqualTo(hostMac);
                    }
                }
            }
            assertThat(arp).as("the host's ARP request for 10.213.9.2 came out of the tap").isTrue();

            try (var socket = new DatagramSocket(new InetSocketAddress("10.213.9.1", 0))) {
                socket.setSoTimeout(10_000);
                byte[] payload = "hello from the wire".getBytes(StandardCharsets.US_ASCII);
                tap.send(ByteBuffer.wrap(udpFrame(hostMac, socket.getLocalPort(), payload)));
                var packet = new DatagramPacket(new byte[100], 100);
                socket.receive(packet);
                assertThat(new String(packet.getData(), 0, packet.getLength(), StandardCharsets.US_ASCII)).isEqualTo("hello from the wire");
                assertThat(packet.getAddress().getHostAddress()).isEqualTo("10.213.9.2");
            }
        }
        awaitGone(name);
    }

    @Test
    void closingTheTapWakesAReceiverThatWaits() throws Exception {
        var tap = Tap.open(PREFIX + "w");
        var received = CompletableFuture.supplyAsync(() -> {
            try {
                return tap.receive(ByteBuffer.allocate(NetBackend.MAX_FRAME));
            } catch (IOException e) {
                throw new RuntimeException(e);
            }
        });
        Thread.sleep(200);
        assertThat(received).isNotDone(); // the interface is down: nothing comes
        tap.close();
        assertThat(received.get(10, TimeUnit.SECONDS)).isEqualTo(-1);
    }

    @Test
    void aReceiveWithATimeoutReturnsZeroWhenNothingCame() throws Exception {
        try (var tap = Tap.open(PREFIX + "t")) {
            assertThat(tap.receive(ByteBuffer.allocate(NetBackend.MAX_FRAME), 50)).isZero();
        }
    }

    @Test
    void namesLinuxWouldRefuseAreRefusedBeforeTheKernelSeesThem() {
        for (String bad : new String[] {"", "sixteen-bytes-xx", "a/b", "a:b", "a b", ".", ".."}) {
            assertThatThrownBy(() -> Tap.open(bad)).as(bad).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("1-15 bytes");
        }
        assertThat(Tap.checkName("fifteen-bytes-x")).hasSize(15);
    }

    /** An Ethernet frame from 02:00:00:00:00:02 (10.213.9.2:4242) to the tap's host side (10.213.9.1:port). */
    private static byte[] udpFrame(byte[] hostMac, int port, byte[] payload) {
        var f = ByteBuffer.allocate(14 + 20 + 8 + payload.length);
        f.put(hostMac).put(new byte[] {2, 0, 0, 0, 0, 2}).putShort((short) 0x0800);
        int ip = f.position();
        f.put((byte) 0x45).put((byte) 0).putShort((short) (20 + 8 + payload.length)).putShort((short) 1).putShort((short) 0)
                .put((byte) 64).put((byte) 17).putShort((short) 0).putInt(0x0ad50902).putInt(0x0ad50901);
        int sum = 0;
        for (int i = ip; i < ip + 20; i += 2) {
            sum += f.getShort(i) & 0xffff;
        }
        sum = (sum & 0xffff) + (sum >>> 16);
        sum = (sum & 0xffff) + (sum >>> 16);
        f.putShort(ip + 10, (short) ~sum);
        f.putShort((short) 4242).putShort((short) port).putShort((short) (8 + payload.length)).putShort((short) 0).put(payload);
        return f.array();
    }

    private static void ip(String... args) throws Exception {
        var command = new String[args.length + 1];
        command[0] = "ip";
        System.arraycopy(args, 0, command, 1, args.length);
        var p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as(String.join(" ", command) + ": " + out).isZero();
    }

    private static void awaitGone(String name) throws InterruptedException {
        var sys = Path.of("/sys/class/net", name);
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (Files.exists(sys) && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        assertThat(sys).as("interface " + name).doesNotExist();
    }
}
