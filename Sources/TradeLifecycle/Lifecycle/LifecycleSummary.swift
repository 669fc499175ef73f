/// The sums and facts of one trade lifecycle, as the reference detection query computes them
/// over the trade's orders with status filled or partially filled.
///
/// Quantities use each order's ``Order/lifecycleQuantity`` (`COALESCE(quantity, qty, 0)`).
/// A "filled ENTRY" below is such an order with action ENTRY and a positive lifecycle quantity.
public struct LifecycleSummary: Sendable, Hashable {
    /// The lifecycle's identity.
    public let key: LifecycleKey
    /// `entry_qty`: the sum of the counted ENTRY orders' quantities.
    public let entryQuantity: ExactDecimal
    /// `exit_qty`: the sum of the counted EXIT orders' quantities.
    public let exitQuantity: ExactDecimal
    /// `open_qty = entry_qty - exit_qty`; negative when the lifecycle is overclosed.
    public let openQuantity: ExactDecimal
    /// The side of the first filled ENTRY; long when it has none or it has no side.
    public let side: PositionSide
    /// The first filled ENTRY by (`filled_at ?? created_at`, `order_id`).
    public let firstEntryOrderID: OrderID?
    /// That order's `filled_at ?? created_at`.
    public let firstEntryAt: Timestamp?
    /// The quantity-weighted average price of the filled ENTRY orders that have a price,
    /// rounded once, half-even, to 18 fractional digits; `nil` when none has a price.
    public let averageEntryPrice: ExactDecimal?
    /// The latest `filled_at` among the counted orders (ENTRY, EXIT or without action).
    public let lastFilledAt: Timestamp?

    /// Whether the lifecycle is open: `open_qty > 0`.
    public var isOpen: Bool { openQuantity.isPositive }

    /// Creates a summary (the analysis builds them; tests and stores may too).
    ///
    /// - Parameters:
    ///   - key: The lifecycle's identity.
    ///   - entryQuantity: `entry_qty`.
    ///   - exitQuantity: `exit_qty`.
    ///   - openQuantity: `open_qty`.
    ///   - side: The lifecycle's side.
    ///   - firstEntryOrderID: The first filled ENTRY order.
    ///   - firstEntryAt: Its `filled_at ?? created_at`.
    ///   - averageEntryPrice: The average entry price.
    ///   - lastFilledAt: The latest fill time.
    public init(
        key: LifecycleKey, entryQuantity: ExactDecimal, exitQuantity: ExactDecimal, openQuantity: ExactDecimal,
        side: PositionSide, firstEntryOrderID: OrderID?, firstEntryAt: Timestamp?,
        averageEntryPrice: ExactDecimal?, lastFilledAt: Timestamp?
    ) {
        self.key = key
        self.entryQuantity = entryQuantity
        self.exitQuantity = exitQuantity
        self.openQuantity = openQuantity
        self.side = side
        self.firstEntryOrderID = firstEntryOrderID
        self.firstEntryAt = firstEntryAt
        self.averageEntryPrice = averageEntryPrice
        self.lastFilledAt = lastFilledAt
    }
}
