import Logging
import PostgresNIO
public import TradeLifecycle

/// How ``PostgresRunbook/planBackfill(profileID:exchange:configuration:now:)`` read the orders.
enum BackfillReadStrategy: String, Sendable, Hashable {
    /// Only the orders the plan depends on, found by one aggregating scan (see
    /// ``PostgresRunbook/planBackfill(profileID:exchange:configuration:now:)``).
    case dependentOrders
    /// Every order of the profile, as ``BackfillEngine/plan(profileID:exchange:now:)`` reads them.
    case allOrders
}

extension PostgresRunbook {
    /// The largest number of trade-id-sized substrings of fill client order ids the targeted
    /// read looks up; beyond it every order is read.
    static let maximumContainmentProbes = 200_000

    /// Plans the EXIT backfill of one profile from the database and an exchange snapshot,
    /// writing nothing: the same ``BackfillPlan`` as ``BackfillPlanner/plan(profileID:orders:profile:exchange:configuration:now:)``
    /// over every order of the profile (and so as ``BackfillEngine/plan(profileID:exchange:now:)``
    /// on a store of this database), without reading every order.
    ///
    /// The plan depends on the open lifecycles (all their orders: first ENTRY, side, sums,
    /// blockers of the same trade id), on the EXIT orders whose exchange or client order id a
    /// fill in the evidence window carries, and on the trade ids a fill's client order id
    /// contains. So, in one `REPEATABLE READ` snapshot:
    /// 1. one scan of the profile's orders groups them by (symbol, trade_id) and keeps the trade
    ///    ids of the groups whose open quantity may be positive (ENTRY quantity counted
    ///    generously, EXIT quantity strictly: a status or action spelled other than the SDK
    ///    writes it can only add a group, never drop one), of the groups with a row carrying a
    ///    fill's exchange or client order id, and of the groups whose trade id is not 36 bytes
    ///    long (so that every trade id length is known);
    /// 2. the substrings of the fills' client order ids that have the length of a trade id are
    ///    added (the trade ids a client order id may contain);
    /// 3. every order of those trade ids is read (and the orders without trade id that carry a
    ///    fill's id, when step 1 saw one);
    /// 4. the core's planner runs over these orders. Each trade it sees is complete, so every
    ///    lifecycle, gate and piece of evidence is the one it would find in all the orders.
    ///
    /// Identifiers are compared byte for byte in SQL but by Unicode canonical equivalence in
    /// Swift, so when the profile's orders or the fills have a non-ASCII symbol or id (or
    /// client order ids would need too many lookups), every order is read instead. Rows outside
    /// the trades read are not parsed, so a malformed row in a closed lifecycle that the plan
    /// does not touch does not stop this plan (it would stop a plan that reads every order).
    /// The scan runs with `work_mem` raised to 256MB for its transaction (one hash table).
    ///
    /// - Parameters:
    ///   - profileID: The profile.
    ///   - exchange: The exchange's positions and fills (other profiles' are ignored).
    ///   - configuration: The backfill settings; a disabled configuration plans nothing.
    ///   - now: The planning time, the end of the evidence window.
    /// - Returns: The plan, rows in the order of SPEC section 9.
    /// - Throws: ``PostgresRunbookError`` with code `invalidRow` (a row read that the core
    ///   refuses), `planningFailed` (the planner's ``BackfillError``), `connectionFailed`,
    ///   `queryFailed` or `cancelled`.
    public func planBackfill(profileID: ProfileID, exchange: ExchangeSnapshot, configuration: BackfillConfiguration,
                             now: Timestamp) async throws(PostgresRunbookError) -> BackfillPlan {
        try await planBackfill(profileID: profileID, exchange: exchange, configuration: configuration, now: now,
                               allowTargetedRead: true).plan
    }

    /// ``planBackfill(profileID:exchange:configuration:now:)``, saying how the orders were read
    /// and how many; `allowTargetedRead: false` always reads every order.
    func planBackfill(profileID: ProfileID, exchange: ExchangeSnapshot, configuration: BackfillConfiguration, now: Timestamp,
                      allowTargetedRead: Bool) async throws(PostgresRunbookError) -> (plan: BackfillPlan, strategy: BackfillReadStrategy, ordersRead: Int) {
        guard configuration.isEnabled else {
            return (try plan(profileID, orders: [], profile: nil, exchange: exchange, configuration: configuration, now: now), .allOrders, 0)
        }
        return try await withConnection { (connection) throws(PostgresRunbookError) in
            try await RunbookConnection.inTransaction(connection, mode: "ISOLATION LEVEL REPEATABLE READ READ ONLY",
                                                      logger: logger, context: "backfill plan") { () throws(PostgresRunbookError) in
                let profile = try await tradingProfile(profileID, on: connection)
                var orders: [Order]?
                if allowTargetedRead {
                    orders = try await dependentOrders(profileID: profileID, exchange: exchange, configuration: configuration,
                                                       now: now, on: connection)
                }
                let strategy: BackfillReadStrategy = orders == nil ? .allOrders : .dependentOrders
                if orders == nil {
                    orders = try await RunbookOrderRow.read(
                        "SELECT \(unescaped: RunbookSQL.planOrderColumns) FROM orders WHERE profile_id = \(profileID.rawValue)",
                        on: connection, logger: logger, context: "reading the orders of profile \(profileID)")
                }
                let plan = try plan(profileID, orders: orders ?? [], profile: profile, exchange: exchange,
                                    configuration: configuration, now: now)
                return (plan, strategy, orders?.count ?? 0)
            }
        }
    }

