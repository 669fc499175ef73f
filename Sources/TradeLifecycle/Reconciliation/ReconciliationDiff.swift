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
    ///   for a negative tolerance, or ``ReconciliationError/Code/overflow`` when a sum of fills
    ///   or positions is out of range.
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
        var count = 0
        var matchedByClientOrderID = false
        /// The index of the latest fill (by filled_at, then exchange order id).
        var latest = -1
    }

    private static func compareOrders(database: ReconciliationDatabaseView, exchange: ExchangeSnapshot,
                                      into found: inout [Discrepancy]) throws(ReconciliationError) {
        let profileID = database.profileID
        let orders = database.orders
        var index = OrderIndex(orders: orders)

        // Each open order to its database order; unmatched ones are missing in the database.
        var openMatch = [Int](repeating: -1, count: orders.count)
        var openMatchedByClient = [Bool](repeating: false, count: orders.count)
        for (position, open) in exchange.openOrders.enumerated() where open.profileID == profileID {
            guard let (order, key) = index.match(clientOrderID: open.clientOrderID, exchangeOrderID: open.exchangeOrderID),
                  openMatch[order] < 0 else {
                found.append(.orderMissingInDatabase(open))
                continue
            }
            openMatch[order] = position
            openMatchedByClient[order] = key == .clientOrderID
        }

        // Each fill to its database order, summed.
        var totals: [FillTotal] = []
        let fills = exchange.fills
        for (position, fill) in fills.enumerated() where fill.profileID == profileID {
            guard let (order, key) = index.match(clientOrderID: fill.clientOrderID, exchangeOrderID: fill.exchangeOrderID) else {
                continue
            }
            if totals.isEmpty { totals = [FillTotal](repeating: FillTotal(), count: orders.count) }
            let (sum, overflow) = totals[order].quantity.addingReportingOverflow(fill.quantity)
            if overflow {
                throw ReconciliationError(.overflow, profileID: profileID,
                                          detail: "\(orders[order].recordName): the sum of its fills is out of range at fill \(fill.exchangeOrderID)")
            }
            totals[order].quantity = sum
            totals[order].count += 1
            if key == .clientOrderID { totals[order].matchedByClientOrderID = true }
            let latest = totals[order].latest
            if latest < 0 || isLater(fill, than: fills[latest]) { totals[order].latest = position }
        }
        index = OrderIndex()  // release the tables before the per-order pass

        for (position, order) in orders.enumerated() where !order.orderID.isBackfill
            && (order.clientOrderID != nil || order.exchangeOrderID != nil) {
            let databaseFilled = databaseFilledQuantity(of: order)
            if openMatch[position] >= 0 {
                let open = exchange.openOrders[openMatch[position]]
                let fillTotal = totals.isEmpty ? FillTotal() : totals[position]
                let evidence = ExchangeOrderEvidence(
                    matchedBy: openMatchedByClient[position] ? .clientOrderID : .exchangeOrderID, openOrder: open,
                    exchangeOrderID: open.exchangeOrderID, status: open.status, filledQuantity: open.filledQuantity,
                    fillCount: fillTotal.count, lastFilledAt: fillTotal.latest >= 0 ? fills[fillTotal.latest].filledAt : nil)
                if order.status != open.status {
                    found.append(.orderStatusMismatch(order, exchange: evidence))
                } else if databaseFilled != open.filledQuantity {
                    found.append(.filledQuantityMismatch(order, exchange: evidence))
                }
            } else if !totals.isEmpty, totals[position].count > 0 {
                let total = totals[position]
                let latest = fills[total.latest]
                let orderQuantity = order.quantity ?? order.legacyQuantity
                let executedInFull = orderQuantity.map { total.quantity >= $0 } ?? false
                let evidence = ExchangeOrderEvidence(
                    matchedBy: total.matchedByClientOrderID ? .clientOrderID : .exchangeOrderID, openOrder: nil,
                    exchangeOrderID: latest.exchangeOrderID, status: executedInFull ? .filled : nil,
                    filledQuantity: total.quantity, fillCount: total.count, lastFilledAt: latest.filledAt)
                let statusDiffers: Bool
                switch order.status {
                case .pending, .open, .partiallyFilled, .rejected: statusDiffers = true
                case .cancelled, .expired: statusDiffers = executedInFull
                case .filled: statusDiffers = false
                }
                if statusDiffers {
                    found.append(.orderStatusMismatch(order, exchange: evidence))
                } else if total.quantity > databaseFilled {
                    found.append(.filledQuantityMismatch(order, exchange: evidence))
                }
            } else if order.status.isLive {
                found.append(.orderMissingOnExchange(order))
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
        private let orders: [Order]
        private var byClientOrderID: [ClientOrderID: Int] = [:]
        private var byExchangeOrderID: [String: Int] = [:]

        init() {
            orders = []
        }

        init(orders: [Order]) {
            self.orders = orders
            var clientCount = 0
            var exchangeCount = 0
            for order in orders where !order.orderID.isBackfill {
                if order.clientOrderID != nil { clientCount += 1 }
                if order.exchangeOrderID != nil { exchangeCount += 1 }
            }
            byClientOrderID.reserveCapacity(clientCount)
            byExchangeOrderID.reserveCapacity(exchangeCount)
            for (position, order) in orders.enumerated() where !order.orderID.isBackfill {
                if let client = order.clientOrderID {
                    Self.claim(&byClientOrderID[client, default: position], by: position, in: orders)
                }
                if let exchangeID = order.exchangeOrderID {
                    Self.claim(&byExchangeOrderID[exchangeID, default: position], by: position, in: orders)
                }
            }
        }

        /// Gives an id to `candidate` when it ranks before the order holding it.
        private static func claim(_ holder: inout Int, by candidate: Int, in orders: [Order]) {
            guard holder != candidate else { return }
            let current = orders[holder]
            let challenger = orders[candidate]
            let currentRank = rank(current.status)
            let challengerRank = rank(challenger.status)
            if challengerRank < currentRank
                || (challengerRank == currentRank && UTF8Order.precedes(challenger.orderID.rawValue, current.orderID.rawValue)) {
                holder = candidate
            }
        }

        /// Live orders claim a shared id first, then filled or partially filled ones, then others.
        private static func rank(_ status: OrderStatus) -> Int {
            if status.isLive { return 0 }
            return status == .filled ? 1 : 2
        }

        /// The database order an exchange record matches: by client order id, else by
        /// exchange order id.
        func match(clientOrderID: ClientOrderID?, exchangeOrderID: String) -> (Int, OrderMatchKey)? {
            if let clientOrderID, let order = byClientOrderID[clientOrderID] { return (order, .clientOrderID) }
            if let order = byExchangeOrderID[exchangeOrderID] { return (order, .exchangeOrderID) }
            return nil
        }
    }

    // MARK: Positions

    private struct SymbolPosition {
        var tradeIDs: [TradeID] = []
        var databaseQuantity: ExactDecimal = .zero
        var exchangeQuantity: ExactDecimal = .zero
    }

    private static func comparePositions(database: ReconciliationDatabaseView, exchange: ExchangeSnapshot,
                                         flatTolerance: ExactDecimal, into found: inout [Discrepancy]) throws(ReconciliationError) {
        let profileID = database.profileID
        var bySymbol: [String: SymbolPosition] = [:]
        for lifecycle in database.openLifecycles {
            let signed = lifecycle.side == .long ? lifecycle.openQuantity : lifecycle.openQuantity.negated
            let key = lifecycle.key
            let overflow: Bool = {
                (position: inout SymbolPosition) -> Bool in
                position.tradeIDs.append(key.tradeID)
                let (sum, overflow) = position.databaseQuantity.addingReportingOverflow(signed)
                position.databaseQuantity = sum
                return overflow
            }(&bySymbol[key.symbol, default: SymbolPosition()])
            if overflow {
                throw ReconciliationError(.overflow, profileID: profileID,
                                          detail: "symbol \(key.symbol): the open quantity of its lifecycles is out of range at trade \(key.tradeID.rawValue)")
            }
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
            let hasOpenLifecycles = !entry.tradeIDs.isEmpty
            let exchangeFlat = entry.exchangeQuantity.magnitude <= flatTolerance
            let comparison = PositionComparison(profileID: profileID, symbol: symbol, tradeIDs: entry.tradeIDs.sorted(),
                                                databaseQuantity: entry.databaseQuantity, exchangeQuantity: entry.exchangeQuantity)
            if hasOpenLifecycles && exchangeFlat {
                found.append(.ghostPosition(comparison))
            } else if !hasOpenLifecycles && !exchangeFlat {
                found.append(.untrackedPosition(comparison))
            } else if hasOpenLifecycles {
                let (difference, overflow) = entry.databaseQuantity.subtractingReportingOverflow(entry.exchangeQuantity)
                if overflow || difference.magnitude > flatTolerance {
                    found.append(.positionQuantityMismatch(comparison))
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
