package dev.corral.controlplane.usage.rest;

import dev.corral.controlplane.auth.Access;
import dev.corral.api.UsageReport;
import dev.corral.controlplane.usage.UsageService;
import io.smallrye.common.annotation.RunOnVirtualThread;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;

/** Usage for billing: vCPU-seconds, GiB-seconds and device-seconds, as JSON or CSV. */
@Path("/v1/usage")
@RunOnVirtualThread
public class UsageResource {

    public static final String TEXT_CSV = "text/csv";

    private final UsageService usage;

    UsageResource(UsageService usage) {
        this.usage = usage;
    }

    @GET
    @Produces(MediaType.APPLICATION_JSON)
    @Access(Access.Allow.QUERY_PROJECT_VIEWER)
    public UsageReport get(@QueryParam("project") String project, @QueryParam("from") String from, @QueryParam("to") String to,
            @QueryParam("groupBy") String groupBy) {
        return usage.report(project, from, to, groupBy);
    }

    @GET
    @Produces(TEXT_CSV + ";qs=0.5")
    @Access(Access.Allow.QUERY_PROJECT_VIEWER)
    public String csv(@QueryParam("project") String project, @QueryParam("from") String from, @QueryParam("to") String to,
            @QueryParam("groupBy") String groupBy) {
        return UsageCsv.write(usage.report(project, from, to, groupBy));
    }
}