    private func plan(_ profileID: ProfileID, orders: [Order], profile: TradingProfile?, exchange: ExchangeSnapshot,
                      configuration: BackfillConfiguration, now: Timestamp) throws(PostgresRunbookError) -> BackfillPlan {
        do {
            return try BackfillPlanner.plan(profileID: profileID, orders: orders, profile: profile, exchange: exchange,
                                            configuration: configuration, now: now)
        } catch {
            throw PostgresRunbookError(.planningFailed, context: "backfill plan of profile \(profileID)", underlying: error)
        }
    }

    /// The profile's pause state, read from `trade_profiles`.
    ///
    /// - Parameter profileID: The profile.
    /// - Returns: The state, or `nil` when the profile has no row (an unknown profile counts as
    ///   not paused).
    /// - Throws: ``PostgresRunbookError`` with code `invalidRow`, `connectionFailed`,
    ///   `queryFailed` or `cancelled`.
    public func tradingProfile(_ profileID: ProfileID) async throws(PostgresRunbookError) -> TradingProfile? {
        try await withConnection { (connection) throws(PostgresRunbookError) in
            try await tradingProfile(profileID, on: connection)
        }
    }

    /// The profile's pause state from `trade_profiles`, or `nil` when it has no row.
    func tradingProfile(_ profileID: ProfileID, on connection: PostgresConnection) async throws(PostgresRunbookError) -> TradingProfile? {
        var profile: TradingProfile?
        do {
            let rows = try await connection.query(
                "SELECT paused, updated_at FROM trade_profiles WHERE profile_id = \(profileID.rawValue)", logger: logger)
            for try await (paused, updatedAt) in rows.decode((Bool, PostgresTimestamp).self) {
                guard let updatedAt = updatedAt.timestamp else {
                    throw PostgresRunbookError(.invalidRow, context: "profile \(profileID): field updated_at: not a time the SDK can represent (years 0001 to 9999)")
                }
                profile = TradingProfile(profileID: profileID, isPaused: paused, updatedAt: updatedAt)
            }
        } catch {
            throw RunbookConnection.wrap(error, context: "reading profile \(profileID)")
        }
        return profile
    }

    /// The orders the plan depends on (see ``planBackfill(profileID:exchange:configuration:now:)``),
    /// or `nil` when every order must be read.
    private func dependentOrders(profileID: ProfileID, exchange: ExchangeSnapshot, configuration: BackfillConfiguration,
                                 now: Timestamp, on connection: PostgresConnection) async throws(PostgresRunbookError) -> [Order]? {
        // The ids of the fills that can be evidence (the profile's, inside the window), which
        // must be ASCII for byte equality to be the core's equality.
        let windowStart = now.advanced(byMicroseconds: -configuration.lookbackMicroseconds) ?? Timestamp.min
        var exchangeOrderIDs = Set<String>()
        var clientOrderIDs = Set<String>()
        for fill in exchange.fills where fill.profileID == profileID {
            guard Self.isASCII(fill.exchangeOrderID) else { return nil }
            if let clientOrderID = fill.clientOrderID {
                guard Self.isASCII(clientOrderID.rawValue) else { return nil }
                if fill.filledAt >= windowStart && fill.filledAt <= now { clientOrderIDs.insert(clientOrderID.rawValue) }
            }
            if fill.filledAt >= windowStart && fill.filledAt <= now { exchangeOrderIDs.insert(fill.exchangeOrderID) }
        }

        // 1. One scan: the trades whose open quantity may be positive, that carry a fill's
        // exchange or client order id, that have a non-ASCII symbol or id, or whose trade id is
        // not 36 bytes long (so that every trade id length of the profile is known).
        var tradeIDs = Set<String>()
        var tradeIDLengths: Set<Int> = [BackfillSQL.botTradeIDLength]
        var fillsMatchRowsWithoutTradeID = false
        do {
            try await RunbookConnection.drain(PostgresQuery(unsafeSQL: BackfillSQL.workMemory), on: connection, logger: logger)
            var binds = PostgresBindings(capacity: 3)
            binds.append(profileID.rawValue)
            binds.append(Array(exchangeOrderIDs))
            binds.append(Array(clientOrderIDs))
            let rows = try await connection.query(PostgresQuery(unsafeSQL: BackfillSQL.dependentTrades, binds: binds), logger: logger)
            for try await row in rows {
                // Cell by cell: the tuple decode's parameter packs cost a metadata lookup per row.
                var cells = row.makeIterator()
                guard let tradeIDCell = cells.next(), let isASCIICell = cells.next(), let matchesFillCell = cells.next() else {
                    throw PostgresDecodingError.Code.missingData
                }
                let tradeID = try tradeIDCell.decode(String?.self)
                let isASCII = try isASCIICell.decode(Bool?.self)
                let matchesFill = try matchesFillCell.decode(Bool?.self)
                guard isASCII != false else { return nil }
                if let tradeID {
                    tradeIDs.insert(tradeID)
                    tradeIDLengths.insert(tradeID.utf8.count)
                } else if matchesFill == true {
                    fillsMatchRowsWithoutTradeID = true
                }
            }
        } catch {
            throw RunbookConnection.wrap(error, context: "finding the lifecycles of profile \(profileID) the plan depends on")
        }

        // Trade ids a fill's client order id may contain: its substrings of trade id lengths.
        var probes = 0
        for clientOrderID in clientOrderIDs {
            let bytes = Array(clientOrderID.utf8)
            for length in tradeIDLengths where length >= 1 && length <= bytes.count {
                probes += bytes.count - length + 1
                guard probes <= Self.maximumContainmentProbes else { return nil }
                for start in 0...(bytes.count - length) {
                    tradeIDs.insert(String(decoding: bytes[start..<(start + length)], as: UTF8.self))
                }
            }
        }

        // 2. Every order of those trades, and the orders without trade id that carry a fill's id.
        var orders: [Order] = []
        if !tradeIDs.isEmpty {
            orders = try await RunbookOrderRow.read(
                "SELECT \(unescaped: RunbookSQL.planOrderColumns) FROM orders WHERE profile_id = \(profileID.rawValue) AND trade_id = ANY(\(Array(tradeIDs)))",
                on: connection, logger: logger, context: "reading the lifecycles of profile \(profileID)")
        }
        if fillsMatchRowsWithoutTradeID {
            orders += try await RunbookOrderRow.read("""
                SELECT \(unescaped: RunbookSQL.planOrderColumns) FROM orders
                WHERE profile_id = \(profileID.rawValue) AND trade_id IS NULL
                  AND (exchange_order_id = ANY(\(Array(exchangeOrderIDs))) OR client_order_id = ANY(\(Array(clientOrderIDs))))
                """, on: connection, logger: logger, context: "reading the orders of the fills of profile \(profileID)")
        }
        return orders
    }

