package dev.corral.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.List;

import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

class QuotaCommandsTest {

    @Test
    void theTableShowsUseBesideEachLimitAndNoneForUnlimited() throws Exception {
        var quota = new ObjectMapper().readTree("""
                {"project": "web", "limits": {"vcpus": 10, "memoryMiB": 16384, "devices": {"gpu": 2}},
                 "used": {"vcpus": 2.5, "memoryMiB": 1536, "instances": 3, "devices": {"gpu": 1, "network": 1}}}""");
        var out = new StringWriter();
        QuotaCommands.table(new PrintWriter(out, true), quota);
        assertThat(out.toString().lines().map(l -> List.of(l.strip().split("\\s+"))).toList()).containsExactly(
                List.of("RESOURCE", "USED", "LIMIT"), List.of("vcpus", "2.5", "10"), List.of("memory", "1536Mi", "16Gi"),
                List.of("instances", "3", "<none>"), List.of("devices/gpu", "1", "2"), List.of("devices/network", "1", "<none>"));
    }

    @Test
    void aBadLimitIsAUsageErrorOnOneLine() {
        var out = new StringWriter();
        var err = new StringWriter();
        int exit = Corral.execute(new PrintWriter(out, true), new PrintWriter(err, true), "set", "quota", "-p", "web", "--device", "GPU=1",
                "--server", "http://127.0.0.1:9");
        assertThat(exit).isEqualTo(Corral.EXIT_USAGE);
        assertThat(err.toString().strip()).isEqualTo("error: --device GPU=1: expected CLASS=N or CLASS=none, e.g. gpu=2");
        assertThat(Corral.execute(new PrintWriter(out, true), new PrintWriter(err, true), "get", "quota", "-o", "wide",
                "--server", "http://127.0.0.1:9")).isEqualTo(Corral.EXIT_USAGE);
    }
}
