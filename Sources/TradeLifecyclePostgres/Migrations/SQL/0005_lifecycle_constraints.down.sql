-- Reverses 0005_lifecycle_constraints.up.sql. IF EXISTS: the reference 000 rollback plan may
-- already have dropped the five lifecycle constraints by hand.
ALTER TABLE trade_history DROP CONSTRAINT IF EXISTS chk_trade_history_side;
ALTER TABLE orders DROP CONSTRAINT IF EXISTS chk_orders_side;
ALTER TABLE orders DROP CONSTRAINT IF EXISTS chk_orders_filled_quantity_within_quantity;
ALTER TABLE orders DROP CONSTRAINT IF EXISTS chk_orders_filled_quantity_not_negative;
ALTER TABLE orders DROP CONSTRAINT IF EXISTS chk_orders_price_positive;
ALTER TABLE orders DROP CONSTRAINT IF EXISTS chk_orders_qty_positive;
ALTER TABLE orders DROP CONSTRAINT IF EXISTS chk_orders_quantity_positive;
ALTER TABLE trade_history DROP CONSTRAINT IF EXISTS chk_trade_history_trade_id_format;
ALTER TABLE trade_history DROP CONSTRAINT IF EXISTS chk_trade_history_trade_id_not_blank;
ALTER TABLE orders DROP CONSTRAINT IF EXISTS chk_orders_trade_id_format;
ALTER TABLE orders DROP CONSTRAINT IF EXISTS chk_orders_trade_id_not_blank;
ALTER TABLE orders DROP CONSTRAINT IF EXISTS chk_orders_action_lifecycle;
