/// The pure comparison of one profile's database view with an exchange snapshot (SPEC section 5).
///
/// ## Matching orders
///
/// Only the snapshot's records of the view's profile are read. Rows the EXIT backfill inserted
/// (`BFILL-` order ids) record exchange fills, not exchange orders; they take no part in order
/// matching and are checked by the lifecycle and position rules.
///
/// An exchange record (open order or fill) matches the database order whose client order id
/// equals the record's client order id; when there is none, the database order whose exchange
/// order id equals the record's exchange order id. Each record matches at most one database
/// order. When several database orders carry the same id, the id belongs to one of them: a live
/// order (pending, open, partially filled) before a filled one before any other, then the
/// smallest order id (UTF-8 byte order). A database order matches at most one
/// open order: a second open order that resolves to the same database order is reported as
/// ``Discrepancy/orderMissingInDatabase(_:)``.
///
/// ## Rules, for each database order with a client or exchange order id
///
/// The database's filled quantity of an order is its `filled_quantity`, or, when that is
/// absent, its order quantity (`quantity ?? qty`) for a filled order and zero otherwise.
///
/// 1. Listed open (an open order matched it): ``Discrepancy/orderStatusMismatch(_:exchange:)``
///    when the statuses differ; otherwise ``Discrepancy/filledQuantityMismatch(_:exchange:)``
///    when the filled quantities differ. The open order's filled quantity is authoritative.
/// 2. Not listed open, with matched fills: the exchange executed `E` = the sum of the fills
///    (a lower bound: a snapshot carries recent fills only). The exchange's status is
///    ``OrderStatus/filled`` when `E` reaches the order quantity, and unknown (`nil`) otherwise.
///    - live here: ``Discrepancy/orderStatusMismatch(_:exchange:)`` (the exchange no longer
///      works the order);
///    - rejected here: ``Discrepancy/orderStatusMismatch(_:exchange:)`` (a rejected order
///      cannot execute);
///    - cancelled or expired here and `E` reaches the order quantity:
///      ``Discrepancy/orderStatusMismatch(_:exchange:)`` (the correction of SPEC section 3);
///    - otherwise (filled here, or cancelled or expired below the order quantity):
///      ``Discrepancy/filledQuantityMismatch(_:exchange:)`` when `E` is greater than the
///      database's filled quantity. A smaller `E` is not a difference: older fills may lie
///      outside the snapshot.
/// 3. Neither listed open nor filled: ``Discrepancy/orderMissingOnExchange(_:)`` when the order
///    is live here.
///
/// An exchange open order that matches no database order is
/// ``Discrepancy/orderMissingInDatabase(_:)``. A fill that matches no database order is not a
/// discrepancy: it is evidence for the EXIT backfill, and its effect on the position is caught
/// by the position rules.
///
/// ## Positions, per symbol
///
/// The database quantity is the signed sum of the open quantities of the symbol's open
/// lifecycles (long positive, short negative); the exchange quantity is the sum of the
/// snapshot's positions of the symbol (zero when it lists none, so hedge-mode legs net out).
/// The exchange is flat when `|exchange| <= flatTolerance`.
/// - open lifecycles and the exchange flat: ``Discrepancy/ghostPosition(_:)``;
/// - no open lifecycle and the exchange not flat: ``Discrepancy/untrackedPosition(_:)``;
/// - open lifecycles, the exchange not flat and `|database - exchange| > flatTolerance`:
///   ``Discrepancy/positionQuantityMismatch(_:)``.
///
/// ## Lifecycle anomalies
///
/// Each anomaly of the view (`orphan_exit`, `overclosed`, `missing_entry_order`,
/// `missing_trade_id`) is one ``Discrepancy/lifecycleAnomaly(_:)``.
///
/// ## Output order and cost
///
/// Discrepancies are sorted by symbol (UTF-8 byte order, no symbol first), then kind (the order
/// of ``DiscrepancyKind``), then the order id (the exchange order id for
/// ``Discrepancy/orderMissingInDatabase(_:)``, the trade id for anomalies), so equal inputs give
/// equal output whatever the order of the input. The comparison hashes each id once and makes no
/// nested scans: its cost is linear in the number of orders, open orders, fills, positions and
/// lifecycles, plus sorting the discrepancies found.
public enum ReconciliationDiff {
    /// Compares a profile's database view with an exchange snapshot.
    ///
    /// - Parameters:
    ///   - database: The profile's orders, open lifecycles and anomalies.
    ///   - exchange: The exchange's view; records of other profiles are ignored.
    ///   - flatTolerance: The largest position magnitude, and the largest position difference,
    ///     that counts as none; zero (exact comparison) by default.
    /// - Returns: The discrepancies, in the documented order; empty when the views agree.
    /// - Throws: ``ReconciliationError`` with code ``ReconciliationError/Code/invalidConfiguration``
    ///   for a negative tolerance, ``ReconciliationError/Code/overflow`` when a sum of fills
    ///   or positions is out of range, ``ReconciliationError/Code/inconsistentInput`` for more
    ///   than 2^31 - 1 orders or fills.
    public static func discrepancies(
        database: ReconciliationDatabaseView,
        exchange: ExchangeSnapshot,
        flatTolerance: ExactDecimal = .zero
    ) throws(ReconciliationError) -> [Discrepancy] {
        guard !flatTolerance.isNegative else {
            throw ReconciliationError(.invalidConfiguration, profileID: database.profileID,
                                      detail: "the flat tolerance \(flatTolerance) must not be negative")
        }
        var found: [Discrepancy] = []
        try compareOrders(database: database, exchange: exchange, into: &found)
        try comparePositions(database: database, exchange: exchange, flatTolerance: flatTolerance, into: &found)
        for anomaly in database.anomalies {
            found.append(.lifecycleAnomaly(anomaly))
        }
        return sorted(found)
    }

