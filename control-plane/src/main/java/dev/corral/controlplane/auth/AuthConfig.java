package dev.corral.controlplane.auth;

import java.nio.file.Path;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

@ConfigMapping(prefix = "corral.auth")
public interface AuthConfig {

    /**
     * Where the control plane writes its bootstrap admin token (mode 0600) when the file is missing or its token no
     * longer works: {@code admin-token} in the data directory ({@code CORRAL_DATA_DIR}, default ~/.corral/local).
     */
    @WithDefault("${corral.data-dir:${user.home}/.corral/local}/admin-token")
    Path bootstrapTokenFile();
}
