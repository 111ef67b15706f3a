package dev.corral.controlplane.idempotency;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.HexFormat;
import java.util.Optional;
import java.util.UUID;

import javax.sql.DataSource;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.corral.controlplane.problem.InvalidException;
import dev.corral.controlplane.problem.UnprocessableException;
import dev.corral.controlplane.store.StoreException;
import io.quarkus.scheduler.Scheduled;
import jakarta.enterprise.context.ApplicationScoped;

/**
 * {@code Idempotency-Key} on POST. The key is claimed in the same transaction that creates the object, so a
 * retry (even one racing the original) either finds the stored answer or waits for it: the object is created
 * once. The same key with another body is a 422.
 */
@ApplicationScoped
public class IdempotencyService {

    public static final String HEADER = "Idempotency-Key";

    private final DataSource dataSource;
    private final ObjectMapper canonical;

    IdempotencyService(DataSource dataSource, ObjectMapper json) {
        this.dataSource = dataSource;
        this.canonical = json.copy().configure(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS, true);
    }

    /** Where a create stands with its key. */
    public sealed interface Claim {
        /** First use of the key: go ahead, then {@link #complete}. */
        record Fresh(String project, String key) implements Claim {
        }

        /** The key was used before for the same request: answer with that object. */
        record Replay(UUID uid, String response) implements Claim {
        }
    }

    /** Claims {@code key} for this request (null key: no idempotency). Call inside the create's transaction. */
    public Claim claim(String project, String key, String path, Object body) {
        if (key == null) {
            return null;
        }
        if (key.isBlank() || key.length() > 255) {
            throw InvalidException.field(HEADER, "must be 1 to 255 characters");
        }
        String hash = hash(path, body);
        try (Connection c = dataSource.getConnection()) {
            try (PreparedStatement s = c.prepareStatement("INSERT INTO idempotency_key (project, key, method, path, request_hash) "
                    + "VALUES (?, ?, 'POST', ?, ?) ON CONFLICT DO NOTHING")) {
                s.setString(1, project);
                s.setString(2, key);
                s.setString(3, path);
                s.setString(4, hash);
                if (s.executeUpdate() == 1) {
                    return new Claim.Fresh(project, key);
                }
            }
            try (PreparedStatement s = c.prepareStatement(
                    "SELECT request_hash, response, path FROM idempotency_key WHERE project = ? AND key = ?")) {
                s.setString(1, project);
                s.setString(2, key);
                try (ResultSet rs = s.executeQuery()) {
                    rs.next();
                    if (!rs.getString(1).equals(hash)) {
                        throw new UnprocessableException("Idempotency-Key '" + key + "' was already used for a different request ("
                                + rs.getString(3) + "); use a new key for a new request.");
                    }
                    String response = rs.getString(2);
                    var uid = UUID.fromString(canonical.readTree(response).path("metadata").path("uid").asText());
                    return new Claim.Replay(uid, response);
                }
            }
        } catch (SQLException | JsonProcessingException e) {
            throw new StoreException("claiming Idempotency-Key " + key, e);
        }
    }

    /** Stores the answer to a fresh claim, in the create's transaction. */
    public void complete(Claim claim, int status, Object response) {
        if (!(claim instanceof Claim.Fresh fresh)) {
            return;
        }
        try (Connection c = dataSource.getConnection();
             PreparedStatement s = c.prepareStatement(
                     "UPDATE idempotency_key SET status = ?, response = ?::jsonb WHERE project = ? AND key = ?")) {
            s.setInt(1, status);
            s.setString(2, canonical.writeValueAsString(response));
            s.setString(3, fresh.project());
            s.setString(4, fresh.key());
            s.executeUpdate();
        } catch (SQLException | JsonProcessingException e) {
            throw new StoreException("storing the answer for an Idempotency-Key", e);
        }
    }

    private String hash(String path, Object body) {
        try {
            var digest = MessageDigest.getInstance("SHA-256");
            digest.update(path.getBytes(StandardCharsets.UTF_8));
            digest.update((byte) 0);
            digest.update(canonical.writeValueAsBytes(canonical.convertValue(body, Object.class)));
            return HexFormat.of().formatHex(digest.digest());
        } catch (NoSuchAlgorithmException | JsonProcessingException e) {
            throw new IllegalStateException("cannot hash a request", e);
        }
    }

    /** Keys are kept a day, like the retry windows of the payment APIs that made the header common. */
    @Scheduled(every = "1h", delayed = "10m")
    void expire() {
        try (Connection c = dataSource.getConnection();
             PreparedStatement s = c.prepareStatement("DELETE FROM idempotency_key WHERE created < now() - interval '24 hours'")) {
            s.executeUpdate();
        } catch (SQLException e) {
            throw new StoreException("expiring Idempotency-Keys", e);
        }
    }
}
