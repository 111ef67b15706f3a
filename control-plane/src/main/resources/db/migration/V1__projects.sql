-- Every object belongs to a project. Until tokens and tenancy arrive, everything lives in 'default'.
CREATE TABLE project (
    name                 text        PRIMARY KEY CHECK (name ~ '^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$'),
    uid                  uuid        NOT NULL UNIQUE,
    creation_timestamp   timestamptz NOT NULL DEFAULT now()
);

INSERT INTO project (name, uid) VALUES ('default', '00000000-0000-4000-8000-000000000001');
