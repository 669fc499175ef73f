import TradeLifecycle
import TradeLifecycleTesting

/// Builders and a seeded generator shared by the lifecycle, state machine and vocabulary tests.
enum LifecycleFixtures {
    static func time(_ seconds: Int64) -> Timestamp {
        Timestamp(microsecondsSinceEpoch: 1_771_000_000_000_000 + seconds * 1_000_000)
    }

    static func decimal(_ text: String) throws -> ExactDecimal {
        try ExactDecimal(text)
    }

    /// An order row with convenient defaults; decimals as text, times in seconds from a base.
    static func order(
        _ id: String, profile: String = "p1", symbol: String = "BTC-USD", trade: String? = "TRD-a",
        action: LifecycleAction? = .entry, side: PositionSide? = nil, status: OrderStatus = .filled,
        quantity: String? = "1", qty: String? = nil, filled: String? = nil, price: String? = nil,
        filledAt: Int64? = nil, createdAt: Int64 = 0
    ) throws -> Order {
        try Order(
            orderID: OrderID(id), profileID: ProfileID(profile), symbol: symbol,
            tradeID: TradeID.normalized(trade), action: action, side: side, status: status,
            quantity: quantity.map { try ExactDecimal($0) }, legacyQuantity: qty.map { try ExactDecimal($0) },
            filledQuantity: filled.map { try ExactDecimal($0) }, price: price.map { try ExactDecimal($0) },
            filledAt: filledAt.map(time), createdAt: time(createdAt))
    }

    /// The ``LifecycleError`` `body` throws, or `nil` when it throws nothing or another error.
    static func lifecycleError(_ body: () throws -> Void) -> LifecycleError? {
        do {
            try body()
            return nil
        } catch let error as LifecycleError {
            return error
        } catch {
            return nil
        }
    }

    /// The ``InputError`` `body` throws, or `nil` when it throws nothing or another error.
    static func inputError(_ body: () throws -> Void) -> InputError? {
        do {
            try body()
            return nil
        } catch let error as InputError {
            return error
        } catch {
            return nil
        }
    }
}

