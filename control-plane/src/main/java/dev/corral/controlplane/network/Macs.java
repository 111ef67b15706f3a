package dev.corral.controlplane.network;

import java.security.SecureRandom;
import java.util.HexFormat;

/** VM MACs: random, locally administered (bit 1 of the first octet) and unicast (bit 0 clear), so {@code 02:...}. */
public final class Macs {

    private static final SecureRandom RANDOM = new SecureRandom();

    private Macs() {
    }

    public static String random() {
        byte[] bytes = new byte[6];
        RANDOM.nextBytes(bytes);
        bytes[0] = 0x02;
        return HexFormat.ofDelimiter(":").formatHex(bytes);
    }
}
