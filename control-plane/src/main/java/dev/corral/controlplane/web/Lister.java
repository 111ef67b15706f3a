package dev.corral.controlplane.web;

import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Function;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.corral.api.ResourceList;
import dev.corral.api.ServerVersion;
import dev.corral.controlplane.store.LabelSelector;
import dev.corral.controlplane.store.ResourceStore;
import dev.corral.controlplane.store.StoredObject;
import dev.corral.controlplane.store.WatchLog;
import dev.corral.controlplane.store.WatchNotifier;
import dev.corral.controlplane.store.WatchStream;
import io.vertx.ext.web.RoutingContext;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Instance;
import jakarta.ws.rs.core.Response;

/** Lists and watches, the same way for every kind. */
@ApplicationScoped
public class Lister {

    private static final TypeReference<TreeMap<String, String>> LABELS = new TypeReference<>() {
    };

    private final ResourceStore store;
    private final WatchLog log;
    private final WatchNotifier notifier;
    private final ObjectMapper json;
    private final Instance<RoutingContext> request;

    Lister(ResourceStore store, WatchLog log, WatchNotifier notifier, ObjectMapper json,
            Instance<RoutingContext> request) {
        this.store = store;
        this.log = log;
        this.notifier = notifier;
        this.json = json;
        this.request = request;
    }

    /**
     * A page of {@code kind} objects, or with {@code ?watch=true} the stream of their changes.
     *
     * @param project null for every project
     * @param view    how a stored object is shown
     */
    public <T> Response listOrWatch(String kind, String project, ListQuery query, Function<StoredObject, T> view) {
        query.validate();
        var selector = LabelSelector.parse(query.labelSelector);
        int limit = query.limit();
        if (query.watch()) {
            return watch(new WatchLog.Filter(List.of(kind), project, null), selector, query);
        }
        var page = store.list(kind, project, selector, limit, query.continueToken, null);
        var items = page.items().stream().map(view).toList();
        return Response.ok(new ResourceList<>(ServerVersion.API_VERSION, kind + "List",
                new ResourceList.Meta(String.valueOf(page.resourceVersion()), page.continueToken()), items))
                // A list is JSON even when the client also accepts an event stream: only watch=true streams.
                .type(jakarta.ws.rs.core.MediaType.APPLICATION_JSON_TYPE).build();
    }

    /** Streams changes matching {@code filter} and the label selector, from the query's resourceVersion or now. */
    public Response watch(WatchLog.Filter filter, LabelSelector selector, ListQuery query) {
        var timeout = query.watchTimeout();
        Long from = query.watchFrom();
        long start;
        if (from == null) {
            start = store.currentResourceVersion();
        } else {
            log.requireResumable(from);
            start = from;
        }
        // Taken now, on the request's thread: the stream checks it to end when its client has gone away.
        var response = request.get().response();
        return new WatchStream(log, notifier, json, filter, object -> selector.matches(labels(object)), start,
                timeout, response::closed).response();
    }

    private Map<String, String> labels(JsonNode object) {
        JsonNode labels = object.path("metadata").path("labels");
        return labels.isObject() ? json.convertValue(labels, LABELS) : Map.of();
    }
}
