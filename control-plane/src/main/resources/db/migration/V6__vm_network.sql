-- The VM network of a node (IPv4 CIDR its agent registered), null when it offers none: the scheduler places
-- network-attached VMs only on nodes that have one.
ALTER TABLE node_capacity ADD COLUMN subnet text;

-- VM addresses, one row per network-attached VM placed on a node. Every node registering the same subnet shares its
-- pool (two agents on one host may share a bridge), so the key is the subnet, not the node. Allocation takes a
-- transaction-scoped advisory lock on the subnet first; the primary key makes a double grant impossible anyway.
CREATE TABLE vm_address (
    subnet        text   NOT NULL,
    address       bigint NOT NULL,    -- the IPv4 address as an unsigned 32-bit number
    workload_uid  uuid   NOT NULL UNIQUE,
    PRIMARY KEY (subnet, address)
);

-- MACs are unique among VMs: the create checks before it writes, this index holds under concurrency.
CREATE UNIQUE INDEX resource_vm_mac ON resource ((status -> 'network' ->> 'mac'))
    WHERE kind = 'VM' AND (status -> 'network' ->> 'mac') IS NOT NULL;
