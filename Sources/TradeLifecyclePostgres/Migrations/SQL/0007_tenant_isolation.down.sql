-- Reverses 0007_tenant_isolation.up.sql. Privileges granted by
-- trade_lifecycle_grant_tenant_role stay with the tables (DROP OWNED BY removes them).
DROP FUNCTION trade_lifecycle_grant_tenant_role(text);
DROP POLICY capital_ledger_events_tenant_append ON capital_ledger_events;
DROP POLICY capital_ledger_events_tenant_read ON capital_ledger_events;
ALTER TABLE capital_ledger_events DISABLE ROW LEVEL SECURITY;
DROP POLICY execution_logs_tenant_append ON execution_logs;
DROP POLICY execution_logs_tenant_read ON execution_logs;
ALTER TABLE execution_logs DISABLE ROW LEVEL SECURITY;
DROP POLICY reconciliation_locks_tenant_isolation ON reconciliation_locks;
ALTER TABLE reconciliation_locks DISABLE ROW LEVEL SECURITY;
DROP POLICY entry_locks_tenant_isolation ON entry_locks;
ALTER TABLE entry_locks DISABLE ROW LEVEL SECURITY;
DROP POLICY capital_ledger_balances_tenant_isolation ON capital_ledger_balances;
ALTER TABLE capital_ledger_balances DISABLE ROW LEVEL SECURITY;
DROP POLICY reconciliation_backfill_audit_tenant_isolation ON reconciliation_backfill_audit;
ALTER TABLE reconciliation_backfill_audit DISABLE ROW LEVEL SECURITY;
DROP POLICY fills_tenant_isolation ON fills;
ALTER TABLE fills DISABLE ROW LEVEL SECURITY;
DROP POLICY trade_history_tenant_isolation ON trade_history;
ALTER TABLE trade_history DISABLE ROW LEVEL SECURITY;
DROP POLICY orders_tenant_isolation ON orders;
ALTER TABLE orders DISABLE ROW LEVEL SECURITY;
DROP POLICY trade_profiles_tenant_isolation ON trade_profiles;
ALTER TABLE trade_profiles DISABLE ROW LEVEL SECURITY;
DROP TABLE tenant_profiles;
