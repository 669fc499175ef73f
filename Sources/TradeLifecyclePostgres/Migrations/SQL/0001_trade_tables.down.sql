-- Reverses 0001_trade_tables.up.sql, dependents first.
DROP TABLE reconciliation_backfill_audit;
DROP TABLE fills;
DROP TABLE trade_history;
DROP TABLE orders;
DROP TABLE trade_profiles;
