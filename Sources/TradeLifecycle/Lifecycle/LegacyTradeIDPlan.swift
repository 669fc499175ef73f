/// One trade id the legacy backfill would write: the order's `trade_id` is `NULL` and becomes
/// ``tradeID``.
public struct LegacyTradeIDAssignment: Sendable, Hashable {
    /// The order whose `trade_id` is filled in.
    public let orderID: OrderID
    /// The order's profile.
    public let profileID: ProfileID
    /// The order's symbol.
    public let symbol: String
    /// The generated trade id of the order's lifecycle.
    public let tradeID: TradeID
    /// The first ENTRY of the lifecycle, whose id the trade id is generated from
    /// (`legacy:<first ENTRY order_id>`).
    public let firstEntryOrderID: OrderID

    /// Creates an assignment.
    ///
    /// - Parameters:
    ///   - orderID: The order.
    ///   - profileID: Its profile.
    ///   - symbol: Its symbol.
    ///   - tradeID: The trade id to write.
    ///   - firstEntryOrderID: The lifecycle's first ENTRY order.
    public init(orderID: OrderID, profileID: ProfileID, symbol: String, tradeID: TradeID, firstEntryOrderID: OrderID) {
        self.orderID = orderID
        self.profileID = profileID
        self.symbol = symbol
        self.tradeID = tradeID
        self.firstEntryOrderID = firstEntryOrderID
    }
}

/// An EXIT of the legacy backfill larger than what was open in its lifecycle: it is assigned to
/// the lifecycle, which it closes, and reported for review.
public struct LegacyOverclosingExit: Sendable, Hashable {
    /// The EXIT order.
    public let orderID: OrderID
    /// The trade id it is assigned.
    public let tradeID: TradeID
    /// What was open before the EXIT.
    public let openQuantity: ExactDecimal
    /// The EXIT's quantity (`COALESCE(quantity, qty, 0)`).
    public let exitQuantity: ExactDecimal

    /// Creates a report.
    ///
    /// - Parameters:
    ///   - orderID: The EXIT order.
    ///   - tradeID: The trade id it is assigned.
    ///   - openQuantity: What was open before it.
    ///   - exitQuantity: Its quantity.
    public init(orderID: OrderID, tradeID: TradeID, openQuantity: ExactDecimal, exitQuantity: ExactDecimal) {
        self.orderID = orderID
        self.tradeID = tradeID
        self.openQuantity = openQuantity
        self.exitQuantity = exitQuantity
    }
}

/// The plan of the legacy trade id backfill (SPEC section 6, last paragraph; the deterministic
/// `trade_id` backfill of the lifecycle integrity plan, phase C): which orders without trade id
/// get which generated id. Planning is pure; applying the plan (filling `NULL`s only, never
/// overwriting) is the store's.
///
/// Rules:
/// - Rows considered: action ENTRY or EXIT, status filled **or partially filled** (the
///   statuses a lifecycle counts, so the assigned lifecycles read back as the analysis sees
///   them), `trade_id` `NULL`. Every other order is ignored, including orders that already have a
///   trade id: they are never reassigned.
/// - Per (profile, symbol), rows are walked in (`filled_at ?? created_at`, `order_id`) order
///   (a filled row without `filled_at` is placed by its creation time, as the analysis places
///   its first ENTRY). Quantities are `COALESCE(quantity, qty, 0)`.
/// - An ENTRY opens a lifecycle when none is open and adds to the open one otherwise. The
///   lifecycle's trade id is `TradeID.generate(profileID:symbol:entryKey:)` with
///   `legacy:<first ENTRY order_id>`.
/// - An EXIT reduces the open lifecycle; the lifecycle closes when its open quantity reaches
///   zero. An EXIT larger than the open quantity is assigned to the lifecycle, closes it, and is
///   listed in ``overclosingExits``.
/// - An EXIT with nothing open is listed in ``orphanExits`` and keeps `trade_id` `NULL`.
/// - An ENTRY without quantity opens (or adds nothing to) a lifecycle; a lifecycle with zero
///   open quantity is closed, so such an ENTRY alone forms a closed lifecycle.
///
/// The plan does not depend on the order of the input.
public struct LegacyTradeIDPlan: Sendable, Hashable {
    /// The trade ids to write, by (profile, symbol) and then in walk order.
    public let assignments: [LegacyTradeIDAssignment]
    /// EXIT orders with nothing open, left without trade id, in walk order.
    public let orphanExits: [OrderID]
    /// EXIT orders that closed more than was open, in walk order.
    public let overclosingExits: [LegacyOverclosingExit]

