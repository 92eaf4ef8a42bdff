-- First boot only: the official entrypoint runs this once, on an empty PGDATA, in POSTGRES_DB.
-- Nothing on later boots depends on it. (The citus image's 001-create-citus-extension.sql does the first
-- statement too; IF NOT EXISTS keeps both harmless.)
CREATE EXTENSION IF NOT EXISTS citus;
CREATE EXTENSION IF NOT EXISTS pg_stat_statements;
