package dev.corral.api.oci;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;

import org.junit.jupiter.api.Test;

class LayerStreamLimitTest {

    @Test
    void upToTheLimitReadsAsIsOneByteMoreFails() throws Exception {
        var exact = new LayerStreamLimit(new ByteArrayInputStream(new byte[1000]), 1000);
        assertThat(exact.readAllBytes()).hasSize(1000);
        assertThat(exact.read()).isEqualTo(-1);

        var over = new LayerStreamLimit(new ByteArrayInputStream(new byte[1001]), 1000);
        assertThat(over.readNBytes(999)).hasSize(999);
        assertThat(over.read()).isZero();
        assertThatThrownBy(over::read).isInstanceOf(LayerStreamLimit.TooLargeException.class)
                .hasMessage("unpacks to more than 1000 bytes");
    }

    @Test
    void skippedBytesCountToo() throws Exception {
        var in = new LayerStreamLimit(new ByteArrayInputStream(new byte[5000]), 4096);
        assertThat(in.skip(4000)).isEqualTo(4000);
        assertThatThrownBy(() -> in.skip(1000)).isInstanceOf(LayerStreamLimit.TooLargeException.class);
    }
}