    /// The database's filled quantity of an order: `filled_quantity`, or for a filled order
    /// without one its order quantity (`quantity ?? qty`), else zero.
    ///
    /// - Parameter order: The order.
    public static func databaseFilledQuantity(of order: Order) -> ExactDecimal {
        if let filled = order.filledQuantity { return filled }
        if order.status == .filled { return order.quantity ?? order.legacyQuantity ?? .zero }
        return .zero
    }

    // MARK: Orders

    /// The fills matched to one database order.
    private struct FillTotal {
        var quantity: ExactDecimal = .zero
        var count: Int32 = 0
        /// The index of the latest fill (by filled_at, then exchange order id).
        var latest: Int32 = -1
        var matchedByClientOrderID = false
    }

    private static func compareOrders(database: ReconciliationDatabaseView, exchange: ExchangeSnapshot,
                                      into found: inout [Discrepancy]) throws(ReconciliationError) {
        let profileID = database.profileID
        let orders = database.orders
        let openOrders = exchange.openOrders
        let fills = exchange.fills
        // Positions are kept in 32 bits; no real input comes near the limit.
        guard orders.count <= Int(Int32.max), fills.count <= Int(Int32.max) else {
            throw ReconciliationError(.inconsistentInput, profileID: profileID,
                                      detail: "\(orders.count) orders and \(fills.count) fills exceed the diff's limit of \(Int32.max) each")
        }
        var index = OrderIndex(orders: orders)

        // Each open order to its database order; unmatched ones are missing in the database.
        // openMatch[order] is the open order's index, times two, plus one when matched by client
        // order id; -1 when none matched.
        var openMatch = [Int](repeating: -1, count: orders.count)
        for position in openOrders.indices where openOrders[position].profileID == profileID {
            guard let (order, key) = index.match(clientOrderID: openOrders[position].clientOrderID,
                                                 exchangeOrderID: openOrders[position].exchangeOrderID),
                  openMatch[order] < 0 else {
                found.append(.orderMissingInDatabase(openOrders[position]))
                continue
            }
            openMatch[order] = position * 2 + (key == .clientOrderID ? 1 : 0)
        }

        // Each fill to its database order, summed.
        var totals: [FillTotal] = []
        for position in fills.indices where fills[position].profileID == profileID {
            guard let (order, key) = index.match(clientOrderID: fills[position].clientOrderID,
                                                 exchangeOrderID: fills[position].exchangeOrderID) else {
                continue
            }
            if totals.isEmpty { totals = [FillTotal](repeating: FillTotal(), count: orders.count) }
            let (sum, overflow) = totals[order].quantity.addingReportingOverflow(fills[position].quantity)
            if overflow {
                throw ReconciliationError(.overflow, profileID: profileID,
                                          detail: "\(orders[order].recordName): the sum of its fills is out of range at fill \(fills[position].exchangeOrderID)")
            }
            totals[order].quantity = sum
            totals[order].count += 1
            if key == .clientOrderID { totals[order].matchedByClientOrderID = true }
            let latest = Int(totals[order].latest)
            if latest < 0 || isLater(fills[position], than: fills[latest]) { totals[order].latest = Int32(position) }
        }
        let matchable = index.matchable
        index = OrderIndex()  // release the tables before the per-order pass

        for position in orders.indices where matchable[position] {
            if openMatch[position] >= 0 {
                let open = openOrders[openMatch[position] / 2]
                let databaseFilled = databaseFilledQuantity(of: orders[position])
                guard orders[position].status != open.status || databaseFilled != open.filledQuantity else { continue }
                let total = totals.isEmpty ? FillTotal() : totals[position]
                let evidence = ExchangeOrderEvidence(
                    matchedBy: openMatch[position] % 2 == 1 ? .clientOrderID : .exchangeOrderID, openOrder: open,
                    exchangeOrderID: open.exchangeOrderID, status: open.status, filledQuantity: open.filledQuantity,
                    fillCount: Int(total.count), lastFilledAt: total.latest >= 0 ? fills[Int(total.latest)].filledAt : nil)
                if orders[position].status != open.status {
                    found.append(.orderStatusMismatch(orders[position], exchange: evidence))
                } else {
                    found.append(.filledQuantityMismatch(orders[position], exchange: evidence))
                }
            } else if !totals.isEmpty, totals[position].count > 0 {
                let order = orders[position]
                let total = totals[position]
                let orderQuantity = order.quantity ?? order.legacyQuantity
                let executedInFull = orderQuantity.map { total.quantity >= $0 } ?? false
                let statusDiffers: Bool
                switch order.status {
                case .pending, .open, .partiallyFilled, .rejected: statusDiffers = true
                case .cancelled, .expired: statusDiffers = executedInFull
                case .filled: statusDiffers = false
                }
                guard statusDiffers || total.quantity > databaseFilledQuantity(of: order) else { continue }
                let latest = fills[Int(total.latest)]
                let evidence = ExchangeOrderEvidence(
                    matchedBy: total.matchedByClientOrderID ? .clientOrderID : .exchangeOrderID, openOrder: nil,
                    exchangeOrderID: latest.exchangeOrderID, status: executedInFull ? .filled : nil,
                    filledQuantity: total.quantity, fillCount: Int(total.count), lastFilledAt: latest.filledAt)
                found.append(statusDiffers ? .orderStatusMismatch(order, exchange: evidence)
                                           : .filledQuantityMismatch(order, exchange: evidence))
            } else if orders[position].status.isLive {
                found.append(.orderMissingOnExchange(orders[position]))
            }
        }
    }

