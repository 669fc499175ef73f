import TradeLifecycle

/// Builders of orders, exchange records and views for the reconciliation tests.
enum ReconciliationFixtures {
    static let profile = ProfileID(unsafe: "p1")
    static let otherProfile = ProfileID(unsafe: "p2")
    static let start = Timestamp(microsecondsSinceEpoch: 1_771_149_600_000_000)  // 2026-02-15T10:00:00Z

    static func at(seconds: Int64) -> Timestamp {
        Timestamp(microsecondsSinceEpoch: start.microsecondsSinceEpoch + seconds * 1_000_000)
    }

    static func decimal(_ text: String) throws -> ExactDecimal {
        try ExactDecimal(text)
    }

    static func order(
        _ id: String,
        profile: ProfileID = profile,
        symbol: String = "BTC-USD",
        trade: String? = "TRD-a1",
        action: LifecycleAction? = .entry,
        side: PositionSide? = .long,
        status: OrderStatus,
        quantity: String = "1",
        filled: String? = nil,
        price: String? = "100",
        exchangeID: String? = nil,
        clientID: String? = nil,
        filledAtSeconds: Int64? = nil
    ) throws -> Order {
        try Order(
            orderID: OrderID(id), profileID: profile, symbol: symbol, tradeID: TradeID.normalized(trade),
            action: action, side: side, status: status, quantity: ExactDecimal(quantity),
            filledQuantity: try filled.map { try ExactDecimal($0) }, price: try price.map { try ExactDecimal($0) },
            exchangeOrderID: exchangeID, clientOrderID: ClientOrderID.normalized(clientID),
            filledAt: filledAtSeconds.map { at(seconds: $0) }, createdAt: start)
    }

    static func openOrder(
        _ exchangeID: String,
        profile: ProfileID = profile,
        symbol: String = "BTC-USD",
        clientID: String? = nil,
        side: OrderSide = .buy,
        status: OrderStatus = .open,
        quantity: String = "1",
        filled: String = "0"
    ) throws -> ExchangeOrder {
        try ExchangeOrder(profileID: profile, symbol: symbol, exchangeOrderID: exchangeID,
                          clientOrderID: ClientOrderID.normalized(clientID), side: side, status: status,
                          quantity: ExactDecimal(quantity), filledQuantity: ExactDecimal(filled), price: ExactDecimal("100"))
    }

    static func fill(
        _ exchangeID: String,
        profile: ProfileID = profile,
        symbol: String = "BTC-USD",
        clientID: String? = nil,
        side: OrderSide = .buy,
        quantity: String = "1",
        price: String = "100",
        atSeconds: Int64 = 60
    ) throws -> ExchangeFill {
        try ExchangeFill(profileID: profile, symbol: symbol, side: side, exchangeOrderID: exchangeID,
                         clientOrderID: ClientOrderID.normalized(clientID), quantity: ExactDecimal(quantity),
                         price: ExactDecimal(price), filledAt: at(seconds: atSeconds))
    }

    static func position(_ quantity: String, profile: ProfileID = profile, symbol: String = "BTC-USD") throws -> ExchangePosition {
        try ExchangePosition(profileID: profile, symbol: symbol, quantity: ExactDecimal(quantity))
    }

    static func diff(
        _ orders: [Order],
        _ snapshot: ExchangeSnapshot,
        references: [TradeReference] = [],
        flatTolerance: ExactDecimal = .zero
    ) throws -> [Discrepancy] {
        let view = try ReconciliationDatabaseView(profileID: profile, orders: orders, references: references)
        return try ReconciliationDiff.discrepancies(database: view, exchange: snapshot, flatTolerance: flatTolerance)
    }
}

extension ProfileID {
    /// A profile id from a literal known to be valid.
    init(unsafe text: String) {
        do {
            self = try ProfileID(text)
        } catch {
            fatalError("invalid test profile id \(text)")
        }
    }
}
