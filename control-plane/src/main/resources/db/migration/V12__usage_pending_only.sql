-- The usage meter no longer keeps the id of every event it read (issue 19): a workload's last applied sequence
-- (usage_workload.applied_sequence), written in the same transaction as the usage and the position, already makes
-- any repeat of an applied event stale, whatever its id. What is left of usage_event is what it held besides: the
-- events that wait for an earlier sequence of their workload, with their content, until they apply or turn stale
-- and are deleted. Safe on an existing database: applied and stale rows are exactly the ones the sequences cover.
DELETE FROM usage_event WHERE status <> 'pending';
DROP INDEX usage_event_pending;
ALTER TABLE usage_event DROP COLUMN status;
ALTER TABLE usage_event RENAME TO usage_pending;
ALTER TABLE usage_pending RENAME CONSTRAINT usage_event_pkey TO usage_pending_pkey;
ALTER TABLE usage_pending ALTER COLUMN event SET NOT NULL;
CREATE INDEX usage_pending_uid ON usage_pending (uid, sequence);
