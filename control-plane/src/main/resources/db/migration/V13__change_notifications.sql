-- Changes to rows that control-plane replicas keep in memory are notified when they commit (pg_notify is delivered
-- at commit, to every session that LISTENs on the channel): each replica listens (dev.corral.controlplane.store.
-- ChangeNotifications) and drops what it kept. Inserts need no notification: nothing is kept of a row before it exists.

-- A token's row updated (a revocation) or deleted (its project's deletion takes it along, or an operator by hand):
-- channel corral_token, the token's hash (what the replicas key their grants by; never the token itself).
CREATE FUNCTION token_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('corral_token', OLD.hash);
    RETURN NULL;
END
$$;

CREATE TRIGGER token_changed AFTER UPDATE OR DELETE ON token FOR EACH ROW EXECUTE FUNCTION token_changed();

-- An Image updated or deleted: channel corral_image, 'project/name'. The WHEN clause keeps the trigger off every
-- other kind's rows (the workloads' status updates among them) without calling the function.
CREATE FUNCTION image_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('corral_image', OLD.project || '/' || OLD.name);
    RETURN NULL;
END
$$;

CREATE TRIGGER image_changed AFTER UPDATE OR DELETE ON resource FOR EACH ROW WHEN (OLD.kind = 'Image')
    EXECUTE FUNCTION image_changed();

-- A project deleted (or its row changed by hand): channel corral_project, its name.
CREATE FUNCTION project_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('corral_project', OLD.name);
    RETURN NULL;
END
$$;

CREATE TRIGGER project_changed AFTER UPDATE OR DELETE ON project FOR EACH ROW EXECUTE FUNCTION project_changed();
