-- Lifecycle guardrails (reference 000 phase B, reference 004). Every constraint is added
-- NOT VALID: rows written from now on are checked, existing rows are not scanned, and the
-- table is not blocked for a full scan. Validation is a separate, later step run once the
-- legacy data is reconciled, e.g. reference 000 phase D:
--   ALTER TABLE orders VALIDATE CONSTRAINT chk_orders_action_lifecycle;
-- Plain statements only (no DO blocks), one constraint per statement.

-- "action is ENTRY or EXIT, or NULL together with trade_id". Written with `action IS NOT NULL`
-- because in SQL `NULL IN (...)` is NULL, and a CHECK that evaluates to NULL passes: the
-- shorter `action IN ('ENTRY', 'EXIT') OR (action IS NULL AND trade_id IS NULL)` would let a
-- row with a trade_id and no action through.
ALTER TABLE orders ADD CONSTRAINT chk_orders_action_lifecycle
    CHECK (
        (action IS NOT NULL AND action IN ('ENTRY', 'EXIT'))
        OR (action IS NULL AND trade_id IS NULL)
    ) NOT VALID;

ALTER TABLE orders ADD CONSTRAINT chk_orders_trade_id_not_blank
    CHECK (trade_id IS NULL OR btrim(trade_id) <> '') NOT VALID;

ALTER TABLE orders ADD CONSTRAINT chk_orders_trade_id_format
    CHECK (trade_id IS NULL OR trade_id ~ '^TRD-[A-Za-z0-9][A-Za-z0-9._-]{0,119}$') NOT VALID;

ALTER TABLE trade_history ADD CONSTRAINT chk_trade_history_trade_id_not_blank
    CHECK (trade_id IS NULL OR btrim(trade_id) <> '') NOT VALID;

ALTER TABLE trade_history ADD CONSTRAINT chk_trade_history_trade_id_format
    CHECK (trade_id IS NULL OR trade_id ~ '^TRD-[A-Za-z0-9][A-Za-z0-9._-]{0,119}$') NOT VALID;

ALTER TABLE orders ADD CONSTRAINT chk_orders_quantity_positive
    CHECK (quantity > 0) NOT VALID;

ALTER TABLE orders ADD CONSTRAINT chk_orders_qty_positive
    CHECK (qty > 0) NOT VALID;

ALTER TABLE orders ADD CONSTRAINT chk_orders_price_positive
    CHECK (price > 0) NOT VALID;

ALTER TABLE orders ADD CONSTRAINT chk_orders_filled_quantity_not_negative
    CHECK (filled_quantity >= 0) NOT VALID;

ALTER TABLE orders ADD CONSTRAINT chk_orders_filled_quantity_within_quantity
    CHECK (filled_quantity <= quantity) NOT VALID;

ALTER TABLE orders ADD CONSTRAINT chk_orders_side
    CHECK (side IN ('long', 'short')) NOT VALID;

ALTER TABLE trade_history ADD CONSTRAINT chk_trade_history_side
    CHECK (side IN ('long', 'short')) NOT VALID;
