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
    /// fill carries, and on the trade ids a fill's client order id contains. So, in one
    /// `REPEATABLE READ` snapshot:
    /// 1. one scan of the profile's orders groups them by (symbol, trade_id) and keeps the
    ///    groups whose open quantity may be positive, counting ENTRY quantity generously and
    ///    EXIT quantity strictly (a status or action spelled other than the SDK writes it can
    ///    only add a group, never drop one);
    /// 2. the orders whose exchange or client order id equals a fill's are read, and with them
    ///    every order of their trade ids;
    /// 3. every order of those trade ids, of the groups of step 1, and of every trade id that
    ///    occurs in a fill's client order id, is read;
    /// 4. the core's planner runs over these orders. Each trade it sees is complete, so every
    ///    lifecycle, gate and piece of evidence is the one it would find in all the orders.
    ///
    /// Identifiers are compared byte for byte in SQL but by Unicode canonical equivalence in
    /// Swift, so when the profile's orders or the fills have a non-ASCII symbol or id (or
    /// client order ids would need too many lookups), every order is read instead. Rows outside
    /// the trades read are not parsed, so a malformed row in a closed lifecycle that the plan
    /// does not touch does not stop this plan (it would stop a plan that reads every order).
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

    /// ``planBackfill(profileID:exchange:configuration:now:)``, saying how the orders were read;
    /// `allowTargetedRead: false` always reads every order.
    func planBackfill(profileID: ProfileID, exchange: ExchangeSnapshot, configuration: BackfillConfiguration,
                      now: Timestamp, allowTargetedRead: Bool) async throws(PostgresRunbookError) -> (plan: BackfillPlan, strategy: BackfillReadStrategy) {
        guard configuration.isEnabled else {
            return (try plan(profileID, orders: [], profile: nil, exchange: exchange, configuration: configuration, now: now), .allOrders)
        }
        return try await withConnection { (connection) throws(PostgresRunbookError) in
            try await RunbookConnection.inTransaction(connection, mode: "ISOLATION LEVEL REPEATABLE READ READ ONLY",
                                                      logger: logger, context: "backfill plan") { () throws(PostgresRunbookError) in
                let profile = try await tradingProfile(profileID, on: connection)
                var orders: [Order]?
                if allowTargetedRead {
                    orders = try await dependentOrders(profileID: profileID, exchange: exchange, on: connection)
                }
                let strategy: BackfillReadStrategy = orders == nil ? .allOrders : .dependentOrders
                if orders == nil {
                    orders = try await RunbookOrderRow.read(
                        "SELECT \(unescaped: RunbookSQL.orderColumns) FROM orders WHERE profile_id = \(profileID.rawValue)",
                        on: connection, logger: logger, context: "reading the orders of profile \(profileID)")
                }
                let plan = try plan(profileID, orders: orders ?? [], profile: profile, exchange: exchange,
                                    configuration: configuration, now: now)
                return (plan, strategy)
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
                "SELECT paused, \(unescaped: RunbookSQL.utcText("updated_at")) FROM trade_profiles WHERE profile_id = \(profileID.rawValue)",
                logger: logger)
            for try await (paused, updatedAtText) in rows.decode((Bool, String?).self) {
                guard let updatedAtText, let updatedAt = try? Timestamp(updatedAtText) else {
                    throw PostgresRunbookError(.invalidRow, context: "profile \(profileID): field updated_at: not a time the SDK can represent (value '\(updatedAtText ?? "NULL")')")
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
    private func dependentOrders(profileID: ProfileID, exchange: ExchangeSnapshot,
                                 on connection: PostgresConnection) async throws(PostgresRunbookError) -> [Order]? {
        // The fills' ids, which must be ASCII for byte equality to be the core's equality.
        var exchangeOrderIDs = Set<String>()
        var clientOrderIDs = Set<String>()
        for fill in exchange.fills where fill.profileID == profileID {
            guard Self.isASCII(fill.exchangeOrderID) else { return nil }
            exchangeOrderIDs.insert(fill.exchangeOrderID)
            if let clientOrderID = fill.clientOrderID {
                guard Self.isASCII(clientOrderID.rawValue) else { return nil }
                clientOrderIDs.insert(clientOrderID.rawValue)
            }
        }

        // 1. The groups whose open quantity may be positive, and the profile's totals.
        var tradeIDs = Set<String>()
        var isASCII = true
        var tradeIDLengths: ClosedRange<Int>?
        do {
            let rows = try await connection.query(
                PostgresQuery(unsafeSQL: BackfillSQL.openGroups, binds: Self.binds(profileID.rawValue)), logger: logger)
            for try await (tradeID, isTotal, groupIsASCII, minimumLength, maximumLength) in rows.decode((String?, Int32, Bool?, Int32?, Int32?).self) {
                if isTotal != 0 {
                    isASCII = groupIsASCII ?? true
                    if let minimumLength, let maximumLength {
                        tradeIDLengths = Int(minimumLength)...Int(maximumLength)
                    }
                } else if let tradeID {
                    tradeIDs.insert(tradeID)
                }
            }
        } catch {
            throw RunbookConnection.wrap(error, context: "finding the open lifecycles of profile \(profileID)")
        }
        guard isASCII else { return nil }

        // Trade ids a fill's client order id may contain: its substrings of trade id lengths.
        if let tradeIDLengths {
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
        }

        // 2. Orders carrying a fill's exchange or client order id; their trades are read whole.
        var orders: [Order] = []
        if !exchangeOrderIDs.isEmpty || !clientOrderIDs.isEmpty {
            let query: PostgresQuery = """
                SELECT trade_id, \(unescaped: RunbookSQL.orderColumns) FROM orders
                WHERE profile_id = \(profileID.rawValue)
                  AND (exchange_order_id = ANY(\(Array(exchangeOrderIDs))) OR client_order_id = ANY(\(Array(clientOrderIDs))))
                """
            do {
                let rows = try await connection.query(query, logger: logger)
                for try await row in rows {
                    let (rawTradeID, columns) = try Self.decodeWithRawTradeID(row)
                    if let rawTradeID {
                        tradeIDs.insert(rawTradeID)
                    } else {
                        orders.append(try RunbookOrderRow.order(columns))
                    }
                }
            } catch {
                throw RunbookConnection.wrap(error, context: "reading the orders of the fills of profile \(profileID)")
            }
        }

        // 3. Every order of the trade ids collected.
        if !tradeIDs.isEmpty {
            orders += try await RunbookOrderRow.read(
                "SELECT \(unescaped: RunbookSQL.orderColumns) FROM orders WHERE profile_id = \(profileID.rawValue) AND trade_id = ANY(\(Array(tradeIDs)))",
                on: connection, logger: logger, context: "reading the lifecycles of profile \(profileID)")
        }
        return orders
    }

    private static func decodeWithRawTradeID(_ row: PostgresRow) throws -> (String?, RunbookOrderRow.Columns) {
        let (rawTradeID, a, b, c, d, e, f, g, h, i, j, k, l, m, n, o, p) = try row.decode(
            (String?, String, String, String, String?, String?, String?, String,
             String?, String?, String?, String?, String?, String?, String?, String?, String?).self)
        return (rawTradeID, (a, b, c, d, e, f, g, h, i, j, k, l, m, n, o, p))
    }

    static func isASCII(_ text: String) -> Bool {
        text.utf8.allSatisfy { $0 < 0x80 }
    }

    static func binds(_ values: String...) -> PostgresBindings {
        var binds = PostgresBindings(capacity: values.count)
        for value in values {
            binds.append(value)
        }
        return binds
    }
}

/// The SQL of the targeted backfill read.
enum BackfillSQL {
    /// Statuses the core never counts, as the SDK and the reference runbooks spell them.
    static let uncountedStatuses = "'new', 'pending', 'accepted', 'open', 'canceled', 'cancelled', 'rejected', 'expired'"
    /// Statuses the core counts, as the SDK and the reference runbooks spell them.
    static let countedStatuses = "'filled', 'partially_filled', 'partially-filled', 'partial'"

    /// Per (symbol, trade_id) of profile `$1`, the groups whose open quantity may be positive;
    /// plus one total row (`is_total` 3) saying whether every symbol and id of the profile's
    /// orders is ASCII, and the shortest and longest trade id in bytes.
    ///
    /// `open_bound` over-estimates `entry_qty - exit_qty`: every quantity the core could count
    /// as ENTRY is added (any action but NULL and exactly `EXIT`, any status but the exact
    /// uncounted spellings), only quantities it certainly counts as EXIT are subtracted (exactly
    /// `EXIT`, exactly a counted spelling). For rows spelled as the SDK writes them it is the
    /// exact value of the reference detection query.
    static let openGroups = """
        SELECT trade_id, is_total, is_ascii, min_length, max_length
        FROM (
          SELECT
            symbol,
            trade_id,
            SUM(CASE WHEN action IS NOT NULL AND action <> 'EXIT' AND status NOT IN (\(uncountedStatuses))
                     THEN GREATEST(COALESCE(quantity, qty, 0), 0) ELSE 0 END)
              - SUM(CASE WHEN action = 'EXIT' AND status IN (\(countedStatuses))
                         THEN GREATEST(COALESCE(quantity, qty, 0), 0) ELSE 0 END) AS open_bound,
            bool_and(octet_length(symbol) = length(symbol)
                     AND (trade_id IS NULL OR octet_length(trade_id) = length(trade_id))
                     AND (exchange_order_id IS NULL OR octet_length(exchange_order_id) = length(exchange_order_id))
                     AND (client_order_id IS NULL OR octet_length(client_order_id) = length(client_order_id))) AS is_ascii,
            min(octet_length(trade_id)) AS min_length,
            max(octet_length(trade_id)) AS max_length,
            GROUPING(symbol, trade_id) AS is_total
          FROM orders
          WHERE profile_id = $1
          GROUP BY GROUPING SETS ((symbol, trade_id), ())
        ) lifecycle
        WHERE is_total <> 0 OR (trade_id IS NOT NULL AND open_bound > 0)
        """
}
