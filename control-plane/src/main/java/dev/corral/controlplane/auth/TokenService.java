package dev.corral.controlplane.auth;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;

import javax.sql.DataSource;

import dev.corral.api.Problem;
import dev.corral.api.ServerVersion;
import dev.corral.api.Token;
import dev.corral.controlplane.problem.InvalidException;
import dev.corral.controlplane.problem.NotFoundException;
import dev.corral.controlplane.problem.UnauthorizedException;
import dev.corral.controlplane.problem.UnprocessableException;
import dev.corral.controlplane.store.ChangeNotifications;
import dev.corral.controlplane.store.Names;
import dev.corral.controlplane.store.StoreException;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Singleton;
import org.jboss.logging.Logger;

/**
 * Bearer tokens: minted from 256 random bits, shown once, kept only as their SHA-256 (a token has too much entropy
 * for a slow hash to add anything), looked up in the database and then kept in a cache that every change of the
 * token table empties of that token, on every replica, as soon as PostgreSQL's notification of the change arrives
 * ({@link TokenCache}): a revocation holds on the next request through this replica, and on the others milliseconds
 * after it commits (at most {@value ChangeNotifications#TRUST_MILLIS} ms when a replica lost its database connection
 * without noticing). An expiry holds at once everywhere. On start-up the control plane makes sure its bootstrap admin
 * token file holds a working admin token.
 */
@Singleton
public class TokenService {

