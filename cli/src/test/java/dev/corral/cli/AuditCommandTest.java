package dev.corral.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.ArrayList;
import java.util.List;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

class AuditCommandTest {

    @Test
    void aTableRowSaysWhoWhatWhichObjectAndTheOutcome() throws Exception {
        JsonNode list = new ObjectMapper().readTree("""
                {"items": [
                  {"id": 1, "time": "2026-12-06T10:00:00Z", "requestId": "r-1", "method": "DELETE", "path": "/v1/vms/web-1",
                   "object": {"kind": "VM", "name": "web-1", "project": "web"}, "status": 403,
                   "identity": {"tokenId": "tok-1", "subject": "alice", "subjectKind": "User", "role": "viewer", "project": "web"}},
                  {"id": 2, "time": "2026-12-06T10:00:01Z", "requestId": "r-2", "method": "POST", "path": "/v1/vms",
                   "object": {"kind": "VM", "project": "web"}, "status": 401}]}""");
        var items = new ArrayList<JsonNode>();
        list.path("items").forEach(items::add);
        var out = new StringWriter();
        AuditCommand.table(new PrintWriter(out, true), items);
        List<String> lines = out.toString().lines().map(String::strip).toList();
        assertThat(lines).hasSize(3);
        assertThat(lines.get(0).split("\\s+")).containsExactly("TIME", "WHO", "METHOD", "PATH", "OBJECT", "STATUS", "REQUEST-ID");
        assertThat(lines.get(1)).contains("alice (viewer of web)", "DELETE", "/v1/vms/web-1", "vm/web-1 (project web)", "403", "r-1");
        assertThat(lines.get(2)).contains("<anonymous>", "POST", "/v1/vms", "vm (project web)", "401", "r-2");
    }

    @Test
    void aTimeThatIsNotOneIsAUsageErrorOnOneLine() {
        var out = new StringWriter();
        var err = new StringWriter();
        int exit = Corral.execute(new PrintWriter(out, true), new PrintWriter(err, true), "audit", "--since", "yesterday",
                "--server", "http://127.0.0.1:9");
        assertThat(exit).isEqualTo(Corral.EXIT_USAGE);
        assertThat(err.toString().strip()).contains("--since must be RFC 3339").doesNotContain("\n");
    }
}
