package dev.corral.controlplane.system.rest;

import dev.corral.controlplane.auth.Access;
import dev.corral.api.ServerVersion;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import org.eclipse.microprofile.config.inject.ConfigProperty;

@Path("/v1/version")
public class VersionResource {

    private final String version;

    VersionResource(@ConfigProperty(name = "quarkus.application.version") String version) {
        this.version = version;
    }

    @GET
    @Produces(MediaType.APPLICATION_JSON)
    @Access(Access.Allow.ANY)
    public ServerVersion get() {
        return new ServerVersion(version, ServerVersion.API_VERSION);
    }
}
