-- Append-only execution log with a hash chain per profile: entry `sequence` n of a profile
-- carries the hash of entry n - 1 in `previous_hash` (NULL for the first entry), so an edited
-- or removed entry breaks the chain. The chain is per profile because row level security
-- lets a tenant see its own profiles' entries only.
--
-- The database itself refuses UPDATE, DELETE and TRUNCATE on this table, for every role
-- (the owner included), through the triggers below; the application role is also granted
-- SELECT and INSERT only (see trade_lifecycle_grant_tenant_role in 0007).

CREATE TABLE execution_logs (
    sequence bigint NOT NULL,
    profile_id text NOT NULL,
    order_id text,
    action text NOT NULL,
    reason text,
    created_at timestamptz NOT NULL DEFAULT now(),
    previous_hash text,
    hash text NOT NULL,
    CONSTRAINT execution_logs_pkey PRIMARY KEY (profile_id, sequence),
    CONSTRAINT chk_execution_logs_sequence_positive CHECK (sequence >= 1),
    CONSTRAINT chk_execution_logs_action CHECK (
        action IN ('SUBMITTED', 'APPROVED', 'EXECUTED', 'FILLED', 'REJECTED', 'CANCELLED', 'RECOVERED')
    ),
    CONSTRAINT chk_execution_logs_hash_not_blank CHECK (btrim(hash) <> ''),
    CONSTRAINT chk_execution_logs_previous_hash CHECK (
        (sequence = 1 AND previous_hash IS NULL)
        OR (sequence > 1 AND previous_hash IS NOT NULL AND btrim(previous_hash) <> '')
    )
);

-- Shared by every append-only table (execution_logs here, capital_ledger_events in 0003).
CREATE FUNCTION trade_lifecycle_reject_append_only_change() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
    RAISE EXCEPTION '% is append-only: % is not allowed', TG_TABLE_NAME, TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$;

CREATE TRIGGER execution_logs_immutable
    BEFORE UPDATE OR DELETE ON execution_logs
    FOR EACH ROW EXECUTE FUNCTION trade_lifecycle_reject_append_only_change();

CREATE TRIGGER execution_logs_immutable_truncate
    BEFORE TRUNCATE ON execution_logs
    FOR EACH STATEMENT EXECUTE FUNCTION trade_lifecycle_reject_append_only_change();

CREATE INDEX idx_execution_logs_order ON execution_logs (profile_id, order_id);
CREATE INDEX idx_execution_logs_profile_created_at ON execution_logs (profile_id, created_at DESC);