    static func isASCII(_ text: String) -> Bool {
        text.utf8.allSatisfy { $0 < 0x80 }
    }
}

/// The SQL of the targeted backfill read.
enum BackfillSQL {
    /// The byte length of the trade ids the SDK generates: `TRD-` and 32 hex digits.
    static let botTradeIDLength = 36

    /// The aggregation below groups every order of a profile; with this memory it is one hash
    /// table in memory for about a million orders (PostgreSQL spills to disk beyond it).
    static let workMemory = "SET LOCAL work_mem = '256MB'"

    /// Per (symbol, trade_id) of profile `$1`, in one scan, the groups the plan depends on:
    /// - `entry_bound > exit_bound`: the open quantity may be positive. It over-estimates
    ///   `entry_qty - exit_qty`: every quantity the core could count as ENTRY is added (any
    ///   action but NULL and exactly `EXIT`, any status but an uncounted spelling), only
    ///   quantities it certainly counts as EXIT are subtracted (exactly `EXIT`, a counted
    ///   spelling). For rows spelled as the SDK writes them it is the detection query's value.
    ///   The sums are filtered aggregates rather than sums of `CASE` expressions, so that a row
    ///   costs one sum step, not two.
    /// - `matches_fill`: a row carries one of the exchange order ids `$2` or client order ids
    ///   `$3` of the fills.
    /// - `NOT is_ascii`: a symbol or id is not ASCII (the caller then reads every order).
    /// - a trade id that is not 36 bytes long (so the caller knows every trade id length).
    static let dependentTrades = """
        SELECT trade_id, is_ascii, matches_fill
        FROM (
          SELECT
            symbol,
            trade_id,
            SUM(COALESCE(quantity, qty, 0)) FILTER (
              WHERE action <> 'EXIT'
                AND status NOT IN ('new', 'pending', 'accepted', 'open', 'canceled', 'cancelled', 'rejected', 'expired')) AS entry_bound,
            SUM(COALESCE(quantity, qty, 0)) FILTER (
              WHERE action = 'EXIT' AND status IN ('filled', 'partially_filled', 'partially-filled', 'partial')) AS exit_bound,
            bool_or(exchange_order_id = ANY($2) OR client_order_id = ANY($3)) AS matches_fill,
            bool_and(octet_length(symbol) = length(symbol)
                     AND (trade_id IS NULL OR octet_length(trade_id) = length(trade_id))
                     AND (exchange_order_id IS NULL OR octet_length(exchange_order_id) = length(exchange_order_id))
                     AND (client_order_id IS NULL OR octet_length(client_order_id) = length(client_order_id))) AS is_ascii
          FROM orders
          WHERE profile_id = $1
          GROUP BY symbol, trade_id
        ) lifecycle
        WHERE COALESCE(entry_bound, 0) > COALESCE(exit_bound, 0) OR matches_fill OR NOT is_ascii
           OR octet_length(trade_id) <> \(botTradeIDLength)
        """
}
