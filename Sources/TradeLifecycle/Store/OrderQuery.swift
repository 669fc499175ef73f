/// Which orders of a profile to read.
public struct OrderQuery: Sendable, Hashable {
    /// The profile; every query is scoped to one profile.
    public var profileID: ProfileID
    /// Only this symbol, when set.
    public var symbol: String?
    /// Only this trade, when set.
    public var tradeID: TradeID?
    /// Only these statuses, when set.
    public var statuses: Set<OrderStatus>?

    /// Creates a query.
    public init(profileID: ProfileID, symbol: String? = nil, tradeID: TradeID? = nil, statuses: Set<OrderStatus>? = nil) {
        self.profileID = profileID
        self.symbol = symbol
        self.tradeID = tradeID
        self.statuses = statuses
    }

    /// Whether `order` matches.
    public func matches(_ order: Order) -> Bool {
        order.profileID == profileID
            && (symbol == nil || order.symbol == symbol)
            && (tradeID == nil || order.tradeID == tradeID)
            && (statuses.map { $0.contains(order.status) } ?? true)
    }
}

/// The outcome of an insert with `ON CONFLICT (key) DO NOTHING` semantics.
public enum InsertOutcome: String, Sendable, Hashable {
    /// The row was written.
    case inserted
    /// A row with the same key already existed; nothing was written.
    case alreadyExists
}

/// A change of an existing order's status, always checked by ``OrderStateMachine``.
public enum OrderChange: Sendable, Hashable {
    /// An ordinary transition of the state machine.
    case transition(to: OrderStatus, filledQuantity: ExactDecimal?, filledAt: Timestamp?)
    /// The rollback of an EXIT backfill row: a `BFILL-` order from filled to cancelled.
    case revertBackfill
    /// A reconciliation correction to the exchange's truth: an order cancelled or expired here
    /// that the exchange reports filled or partially filled.
    case correctToExchange(status: OrderStatus, filledQuantity: ExactDecimal, filledAt: Timestamp?)
}

extension Order {
    /// The order after `change`, through the state machine: what every ``OrderStore`` writes for
    /// ``OrderStore/updateOrder(_:change:at:)``.
    ///
    /// - Parameters:
    ///   - change: The change.
    ///   - time: The time of the change (`updated_at`).
    /// - Returns: The changed order.
    /// - Throws: ``LifecycleError`` when the state machine refuses the change.
    public func applying(_ change: OrderChange, at time: Timestamp) throws(LifecycleError) -> Order {
        switch change {
        case .transition(let status, let filledQuantity, let filledAt):
            try transitioned(to: status, filledQuantity: filledQuantity, filledAt: filledAt, at: time)
        case .revertBackfill:
            try revertingBackfill(at: time)
        case .correctToExchange(let status, let filledQuantity, let filledAt):
            try correctedToExchange(status: status, filledQuantity: filledQuantity, filledAt: filledAt, at: time)
        }
    }
}
