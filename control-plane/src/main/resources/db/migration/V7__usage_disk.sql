-- Provisioned disk (GiB, as the guest sees it) is billed as GiB-seconds while a VM exists on a node, running or not.
ALTER TABLE usage_workload ADD COLUMN disk_gib bigint NOT NULL DEFAULT 0;
ALTER TABLE usage_interval ADD COLUMN disk_gib bigint NOT NULL DEFAULT 0;