    /// Whether `fill` is later than `other`: by filled_at, then exchange order id.
    private static func isLater(_ fill: ExchangeFill, than other: ExchangeFill) -> Bool {
        if fill.filledAt != other.filledAt { return fill.filledAt > other.filledAt }
        return UTF8Order.precedes(other.exchangeOrderID, fill.exchangeOrderID)
    }

    /// The database orders by client order id and by exchange order id.
    private struct OrderIndex {
        /// Whether each order takes part in matching: not a backfill row, and with a client or
        /// exchange order id.
        private(set) var matchable: [Bool] = []
        private let orders: [Order]
        private var byClientOrderID: PositionIndex
        private var byExchangeOrderID: PositionIndex

        init() {
            orders = []
            byClientOrderID = PositionIndex(capacity: 0)
            byExchangeOrderID = PositionIndex(capacity: 0)
        }

        init(orders: [Order]) {
            self.orders = orders
            matchable = [Bool](repeating: false, count: orders.count)
            var clientCount = 0
            var exchangeCount = 0
            for position in orders.indices where !orders[position].orderID.isBackfill {
                let hasClient = orders[position].clientOrderID != nil
                let hasExchange = orders[position].exchangeOrderID != nil
                if hasClient { clientCount += 1 }
                if hasExchange { exchangeCount += 1 }
                matchable[position] = hasClient || hasExchange
            }
            byClientOrderID = PositionIndex(capacity: clientCount)
            byExchangeOrderID = PositionIndex(capacity: exchangeCount)
            for position in orders.indices where matchable[position] {
                if let client = orders[position].clientOrderID?.rawValue {
                    byClientOrderID.insert(position, hash: byClientOrderID.hash(client),
                                           isSameKey: { orders[$0].clientOrderID?.rawValue == client },
                                           replaces: { Self.ranksBefore(position, $0, in: orders) })
                }
                if let exchangeID = orders[position].exchangeOrderID {
                    byExchangeOrderID.insert(position, hash: byExchangeOrderID.hash(exchangeID),
                                             isSameKey: { orders[$0].exchangeOrderID == exchangeID },
                                             replaces: { Self.ranksBefore(position, $0, in: orders) })
                }
            }
        }

