package dev.corral.cli.config;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import dev.corral.cli.client.CorralClientException;

/**
 * {@code ~/.corral/config} (or {@code $CORRAL_CONFIG}), like a kubeconfig: named contexts, each a server, a default
 * project and optional credentials, and the one in use.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public final class CliConfig {

    /** Built on first use: without a config file, a command does not load the YAML classes. */
    private static final class Yaml {
        static final YAMLMapper MAPPER = (YAMLMapper) YAMLMapper.builder()
                .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES).build()
                .setSerializationInclusion(JsonInclude.Include.NON_NULL);
    }

    public String currentContext;
    public List<Context> contexts = new ArrayList<>();

    @JsonInclude(JsonInclude.Include.NON_NULL)
    public static final class Context {
        public String name;
        public String server;
        public String project;
        public String token;
        /** The CA an https server's certificate must be signed by: base64 of its PEM (kubectl's certificate-authority-data). */
        public String certificateAuthorityData;
    }

    public static Path location() {
        String property = System.getProperty("corral.config");
        if (property != null && !property.isBlank()) {
            return Path.of(property);
        }
        String env = System.getenv("CORRAL_CONFIG");
        return env != null && !env.isBlank() ? Path.of(env) : Path.of(System.getProperty("user.home"), ".corral", "config");
    }

    public static CliConfig load(Path path) {
        if (!Files.exists(path)) {
            return new CliConfig();
        }
        try {
            CliConfig config = Yaml.MAPPER.readValue(path.toFile(), CliConfig.class);
            return config == null ? new CliConfig() : config;
        } catch (IOException e) {
            throw new CorralClientException("cannot read " + path + ": " + e.getMessage().lines().findFirst().orElse(""), e);
        }
    }

    public void save(Path path) {
        try {
            Files.createDirectories(path.toAbsolutePath().getParent());
            // Contexts hold bearer tokens: the file is its owner's alone, from before the first byte is written.
            if (!Files.exists(path)) {
                Files.createFile(path, java.nio.file.attribute.PosixFilePermissions.asFileAttribute(
                        java.nio.file.attribute.PosixFilePermissions.fromString("rw-------")));
            } else {
                Files.setPosixFilePermissions(path, java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
            }
            Yaml.MAPPER.writeValue(path.toFile(), this);
        } catch (IOException e) {
            throw new CorralClientException("cannot write " + path + ": " + e.getMessage(), e);
        }
    }

    public Context context(String name) {
        return contexts.stream().filter(c -> c.name.equals(name)).findFirst().orElse(null);
    }

    public Context current() {
        return currentContext == null ? null : context(currentContext);
    }
}
