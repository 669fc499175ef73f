import PostgresNIO
import TradeLifecycle

/// The store operations, written once against a ``PostgresExecutor``: ``PostgresStore`` runs
/// them on the connection pool, a unit of work of ``PostgresStore/withTransaction(_:)`` on its
/// transaction's connection.
///
/// Rules kept by every operation: values are bound parameters, never SQL text; decimals are
/// written as text cast to `numeric` and read back as `numeric::text`, times in PostgreSQL's
/// exact binary form (``PostgresTimestamp``); every row read is validated through the core
/// types (``PostgresRowReader``); a refused operation writes nothing.
struct PostgresOperations: Sendable {
    let executor: any PostgresExecutor
    let configuration: PostgresStore.Configuration

    /// The number of rows a statement returned, read from a single `count(*)`-like column.
    func count(_ query: PostgresQuery, context: String) async throws(StoreError) -> Int {
        let rows = try await executor.rows(query, context: context)
        guard let row = rows.first else { return 0 }
        var reader = PostgresRowReader(row, table: "(count)", operation: context)
        return Int(try reader.int64())
    }
}

// MARK: - Orders

extension PostgresOperations {
    /// The columns of an order, in the order ``readOrder(_:operation:)`` reads them.
    static let orderColumnList = """
        order_id, profile_id, symbol, trade_id, action, side, status, quantity::text AS quantity, \
        qty::text AS qty, filled_quantity::text AS filled_quantity, price::text AS price, exchange_order_id, \
        client_order_id, filled_at, created_at, updated_at
        """

    /// Reads an order row (columns of ``orderColumnList``) through ``Order``'s validation.
    static func readOrder(_ row: PostgresRow, operation: String) throws(StoreError) -> Order {
        var reader = PostgresRowReader(row, table: "orders", operation: operation)
        let orderID = try reader.parsed { text throws(InputError) in try OrderID(text) }
        reader.key = "order_id \(orderID.rawValue)"
        let profileID = try reader.parsed { text throws(InputError) in try ProfileID(text) }
        let symbol = try reader.text()
        let tradeID = TradeID.normalized(try reader.optionalText())
        let action = try reader.optionalParsed { text throws(InputError) in try LifecycleAction(parsing: text) }
        let side = try reader.optionalParsed { text throws(InputError) in try PositionSide(parsing: text) }
        let status = try reader.parsed { text throws(InputError) in try OrderStatus(parsing: text) }
        let quantity = try reader.optionalDecimal()
        let legacyQuantity = try reader.optionalDecimal()
        let filledQuantity = try reader.optionalDecimal()
        let price = try reader.optionalDecimal()
        let exchangeOrderID = try reader.optionalText()
        let clientOrderID = ClientOrderID.normalized(try reader.optionalText())
        let filledAt = try reader.optionalTimestamp()
        let createdAt = try reader.timestamp()
        let updatedAt = try reader.timestamp()
        do {
            return try Order(
                orderID: orderID, profileID: profileID, symbol: symbol, tradeID: tradeID, action: action, side: side,
                status: status, quantity: quantity, legacyQuantity: legacyQuantity, filledQuantity: filledQuantity,
                price: price, exchangeOrderID: exchangeOrderID, clientOrderID: clientOrderID, filledAt: filledAt,
                createdAt: createdAt, updatedAt: updatedAt)
        } catch {
            throw reader.invalid(column: error.field, "the row breaks an order rule (\(error.code.rawValue))")
        }
    }

    /// Whether an order occupies its profile and symbol's live ENTRY slot: the condition of the
    /// partial unique index `uq_orders_one_live_entry_per_symbol`.
    static func isLiveEntry(_ order: Order) -> Bool {
        order.action == .entry && order.status.isLive
    }

