/// What the exchange reports for one or more profiles at one moment: open orders, positions
/// and recent fills. The SDK does not talk to exchanges; the service builds snapshots from its
/// exchange client (see ``ExchangeGateway``) and hands them in.
public struct ExchangeSnapshot: Sendable, Hashable {
    /// Orders still working on the exchange.
    public var openOrders: [ExchangeOrder]
    /// Net positions per profile and symbol.
    public var positions: [ExchangePosition]
    /// Recent executions.
    public var fills: [ExchangeFill]

    /// Creates a snapshot.
    public init(openOrders: [ExchangeOrder] = [], positions: [ExchangePosition] = [], fills: [ExchangeFill] = []) {
        self.openOrders = openOrders
        self.positions = positions
        self.fills = fills
    }
}

/// An order the exchange reports, with the client order id it was submitted with.
public struct ExchangeOrder: Sendable, Hashable {
    /// The profile (account) the order belongs to.
    public let profileID: ProfileID
    /// The traded symbol.
    public let symbol: String
    /// The exchange's id of the order.
    public let exchangeOrderID: String
    /// The client order id it was submitted with, if any.
    public let clientOrderID: ClientOrderID?
    /// Buy or sell.
    public let side: OrderSide
    /// The exchange's status of the order.
    public internal(set) var status: OrderStatus
    /// The order quantity.
    public let quantity: ExactDecimal
    /// How much has been executed.
    public internal(set) var filledQuantity: ExactDecimal
    /// The limit price, if any.
    public let price: ExactDecimal?

    /// Creates an exchange order.
    ///
    /// - Throws: ``InputError`` naming the field and `exchange order <id>` when the quantity is
    ///   not positive, the filled quantity is outside 0...quantity, or the price is not positive.
    public init(profileID: ProfileID, symbol: String, exchangeOrderID: String, clientOrderID: ClientOrderID?,
                side: OrderSide, status: OrderStatus, quantity: ExactDecimal, filledQuantity: ExactDecimal = .zero,
                price: ExactDecimal? = nil) throws(InputError) {
        let record = "exchange order \(exchangeOrderID)"
        try ExchangeValidation.requireNonBlank(symbol, field: "symbol", record: record)
        try ExchangeValidation.requireNonBlank(exchangeOrderID, field: "exchangeOrderId", record: record)
        guard quantity.isPositive else {
            throw InputError(.outOfRange, field: "quantity", value: quantity.description, record: record, detail: "the quantity must be greater than zero")
        }
        guard !filledQuantity.isNegative, filledQuantity <= quantity else {
            throw InputError(.outOfRange, field: "filledQuantity", value: filledQuantity.description, record: record,
                             detail: "the filled quantity must be between 0 and the quantity \(quantity)")
        }
        if let price, !price.isPositive {
            throw InputError(.outOfRange, field: "price", value: price.description, record: record, detail: "the price must be greater than zero")
        }
        self.profileID = profileID
        self.symbol = symbol
        self.exchangeOrderID = exchangeOrderID
        self.clientOrderID = clientOrderID
        self.side = side
        self.status = status
        self.quantity = quantity
        self.filledQuantity = filledQuantity
        self.price = price
    }
}

extension ExchangeOrder {
    /// The same order with a new status and filled quantity (the caller keeps the filled
    /// quantity within 0...quantity).
    func with(status: OrderStatus, filledQuantity: ExactDecimal) -> ExchangeOrder {
        var copy = self
        copy.status = status
        copy.filledQuantity = filledQuantity
        return copy
    }
}

/// The exchange's net position of a profile in a symbol: positive long, negative short, zero flat.
public struct ExchangePosition: Sendable, Hashable {
    /// The profile (account).
    public let profileID: ProfileID
    /// The symbol.
    public let symbol: String
    /// The signed net quantity.
    public let quantity: ExactDecimal

    /// Creates a position.
    ///
    /// - Throws: ``InputError`` with code ``InputError/Code/blank`` for a blank symbol.
    public init(profileID: ProfileID, symbol: String, quantity: ExactDecimal) throws(InputError) {
        try ExchangeValidation.requireNonBlank(symbol, field: "symbol", record: "position \(profileID.rawValue)")
        self.init(unchecked: profileID, symbol: symbol, quantity: quantity)
    }

    /// Creates a position from a symbol already checked to be non-blank.
    init(unchecked profileID: ProfileID, symbol: String, quantity: ExactDecimal) {
        self.profileID = profileID
        self.symbol = symbol
        self.quantity = quantity
    }
}

/// One execution reported by the exchange: the evidence the EXIT backfill closes lifecycles with.
public struct ExchangeFill: Sendable, Hashable {
    /// The profile (account).
    public let profileID: ProfileID
    /// The symbol.
    public let symbol: String
    /// Buy or sell.
    public let side: OrderSide
    /// The exchange's id of the order that filled.
    public let exchangeOrderID: String
    /// The client order id of that order, if any.
    public let clientOrderID: ClientOrderID?
    /// The executed quantity.
    public let quantity: ExactDecimal
    /// The execution price.
    public let price: ExactDecimal
    /// When it executed.
    public let filledAt: Timestamp

    /// Creates a fill.
    ///
    /// - Throws: ``InputError`` naming the field and `fill <exchange order id>` for a blank
    ///   symbol or exchange order id, or a quantity or price that is not positive.
    public init(profileID: ProfileID, symbol: String, side: OrderSide, exchangeOrderID: String,
                clientOrderID: ClientOrderID?, quantity: ExactDecimal, price: ExactDecimal,
                filledAt: Timestamp) throws(InputError) {
        let record = "fill \(exchangeOrderID)"
        try ExchangeValidation.requireNonBlank(symbol, field: "symbol", record: record)
        try ExchangeValidation.requireNonBlank(exchangeOrderID, field: "exchangeOrderId", record: record)
        guard quantity.isPositive else {
            throw InputError(.outOfRange, field: "quantity", value: quantity.description, record: record, detail: "the quantity must be greater than zero")
        }
        guard price.isPositive else {
            throw InputError(.outOfRange, field: "price", value: price.description, record: record, detail: "the price must be greater than zero")
        }
        self.profileID = profileID
        self.symbol = symbol
        self.side = side
        self.exchangeOrderID = exchangeOrderID
        self.clientOrderID = clientOrderID
        self.quantity = quantity
        self.price = price
        self.filledAt = filledAt
    }
}

enum ExchangeValidation {
    static func requireNonBlank(_ value: String, field: String, record: String) throws(InputError) {
        guard !ProfileID.isBlank(value) else {
            throw InputError(.blank, field: field, value: value, record: record, detail: "a \(field) is required")
        }
    }
}

/// The service's connection to an exchange, as the SDK needs it: a snapshot of what the exchange
/// knows for a profile. Implement it over your exchange client; tests and examples use
/// ``SimulatedExchange``.
public protocol ExchangeGateway: Sendable {
    /// Reads the exchange's current view of `profileID`: open orders, positions and the fills
    /// since `since`.
    ///
    /// - Parameters:
    ///   - profileID: The profile (account).
    ///   - since: The earliest fill time of interest.
    /// - Returns: The snapshot.
    func snapshot(profileID: ProfileID, fillsSince since: Timestamp) async throws -> ExchangeSnapshot
}
