-- Tenant isolation by row level security (reference 002, phase 1; reference 003).
--
-- The application connects as its own LOGIN role, which is NOT the owner of these tables
-- (an owner, a superuser or a BYPASSRLS role is not subject to the policies). The role sees
-- and writes only rows whose profile_id is bound to it in tenant_profiles:
--
--   -- as the schema owner (cluster-wide statement first, then per database):
--   CREATE ROLE trade_app_p1 LOGIN PASSWORD '...' NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE;
--   SELECT trade_lifecycle_grant_tenant_role('trade_app_p1');
--   INSERT INTO tenant_profiles (role_name, profile_id) VALUES ('trade_app_p1', 'p1');
--
-- To remove a role: DELETE its tenant_profiles rows, then DROP OWNED BY it in each database
-- and DROP ROLE it.

CREATE TABLE tenant_profiles (
    role_name text NOT NULL,
    profile_id text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT tenant_profiles_pkey PRIMARY KEY (role_name, profile_id),
    CONSTRAINT chk_tenant_profiles_role_name_not_blank CHECK (btrim(role_name) <> ''),
    CONSTRAINT chk_tenant_profiles_profile_id_not_blank CHECK (btrim(profile_id) <> '')
);

-- A tenant role reads its own bindings only (the policies below read them as that role).
ALTER TABLE tenant_profiles ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_profiles_own_role ON tenant_profiles
    FOR SELECT
    USING (role_name = current_user);

ALTER TABLE trade_profiles ENABLE ROW LEVEL SECURITY;
CREATE POLICY trade_profiles_tenant_isolation ON trade_profiles
    FOR ALL
    USING (profile_id IN (
        SELECT tenant_profiles.profile_id FROM tenant_profiles
        WHERE tenant_profiles.role_name = current_user
    ))
    WITH CHECK (profile_id IN (
        SELECT tenant_profiles.profile_id FROM tenant_profiles
        WHERE tenant_profiles.role_name = current_user
    ));

ALTER TABLE orders ENABLE ROW LEVEL SECURITY;
CREATE POLICY orders_tenant_isolation ON orders
    FOR ALL
    USING (profile_id IN (
        SELECT tenant_profiles.profile_id FROM tenant_profiles
        WHERE tenant_profiles.role_name = current_user
    ))
    WITH CHECK (profile_id IN (
        SELECT tenant_profiles.profile_id FROM tenant_profiles
        WHERE tenant_profiles.role_name = current_user
    ));

ALTER TABLE trade_history ENABLE ROW LEVEL SECURITY;
CREATE POLICY trade_history_tenant_isolation ON trade_history
    FOR ALL
    USING (profile_id IN (
        SELECT tenant_profiles.profile_id FROM tenant_profiles
        WHERE tenant_profiles.role_name = current_user
    ))
    WITH CHECK (profile_id IN (
        SELECT tenant_profiles.profile_id FROM tenant_profiles
        WHERE tenant_profiles.role_name = current_user
    ));

ALTER TABLE fills ENABLE ROW LEVEL SECURITY;
CREATE POLICY fills_tenant_isolation ON fills
    FOR ALL
    USING (profile_id IN (
        SELECT tenant_profiles.profile_id FROM tenant_profiles
        WHERE tenant_profiles.role_name = current_user
    ))
    WITH CHECK (profile_id IN (
        SELECT tenant_profiles.profile_id FROM tenant_profiles
        WHERE tenant_profiles.role_name = current_user
    ));

ALTER TABLE reconciliation_backfill_audit ENABLE ROW LEVEL SECURITY;
CREATE POLICY reconciliation_backfill_audit_tenant_isolation ON reconciliation_backfill_audit
    FOR ALL
    USING (profile_id IN (
        SELECT tenant_profiles.profile_id FROM tenant_profiles
        WHERE tenant_profiles.role_name = current_user
    ))
    WITH CHECK (profile_id IN (
        SELECT tenant_profiles.profile_id FROM tenant_profiles
        WHERE tenant_profiles.role_name = current_user
    ));

ALTER TABLE capital_ledger_balances ENABLE ROW LEVEL SECURITY;
CREATE POLICY capital_ledger_balances_tenant_isolation ON capital_ledger_balances
    FOR ALL
    USING (profile_id IN (
        SELECT tenant_profiles.profile_id FROM tenant_profiles
        WHERE tenant_profiles.role_name = current_user
    ))
    WITH CHECK (profile_id IN (
        SELECT tenant_profiles.profile_id FROM tenant_profiles
        WHERE tenant_profiles.role_name = current_user
    ));

ALTER TABLE entry_locks ENABLE ROW LEVEL SECURITY;
CREATE POLICY entry_locks_tenant_isolation ON entry_locks
    FOR ALL
    USING (profile_id IN (
        SELECT tenant_profiles.profile_id FROM tenant_profiles
        WHERE tenant_profiles.role_name = current_user
    ))
    WITH CHECK (profile_id IN (
        SELECT tenant_profiles.profile_id FROM tenant_profiles
        WHERE tenant_profiles.role_name = current_user
    ));

ALTER TABLE reconciliation_locks ENABLE ROW LEVEL SECURITY;
CREATE POLICY reconciliation_locks_tenant_isolation ON reconciliation_locks
    FOR ALL
    USING (profile_id IN (
        SELECT tenant_profiles.profile_id FROM tenant_profiles
        WHERE tenant_profiles.role_name = current_user
    ))
    WITH CHECK (profile_id IN (
        SELECT tenant_profiles.profile_id FROM tenant_profiles
        WHERE tenant_profiles.role_name = current_user
    ));

-- Append-only tables: a tenant may read and insert, and has no UPDATE or DELETE policy.

ALTER TABLE execution_logs ENABLE ROW LEVEL SECURITY;
CREATE POLICY execution_logs_tenant_read ON execution_logs
    FOR SELECT
    USING (profile_id IN (
        SELECT tenant_profiles.profile_id FROM tenant_profiles
        WHERE tenant_profiles.role_name = current_user
    ));
CREATE POLICY execution_logs_tenant_append ON execution_logs
    FOR INSERT
    WITH CHECK (profile_id IN (
        SELECT tenant_profiles.profile_id FROM tenant_profiles
        WHERE tenant_profiles.role_name = current_user
    ));

ALTER TABLE capital_ledger_events ENABLE ROW LEVEL SECURITY;
CREATE POLICY capital_ledger_events_tenant_read ON capital_ledger_events
    FOR SELECT
    USING (profile_id IN (
        SELECT tenant_profiles.profile_id FROM tenant_profiles
        WHERE tenant_profiles.role_name = current_user
    ));
CREATE POLICY capital_ledger_events_tenant_append ON capital_ledger_events
    FOR INSERT
    WITH CHECK (profile_id IN (
        SELECT tenant_profiles.profile_id FROM tenant_profiles
        WHERE tenant_profiles.role_name = current_user
    ));

-- Grants a tenant role exactly the privileges the SDK needs, and refuses a role for which
-- row level security would not apply. Run as the schema owner. Never grants UPDATE or DELETE
-- on execution_logs, capital_ledger_events or fills, nor DELETE on orders (a backfill
-- rollback only changes status).
CREATE FUNCTION trade_lifecycle_grant_tenant_role(tenant_role text) RETURNS void
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
