package dev.corral.controlplane.usage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Instant;
import java.util.Map;

import com.fasterxml.jackson.core.JsonFactory;
import org.junit.jupiter.api.Test;

class LifecycleRecordParserTest {

    private final LifecycleRecordParser parser = new LifecycleRecordParser(new JsonFactory());

    @Test
    void aLifecycleEventGivesWhatTheMeterNeedsAndUnknownFieldsAreSkipped() throws Exception {
        var e = parser.parse("""
                {"specversion":"1.0","id":"u-3","source":"/corral/nodes/n1","type":"corral.vm.running",
                 "time":"2026-11-01T10:00:00.250Z","subject":"vm/web","future":{"nested":[1,{"x":2}]},
                 "data":{"kind":"VM","uid":"u","name":"web","project":"shop","node":"n1","sequence":3,"generation":1,
                         "vcpus":2.5,"memoryMiB":4096,"reason":"GuestBooted","extra":[true],
                         "devices":[{"address":"0000:3b:00.0","class":"gpu"},{"address":"0000:3b:00.1","class":"audio"},
                                    {"address":"0000:3c:00.0","class":"gpu"},{"address":"0000:3d:00.0"}]}}""");
        assertThat(e).isEqualTo(new UsageEvent("u-3", "running", "u", "VM", "web", "shop", 3,
                Instant.parse("2026-11-01T10:00:00.250Z"), 2.5, 4096, Map.of("gpu", 2, "audio", 1, "unclassified", 1)));
    }

    @Test
    void aVmsDiskGiBIsReadAndAbsentMeansNone() throws Exception {
        var e = parser.parse("""
                {"id":"d-1","type":"corral.vm.stopped","time":"2026-11-01T10:00:00Z",
                 "data":{"kind":"VM","uid":"d","name":"db","project":"p","sequence":1,"vcpus":1,"memoryMiB":512,"diskGiB":115}}""");
        assertThat(e.diskGiB()).isEqualTo(115);
        var none = parser.parse("""
                {"id":"d-2","type":"corral.vm.stopped","time":"2026-11-01T10:00:00Z",
                 "data":{"kind":"VM","uid":"d","name":"db","project":"p","sequence":2,"vcpus":1,"memoryMiB":512}}""");
        assertThat(none.diskGiB()).isZero();
    }

    @Test
    void whatIsNotALifecycleEventIsRefused() {
        assertThatThrownBy(() -> parser.parse("{\"id\":\"x\",\"type\":\"corral.vm.running\"}"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("needs id, type, time and data");
        assertThatThrownBy(() -> parser.parse("[1,2]")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> parser.parse("not json")).isInstanceOf(java.io.IOException.class);
        assertThatThrownBy(() -> parser.parse("""
                {"id":"a","type":"corral.vm.running","time":"2026-11-01T10:00:00Z","data":{"kind":"VM","uid":"u","name":"n",
                 "project":"p","sequence":0}}""")).hasMessageContaining("sequence of at least 1");
    }
}
