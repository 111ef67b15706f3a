package dev.corral.agent.console;

import java.time.Duration;
import java.util.List;

import jakarta.ws.rs.DefaultValue;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.WebApplicationException;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;

import dev.corral.agent.NodeAgent;
import dev.corral.api.Problem;
import dev.corral.engine.devices.legacy.ConsoleBuffer;
import io.smallrye.mutiny.Multi;

/**
 * The serial console of a workload on this node, for the control plane to pass on ({@code GET /v1/vms/{name}/console}).
 * Everything still held (or the last {@code tailLines} lines), and with {@code follow=true} every byte after it as the
 * guest writes it, until the client goes away or the workload is deleted.
 */
@Path("/v1/workloads/{uid}/console")
public class ConsoleResource {

    private final NodeAgent agent;

    ConsoleResource(NodeAgent agent) {
        this.agent = agent;
    }

    @GET
    @Produces(MediaType.TEXT_PLAIN + ";charset=utf-8")
    public Multi<byte[]> console(@PathParam("uid") String uid, @QueryParam("follow") @DefaultValue("false") boolean follow,
            @QueryParam("tailLines") Integer tailLines) {
        if (tailLines != null && tailLines < 0) {
            throw problem(400, "Bad Request", "tailLines must be 0 or more, not " + tailLines);
        }
        var console = agent.consoles().find(uid).orElseThrow(() -> problem(404, "Not Found", "this node has no workload " + uid));
        long from = tailLines == null ? 0 : tailStart(console, tailLines);
        if (!follow) {
            return Multi.createFrom().item(console.readFrom(from).bytes());
        }
        // What the guest writes goes out as it comes; bytes written within 50 ms of each other share a chunk.
        // A reader too slow for the guest loses output rather than make the agent hold it (BackPressureStrategy.DROP).
        Multi<byte[]> output = Multi.createFrom().emitter(emitter -> {
            Runnable end = emitter::complete;
            agent.consoles().onRemove(uid, end);
            if (agent.consoles().find(uid).orElse(null) != console) {
                agent.consoles().cancelOnRemove(uid, end);
                emitter.complete(); // deleted meanwhile
                return;
            }
            AutoCloseable following = console.follow(from, chunk -> emitter.emit(chunk.bytes()));
            emitter.onTermination(() -> {
                agent.consoles().cancelOnRemove(uid, end);
                try {
                    following.close();
                } catch (Exception e) {
                    // Closing a follower only unregisters it.
                }
            });
        }, io.smallrye.mutiny.subscription.BackPressureStrategy.DROP);
        return output.group().intoLists().of(8192, Duration.ofMillis(50)).map(ConsoleResource::concat);
    }

    private static byte[] concat(List<byte[]> parts) {
        int length = 0;
        for (byte[] p : parts) {
            length += p.length;
        }
        var all = new byte[length];
        int at = 0;
        for (byte[] p : parts) {
            System.arraycopy(p, 0, all, at, p.length);
            at += p.length;
        }
        return all;
    }

    /** The offset of the first of the last {@code lines} lines held (a trailing partial line counts as one). */
    static long tailStart(ConsoleBuffer console, int lines) {
        var held = console.readFrom(0);
        byte[] bytes = held.bytes();
        int i = bytes.length;
        if (i > 0 && bytes[i - 1] == '\n') {
            i--; // the newline ending the last line is part of it
        }
        int found = 0;
        while (i > 0) {
            if (bytes[i - 1] == '\n') {
                found++;
                if (found == lines) {
                    break;
                }
            }
            i--;
        }
        if (lines == 0) {
            i = bytes.length;
        }
        return held.offset() + i;
    }

    private static WebApplicationException problem(int status, String title, String detail) {
        var body = new Problem("about:blank", title, status, detail, null, null);
        return new WebApplicationException(Response.status(status).type(Problem.MEDIA_TYPE).entity(body).build());
    }
}