    func insertOrder(_ order: Order) async throws(StoreError) -> InsertOutcome {
        let context = "insertOrder \(order.orderID)"
        // `ON CONFLICT DO NOTHING` without a target also absorbs the live-ENTRY index, so an
        // expected refusal never aborts the caller's transaction; the follow-up read tells which
        // rule refused the row. A refusal by a row that has changed since is retried.
        for _ in 0..<4 {
            let inserted = try await executor.rows("""
                INSERT INTO orders (order_id, profile_id, symbol, trade_id, action, side, status, quantity, qty,
                    filled_quantity, price, exchange_order_id, client_order_id, filled_at, created_at, updated_at)
                VALUES (\(order.orderID.rawValue), \(order.profileID.rawValue), \(order.symbol), \(order.tradeID?.rawValue),
                    \(order.action?.rawValue), \(order.side?.rawValue), \(order.status.rawValue),
                    \(order.quantity?.description)::numeric, \(order.legacyQuantity?.description)::numeric,
                    \(order.filledQuantity?.description)::numeric, \(order.price?.description)::numeric,
                    \(order.exchangeOrderID), \(order.clientOrderID?.rawValue), \(order.filledAt.map(PostgresTimestamp.init)),
                    \(PostgresTimestamp(order.createdAt)), \(PostgresTimestamp(order.updatedAt)))
                ON CONFLICT DO NOTHING
                RETURNING 1
                """, context: context)
            if !inserted.isEmpty { return .inserted }
            let rows = try await executor.rows("""
                SELECT EXISTS (SELECT 1 FROM orders WHERE order_id = \(order.orderID.rawValue)),
                    (SELECT order_id FROM orders WHERE profile_id = \(order.profileID.rawValue) AND symbol = \(order.symbol)
                        AND action = 'ENTRY' AND status IN ('pending', 'open', 'partially_filled')
                        AND order_id <> \(order.orderID.rawValue) LIMIT 1)
                """, context: context)
            guard let row = rows.first else { continue }
            var reader = PostgresRowReader(row, table: "orders", operation: context, key: "order_id \(order.orderID.rawValue)")
            if try reader.bool() { return .alreadyExists }
            if Self.isLiveEntry(order), let holder = try reader.optionalText() {
                throw StoreError(.uniqueViolation, context:
                    "\(context): profile \(order.profileID) already has a live ENTRY order \(holder) for \(order.symbol)")
            }
            // Neither is visible: the conflicting row changed since, or belongs to a profile this
            // role may not see. Try again; a row of another tenant keeps refusing.
        }
        return .alreadyExists
    }

    func order(_ orderID: OrderID) async throws(StoreError) -> Order? {
        let context = "order \(orderID)"
        let rows = try await executor.rows(
            "SELECT \(unescaped: Self.orderColumnList) FROM orders WHERE order_id = \(orderID.rawValue)", context: context)
        return try rows.first.map { row throws(StoreError) in try Self.readOrder(row, operation: context) }
    }

    func orders(matching query: OrderQuery) async throws(StoreError) -> [Order] {
        let context = "orders(matching:) profile \(query.profileID)"
        if let statuses = query.statuses, statuses.isEmpty { return [] }
        // Status text is matched as OrderStatus(parsing:) reads it. The SQL leaves out rows whose
        // text is a known spelling of a status not asked for; Swift then keeps exactly the
        // statuses asked for, so a spelling the list below does not know is never lost.
        let excluded = query.statuses.map { statuses in
            OrderStatus.allCases.filter { !statuses.contains($0) }.flatMap { Self.statusSpellings($0) }
        } ?? []
        let rows = try await executor.rows("""
            SELECT \(unescaped: Self.orderColumnList) FROM orders
            WHERE profile_id = \(query.profileID.rawValue)
                AND (\(query.symbol)::text IS NULL OR symbol = \(query.symbol))
                AND (\(query.tradeID?.rawValue)::text IS NULL OR trade_id = \(query.tradeID?.rawValue))
                AND NOT (translate(lower(status COLLATE "C"), '-', '_') = ANY(\(excluded)::text[]))
            ORDER BY order_id COLLATE "C"
            """, context: context)
        var orders: [Order] = []
        orders.reserveCapacity(rows.count)
        for row in rows {
            let order = try Self.readOrder(row, operation: context)
            if query.matches(order) { orders.append(order) }
        }
        return orders
    }

