package dev.corral.controlplane.kind;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.corral.api.ObjectMeta;
import dev.corral.api.Problem;
import dev.corral.controlplane.event.EventService;
import dev.corral.controlplane.idempotency.IdempotencyService;
import dev.corral.controlplane.problem.InvalidException;
import dev.corral.controlplane.problem.NotFoundException;
import dev.corral.controlplane.store.GroupCommit;
import dev.corral.controlplane.store.Names;
import dev.corral.controlplane.store.ResourceStore;
import dev.corral.controlplane.store.StoredObject;
import io.quarkus.narayana.jta.QuarkusTransaction;

/**
 * Create, read, replace and delete for one kind of object, with the mechanics every kind shares: name and label
 * rules, Idempotency-Key, If-Match, generation and events. A kind supplies its spec rules and its side effects.
 */
public abstract class KindService {

    protected final ResourceStore store;
    protected final EventService events;
    protected final IdempotencyService idempotency;
    protected final ObjectMapper json;
    /** The creates without an Idempotency-Key that share a commit, written together ({@link #createAll}). */
    private final GroupCommit.Batch<StoredObject, StoredObject> creates = this::createAll;

    protected KindService(ResourceStore store, EventService events, IdempotencyService idempotency, ObjectMapper json) {
        this.store = store;
        this.events = events;
        this.idempotency = idempotency;
        this.json = json;
    }

    /** The API kind, e.g. {@code VM}. */
    public abstract String kind();

    /** The collection path, e.g. {@code /v1/vms}. */
    protected abstract String path();

    /**
     * Checks a spec and returns it normalised (defaults filled in). Field errors go to {@code errors} (400); a
     * spec that is well formed but cannot be honoured throws {@code UnprocessableException} (422).
     */
    protected abstract JsonNode checkSpec(String project, JsonNode spec, List<Problem.FieldError> errors);

    /** Names are DNS labels; kinds with other conventions override this. */
    protected void checkName(String field, String name, List<Problem.FieldError> errors) {
        Names.checkName(field, name, errors);
    }

    /** The status a new object starts with (null for kinds without status). */
    protected JsonNode initialStatus(String project, JsonNode spec) {
        return null;
    }

    /**
     * A new object's spec, checked, normalised and canonical ({@link #canonical}), and the status it starts with; both
     * null when the spec has field errors.
     */
    public record NewObject(JsonNode spec, JsonNode status) {
    }

    /**
     * Checks a new object's spec as the request gave it ({@code spec}: the body's typed spec, or a tree; null when it
     * had none) and works out the status it starts with, in one pass: a kind whose status derives from what its spec
     * names (an image, an instance type) converts the spec and reads each of them once. Field errors go to
     * {@code errors}; the spec and status are only worked out without them.
     */
    protected NewObject checkNew(String project, Object spec, List<Problem.FieldError> errors) {
        JsonNode specNode = specNode(spec, errors);
        var normalized = specNode == null ? null : checkSpec(project, specNode, errors);
        if (!errors.isEmpty()) {
            return new NewObject(null, null);
        }
        return new NewObject(canonical(normalized), initialStatus(project, normalized));
    }

    /** Refuses a spec change that the object's current state does not allow (e.g. resizing a placed VM). */
    protected void checkUpdate(StoredObject old, JsonNode newSpec) {
    }

    /** The status after a spec change (unchanged unless the kind derives status from its spec). */
    protected JsonNode statusAfterReplace(StoredObject old, JsonNode newSpec) {
        return old.status();
    }

    /** Records what the new object implies beyond itself; runs in the create's transaction. */
    protected void onCreate(StoredObject created) {
    }

    /** What a create inserts: the new object, and the events that follow its {@code Created} one. */
    public record Insertion(StoredObject object, List<EventService.Note> events) {
    }

    /**
     * Runs first in the create's transaction (for the creates of one shared commit, in order), before anything is
     * written: completes each new object (workloads are placed here when a node fits, so that each is inserted with
     * its node and Scheduled status in one write) and names the events that go with it.
     */
    protected List<Insertion> beforeInsertAll(List<StoredObject> drafts) {
        return drafts.stream().map(draft -> new Insertion(draft, List.of())).toList();
    }

    /** {@link #onCreate} for the creates of one shared commit; a kind whose side effect is set-based overrides this. */
    protected void onCreateAll(List<StoredObject> created) {
        created.forEach(this::onCreate);
    }

    /** Releases what the object held; runs in the delete's transaction. */
    protected void onDelete(StoredObject old) {
    }

    /** Runs in the replace's transaction once the new spec and status are written. */
    protected void onReplaced(StoredObject old, StoredObject updated) {
    }

    /** Runs in the delete's transaction once the object is gone from the store. */
    protected void onDeleted(StoredObject old) {
    }

    /** The outcome of a create: the object, and whether it was a replay of an earlier request with the same key. */
    public record Created(StoredObject object, boolean replay) {
    }

    public Created create(String project, ObjectMeta metadata, Object spec, String idempotencyKey, Object body) {
        var errors = Names.errors();
        String name = metadata == null ? null : metadata.name();
        checkName("metadata.name", name, errors);
        Map<String, String> labels = metadata == null || metadata.labels() == null ? Map.of() : metadata.labels();
        Names.checkLabels("metadata.labels", labels, errors);
        // The status derives from the spec and what it names, read like the spec's references outside the
        // transaction: the shared commit's thread runs only the writes.
        var checked = checkNew(project, spec, errors);
        failOn(errors);
        var draft = new StoredObject(kind(), project, name, UUID.randomUUID(), labels, checked.spec(), checked.status(),
                1, 0, null, null);
        if (idempotencyKey == null) {
            // Concurrent creates share commits (GroupCommit), and those of one commit are written together.
            return new Created(store.transaction(creates, draft), false);
        }
        return store.transaction(() -> {
            var claim = idempotency.claim(project, idempotencyKey, path(), body);
            if (claim instanceof IdempotencyService.Claim.Replay replay) {
                var current = store.findByUid(replay.uid());
                if (current.isPresent()) {
                    return new Created(current.get(), true);
                }
                throw new NotFoundException(kind() + " created with Idempotency-Key '" + idempotencyKey
                        + "' has been deleted since.");
            }
            var created = createAll(List.of(draft)).getFirst();
            idempotency.complete(claim, 201, store.render(created));
            return new Created(created, false);
        });
    }

