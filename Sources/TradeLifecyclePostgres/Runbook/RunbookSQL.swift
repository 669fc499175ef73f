/// The SQL of the runbook steps.
///
/// The statements of the lifecycle integrity plan (`reference/000_*`) are kept verbatim,
/// byte for byte as the document prints them (the tests compare them with the document's copy),
/// and are sent unchanged: phase A's snapshot counts, phase B's index and constraint listings,
/// phase D's `VALIDATE CONSTRAINT` statements and the rollback plan's `DROP CONSTRAINT IF EXISTS`
/// statements. The other queries read rows for the core, with every numeric as text.
enum RunbookSQL {
    // MARK: reference/000, verbatim

    /// Phase A: orders snapshot (`orders_total`, `orders_missing_trade_id`).
    static let snapshotOrders = #"""
SELECT COUNT(*) AS orders_total,
       COUNT(*) FILTER (WHERE trade_id IS NULL OR btrim(trade_id) = '') AS orders_missing_trade_id
FROM orders;
"""#

    /// Phase A: trade history snapshot (`history_total`, `history_missing_trade_id`).
    static let snapshotTradeHistory = #"""
SELECT COUNT(*) AS history_total,
       COUNT(*) FILTER (WHERE trade_id IS NULL OR btrim(trade_id) = '') AS history_missing_trade_id
FROM trade_history;
"""#

    /// Phase B: the trade id indexes.
    static let listIndexes = #"""
SELECT indexname
FROM pg_indexes
WHERE tablename IN ('orders', 'trade_history')
  AND indexname LIKE 'idx_%trade_id%';
"""#

    /// Phase B: the five named constraints and whether they are validated.
    static let listConstraints = #"""
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

    /// The rollback plan, in the document's order.
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

    // MARK: The other constraints the schema adds NOT VALID (migration 0005)

    /// (table, constraint) of the constraints migration 0005 adds `NOT VALID` beyond the five
    /// of the reference plan, in the migration's order.
    static let additionalConstraints: [(table: String, name: String)] = [
        ("orders", "chk_orders_quantity_positive"),
        ("orders", "chk_orders_qty_positive"),
        ("orders", "chk_orders_price_positive"),
        ("orders", "chk_orders_filled_quantity_not_negative"),
        ("orders", "chk_orders_filled_quantity_within_quantity"),
        ("orders", "chk_orders_side"),
        ("trade_history", "chk_trade_history_side"),
    ]

    /// `ALTER TABLE <table> VALIDATE CONSTRAINT <name>;` for the additional constraints.
    static let validateAdditionalConstraints = additionalConstraints.map { constraint in
        "ALTER TABLE \(constraint.table) VALIDATE CONSTRAINT \(constraint.name);"
    }

    /// `conname, convalidated` of the additional constraints (the reference listing's form).
    static let listAdditionalConstraints = """
        SELECT conname, convalidated
        FROM pg_constraint
        WHERE conname IN (\(additionalConstraints.map { "'\($0.name)'" }.joined(separator: ", ")));
        """

    // MARK: Rows for the core

    /// The columns of `orders` the core's ``Order`` has, in the order ``RunbookOrderRow``
    /// decodes them: numerics as PostgreSQL's text (parsed by ``ExactDecimal``), times in
    /// PostgreSQL's exact binary form (microseconds).
    static let orderColumns = """
        order_id, profile_id, symbol, trade_id, action, side, status, \
        quantity::text, qty::text, filled_quantity::text, price::text, \
        exchange_order_id, client_order_id, filled_at, created_at, updated_at
        """

    /// ``orderColumns`` without the two the EXIT backfill planner does not read
    /// (`filled_quantity` and `updated_at` come back NULL), so that the plan's read moves less.
    static let planOrderColumns = """
        order_id, profile_id, symbol, trade_id, action, side, status, \
        quantity::text, qty::text, NULL::text, price::text, \
        exchange_order_id, client_order_id, filled_at, created_at, NULL::timestamptz
        """

    /// Status text the core reads as filled or partially filled, after PostgreSQL's `lower`
    /// (a superset of the core's ASCII-only case folding; rows it adds are refused by the
    /// core's parser, never silently counted).
    static let countedStatusCondition = "replace(lower(status), '-', '_') IN ('filled', 'partially_filled', 'partial')"

    /// Rows the legacy trade id backfill reads: lifecycle rows (an action) that count toward a
    /// lifecycle, whose `trade_id` is NULL or has no printable ASCII character (a superset of
    /// the blank text the core normalizes to NULL; the core decides), locked until the end of
    /// the transaction when `forUpdate`.
    static func legacyRows(forUpdate: Bool) -> String {
        """
        SELECT \(orderColumns) FROM orders \
        WHERE (trade_id IS NULL OR trade_id !~ '[!-~]') AND action IS NOT NULL AND \(countedStatusCondition)\
        \(forUpdate ? " FOR UPDATE" : "")
        """
    }

    /// The legacy backfill's write: fills a NULL, never overwrites.
    static let fillTradeID = "UPDATE orders SET trade_id = $1 WHERE order_id = $2 AND trade_id IS NULL"

    /// Every profile that has orders or trade history.
    static let profiles = "SELECT profile_id FROM orders UNION SELECT profile_id FROM trade_history"
}
