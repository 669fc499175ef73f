/// One row of the `orders` table: an order of a profile, with the columns the reference
/// runbooks read.
///
/// An `Order` is validated when it is created: a positive `quantity` and legacy `qty` where
/// present, a positive `price` where present, a filled quantity between zero and the order
/// quantity, a non-blank symbol, and the trade id null policy (blank means `nil`). Status
/// changes go through ``OrderStateMachine``; the stored properties cannot be set directly.
public struct Order: Sendable, Hashable {
    /// `order_id`: the primary key.
    public let orderID: OrderID
    /// `profile_id`: the owning profile.
    public let profileID: ProfileID
    /// `symbol`: the traded instrument.
    public let symbol: String
    /// `trade_id`: the lifecycle the order belongs to; `nil` for legacy and manual rows.
    public let tradeID: TradeID?
    /// `action`: ENTRY or EXIT for lifecycle rows; `nil` only for legacy and manual rows.
    public let action: LifecycleAction?
    /// `side`: the position side of the lifecycle (`long` when absent).
    public let side: PositionSide?
    /// `status`.
    public internal(set) var status: OrderStatus
    /// `quantity`: the order quantity.
    public let quantity: ExactDecimal?
    /// `qty`: the legacy quantity column, read when `quantity` is absent.
    public let legacyQuantity: ExactDecimal?
    /// `filled_quantity`: how much has been executed so far.
    public internal(set) var filledQuantity: ExactDecimal?
    /// `price`: the limit or fill price.
    public let price: ExactDecimal?
    /// `exchange_order_id`: the exchange's id of the order.
    public let exchangeOrderID: String?
    /// `client_order_id`: the id the order was submitted with.
    public let clientOrderID: ClientOrderID?
    /// `filled_at`: when the order was (last) filled.
    public internal(set) var filledAt: Timestamp?
    /// `created_at`.
    public let createdAt: Timestamp
    /// `updated_at`.
    public internal(set) var updatedAt: Timestamp

    /// Creates a validated order row.
    ///
    /// - Parameters:
    ///   - orderID: `order_id`.
    ///   - profileID: `profile_id`.
    ///   - symbol: `symbol`; must not be blank.
    ///   - tradeID: `trade_id`; normalise text with ``TradeID/normalized(_:)``.
    ///   - action: `action`.
    ///   - side: `side`.
    ///   - status: `status`.
    ///   - quantity: `quantity`; positive where present.
    ///   - legacyQuantity: `qty`; positive where present.
    ///   - filledQuantity: `filled_quantity`; from zero to the order quantity (`quantity ?? qty`).
    ///   - price: `price`; positive where present.
    ///   - exchangeOrderID: `exchange_order_id`; blank means `nil`.
    ///   - clientOrderID: `client_order_id`.
    ///   - filledAt: `filled_at`.
    ///   - createdAt: `created_at`.
    ///   - updatedAt: `updated_at`; `createdAt` when `nil`.
    /// - Throws: ``InputError`` naming the field and `order <order_id>`: code
    ///   ``InputError/Code/blank`` for a blank symbol, ``InputError/Code/outOfRange`` for a
    ///   non-positive quantity, qty or price, or a filled quantity outside 0...quantity.
    public init(
        orderID: OrderID,
        profileID: ProfileID,
        symbol: String,
        tradeID: TradeID?,
        action: LifecycleAction?,
        side: PositionSide?,
        status: OrderStatus,
        quantity: ExactDecimal?,
        legacyQuantity: ExactDecimal? = nil,
        filledQuantity: ExactDecimal? = nil,
        price: ExactDecimal?,
        exchangeOrderID: String? = nil,
        clientOrderID: ClientOrderID? = nil,
        filledAt: Timestamp? = nil,
        createdAt: Timestamp,
        updatedAt: Timestamp? = nil
    ) throws(InputError) {
        let record = "order \(orderID.rawValue)"
        guard !ProfileID.isBlank(symbol) else {
            throw InputError(.blank, field: "symbol", value: symbol, record: record, detail: "the symbol must not be blank")
        }
        if let quantity, !quantity.isPositive {
            throw InputError(.outOfRange, field: "quantity", value: quantity.description, record: record, detail: "the quantity must be greater than zero")
        }
        if let legacyQuantity, !legacyQuantity.isPositive {
            throw InputError(.outOfRange, field: "qty", value: legacyQuantity.description, record: record, detail: "the legacy qty must be greater than zero")
        }
        if let price, !price.isPositive {
            throw InputError(.outOfRange, field: "price", value: price.description, record: record, detail: "the price must be greater than zero")
        }
        if let filledQuantity {
            if filledQuantity.isNegative {
                throw InputError(.outOfRange, field: "filled_quantity", value: filledQuantity.description, record: record, detail: "the filled quantity must not be negative")
            }
            if let limit = quantity ?? legacyQuantity, filledQuantity > limit {
                throw InputError(.outOfRange, field: "filled_quantity", value: filledQuantity.description, record: record,
                                 detail: "the filled quantity must not exceed the order quantity \(limit)")
            }
        }
        self.orderID = orderID
        self.profileID = profileID
        self.symbol = symbol
        self.tradeID = tradeID
        self.action = action
        self.side = side
        self.status = status
        self.quantity = quantity
        self.legacyQuantity = legacyQuantity
        self.filledQuantity = filledQuantity
        self.price = price
        self.exchangeOrderID = exchangeOrderID.flatMap { ProfileID.isBlank($0) ? nil : $0 }
        self.clientOrderID = clientOrderID
        self.filledAt = filledAt
        self.createdAt = createdAt
        self.updatedAt = updatedAt ?? createdAt
    }

    /// The quantity a lifecycle counts for this order: `COALESCE(quantity, qty, 0)`, exactly as
    /// the reference SQL computes it.
    public var lifecycleQuantity: ExactDecimal { quantity ?? legacyQuantity ?? .zero }

    /// The side of the lifecycle: `side`, or long when absent.
    public var effectiveSide: PositionSide { side ?? .long }

    /// A short name for messages: `order <order_id>`.
    public var recordName: String { "order \(orderID.rawValue)" }
}
