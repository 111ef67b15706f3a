package dev.corral.agent.runtime;

/**
 * An IPv4 subnet in CIDR form ({@code 10.88.0.0/24}): a node's VM network. Its first host address is the node's
 * bridge, the guests' gateway.
 *
 * @param network the network address, host bits zero
 * @param prefix  the prefix length, 1 to 30 (a smaller network has no room for a gateway and a guest)
 */
public record Subnet(int network, int prefix) {

    public Subnet {
        if (prefix < 1 || prefix > 30) {
            throw new IllegalArgumentException("a VM subnet's prefix is 1 to 30 bits, not " + prefix);
        }
        if ((network & ~mask(prefix)) != 0) {
            throw new IllegalArgumentException(address(network) + "/" + prefix + " has host bits set");
        }
    }

    /** Reads {@code a.b.c.d/n}. */
    public static Subnet parse(String cidr) {
        if (cidr == null) {
            throw new IllegalArgumentException("no subnet given");
        }
        int slash = cidr.indexOf('/');
        if (slash < 0) {
            throw new IllegalArgumentException("not a subnet in CIDR form (a.b.c.d/n): " + cidr);
        }
        int prefix;
        try {
            prefix = Integer.parseInt(cidr.substring(slash + 1));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("not a subnet in CIDR form (a.b.c.d/n): " + cidr, e);
        }
        return new Subnet(parseAddress(cidr.substring(0, slash)), prefix);
    }

    /** Reads a dotted IPv4 address. */
    public static int parseAddress(String dotted) {
        String[] parts = dotted == null ? new String[0] : dotted.split("\\.", -1);
        if (parts.length != 4) {
            throw new IllegalArgumentException("not an IPv4 address: " + dotted);
        }
        int address = 0;
        for (String part : parts) {
            int octet;
            try {
                octet = part.matches("[0-9]{1,3}") ? Integer.parseInt(part) : -1;
            } catch (NumberFormatException e) {
                octet = -1;
            }
            if (octet < 0 || octet > 255) {
                throw new IllegalArgumentException("not an IPv4 address: " + dotted);
            }
            address = address << 8 | octet;
        }
        return address;
    }

    static String address(int address) {
        return (address >>> 24) + "." + (address >>> 16 & 0xff) + "." + (address >>> 8 & 0xff) + "." + (address & 0xff);
    }

    private static int mask(int prefix) {
        return prefix == 0 ? 0 : -1 << (32 - prefix);
    }

    /** The node's own address on it, the guests' gateway: the first host address. */
    public String gateway() {
        return address(network + 1);
    }

    /** The gateway with the prefix, as {@code ip addr} takes it: {@code 10.88.0.1/24}. */
    public String gatewayWithPrefix() {
        return gateway() + "/" + prefix;
    }

    /** The netmask in dotted form, as the kernel's {@code ip=} parameter takes it. */
    public String netmask() {
        return address(mask(prefix));
    }

    /** Whether {@code address} is a guest's address here: inside, neither the network, the gateway nor broadcast. */
    public boolean isGuestAddress(String dotted) {
        int address = parseAddress(dotted);
        int broadcast = network | ~mask(prefix);
        return (address & mask(prefix)) == network && address != network && address != network + 1 && address != broadcast;
    }

    @Override
    public String toString() {
        return address(network) + "/" + prefix;
    }
}