        /// Whether `candidate` takes a shared id from `holder`: live orders first, then filled
        /// ones, then others; then the smaller order id.
        private static func ranksBefore(_ candidate: Int, _ holder: Int, in orders: [Order]) -> Bool {
            let candidateRank = rank(orders[candidate].status)
            let holderRank = rank(orders[holder].status)
            if candidateRank != holderRank { return candidateRank < holderRank }
            return UTF8Order.precedes(orders[candidate].orderID.rawValue, orders[holder].orderID.rawValue)
        }

        private static func rank(_ status: OrderStatus) -> Int {
            if status.isLive { return 0 }
            return status == .filled ? 1 : 2
        }

        /// The database order an exchange record matches: by client order id, else by
        /// exchange order id.
        func match(clientOrderID: ClientOrderID?, exchangeOrderID: String) -> (Int, OrderMatchKey)? {
            let orders = orders
            if let client = clientOrderID?.rawValue,
               let order = byClientOrderID.position(hash: byClientOrderID.hash(client),
                                                    isSameKey: { orders[$0].clientOrderID?.rawValue == client }) {
                return (order, .clientOrderID)
            }
            if let order = byExchangeOrderID.position(hash: byExchangeOrderID.hash(exchangeOrderID),
                                                      isSameKey: { orders[$0].exchangeOrderID == exchangeOrderID }) {
                return (order, .exchangeOrderID)
            }
            return nil
        }
    }

    // MARK: Positions

    private struct SymbolPosition {
        /// The ranges of the symbol's lifecycles in the view's open lifecycles (one range, as
        /// they are sorted by symbol).
        var lifecycles: [Range<Int>] = []
        var databaseQuantity: ExactDecimal = .zero
        var exchangeQuantity: ExactDecimal = .zero
    }