    /// The spellings of a status that ``OrderStatus/init(parsing:)`` accepts, lower case with
    /// `_` for `-` (the key it compares).
    static func statusSpellings(_ status: OrderStatus) -> [String] {
        switch status {
        case .pending: return ["new", "pending"]
        case .open: return ["accepted", "open"]
        case .partiallyFilled: return ["partially_filled", "partial"]
        case .filled: return ["filled"]
        case .cancelled: return ["canceled", "cancelled"]
        case .rejected: return ["rejected"]
        case .expired: return ["expired"]
        }
    }

    func updateOrder(_ orderID: OrderID, change: OrderChange, at time: Timestamp) async throws(StoreError) -> Order {
        let context = "updateOrder \(orderID)"
        return try await executor.atomically(context: context) { executor async throws(StoreError) -> Order in
            let rows = try await executor.rows(
                "SELECT \(unescaped: Self.orderColumnList) FROM orders WHERE order_id = \(orderID.rawValue) FOR UPDATE",
                context: context)
            guard let row = rows.first else {
                throw StoreError(.notFound, context: "\(context): no such order")
            }
            let current = try Self.readOrder(row, operation: context)
            let updated: Order
            do {
                updated = try current.applying(change, at: time)
            } catch {
                throw StoreError(.invalidChange, context: context, underlying: error)
            }
            // An order that becomes a live ENTRY takes the slot only if it is free; the unique
            // index stays the final word against a concurrent writer.
            let takesLiveSlot = Self.isLiveEntry(updated) && !Self.isLiveEntry(current)
            let changed = try await executor.rows("""
                UPDATE orders SET status = \(updated.status.rawValue),
                    filled_quantity = \(updated.filledQuantity?.description)::numeric,
                    filled_at = \(updated.filledAt.map(PostgresTimestamp.init)),
                    updated_at = \(PostgresTimestamp(updated.updatedAt))
                WHERE order_id = \(orderID.rawValue)
                    AND NOT (\(takesLiveSlot) AND EXISTS (
                        SELECT 1 FROM orders other WHERE other.profile_id = \(updated.profileID.rawValue)
                            AND other.symbol = \(updated.symbol) AND other.action = 'ENTRY'
                            AND other.status IN ('pending', 'open', 'partially_filled')
                            AND other.order_id <> \(orderID.rawValue)))
                RETURNING 1
                """, context: context)
            guard !changed.isEmpty else {
                throw StoreError(.uniqueViolation, context:
                    "\(context): profile \(updated.profileID) already has a live ENTRY order for \(updated.symbol)")
            }
            return updated
        }
    }
}

// MARK: - Profiles

extension PostgresOperations {
    func profile(_ profileID: ProfileID) async throws(StoreError) -> TradingProfile? {
        let context = "profile \(profileID)"
        let rows = try await executor.rows(
            "SELECT paused, updated_at FROM trade_profiles WHERE profile_id = \(profileID.rawValue)", context: context)
        guard let row = rows.first else { return nil }
        var reader = PostgresRowReader(row, table: "trade_profiles", operation: context, key: "profile_id \(profileID.rawValue)")
        return TradingProfile(profileID: profileID, isPaused: try reader.bool(), updatedAt: try reader.timestamp())
    }

    func saveProfile(_ profile: TradingProfile) async throws(StoreError) {
        _ = try await executor.rows("""
            INSERT INTO trade_profiles (profile_id, paused, updated_at)
            VALUES (\(profile.profileID.rawValue), \(profile.isPaused), \(PostgresTimestamp(profile.updatedAt)))
            ON CONFLICT (profile_id) DO UPDATE SET paused = EXCLUDED.paused, updated_at = EXCLUDED.updated_at
            """, context: "saveProfile \(profile.profileID)")
    }
}
