// SQL copied verbatim from the reference runbooks (shared/reference/000_*.txt and 001_*.txt),
// so the tests can run it unchanged against the migrated schema. Only the placeholders
// <<PROFILE_ID>> and <<BATCH_ID>> are substituted, at run time. ReferenceRunbookSQLTests checks
// that every block still appears verbatim in the documents when they are present.

enum ReferenceRunbookSQL {
    /// `000_704bba62730a6ff1.txt`: trade lifecycle integrity migration plan.
    enum IntegrityPlan {
        static let document = "000_704bba62730a6ff1.txt"
        static let snapshotOrders = #"""
SELECT COUNT(*) AS orders_total,
       COUNT(*) FILTER (WHERE trade_id IS NULL OR btrim(trade_id) = '') AS orders_missing_trade_id
FROM orders;
"""#
        static let snapshotTradeHistory = #"""
SELECT COUNT(*) AS history_total,
       COUNT(*) FILTER (WHERE trade_id IS NULL OR btrim(trade_id) = '') AS history_missing_trade_id
FROM trade_history;
"""#
        static let verifyIndexes = #"""
SELECT indexname
FROM pg_indexes
WHERE tablename IN ('orders', 'trade_history')
  AND indexname LIKE 'idx_%trade_id%';
"""#
        static let verifyConstraints = #"""
SELECT conname, convalidated
FROM pg_constraint
WHERE conname IN (
  'chk_orders_action_lifecycle',
  'chk_orders_trade_id_not_blank',
  'chk_orders_trade_id_format',
  'chk_trade_history_trade_id_not_blank',
  'chk_trade_history_trade_id_format'
);
"""#
        /// Phase D, in the document's order.
        static let validateConstraints = [
            #"""
ALTER TABLE orders VALIDATE CONSTRAINT chk_orders_action_lifecycle;
"""#,
            #"""
ALTER TABLE orders VALIDATE CONSTRAINT chk_orders_trade_id_not_blank;
"""#,
            #"""
ALTER TABLE orders VALIDATE CONSTRAINT chk_orders_trade_id_format;
"""#,
            #"""
ALTER TABLE trade_history VALIDATE CONSTRAINT chk_trade_history_trade_id_not_blank;
"""#,
            #"""
ALTER TABLE trade_history VALIDATE CONSTRAINT chk_trade_history_trade_id_format;
"""#,
        ]
        /// Rollback plan, in the document's order.
        static let dropConstraints = [
            #"""
ALTER TABLE orders DROP CONSTRAINT IF EXISTS chk_orders_action_lifecycle;
"""#,
            #"""
ALTER TABLE orders DROP CONSTRAINT IF EXISTS chk_orders_trade_id_not_blank;
"""#,
            #"""
ALTER TABLE orders DROP CONSTRAINT IF EXISTS chk_orders_trade_id_format;
"""#,
            #"""
ALTER TABLE trade_history DROP CONSTRAINT IF EXISTS chk_trade_history_trade_id_not_blank;
"""#,
            #"""
ALTER TABLE trade_history DROP CONSTRAINT IF EXISTS chk_trade_history_trade_id_format;
"""#,
        ]

        static var all: [String] {
            [snapshotOrders, snapshotTradeHistory, verifyIndexes, verifyConstraints] + validateConstraints + dropConstraints
        }
    }

    /// `001_ee9c9a5137a52b06.txt`: reconciliation EXIT backfill rollout checklist.
    enum BackfillRunbook {
        static let document = "001_ee9c9a5137a52b06.txt"
        static let detectAffectedTradeIDs = #"""
WITH lifecycle AS (
  SELECT
    profile_id,
    symbol,
    trade_id,
    SUM(CASE WHEN action = 'ENTRY' THEN COALESCE(quantity, qty, 0) ELSE 0 END) AS entry_qty,
    SUM(CASE WHEN action = 'EXIT'  THEN COALESCE(quantity, qty, 0) ELSE 0 END) AS exit_qty
  FROM orders
  WHERE profile_id = '<<PROFILE_ID>>'
    AND status IN ('filled', 'partially_filled', 'partially-filled')
    AND trade_id IS NOT NULL
  GROUP BY profile_id, symbol, trade_id
)
SELECT
  profile_id,
  symbol,
  trade_id,
  entry_qty,
  exit_qty,
  (entry_qty - exit_qty) AS open_qty
FROM lifecycle
WHERE (entry_qty - exit_qty) > 0
ORDER BY symbol, trade_id;
"""#
        static let reviewAudit = #"""
SELECT
  batch_id,
  profile_id,
  symbol,
  trade_id,
  decision,
  reason,
  filled_qty,
  backfill_order_id,
  created_at
FROM reconciliation_backfill_audit
WHERE profile_id = '<<PROFILE_ID>>'
ORDER BY created_at DESC
LIMIT 200;
"""#
        static let countDryRunBackfillRows = #"""
SELECT COUNT(*) AS dry_run_backfill_rows
FROM orders
WHERE profile_id = '<<PROFILE_ID>>'
  AND order_id LIKE 'BFILL-%';
"""#
        static let validateInsertedRows = #"""
SELECT
  order_id,
  profile_id,
  symbol,
  trade_id,
  action,
  status,
  qty,
  price,
  filled_at,
  created_at
FROM orders
WHERE profile_id = '<<PROFILE_ID>>'
  AND order_id LIKE 'BFILL-%'
ORDER BY created_at DESC;
"""#
        static let postFixValidation = #"""
WITH lifecycle AS (
  SELECT
    profile_id,
    symbol,
    trade_id,
    SUM(CASE WHEN action = 'ENTRY' THEN COALESCE(quantity, qty, 0) ELSE 0 END) AS entry_qty,
    SUM(CASE WHEN action = 'EXIT'  THEN COALESCE(quantity, qty, 0) ELSE 0 END) AS exit_qty
  FROM orders
  WHERE profile_id = '<<PROFILE_ID>>'
    AND status IN ('filled', 'partially_filled', 'partially-filled')
    AND trade_id IS NOT NULL
  GROUP BY profile_id, symbol, trade_id
)
SELECT *
FROM lifecycle
WHERE (entry_qty - exit_qty) > 0.000001
ORDER BY symbol, trade_id;
"""#
        static let countDecisions = #"""
SELECT
  decision,
  COUNT(*) AS rows
FROM reconciliation_backfill_audit
WHERE profile_id = '<<PROFILE_ID>>'
GROUP BY decision
ORDER BY decision;
"""#
        static let rollbackOrders = #"""
UPDATE orders
SET
  status = 'canceled',
  updated_at = now()
WHERE order_id IN (
  SELECT backfill_order_id
  FROM reconciliation_backfill_audit
  WHERE batch_id = '<<BATCH_ID>>'
    AND decision IN ('APPLIED', 'SKIP_EXISTING')
    AND backfill_order_id IS NOT NULL
);
"""#
        static let recordRollbackMarker = #"""
UPDATE reconciliation_backfill_audit
SET reverted_at = now()
WHERE batch_id = '<<BATCH_ID>>';
"""#

        static var all: [String] {
            [detectAffectedTradeIDs, reviewAudit, countDryRunBackfillRows, validateInsertedRows, postFixValidation, countDecisions, rollbackOrders, recordRollbackMarker]
        }
    }
}
