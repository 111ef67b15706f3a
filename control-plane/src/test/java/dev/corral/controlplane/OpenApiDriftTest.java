package dev.corral.controlplane;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import org.jboss.jandex.AnnotationInstance;
import org.jboss.jandex.AnnotationTarget;
import org.jboss.jandex.ClassInfo;
import org.jboss.jandex.DotName;
import org.jboss.jandex.Index;
import org.jboss.jandex.Indexer;
import org.jboss.jandex.MethodInfo;
import org.junit.jupiter.api.Test;

/**
 * openapi.yaml and the JAX-RS resources describe the same operations: every {@code METHOD /path} the code serves
 * is in the contract, and every operation in the contract is served.
 */
class OpenApiDriftTest {

    private static final Set<String> HTTP_METHODS = Set.of("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS");
    private static final DotName PATH = DotName.createSimple("jakarta.ws.rs.Path");

    @Test
    void everyServedOperationIsInTheContractAndViceVersa() throws IOException {
        var served = servedOperations();
        served.addAll(routedOperations());
        assertThat(served).isEqualTo(contractOperations());
    }

    /** The operations served by Vert.x routes rather than JAX-RS (a WebSocket), from the paths they register. */
    static Set<String> routedOperations() {
        return Set.of("GET " + dev.corral.controlplane.vm.rest.VmConsoleAttachRoute.PATH.replaceAll(":(\\w+)", "{$1}"));
    }

    static Set<String> contractOperations() throws IOException {
        JsonNode paths = new ObjectMapper(new YAMLFactory()).readTree(Path.of("../openapi.yaml").toFile()).get("paths");
        var operations = new TreeSet<String>();
        paths.properties().forEach(path -> path.getValue().properties().forEach(op -> {
            String method = op.getKey().toUpperCase();
            if (HTTP_METHODS.contains(method)) {
                operations.add(method + " " + path.getKey());
            }
        }));
        return operations;
    }

    static Set<String> servedOperations() throws IOException {
        Index index = indexOf(Path.of("target/classes"));
        var operations = new TreeSet<String>();
        for (AnnotationInstance classPath : index.getAnnotations(PATH)) {
            if (classPath.target().kind() != AnnotationTarget.Kind.CLASS) {
                continue;
            }
            ClassInfo resource = classPath.target().asClass();
            // Resource methods may come from abstract base classes (ProjectScopedResource, WorkloadResource).
            var methods = new java.util.ArrayList<MethodInfo>();
            for (ClassInfo c = resource; c != null; c = c.superName() == null ? null : index.getClassByName(c.superName())) {
                methods.addAll(c.methods());
            }
            for (MethodInfo method : methods) {
                for (AnnotationInstance a : method.annotations()) {
                    String simple = a.name().local();
                    if (a.target().kind() == AnnotationTarget.Kind.METHOD && HTTP_METHODS.contains(simple)
                            && a.name().packagePrefix().equals("jakarta.ws.rs")) {
                        AnnotationInstance sub = method.annotation(PATH);
                        operations.add(simple + " " + join(classPath.value().asString(), sub == null ? "" : sub.value().asString()));
                    }
                }
            }
        }
        return operations;
    }

    private static String join(String base, String sub) {
        String path = ("/" + base + "/" + sub).replaceAll("/+", "/");
        return path.length() > 1 && path.endsWith("/") ? path.substring(0, path.length() - 1) : path;
    }

    private static Index indexOf(Path classes) throws IOException {
        var indexer = new Indexer();
        try (Stream<Path> files = Files.walk(classes)) {
            for (Path f : (Iterable<Path>) files.filter(p -> p.toString().endsWith(".class"))::iterator) {
                try (InputStream in = Files.newInputStream(f)) {
                    indexer.index(in);
                }
            }
        }
        return indexer.complete();
    }
}
