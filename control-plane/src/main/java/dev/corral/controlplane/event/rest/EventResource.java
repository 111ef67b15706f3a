package dev.corral.controlplane.event.rest;

import dev.corral.controlplane.auth.Access;
import dev.corral.api.Event;
import dev.corral.api.ResourceList;
import dev.corral.controlplane.event.EventService;
import dev.corral.controlplane.project.ProjectService;
import dev.corral.controlplane.web.ListQuery;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;

@Path("/v1/events")
@Produces(MediaType.APPLICATION_JSON)
@io.smallrye.common.annotation.RunOnVirtualThread
public class EventResource {

    private final EventService events;
    private final ProjectService projects;

    EventResource(EventService events, ProjectService projects) {
        this.events = events;
        this.projects = projects;
    }

    @GET
    @Access(Access.Allow.PROJECT_VIEWER)
    public ResourceList<Event> list(@QueryParam("project") String project, @QueryParam("involvedObject") String involvedObject,
            @QueryParam("limit") String limit, @QueryParam("continue") String continueToken) {
        var query = new ListQuery();
        query.limit = limit;
        return events.list(projects.require(project), involvedObject, query.limit(), continueToken);
    }
}