    /**
     * Writes new objects of this kind in the caller's transaction, set-based: each completed ({@link #beforeInsertAll}),
     * all inserted in one statement, their side effects ({@link #onCreateAll}), then their first events in one
     * statement. A taken name or a passed limit fails them all (the shared commit then runs each alone).
     */
    private List<StoredObject> createAll(List<StoredObject> drafts) {
        var insertions = beforeInsertAll(drafts);
        var created = store.insertAll(insertions.stream().map(Insertion::object).toList());
        onCreateAll(created);
        var notes = new ArrayList<List<EventService.Note>>(created.size());
        for (int i = 0; i < created.size(); i++) {
            var first = new ArrayList<EventService.Note>();
            first.add(EventService.Note.normal("Created", kind() + " " + created.get(i).name() + " created."));
            first.addAll(insertions.get(i).events());
            notes.add(first);
        }
        events.recordFirstAll(created, notes);
        return created;
    }

    public StoredObject get(String project, String name) {
        return store.find(kind(), project, name).orElseThrow(() -> new NotFoundException(kind(), name));
    }

    /** Replaces labels and spec; the generation goes up when the spec changed. */
    public StoredObject replace(String project, String name, ObjectMeta metadata, Object spec, String ifMatch) {
        var errors = Names.errors();
        if (metadata != null && metadata.name() != null && !metadata.name().equals(name)) {
            errors.add(new Problem.FieldError("metadata.name", "'" + metadata.name() + "' does not match the path's '" + name + "'"));
        }
        Map<String, String> labels = metadata == null || metadata.labels() == null ? Map.of() : metadata.labels();
        JsonNode finalSpec = checked(project, labels, spec, errors);
        return QuarkusTransaction.requiringNew().call(() -> {
            var old = store.findForUpdate(kind(), project, name).orElseThrow(() -> new NotFoundException(kind(), name));
            Preconditions.checkIfMatch(ifMatch, old);
            if (old.spec().equals(finalSpec) && old.labels().equals(new java.util.TreeMap<>(labels))) {
                return old;
            }
            checkUpdate(old, finalSpec);
            var updated = store.update(old, labels, finalSpec, statusAfterReplace(old, finalSpec), old.node());
            onReplaced(old, updated);
            if (updated.generation() != old.generation()) {
                events.normal(updated, "Updated", kind() + " " + name + " spec updated (generation " + updated.generation() + ").");
            }
            return updated;
        });
    }

    public StoredObject delete(String project, String name, String ifMatch) {
        return QuarkusTransaction.requiringNew().call(() -> {
            var old = store.findForUpdate(kind(), project, name).orElseThrow(() -> new NotFoundException(kind(), name));
            Preconditions.checkIfMatch(ifMatch, old);
            onDelete(old);
            store.delete(old);
            onDeleted(old);
            events.normal(old, "Deleted", kind() + " " + name + " deleted.");
            return old;
        });
    }

    /**
     * Checks labels and spec, adding to the name errors the caller found; fails with all of them at once (400), or
     * returns the spec normalised and canonical.
     */
    private JsonNode checked(String project, Map<String, String> labels, Object spec, List<Problem.FieldError> errors) {
        Names.checkLabels("metadata.labels", labels, errors);
        JsonNode specNode = specNode(spec, errors);
        JsonNode normalized = specNode == null ? null : checkSpec(project, specNode, errors);
        failOn(errors);
        return canonical(normalized);
    }

    /** The request's spec as a tree; null (and a field error) when there is none. */
    protected final JsonNode specNode(Object spec, List<Problem.FieldError> errors) {
        JsonNode specNode = spec == null ? null : json.valueToTree(spec);
        if (specNode == null || specNode.isNull()) {
            errors.add(new Problem.FieldError("spec", "is required"));
            return null;
        }
        return specNode;
    }

    /**
     * {@code value} (a tree or a typed spec) as it will read back from the database, so comparisons with stored specs
     * are exact (1 stays an int node, not a long node that compares unequal).
     */
    protected final JsonNode canonical(Object value) {
        try {
            return json.readTree(json.writeValueAsBytes(value));
        } catch (java.io.IOException e) {
            throw new IllegalStateException("a spec that was just built cannot be re-read", e);
        }
    }

    /**
     * A tree (a request's spec, a stored spec or status) as its record; null for none (null or JSON null). Jackson's
     * tree parser, where convertValue writes the tree into a token buffer first; fails as convertValue does, with an
     * IllegalArgumentException.
     */
    protected final <T> T fromTree(JsonNode tree, Class<T> type) {
        try {
            return json.treeToValue(tree, type);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalArgumentException(e.getMessage(), e);
        }
    }

    protected static void failOn(List<Problem.FieldError> errors) {
        if (!errors.isEmpty()) {
            var first = errors.getFirst();
            throw new InvalidException("The request is invalid: " + first.field() + " " + first.message()
                    + (errors.size() > 1 ? " (and " + (errors.size() - 1) + " more)." : "."), errors);
        }
    }
}
