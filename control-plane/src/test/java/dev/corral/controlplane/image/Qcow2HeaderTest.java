package dev.corral.controlplane.image;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;

import org.junit.jupiter.api.Test;

class Qcow2HeaderTest {

    static byte[] header(int magic, int version, long backing, long size) {
        return ByteBuffer.allocate(Qcow2Header.LENGTH).putInt(0, magic).putInt(4, version).putLong(8, backing)
                .putInt(20, 16).putLong(24, size).array();
    }

    @Test
    void virtualSizeIsTheBigEndianU64AtOffset24() {
        var h = Qcow2Header.parse(header(0x514649fb, 3, 0, 0x1_0000_0200L));
        assertThat(h.version()).isEqualTo(3);
        assertThat(h.virtualSizeBytes()).isEqualTo(0x1_0000_0200L);
        assertThat(Qcow2Header.parse(header(0x514649fb, 2, 0, 512)).version()).isEqualTo(2);
    }

    @Test
    void whatAnImageMayNotBeIsRefused() {
        assertThatThrownBy(() -> Qcow2Header.parse(header(0x514649fa, 3, 0, 512))).hasMessageContaining("not a qcow2 image");
        assertThatThrownBy(() -> Qcow2Header.parse(new byte[8])).hasMessageContaining("not a qcow2 image");
        assertThatThrownBy(() -> Qcow2Header.parse(header(0x514649fb, 1, 0, 512))).hasMessageContaining("version 1");
        assertThatThrownBy(() -> Qcow2Header.parse(header(0x514649fb, 3, 4096, 512))).hasMessageContaining("backing file");
        assertThatThrownBy(() -> Qcow2Header.parse(header(0x514649fb, 3, 0, 0))).hasMessageContaining("virtual size");
        assertThatThrownBy(() -> Qcow2Header.parse(header(0x514649fb, 3, 0, -1))).hasMessageContaining("18446744073709551615");
    }
}
