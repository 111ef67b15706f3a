-- The usage meter: lifecycle events folded into usage intervals, exactly once in effect.
-- An event's id is inserted in the same transaction as the usage it causes and as the consumer's position
-- (usage_offset), so a replay, a duplicate or a crash between the two can change nothing.

-- Every lifecycle event the meter has read, once. status: applied, pending (waiting for an earlier sequence of
-- its workload), stale (its sequence was already passed: a duplicate under another id, or too late).
CREATE TABLE usage_event (
    id          text        PRIMARY KEY,
    uid         text        NOT NULL,
    sequence    bigint      NOT NULL,
    status      text        NOT NULL CHECK (status IN ('applied', 'pending', 'stale')),
    received_at timestamptz NOT NULL DEFAULT now(),
    event       jsonb       -- kept only while pending
);
CREATE INDEX usage_event_pending ON usage_event (uid, sequence) WHERE status = 'pending';

-- Where each workload stands: the sequence applied last and the interval it is in now (open).
CREATE TABLE usage_workload (
    uid              text             PRIMARY KEY,
    kind             text             NOT NULL,
    name             text             NOT NULL,
    project          text             NOT NULL,
    applied_sequence bigint           NOT NULL,
    phase            text             NOT NULL CHECK (phase IN ('None', 'Allocated', 'Running', 'Gone')),
    since            timestamptz,
    vcpus            double precision NOT NULL,
    memory_mib       bigint           NOT NULL,
    devices          jsonb            NOT NULL,
    flag             text
);
CREATE INDEX usage_workload_open ON usage_workload (project) WHERE phase IN ('Allocated', 'Running');

-- Closed intervals: [start_at, end_at) in one phase with one shape.
CREATE TABLE usage_interval (
    id         bigserial        PRIMARY KEY,
    uid        text             NOT NULL,
    kind       text             NOT NULL,
    name       text             NOT NULL,
    project    text             NOT NULL,
    phase      text             NOT NULL CHECK (phase IN ('Allocated', 'Running')),
    start_at   timestamptz      NOT NULL,
    end_at     timestamptz      NOT NULL,
    vcpus      double precision NOT NULL,
    memory_mib bigint           NOT NULL,
    devices    jsonb            NOT NULL,
    flag       text,
    CHECK (end_at >= start_at)
);
CREATE INDEX usage_interval_window ON usage_interval (project, end_at, start_at);

-- The meter's position in each partition, committed with the usage it produced (Kafka's own committed offsets
-- are only a hint for tools).
CREATE TABLE usage_offset (
    consumer_group text   NOT NULL,
    topic          text   NOT NULL,
    partition      int    NOT NULL,
    next_offset    bigint NOT NULL,
    PRIMARY KEY (consumer_group, topic, partition)
);
