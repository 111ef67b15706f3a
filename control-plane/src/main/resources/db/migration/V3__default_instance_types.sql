-- The default instance types. Written like any other create: each takes the next resourceVersion and is
-- logged for watchers.
DO $$
DECLARE
    t record;
    rv bigint;
    obj_uid uuid;
    created timestamptz := now();
BEGIN
    FOR t IN SELECT * FROM (VALUES
            ('c1.nano',    1,   256, NULL::jsonb),
            ('c1.small',   1,  1024, NULL),
            ('c1.medium',  2,  4096, NULL),
            ('c1.large',   4,  8192, NULL),
            ('c1.xlarge',  8, 16384, NULL),
            ('m1.large',   4, 32768, NULL),
            ('g1.xlarge',  8, 65536, '[{"class": "gpu", "count": 1}]'::jsonb)
        ) AS v(name, vcpus, memory, devices)
    LOOP
        UPDATE resource_version_counter SET value = value + 1 WHERE id = 1 RETURNING value INTO rv;
        obj_uid := gen_random_uuid();
        INSERT INTO resource (kind, project, name, uid, labels, spec, status, generation, resource_version, creation_timestamp)
        VALUES ('InstanceType', '', t.name, obj_uid, '{"corral.dev/seeded": "true"}'::jsonb,
                jsonb_strip_nulls(jsonb_build_object('vcpus', t.vcpus, 'memoryMiB', t.memory, 'devices', t.devices)),
                NULL, 1, rv, created);
        INSERT INTO watch_log (resource_version, kind, project, name, node, type, object)
        VALUES (rv, 'InstanceType', '', t.name, NULL, 'ADDED', jsonb_build_object(
            'apiVersion', 'corral/v1', 'kind', 'InstanceType',
            'metadata', jsonb_build_object('name', t.name, 'uid', obj_uid, 'labels', '{"corral.dev/seeded": "true"}'::jsonb,
                                           'creationTimestamp', created, 'generation', 1, 'resourceVersion', rv::text),
            'spec', jsonb_strip_nulls(jsonb_build_object('vcpus', t.vcpus, 'memoryMiB', t.memory, 'devices', t.devices))));
    END LOOP;
END $$;
