-- The audit log (docs/0009-identities-and-tokens.md): one row per mutating request, written after it was answered.
-- Who (the token's id, subject and grant, or none: anonymous), what (method, path, the object it names), the outcome
-- (the HTTP status) and the request id (X-Request-Id). Never a token's secret, never a body.
CREATE TABLE audit (
    id               bigserial   PRIMARY KEY,
    at               timestamptz NOT NULL DEFAULT now(),
    request_id       text        NOT NULL,
    method           text        NOT NULL,
    path             text        NOT NULL,
    object_kind      text,
    object_name      text,
    object_project   text,
    status           integer     NOT NULL,
    token_id         text,                    -- null: anonymous (no token, or one that was refused)
    subject          text,
    subject_kind     text,
    role             text,
    grant_project    text,
    grant_node       text,
    published_at     timestamptz              -- when corral.audit.v1 acknowledged it; null: to be (re)sent
);
CREATE INDEX audit_at ON audit (at, id);
CREATE INDEX audit_unpublished ON audit (id) WHERE published_at IS NULL;
