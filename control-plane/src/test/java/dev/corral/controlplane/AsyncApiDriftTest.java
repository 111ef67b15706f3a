package dev.corral.controlplane;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Set;
import java.util.TreeSet;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** asyncapi.yaml and the records on the topic name the same fields: outside consumers code against the file. */
class AsyncApiDriftTest {

    @ParameterizedTest
    @CsvSource({"CloudEvent, dev.corral.api.CloudEvent", "LifecycleData, dev.corral.api.LifecycleData",
            "AssignedDevice, dev.corral.api.AssignedDevice",
            "AuditRecord, dev.corral.api.AuditRecord", "AuditTarget, dev.corral.api.AuditRecord$Target",
            "AuditIdentity, dev.corral.api.AuditRecord$Identity"})
    void everyFieldOfTheRecordIsInTheContractAndViceVersa(String schema, Class<? extends Record> type) throws IOException {
        JsonNode schemas = new ObjectMapper(new YAMLFactory()).readTree(Path.of("../asyncapi.yaml").toFile())
                .path("components").path("schemas");
        var contract = new TreeSet<String>();
        schemas.path(schema).path("properties").fieldNames().forEachRemaining(contract::add);
        assertThat(jsonNames(type)).as("fields of %s", schema).isEqualTo(contract);
    }

    private static Set<String> jsonNames(Class<? extends Record> type) {
        var names = new TreeSet<String>();
        for (var component : type.getRecordComponents()) {
            var renamed = component.getAccessor().getAnnotation(JsonProperty.class);
            names.add(renamed != null ? renamed.value() : component.getName());
        }
        return names;
    }
}
