package dev.corral.agent.config;

import java.util.Map;
import java.util.Set;

import org.eclipse.microprofile.config.spi.ConfigSource;

/**
 * The agent's plain HTTP port is off once it serves TLS ({@code CORRAL_AGENT_TLS_CERT}), unless
 * {@code CORRAL_AGENT_HTTP_INSECURE_REQUESTS} says otherwise ({@code enabled}, {@code redirect}): what an operator who
 * configured certificates expects, as the control plane does. A config source rather than a line in
 * application.properties because the default depends on another setting; its ordinal sits above
 * application.properties (250) and below the environment (300), so {@code QUARKUS_HTTP_INSECURE_REQUESTS} still wins.
 */
public final class PlainHttpOffWithTls implements ConfigSource {

    private static final String KEY = "quarkus.http.insecure-requests";

    @Override
    public Set<String> getPropertyNames() {
        return getValue(KEY) == null ? Set.of() : Set.of(KEY);
    }

    @Override
    public Map<String, String> getProperties() {
        String value = getValue(KEY);
        return value == null ? Map.of() : Map.of(KEY, value);
    }

    @Override
    public String getValue(String name) {
        if (!KEY.equals(name)) {
            return null;
        }
        String chosen = setting("corral.agent.http-insecure-requests", "CORRAL_AGENT_HTTP_INSECURE_REQUESTS");
        if (chosen != null) {
            return chosen;
        }
        return setting("corral.agent.tls-cert", "CORRAL_AGENT_TLS_CERT") != null ? "disabled" : null;
    }

    @Override
    public int getOrdinal() {
        return 275;
    }

    @Override
    public String getName() {
        return "corral-agent-plain-http-off-with-tls";
    }

    private static String setting(String property, String env) {
        String value = System.getProperty(property);
        if (value == null || value.isBlank()) {
            value = System.getenv(env);
        }
        return value == null || value.isBlank() ? null : value.strip();
    }
}
