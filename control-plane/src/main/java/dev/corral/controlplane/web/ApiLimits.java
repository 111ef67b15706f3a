package dev.corral.controlplane.web;

import io.quarkus.runtime.configuration.MemorySize;
import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

/**
 * The sizes a request may have before the API refuses it (413, 414, 431) without reading further. Static-init safe: the
 * JSON body reader is a JAX-RS interceptor, built while the REST layer is set up.
 */
@io.quarkus.runtime.annotations.StaticInitSafe
@ConfigMapping(prefix = "corral.api")
public interface ApiLimits {

    /** The largest JSON request body; blob uploads are bounded by {@code quarkus.http.limits.max-body-size} instead. */
    @WithDefault("1M")
    MemorySize maxJsonBody();

    /**
     * How long a JSON request body may take to arrive once its head has (408 after that, and the connection closed):
     * a client that declares a body and stops sending holds no buffer longer.
     */
    @WithDefault("60s")
    java.time.Duration bodyTimeout();

    /** The longest request URI (path and query), in characters. */
    @WithDefault("8192")
    int maxUriLength();

    /** The most header bytes (names and values) a request may carry. */
    @WithDefault("20K")
    MemorySize maxHeaderSize();
}