    private static func comparePositions(database: ReconciliationDatabaseView, exchange: ExchangeSnapshot,
                                         flatTolerance: ExactDecimal, into found: inout [Discrepancy]) throws(ReconciliationError) {
        let profileID = database.profileID
        let lifecycles = database.openLifecycles
        var bySymbol: [String: SymbolPosition] = [:]
        // The lifecycles are sorted by symbol: sum each run of one symbol.
        var start = 0
        while start < lifecycles.count {
            let symbol = lifecycles[start].key.symbol
            var sum = ExactDecimal.zero
            var end = start
            while end < lifecycles.count, lifecycles[end].key.symbol == symbol {
                let open = lifecycles[end].openQuantity
                let (next, overflow) = lifecycles[end].side == .long ? sum.addingReportingOverflow(open)
                                                                     : sum.subtractingReportingOverflow(open)
                if overflow {
                    throw ReconciliationError(.overflow, profileID: profileID,
                                              detail: "symbol \(symbol): the open quantity of its lifecycles is out of range at trade \(lifecycles[end].key.tradeID.rawValue)")
                }
                sum = next
                end += 1
            }
            let overflow: Bool = {
                (entry: inout SymbolPosition) -> Bool in
                entry.lifecycles.append(start..<end)
                let (total, overflow) = entry.databaseQuantity.addingReportingOverflow(sum)
                entry.databaseQuantity = total
                return overflow
            }(&bySymbol[symbol, default: SymbolPosition()])
            if overflow {
                throw ReconciliationError(.overflow, profileID: profileID,
                                          detail: "symbol \(symbol): the open quantity of its lifecycles is out of range")
            }
            start = end
        }
        for position in exchange.positions where position.profileID == profileID {
            let overflow: Bool = {
                (entry: inout SymbolPosition) -> Bool in
                let (sum, overflow) = entry.exchangeQuantity.addingReportingOverflow(position.quantity)
                entry.exchangeQuantity = sum
                return overflow
            }(&bySymbol[position.symbol, default: SymbolPosition()])
            if overflow {
                throw ReconciliationError(.overflow, profileID: profileID,
                                          detail: "symbol \(position.symbol): the sum of the exchange positions is out of range")
            }
        }
        for (symbol, entry) in bySymbol {
            let hasOpenLifecycles = !entry.lifecycles.isEmpty
            let exchangeFlat = entry.exchangeQuantity.magnitude <= flatTolerance
            // Built only for a discrepancy: the trade ids are the costly part.
            func comparison() -> PositionComparison {
                PositionComparison(profileID: profileID, symbol: symbol,
                                   tradeIDs: entry.lifecycles.flatMap { lifecycles[$0].map(\.key.tradeID) }.sorted(),
                                   databaseQuantity: entry.databaseQuantity, exchangeQuantity: entry.exchangeQuantity)
            }
            if hasOpenLifecycles && exchangeFlat {
                found.append(.ghostPosition(comparison()))
            } else if !hasOpenLifecycles && !exchangeFlat {
                found.append(.untrackedPosition(comparison()))
            } else if hasOpenLifecycles {
                let (difference, overflow) = entry.databaseQuantity.subtractingReportingOverflow(entry.exchangeQuantity)
                if overflow || difference.magnitude > flatTolerance {
                    found.append(.positionQuantityMismatch(comparison()))
                }
            }
        }
    }

    // MARK: Order of the output

    private struct SortKey {
        let symbol: String?
        let rank: Int
        let primary: String
        let secondary: String

        init(_ discrepancy: Discrepancy) {
            symbol = discrepancy.symbol
            rank = discrepancy.kind.rank
            switch discrepancy {
            case .orderMissingOnExchange(let order), .orderStatusMismatch(let order, _), .filledQuantityMismatch(let order, _):
                primary = order.orderID.rawValue
                secondary = ""
            case .orderMissingInDatabase(let order):
                primary = order.exchangeOrderID
                secondary = order.clientOrderID?.rawValue ?? ""
            case .ghostPosition, .untrackedPosition, .positionQuantityMismatch:
                primary = ""
                secondary = ""
            case .lifecycleAnomaly(let anomaly):
                switch anomaly {
                case .orphanExit(let key, _), .overclosed(let key, _, _):
                    primary = key.tradeID.rawValue
                    secondary = ""
                case .missingEntryOrder(_, _, let tradeID, let source):
                    primary = tradeID.rawValue
                    secondary = source.rawValue
                case .missingTradeID(let orderID, _, _, _):
                    primary = ""
                    secondary = orderID.rawValue
                }
            }
        }

        static func precedes(_ lhs: SortKey, _ rhs: SortKey) -> Bool {
            switch (lhs.symbol, rhs.symbol) {
            case (nil, .some): return true
            case (.some, nil): return false
            case let (left?, right?):
                let order = UTF8Order.compare(left, right)
                if order != 0 { return order < 0 }
            case (nil, nil): break
            }
            if lhs.rank != rhs.rank { return lhs.rank < rhs.rank }
            let order = UTF8Order.compare(lhs.primary, rhs.primary)
            if order != 0 { return order < 0 }
            return UTF8Order.precedes(lhs.secondary, rhs.secondary)
        }
    }

    private static func sorted(_ discrepancies: [Discrepancy]) -> [Discrepancy] {
        guard discrepancies.count > 1 else { return discrepancies }
        var keyed = discrepancies.map { (key: SortKey($0), value: $0) }
        keyed.sort { lhs, rhs in
            if SortKey.precedes(lhs.key, rhs.key) { return true }
            if SortKey.precedes(rhs.key, lhs.key) { return false }
            // Equal keys (duplicated exchange records): order by the full text.
            return UTF8Order.precedes(lhs.value.description, rhs.value.description)
        }
        return keyed.map(\.value)
    }
}
