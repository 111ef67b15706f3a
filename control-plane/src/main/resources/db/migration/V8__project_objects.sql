-- Projects become objects of the store (kind Project, cluster-scoped), so they are listed, watched and versioned like
-- every other kind. The project table stays: the control plane writes both in one transaction, and it is what each
-- request's project check reads. Every existing project (default, at least) gets its object, written like any other
-- create: the next resourceVersion, logged for watchers.
DO $$
DECLARE
    p record;
    rv bigint;
BEGIN
    FOR p IN SELECT name, uid, creation_timestamp FROM project ORDER BY name LOOP
        UPDATE resource_version_counter SET value = value + 1 WHERE id = 1 RETURNING value INTO rv;
        INSERT INTO resource (kind, project, name, uid, labels, spec, status, generation, resource_version, creation_timestamp)
        VALUES ('Project', '', p.name, p.uid, '{}'::jsonb, '{}'::jsonb, NULL, 1, rv, p.creation_timestamp);
        INSERT INTO watch_log (resource_version, kind, project, name, node, type, object)
        VALUES (rv, 'Project', '', p.name, NULL, 'ADDED', jsonb_build_object(
            'apiVersion', 'corral/v1', 'kind', 'Project',
            'metadata', jsonb_build_object('name', p.name, 'uid', p.uid, 'labels', '{}'::jsonb,
                                           'creationTimestamp', p.creation_timestamp, 'generation', 1, 'resourceVersion', rv::text),
            'spec', '{}'::jsonb));
    END LOOP;
END $$;
