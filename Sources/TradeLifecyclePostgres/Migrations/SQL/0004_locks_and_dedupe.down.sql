-- Reverses 0004_locks_and_dedupe.up.sql. Each fencing sequence is owned by its column and
-- goes with its table.
DROP TABLE event_dedupe;
DROP TABLE reconciliation_locks;
DROP TABLE entry_locks;