    /// Plans the legacy trade id backfill of `orders`.
    ///
    /// - Parameter orders: Orders of any profiles, in any order.
    /// - Throws: ``LifecycleError`` with code ``LifecycleError/Code/duplicateOrderID`` when two
    ///   considered rows share an order id, ``LifecycleError/Code/overflow`` when an open
    ///   quantity is out of range.
    public init<Orders: Sequence>(orders: Orders) throws(LifecycleError) where Orders.Element == Order {
        var rows: [Order] = []
        var seen = Set<OrderID>()
        for order in orders
        where order.tradeID == nil && order.action != nil && order.status.countsTowardLifecycle {
            guard seen.insert(order.orderID).inserted else {
                throw LifecycleError(.duplicateOrderID, orderID: order.orderID,
                                     detail: "the order id occurs more than once among the rows without trade_id")
            }
            rows.append(order)
        }
        rows.sort(by: Self.walkPrecedes)
        var assignments: [LegacyTradeIDAssignment] = []
        var orphanExits: [OrderID] = []
        var overclosingExits: [LegacyOverclosingExit] = []
        var open: (tradeID: TradeID, firstEntry: OrderID, quantity: ExactDecimal)?
        var previous: Order?
        for row in rows {
            if let previous, !UTF8Order.equal(previous.profileID.rawValue, row.profileID.rawValue)
                || !UTF8Order.equal(previous.symbol, row.symbol) {
                open = nil
            }
            previous = row
            let quantity = row.lifecycleQuantity
            switch row.action {
            case .entry?:
                if let current = open {
                    let (sum, overflow) = current.quantity.addingReportingOverflow(quantity)
                    if overflow {
                        throw LifecycleError(.overflow, orderID: row.orderID,
                                             detail: "open quantity \(current.quantity) + \(quantity) of trade \(current.tradeID) is out of range")
                    }
                    open = (current.tradeID, current.firstEntry, sum)
                    assignments.append(LegacyTradeIDAssignment(orderID: row.orderID, profileID: row.profileID, symbol: row.symbol,
                                                               tradeID: current.tradeID, firstEntryOrderID: current.firstEntry))
                } else {
                    let tradeID = TradeID.generate(profileID: row.profileID, symbol: row.symbol,
                                                   entryKey: TradeID.legacyEntryKey(firstEntryOrderID: row.orderID))
                    assignments.append(LegacyTradeIDAssignment(orderID: row.orderID, profileID: row.profileID, symbol: row.symbol,
                                                               tradeID: tradeID, firstEntryOrderID: row.orderID))
                    open = quantity.isPositive ? (tradeID, row.orderID, quantity) : nil
                }
            case .exit?:
                guard let current = open else {
                    orphanExits.append(row.orderID)
                    continue
                }
                assignments.append(LegacyTradeIDAssignment(orderID: row.orderID, profileID: row.profileID, symbol: row.symbol,
                                                           tradeID: current.tradeID, firstEntryOrderID: current.firstEntry))
                if quantity > current.quantity {
                    overclosingExits.append(LegacyOverclosingExit(orderID: row.orderID, tradeID: current.tradeID,
                                                                  openQuantity: current.quantity, exitQuantity: quantity))
                }
                // Both are non-negative, so the difference cannot overflow.
                let remaining = current.quantity.subtractingReportingOverflow(quantity).partialValue
                open = remaining.isPositive ? (current.tradeID, current.firstEntry, remaining) : nil
            case nil:
                continue
            }
        }
        self.assignments = assignments
        self.orphanExits = orphanExits
        self.overclosingExits = overclosingExits
    }

    /// The walk order: profile, symbol, `filled_at ?? created_at`, order id (each text by its
    /// UTF-8 bytes). Order ids are unique here, so the order is total.
    static func walkPrecedes(_ lhs: Order, _ rhs: Order) -> Bool {
        var order = UTF8Order.compare(lhs.profileID.rawValue, rhs.profileID.rawValue)
        if order != 0 { return order < 0 }
        order = UTF8Order.compare(lhs.symbol, rhs.symbol)
        if order != 0 { return order < 0 }
        let leftTime = lhs.filledAt ?? lhs.createdAt
        let rightTime = rhs.filledAt ?? rhs.createdAt
        if leftTime != rightTime { return leftTime < rightTime }
        return UTF8Order.precedes(lhs.orderID.rawValue, rhs.orderID.rawValue)
    }
}
