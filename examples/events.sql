-- The README's first distributed table: events sharded by tenant, spread over every worker.
-- Safe to run again: it creates and distributes the table only once.
CREATE TABLE IF NOT EXISTS events (
    tenant_id  bigint      NOT NULL,
    event_id   bigserial,
    created_at timestamptz NOT NULL DEFAULT now(),
    payload    jsonb,
    PRIMARY KEY (tenant_id, event_id)
);

SELECT create_distributed_table('events', 'tenant_id')
WHERE NOT EXISTS (SELECT 1 FROM citus_tables WHERE table_name = 'events'::regclass);

INSERT INTO events (tenant_id, payload)
SELECT i % 100, jsonb_build_object('n', i)
FROM generate_series(1, 10000) AS i;

-- Where the shards live: one row per worker.
SELECT nodename, nodeport, count(*) AS shards
FROM citus_shards
WHERE table_name = 'events'::regclass
GROUP BY nodename, nodeport
ORDER BY nodename, nodeport;
