package dev.corral.controlplane.image.rest;

import dev.corral.controlplane.auth.Access;
import java.io.InputStream;
import java.net.URI;

import dev.corral.api.Blob;
import dev.corral.controlplane.image.BlobService;
import dev.corral.controlplane.problem.NotFoundException;
import io.smallrye.common.annotation.RunOnVirtualThread;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.EntityTag;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.core.StreamingOutput;

/** Uploads and downloads of image content, addressed by SHA-256. */
@Path("/v1/blobs")
@RunOnVirtualThread
public class BlobResource {

    private final BlobService blobs;

    BlobResource(BlobService blobs) {
        this.blobs = blobs;
    }

    /** Stores the body; 201 the first time, 200 when that content is already stored. */
    @POST
    @Consumes(MediaType.APPLICATION_OCTET_STREAM)
    @Produces(MediaType.APPLICATION_JSON)
    @Access(Access.Allow.ANY_MEMBER)
    public Response upload(InputStream body, @QueryParam("sha256") String expectedSha256) {
        var stored = blobs.put(body, expectedSha256);
        var blob = stored.blob();
        return (stored.created() ? Response.created(URI.create("/v1/blobs/" + blob.sha256())) : Response.ok())
                .entity(blob).type(MediaType.APPLICATION_JSON).build();
    }

    @GET
    @Path("{sha256}")
    @Produces(MediaType.APPLICATION_OCTET_STREAM)
    @Access({Access.Allow.PEOPLE, Access.Allow.ASSIGNED_BLOB})
    public Response download(@PathParam("sha256") String sha256) {
        Blob blob = blobs.find(sha256).orElseThrow(() -> new NotFoundException("Blob", sha256));
        // Streamed a chunk at a time: the body is never whole in memory. A chunk that cannot be read once the answer
        // has begun ends the connection short of the Content-Length, which a client cannot take for the whole blob.
        StreamingOutput body = out -> {
            try (InputStream in = blobs.open(blob)) {
                in.transferTo(out);
            }
        };
        return Response.ok(body, MediaType.APPLICATION_OCTET_STREAM)
                .tag(new EntityTag(blob.sha256()))
                .header("Content-Length", blob.size())
                .header("Cache-Control", "public, max-age=31536000, immutable")
                .build();
    }
}
