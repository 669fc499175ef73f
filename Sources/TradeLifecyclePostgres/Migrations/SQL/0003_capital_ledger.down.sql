-- Reverses 0003_capital_ledger.up.sql.
DROP TABLE capital_ledger_balances;
DROP TABLE capital_ledger_events;
