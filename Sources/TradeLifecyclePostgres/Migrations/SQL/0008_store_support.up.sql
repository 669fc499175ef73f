-- What PostgresStore needs beyond the reference tables (Documentation/ImplementingAStore.md):
-- the key of an audit row within its batch, the idempotency id of an execution log entry and
-- a head row per profile that serializes appends, the capital ledger's event history, and a
-- nullable filled_quantity (an order with no reported fill keeps NULL; the default stays 0).
-- Columns added to existing tables are nullable, so rows written by the reference runbooks'
-- SQL stay valid; the store refuses to read such a row as one of its own records.

ALTER TABLE orders ALTER COLUMN filled_quantity DROP NOT NULL;

-- The position of a record within its batch: with batch_id the key of a BackfillAuditRecord.
ALTER TABLE reconciliation_backfill_audit ADD COLUMN row_number bigint;

ALTER TABLE reconciliation_backfill_audit ADD CONSTRAINT chk_reconciliation_backfill_audit_row_number
    CHECK (row_number >= 0) NOT VALID;

CREATE UNIQUE INDEX uq_reconciliation_backfill_audit_batch_row
    ON reconciliation_backfill_audit (batch_id, row_number);

-- The idempotency id of an execution log entry: unique over the whole table.
ALTER TABLE execution_logs ADD COLUMN entry_id text;

ALTER TABLE execution_logs ADD CONSTRAINT chk_execution_logs_entry_id_not_blank
    CHECK (btrim(entry_id) <> '') NOT VALID;

CREATE UNIQUE INDEX uq_execution_logs_entry_id ON execution_logs (entry_id);

-- The last entry of each profile's chain. An append locks this row (SELECT ... FOR UPDATE or
-- an upsert), so two appends of one profile never read the same head; the row moves in the
-- same transaction as the entry it points at. sequence_number 0 with a NULL hash is an empty
-- chain.
CREATE TABLE execution_log_heads (
    profile_id text PRIMARY KEY,
    sequence_number bigint NOT NULL DEFAULT 0,
    hash text,
    updated_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT chk_execution_log_heads_sequence_number CHECK (sequence_number >= 0),
    CONSTRAINT chk_execution_log_heads_hash CHECK (
        (sequence_number = 0 AND hash IS NULL)
        OR (sequence_number > 0 AND hash IS NOT NULL AND btrim(hash) <> '')
    )
);

-- The capital ledger's history (LedgerEventStore): one gapless sequence per database role,
-- so that a tenant role, which sees only its own profiles' rows, has a history of its own
-- that no other role can interleave with. `event` is the LedgerEvent as JSON (decimals and
-- ids as strings); the other columns repeat what queries and policies need.
CREATE TABLE ledger_events (
    role_name text NOT NULL DEFAULT current_user,
    sequence bigint NOT NULL,
    operation_id numeric(39, 0) NOT NULL,
    profile_id text NOT NULL,
    kind text NOT NULL,
    event jsonb NOT NULL,
    recorded_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT ledger_events_pkey PRIMARY KEY (role_name, sequence),
    CONSTRAINT ledger_events_role_name_operation_id_key UNIQUE (role_name, operation_id),
    CONSTRAINT chk_ledger_events_sequence_positive CHECK (sequence >= 1),
    CONSTRAINT chk_ledger_events_operation_id_not_negative CHECK (operation_id >= 0),
    CONSTRAINT chk_ledger_events_kind_not_blank CHECK (btrim(kind) <> '')
);

CREATE TRIGGER ledger_events_immutable
    BEFORE UPDATE OR DELETE ON ledger_events
    FOR EACH ROW EXECUTE FUNCTION trade_lifecycle_reject_append_only_change();

CREATE TRIGGER ledger_events_immutable_truncate
    BEFORE TRUNCATE ON ledger_events
    FOR EACH STATEMENT EXECUTE FUNCTION trade_lifecycle_reject_append_only_change();

CREATE INDEX idx_ledger_events_profile ON ledger_events (profile_id);

ALTER TABLE execution_log_heads ENABLE ROW LEVEL SECURITY;
CREATE POLICY execution_log_heads_tenant_isolation ON execution_log_heads
    FOR ALL
    USING (profile_id IN (
        SELECT tenant_profiles.profile_id FROM tenant_profiles
        WHERE tenant_profiles.role_name = current_user
    ))
    WITH CHECK (profile_id IN (
        SELECT tenant_profiles.profile_id FROM tenant_profiles
        WHERE tenant_profiles.role_name = current_user
    ));

ALTER TABLE ledger_events ENABLE ROW LEVEL SECURITY;
CREATE POLICY ledger_events_tenant_read ON ledger_events
    FOR SELECT
    USING (role_name = current_user AND profile_id IN (
        SELECT tenant_profiles.profile_id FROM tenant_profiles
        WHERE tenant_profiles.role_name = current_user
    ));
CREATE POLICY ledger_events_tenant_append ON ledger_events
    FOR INSERT
    WITH CHECK (role_name = current_user AND profile_id IN (
        SELECT tenant_profiles.profile_id FROM tenant_profiles
        WHERE tenant_profiles.role_name = current_user
    ));

-- The grant helper of 0007, extended to the tables above. Roles granted before this
-- migration need it run again (GRANT is idempotent).
CREATE OR REPLACE FUNCTION trade_lifecycle_grant_tenant_role(tenant_role text) RETURNS void
    LANGUAGE plpgsql
    AS $$
DECLARE
    found_role record;
BEGIN
    SELECT rolname, rolsuper, rolbypassrls INTO found_role
    FROM pg_roles WHERE rolname = tenant_role;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'role % does not exist', tenant_role
            USING ERRCODE = 'undefined_object';
    END IF;
    IF found_role.rolsuper OR found_role.rolbypassrls THEN
        RAISE EXCEPTION 'role % bypasses row level security (SUPERUSER or BYPASSRLS)', tenant_role
            USING ERRCODE = 'invalid_grant_operation';
    END IF;
    IF pg_has_role(tenant_role, (SELECT relowner FROM pg_class WHERE oid = 'orders'::regclass), 'USAGE') THEN
        RAISE EXCEPTION 'role % owns the trade tables or is a member of their owner', tenant_role
            USING ERRCODE = 'invalid_grant_operation';
    END IF;

    EXECUTE format('GRANT USAGE ON SCHEMA %I TO %I', current_schema(), tenant_role);
    EXECUTE format('GRANT SELECT ON tenant_profiles TO %I', tenant_role);
    EXECUTE format('GRANT SELECT, INSERT, UPDATE ON trade_profiles, orders, trade_history, '
        'reconciliation_backfill_audit, capital_ledger_balances, execution_log_heads TO %I', tenant_role);
    EXECUTE format('GRANT SELECT, INSERT ON fills, execution_logs, capital_ledger_events, '
        'event_dedupe, ledger_events TO %I', tenant_role);
    EXECUTE format('GRANT SELECT, INSERT, UPDATE, DELETE ON entry_locks, reconciliation_locks TO %I',
        tenant_role);
    EXECUTE format('GRANT USAGE ON SEQUENCE entry_locks_fencing_token_seq, '
        'reconciliation_locks_fencing_token_seq TO %I', tenant_role);
END;
$$;

REVOKE ALL ON FUNCTION trade_lifecycle_grant_tenant_role(text) FROM PUBLIC;
