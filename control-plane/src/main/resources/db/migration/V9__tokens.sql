-- Bearer tokens (docs/0009-identities-and-tokens.md). A token is shown once, when it is created; only its SHA-256 is
-- kept. Each token grants one role: admin (everything), member or viewer of one project, or node (one node's agent).
CREATE TABLE token (
    id            text        PRIMARY KEY,
    hash          text        NOT NULL UNIQUE,         -- hex SHA-256 of the whole token
    subject       text        NOT NULL,                -- who holds it: a user, a service account, a node
    subject_kind  text        NOT NULL CHECK (subject_kind IN ('User', 'ServiceAccount', 'Node')),
    role          text        NOT NULL CHECK (role IN ('admin', 'member', 'viewer', 'node')),
    project       text        REFERENCES project (name) ON DELETE CASCADE,
    node          text,
    bootstrap     boolean     NOT NULL DEFAULT false,  -- the admin token a control plane wrote to its data dir
    created_at    timestamptz NOT NULL DEFAULT now(),
    expires_at    timestamptz,
    revoked_at    timestamptz,
    CHECK ((role IN ('member', 'viewer')) = (project IS NOT NULL)),
    CHECK ((role = 'node') = (node IS NOT NULL))
);
