-- Reverses 0002_execution_logs.up.sql. DROP TABLE fires no row or TRUNCATE trigger.
DROP TABLE execution_logs;
DROP FUNCTION trade_lifecycle_reject_append_only_change();
