package dev.corral.controlplane.network;

import java.util.regex.Pattern;

/**
 * A node's VM network: an IPv4 subnet in CIDR form. Its network address and its broadcast address are never a host's,
 * and its first host address is the node's own (the guests' gateway), so VMs get the addresses after it.
 *
 * @param network the network address as an unsigned 32-bit number
 * @param prefix  16 to 29: at least one address for a VM, at most a /16's worth
 */
public record Subnet(long network, int prefix) {

    public static final int MIN_PREFIX = 16;
    public static final int MAX_PREFIX = 29;
    private static final Pattern CIDR = Pattern.compile("(\\d{1,3})\\.(\\d{1,3})\\.(\\d{1,3})\\.(\\d{1,3})/(\\d{1,2})");

    /** Thrown by {@link #parse} with the sentence that says what is wrong. */
    public static final class InvalidSubnetException extends IllegalArgumentException {
        InvalidSubnetException(String message) {
            super(message);
        }
    }

    /** {@code 10.88.0.0/24}; the address must be the network's own (no host bits set). */
    public static Subnet parse(String cidr) {
        var m = cidr == null ? null : CIDR.matcher(cidr);
        if (m == null || !m.matches()) {
            throw new InvalidSubnetException("must be an IPv4 subnet in CIDR form, like 10.88.0.0/24");
        }
        long address = 0;
        for (int i = 1; i <= 4; i++) {
            int octet = Integer.parseInt(m.group(i));
            if (octet > 255 || (m.group(i).length() > 1 && m.group(i).startsWith("0"))) {
                throw new InvalidSubnetException("must be an IPv4 subnet in CIDR form, like 10.88.0.0/24 (octets 0 to 255)");
            }
            address = address << 8 | octet;
        }
        int prefix = Integer.parseInt(m.group(5));
        if (prefix < MIN_PREFIX || prefix > MAX_PREFIX) {
            throw new InvalidSubnetException("must have a prefix length from /" + MIN_PREFIX + " to /" + MAX_PREFIX);
        }
        var subnet = new Subnet(address & mask(prefix), prefix);
        if (subnet.network() != address) {
            throw new InvalidSubnetException("must name the network address (" + subnet + "), not a host in it");
        }
        return subnet;
    }

    private static long mask(int prefix) {
        return (0xffff_ffffL << (32 - prefix)) & 0xffff_ffffL;
    }

    public long broadcast() {
        return network | (~mask(prefix) & 0xffff_ffffL);
    }

    /** The node's own address, the guests' gateway. */
    public long gateway() {
        return network + 1;
    }

    /** The first address a VM may get. */
    public long firstVmAddress() {
        return network + 2;
    }

    /** The last address a VM may get. */
    public long lastVmAddress() {
        return broadcast() - 1;
    }

    public static String format(long address) {
        return (address >>> 24 & 0xff) + "." + (address >>> 16 & 0xff) + "." + (address >>> 8 & 0xff) + "." + (address & 0xff);
    }

    @Override
    public String toString() {
        return format(network) + "/" + prefix;
    }
}
