-- Workloads with a restart planned under their restartPolicy: the restart scheduler looks for them every second.
CREATE INDEX resource_restart_due ON resource ((status -> 'restart' ->> 'nextAt'))
    WHERE (status -> 'restart' ->> 'nextAt') IS NOT NULL;
