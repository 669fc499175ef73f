-- Indexes for lifecycle tracing (reference 000 phase B lists `idx_%trade_id%` on orders and
-- trade_history), for the runbook queries of reference 001, and for reconciliation lookups.
-- Plain CREATE INDEX: migrations run inside a transaction, where CONCURRENTLY is not allowed.

CREATE INDEX idx_orders_profile_trade_id ON orders (profile_id, trade_id);

CREATE INDEX idx_trade_history_profile_trade_id ON trade_history (profile_id, trade_id);

-- Lifecycle detection and post-fix validation: WHERE profile_id = ? AND status IN (...) AND
-- trade_id IS NOT NULL GROUP BY symbol, trade_id.
CREATE INDEX idx_orders_profile_status_trade_id ON orders (profile_id, status, trade_id);

-- order_id LIKE 'BFILL-%' per profile, whatever the database collation.
CREATE INDEX idx_orders_profile_order_id_pattern ON orders (profile_id, order_id text_pattern_ops);

-- Matching exchange fills and open orders to database orders.
CREATE INDEX idx_orders_profile_exchange_order_id ON orders (profile_id, exchange_order_id)
    WHERE exchange_order_id IS NOT NULL;
CREATE INDEX idx_orders_profile_client_order_id ON orders (profile_id, client_order_id)
    WHERE client_order_id IS NOT NULL;

-- At most one live ENTRY order per (profile_id, symbol) (reference 002, phase 6).
CREATE UNIQUE INDEX uq_orders_one_live_entry_per_symbol ON orders (profile_id, symbol)
    WHERE action = 'ENTRY' AND status IN ('pending', 'open', 'partially_filled');

-- Backfill audit: rollback by batch_id, review per profile newest first.
CREATE INDEX idx_reconciliation_backfill_audit_batch_id
    ON reconciliation_backfill_audit (batch_id);
CREATE INDEX idx_reconciliation_backfill_audit_profile_created_at
    ON reconciliation_backfill_audit (profile_id, created_at DESC);

CREATE INDEX idx_fills_order ON fills (profile_id, order_id);
CREATE INDEX idx_fills_profile_symbol_filled_at ON fills (profile_id, symbol, filled_at DESC);
