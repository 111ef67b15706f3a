-- Quotas per project (docs/0009-identities-and-tokens.md, "Quotas"). A limit of NULL is no limit. What is in use is
-- kept beside the limit and changed by one conditional statement per charge, in the transaction that creates,
-- reshapes or deletes the workload, so two creates can never both pass the last unit, whichever replica runs them.
-- A VM or container counts from its create to its delete, whatever its phase.
CREATE TABLE quota (
    project          text    PRIMARY KEY REFERENCES project (name) ON DELETE CASCADE,
    vcpus            integer CHECK (vcpus >= 0),
    memory_mib       bigint  CHECK (memory_mib >= 0),
    instances        integer CHECK (instances >= 0),
    vcpus_used       numeric NOT NULL DEFAULT 0,       -- exact: containers hold fractions (0.5, 0.01)
    memory_mib_used  bigint  NOT NULL DEFAULT 0,
    instances_used   integer NOT NULL DEFAULT 0
);

-- Devices by class (gpu, network, storage, accelerator, ...), as workloads ask for them (status.deviceRequests).
CREATE TABLE quota_device (
    project       text    NOT NULL REFERENCES project (name) ON DELETE CASCADE,
    device_class  text    NOT NULL,
    count         integer CHECK (count >= 0),
    used          integer NOT NULL DEFAULT 0,
    PRIMARY KEY (project, device_class)
);

-- What the workloads that exist already hold.
INSERT INTO quota (project, vcpus_used, memory_mib_used, instances_used)
SELECT p.name, coalesce(sum((r.status -> 'resources' ->> 'vcpus')::numeric), 0),
       coalesce(sum((r.status -> 'resources' ->> 'memoryMiB')::bigint), 0), count(r.uid)
FROM project p LEFT JOIN resource r ON r.project = p.name AND r.kind IN ('VM', 'Container')
GROUP BY p.name;

INSERT INTO quota_device (project, device_class, used)
SELECT r.project, d ->> 'class', sum(coalesce((d ->> 'count')::integer, 1))
FROM resource r, jsonb_array_elements(coalesce(r.status -> 'deviceRequests', '[]'::jsonb)) d
WHERE r.kind IN ('VM', 'Container')
GROUP BY r.project, d ->> 'class';
