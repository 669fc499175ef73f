-- Reverses 0008_store_support.up.sql: restores 0007's grant helper, drops the store's tables
-- and columns, and makes filled_quantity NOT NULL again (NULL becomes the old default 0).
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
        'reconciliation_backfill_audit, capital_ledger_balances TO %I', tenant_role);
    EXECUTE format('GRANT SELECT, INSERT ON fills, execution_logs, capital_ledger_events, '
        'event_dedupe TO %I', tenant_role);
    EXECUTE format('GRANT SELECT, INSERT, UPDATE, DELETE ON entry_locks, reconciliation_locks TO %I',
        tenant_role);
    EXECUTE format('GRANT USAGE ON SEQUENCE entry_locks_fencing_token_seq, '
        'reconciliation_locks_fencing_token_seq TO %I', tenant_role);
END;
$$;

REVOKE ALL ON FUNCTION trade_lifecycle_grant_tenant_role(text) FROM PUBLIC;

DROP POLICY ledger_events_tenant_append ON ledger_events;
DROP POLICY ledger_events_tenant_read ON ledger_events;
DROP POLICY execution_log_heads_tenant_isolation ON execution_log_heads;
DROP TABLE ledger_events;
DROP TABLE execution_log_heads;
DROP INDEX uq_execution_logs_entry_id;
ALTER TABLE execution_logs DROP CONSTRAINT chk_execution_logs_entry_id_not_blank;
ALTER TABLE execution_logs DROP COLUMN entry_id;
DROP INDEX uq_reconciliation_backfill_audit_batch_row;
ALTER TABLE reconciliation_backfill_audit DROP CONSTRAINT chk_reconciliation_backfill_audit_row_number;
ALTER TABLE reconciliation_backfill_audit DROP COLUMN row_number;
UPDATE orders SET filled_quantity = 0 WHERE filled_quantity IS NULL;
ALTER TABLE orders ALTER COLUMN filled_quantity SET NOT NULL;
