-- Every API object lives in one table, like Kubernetes objects in etcd: the generic mechanics (resourceVersion,
-- generation, labels, pagination, watches) are written once.

-- The global resourceVersion. Each write transaction bumps this one row as its last step, so the row lock
-- orders commits: resourceVersions become visible in increasing order and a watch never skips one.
CREATE TABLE resource_version_counter (
    id     smallint PRIMARY KEY CHECK (id = 1),
    value  bigint   NOT NULL
);
INSERT INTO resource_version_counter VALUES (1, 0);

CREATE TABLE resource (
    kind                text        NOT NULL,
    project             text        NOT NULL,      -- '' for cluster-scoped kinds (Node, InstanceType)
    name                text        NOT NULL,
    uid                 uuid        NOT NULL UNIQUE,
    labels              jsonb       NOT NULL DEFAULT '{}'::jsonb,
    spec                jsonb,
    status              jsonb,
    generation          bigint      NOT NULL,
    resource_version    bigint      NOT NULL,
    creation_timestamp  timestamptz NOT NULL,
    node                text,                      -- workloads: where they are placed (assignment queries)
    PRIMARY KEY (kind, project, name)
);
CREATE INDEX resource_labels ON resource USING gin (labels jsonb_path_ops);
CREATE INDEX resource_node ON resource (node) WHERE node IS NOT NULL;
CREATE INDEX resource_phase ON resource (kind, (status ->> 'phase'));

-- The change log watches read from: one row per write, in resourceVersion order. Trimmed by age.
CREATE TABLE watch_log (
    resource_version  bigint      PRIMARY KEY,
    kind              text        NOT NULL,
    project           text        NOT NULL,
    name              text        NOT NULL,
    node              text,
    type              text        NOT NULL CHECK (type IN ('ADDED', 'MODIFIED', 'DELETED')),
    object            jsonb       NOT NULL,
    created           timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX watch_log_kind ON watch_log (kind, resource_version);
CREATE INDEX watch_log_node ON watch_log (node, resource_version) WHERE node IS NOT NULL;
CREATE INDEX watch_log_created ON watch_log (created);

-- Capacity per node, the scheduler's ledger. Placement is one conditional UPDATE of this row: PostgreSQL
-- re-checks the WHERE clause under the row lock, so concurrent placements (any number of control-plane
-- replicas) can never take a node past its allocatable capacity.
CREATE TABLE node_capacity (
    node              text             PRIMARY KEY,
    vcpus             integer          NOT NULL CHECK (vcpus >= 0),
    memory_mib        bigint           NOT NULL CHECK (memory_mib >= 0),
    vcpus_used        double precision NOT NULL DEFAULT 0 CHECK (vcpus_used >= 0),
    memory_mib_used   bigint           NOT NULL DEFAULT 0 CHECK (memory_mib_used >= 0),
    ready             boolean          NOT NULL,   -- the agent heartbeats
    cordoned          boolean          NOT NULL DEFAULT false,
    last_heartbeat    timestamptz      NOT NULL,
    accelerator       text             NOT NULL,
    labels            jsonb            NOT NULL DEFAULT '{}'::jsonb,
    version           bigint           NOT NULL DEFAULT 0
);

-- Host PCI devices. A device is assigned by setting workload_uid; the whole IOMMU group goes together.
CREATE TABLE node_device (
    node          text    NOT NULL REFERENCES node_capacity (node) ON DELETE CASCADE,
    address       text    NOT NULL,
    vendor        text    NOT NULL,
    device        text    NOT NULL,
    class_code    text    NOT NULL,
    device_class  text    NOT NULL,
    numa_node     integer NOT NULL DEFAULT -1,
    iommu_group   integer,
    driver        text,
    workload_uid  uuid,
    PRIMARY KEY (node, address)
);
CREATE INDEX node_device_free ON node_device (node, device_class) WHERE workload_uid IS NULL;

-- One member of an anti-affinity group per node: the unique key makes it hold under concurrency.
CREATE TABLE anti_affinity_member (
    project       text NOT NULL,
    group_name    text NOT NULL,
    node          text NOT NULL,
    workload_uid  uuid NOT NULL UNIQUE,
    PRIMARY KEY (project, group_name, node)
);

-- Content-addressed uploads (kernels, initrds, disks).
CREATE TABLE blob (
    sha256    text        PRIMARY KEY CHECK (sha256 ~ '^[0-9a-f]{64}$'),
    size      bigint      NOT NULL,
    content   bytea       NOT NULL,
    created   timestamptz NOT NULL DEFAULT now()
);

-- What happened to objects. Repeats of the same reason+message fold into one row with a count.
CREATE TABLE event (
    id                bigserial   PRIMARY KEY,
    uid               uuid        NOT NULL UNIQUE,
    project           text        NOT NULL,
    involved_kind     text        NOT NULL,
    involved_name     text        NOT NULL,
    involved_uid      uuid,
    type              text        NOT NULL CHECK (type IN ('Normal', 'Warning')),
    reason            text        NOT NULL,
    message           text        NOT NULL,
    count             integer     NOT NULL DEFAULT 1,
    first_timestamp   timestamptz NOT NULL,
    last_timestamp    timestamptz NOT NULL,
    source            text        NOT NULL
);
CREATE INDEX event_involved ON event (project, involved_kind, involved_name, id);

-- Idempotency-Key on POST: the stored answer is replayed for a retry with the same key and body.
CREATE TABLE idempotency_key (
    project        text        NOT NULL,
    key            text        NOT NULL,
    method         text        NOT NULL,
    path           text        NOT NULL,
    request_hash   text        NOT NULL,
    status         integer,
    response       jsonb,
    created        timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (project, key)
);