    private static final Logger LOG = Logger.getLogger(TokenService.class);
    private static final String PREFIX = "corral_";
    private static final Pattern SUBJECT = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._@-]{0,252}");
    private static final String COLUMNS = "id, subject, subject_kind, role, project, node, bootstrap, created_at, expires_at, revoked_at";

    private final SecureRandom random = new SecureRandom();
    private final DataSource dataSource;
    private final AuthConfig config;
    private final TokenCache cache;

    TokenService(DataSource dataSource, AuthConfig config, ChangeNotifications notifications) {
        this.dataSource = dataSource;
        this.config = config;
        this.cache = new TokenCache(notifications);
    }

    /** The grant of a token when this replica read it a moment ago and nothing changed it since, else null. */
    public Grant cached(String token) {
        return cache.find(hash(token));
    }

    /** The grant of a token; 401 when it is unknown, expired or revoked. */
    public Grant authenticate(String token) {
        String hash = hash(token);
        Grant known = cache.find(hash);
        if (known != null) {
            return known;
        }
        long generation = cache.generation();
        try (var c = dataSource.getConnection();
                var s = c.prepareStatement("SELECT " + COLUMNS + " FROM token WHERE hash = ?")) {
            s.setString(1, hash);
            try (var rs = s.executeQuery()) {
                if (!rs.next()) {
                    throw new UnauthorizedException("The bearer token is not one this control plane issued.");
                }
                var t = token(rs);
                if (t.revokedAt() != null) {
                    throw new UnauthorizedException("The bearer token " + t.id() + " was revoked at " + t.revokedAt() + ".");
                }
                if (t.expiresAt() != null && !t.expiresAt().isAfter(Instant.now())) {
                    throw new UnauthorizedException("The bearer token " + t.id() + " expired at " + t.expiresAt() + ".");
                }
                var grant = new Grant(t.id(), t.subject(), t.subjectKind(), Role.of(t.role()), t.project(), t.node());
                cache.put(hash, grant, t.expiresAt(), generation);
                return grant;
            }
        } catch (SQLException e) {
            throw new StoreException("reading a token", e);
        }
    }

    /** Mints a token as asked; the answer is the only place its secret ever appears. */
    public Token create(Token.Request request) {
        var errors = new ArrayList<Problem.FieldError>();
        Role role = null;
        try {
            role = request.role() == null ? null : Role.of(request.role());
        } catch (IllegalArgumentException e) {
            // reported below
        }
        if (role == null) {
            errors.add(new Problem.FieldError("role", "must be admin, member, viewer or node"));
        }
        boolean inProject = role == Role.MEMBER || role == Role.VIEWER;
        if (inProject && request.project() == null) {
            errors.add(new Problem.FieldError("project", "is required for a " + role.wire() + " token"));
        } else if (!inProject && role != null && request.project() != null) {
            errors.add(new Problem.FieldError("project", "is only for member and viewer tokens"));
        }
        if (role == Role.NODE && (request.node() == null || !Names.validName(request.node()))) {
            errors.add(new Problem.FieldError("node", "is required for a node token: the node's name"));
        } else if (role != Role.NODE && role != null && request.node() != null) {
            errors.add(new Problem.FieldError("node", "is only for node tokens"));
        }
        String subjectKind = request.subjectKind() != null ? request.subjectKind() : role == Role.NODE ? "Node" : "User";
        if ((role == Role.NODE) != subjectKind.equals("Node")) {
            errors.add(new Problem.FieldError("subjectKind", role == Role.NODE ? "must be Node for a node token"
                    : "must be User or ServiceAccount; Node is only for node tokens"));
        }
        String subject = request.subject() != null ? request.subject() : role == Role.NODE ? request.node() : null;
        if (subject == null || !SUBJECT.matcher(subject).matches()) {
            errors.add(new Problem.FieldError("subject", "is required: who holds the token (letters, digits, '.', '_', '@', '-')"));
        }
        if (request.expiresAt() != null && !request.expiresAt().isAfter(Instant.now())) {
            errors.add(new Problem.FieldError("expiresAt", "must be in the future"));
        }
        if (!errors.isEmpty()) {
            var first = errors.getFirst();
            throw new InvalidException("The request body is invalid: " + first.field() + " " + first.message()
                    + (errors.size() > 1 ? " (and " + (errors.size() - 1) + " more)." : "."), errors);
        }
        try (var c = dataSource.getConnection()) {
            if (inProject) {
                try (var s = c.prepareStatement("SELECT 1 FROM project WHERE name = ?")) {
                    s.setString(1, request.project());
                    try (var rs = s.executeQuery()) {
                        if (!rs.next()) {
                            throw new UnprocessableException("Project '" + request.project() + "' does not exist: create it first.");
                        }
                    }
                }
            }
            return insert(c, subject, subjectKind, role, request.project(), request.node(), false, request.expiresAt());
        } catch (SQLException e) {
            throw new StoreException("creating a token", e);
        }
    }

    /** Every token, oldest first, without secrets. */
    public List<Token> list() {
        try (var c = dataSource.getConnection();
                var s = c.prepareStatement("SELECT " + COLUMNS + " FROM token ORDER BY created_at, id")) {
            var out = new ArrayList<Token>();
            try (var rs = s.executeQuery()) {
                while (rs.next()) {
                    out.add(token(rs));
                }
            }
            return out;
        } catch (SQLException e) {
            throw new StoreException("listing tokens", e);
        }
    }

    public Token get(String id) {
        try (var c = dataSource.getConnection();
                var s = c.prepareStatement("SELECT " + COLUMNS + " FROM token WHERE id = ?")) {
            s.setString(1, id);
            try (var rs = s.executeQuery()) {
                if (!rs.next()) {
                    throw new NotFoundException("Token", id);
                }
                return token(rs);
            }
        } catch (SQLException e) {
            throw new StoreException("reading token " + id, e);
        }
    }

    /**
     * Revokes the token: refused from the next request on through this replica, and through the others as soon as
     * PostgreSQL's notification of the change reaches them (milliseconds); revoking it again changes nothing.
     */
    public Token revoke(String id) {
        try (var c = dataSource.getConnection();
                var s = c.prepareStatement(
                        "UPDATE token SET revoked_at = now() WHERE id = ? AND revoked_at IS NULL RETURNING hash")) {
            s.setString(1, id);
            try (var rs = s.executeQuery()) {
                if (rs.next()) {
                    cache.revokedHere(rs.getString(1));
                }
            }
        } catch (SQLException e) {
            throw new StoreException("revoking token " + id, e);
        }
        return get(id);
    }

    /**
     * Writes a new admin token to {@link AuthConfig#bootstrapTokenFile()} (mode 0600) unless the token there still
     * works: the first start of a control plane, or one whose token was revoked or whose file was removed.
     */
    void bootstrap(@Observes StartupEvent start) {
        Path file = config.bootstrapTokenFile();
        try {
            if (Files.isRegularFile(file)) {
                String existing = Files.readString(file).strip();
                try {
                    if (authenticate(existing).role() == Role.ADMIN) {
                        return;
                    }
                } catch (UnauthorizedException e) {
                    LOG.warnf("The admin token in %s no longer works (%s); writing a new one", file, e.getMessage());
                }
            }
            Token minted;
            try (var c = dataSource.getConnection()) {
                minted = insert(c, "bootstrap-admin", "User", Role.ADMIN, null, null, true, null);
            }
            Files.createDirectories(file.toAbsolutePath().getParent());
            Path temp = Files.createTempFile(file.toAbsolutePath().getParent(), ".admin-token", ".tmp",
                    PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
            Files.writeString(temp, minted.token() + "\n", StandardCharsets.UTF_8);
            Files.move(temp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            LOG.infof("Wrote the bootstrap admin token (%s) to %s", minted.id(), file);
        } catch (IOException e) {
            throw new IllegalStateException("cannot write the bootstrap admin token to " + file + ": " + e.getMessage(), e);
        } catch (SQLException e) {
            throw new StoreException("creating the bootstrap admin token", e);
        }
    }

    private Token insert(Connection c, String subject, String subjectKind, Role role, String project, String node,
            boolean bootstrap, Instant expiresAt) throws SQLException {
        byte[] secret = new byte[32];
        random.nextBytes(secret);
        String token = PREFIX + Base64.getUrlEncoder().withoutPadding().encodeToString(secret);
        byte[] idBytes = new byte[8];
        random.nextBytes(idBytes);
        String id = "tok-" + HexFormat.of().formatHex(idBytes);
        try (var s = c.prepareStatement("INSERT INTO token (id, hash, subject, subject_kind, role, project, node, bootstrap, expires_at) "
                + "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING created_at")) {
            s.setString(1, id);
            s.setString(2, hash(token));
            s.setString(3, subject);
            s.setString(4, subjectKind);
            s.setString(5, role.wire());
            s.setString(6, project);
            s.setString(7, node);
            s.setBoolean(8, bootstrap);
            s.setTimestamp(9, expiresAt == null ? null : Timestamp.from(expiresAt));
            try (var rs = s.executeQuery()) {
                rs.next();
                return new Token(ServerVersion.API_VERSION, Token.KIND, id, subject, subjectKind, role.wire(), project, node, bootstrap,
                        rs.getTimestamp(1).toInstant(), expiresAt, null, token);
            }
        }
    }

    private static Token token(ResultSet rs) throws SQLException {
        return new Token(ServerVersion.API_VERSION, Token.KIND, rs.getString("id"), rs.getString("subject"), rs.getString("subject_kind"),
                rs.getString("role"), rs.getString("project"), rs.getString("node"), rs.getBoolean("bootstrap"),
                instant(rs.getTimestamp("created_at")), instant(rs.getTimestamp("expires_at")), instant(rs.getTimestamp("revoked_at")), null);
    }

    private static Instant instant(Timestamp t) {
        return Optional.ofNullable(t).map(Timestamp::toInstant).orElse(null);
    }

    static String hash(String token) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(token.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JVM", e);
        }
    }
}
