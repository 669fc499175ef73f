import Synchronization
import Testing
import TradeLifecycle
import TradeLifecycleTesting

/// Builders for the EXIT backfill tests: decimals and times as text, one profile `p1`, one
/// symbol `BTC-USD` and the SPEC section 9 planning time unless told otherwise.
enum BackfillFixtures {
    static let nowText = "2026-02-15T12:00:00.000Z"

    static func time(_ text: String) throws -> Timestamp {
        try Timestamp(text)
    }

    static func now() throws -> Timestamp {
        try time(nowText)
    }

    static func decimal(_ text: String) throws -> ExactDecimal {
        try ExactDecimal(text)
    }

    static func profileID(_ text: String = "p1") throws -> ProfileID {
        try ProfileID(text)
    }

    /// An order row. `filledAt` is ISO-8601 text; `createdAt` defaults to a day before now.
    static func order(
        _ id: String, profile: String = "p1", symbol: String = "BTC-USD", trade: String? = "TRD-a1",
        action: LifecycleAction? = .entry, side: PositionSide? = .long, status: OrderStatus = .filled,
        quantity: String? = "1", price: String? = "100", exchangeOrderID: String? = nil,
        clientOrderID: String? = nil, filledAt: String? = "2026-02-15T10:00:00.000Z",
        createdAt: String = "2026-02-14T12:00:00.000Z"
    ) throws -> Order {
        try Order(
            orderID: OrderID(id), profileID: ProfileID(profile), symbol: symbol, tradeID: TradeID.normalized(trade),
            action: action, side: side, status: status, quantity: quantity.map { try ExactDecimal($0) },
            price: price.map { try ExactDecimal($0) }, exchangeOrderID: exchangeOrderID,
            clientOrderID: ClientOrderID.normalized(clientOrderID), filledAt: filledAt.map { try Timestamp($0) },
            createdAt: try Timestamp(createdAt))
    }

    /// An exchange fill; sell by default (it closes a long).
    static func fill(
        _ exchangeOrderID: String, profile: String = "p1", symbol: String = "BTC-USD", side: OrderSide = .sell,
        quantity: String = "1", price: String = "101", clientOrderID: String? = nil,
        at filledAt: String = "2026-02-15T11:00:00.000Z"
    ) throws -> ExchangeFill {
        try ExchangeFill(
            profileID: ProfileID(profile), symbol: symbol, side: side, exchangeOrderID: exchangeOrderID,
            clientOrderID: ClientOrderID.normalized(clientOrderID), quantity: ExactDecimal(quantity),
            price: ExactDecimal(price), filledAt: Timestamp(filledAt))
    }

    static func position(_ quantity: String, profile: String = "p1", symbol: String = "BTC-USD") throws -> ExchangePosition {
        try ExchangePosition(profileID: ProfileID(profile), symbol: symbol, quantity: ExactDecimal(quantity))
    }

    static func configuration(
        enabled: Bool = true, dryRun: Bool = true, requirePause: Bool = true, dustAbs: String = "0.001",
        dustRel: String = "0.002", lookbackHours: Int = 72
    ) throws -> BackfillConfiguration {
        try BackfillConfiguration(
            isEnabled: enabled, isDryRun: dryRun, requiresPause: requirePause,
            dust: DustPolicy(absoluteQuantity: ExactDecimal(dustAbs), relativeFraction: ExactDecimal(dustRel)),
            lookbackHours: lookbackHours)
    }

    static func pausedProfile(_ paused: Bool = true, profile: String = "p1") throws -> TradingProfile {
        TradingProfile(profileID: try ProfileID(profile), isPaused: paused, updatedAt: try time("2026-02-15T09:00:00.000Z"))
    }

    /// Plans profile `p1` with the pure planner.
    static func plan(
        orders: [Order], fills: [ExchangeFill] = [], positions: [ExchangePosition] = [],
        profile: TradingProfile?? = nil, configuration: BackfillConfiguration? = nil, now: Timestamp? = nil
    ) throws -> BackfillPlan {
        try BackfillPlanner.plan(
            profileID: profileID(), orders: orders, profile: profile ?? (try pausedProfile()),
            exchange: ExchangeSnapshot(positions: positions, fills: fills),
            configuration: configuration ?? (try self.configuration()), now: now ?? (try self.now()))
    }

    /// The `BFILL-` id the planner should give, computed with the SDK's own function (tests
    /// that need an independent value hash the literal text with swift-crypto instead).
    static func backfillID(trade: String, exchangeOrderID: String, at filledAt: String, profile: String = "p1") throws -> OrderID {
        OrderID.backfill(profileID: try ProfileID(profile), tradeID: try TradeID(trade), exchangeOrderID: exchangeOrderID,
                         filledAt: try Timestamp(filledAt))
    }

    /// An in-memory store holding `orders` and the profile's pause state.
    static func store(orders: [Order], paused: Bool? = true) async throws -> InMemoryStore {
        let store = InMemoryStore()
        for order in orders {
            _ = try await store.insertOrder(order)
        }
        if let paused {
            try await store.saveProfile(try pausedProfile(paused))
        }
        return store
    }
}

/// A plan row reduced to what the tests compare, with decimals and times as text.
struct BackfillRowSummary: Hashable, CustomStringConvertible {
    var trade: String
    var reason: BackfillReason
    var filled: String?
    var price: String?
    var exchangeOrderID: String?
    var clientOrderID: String?
    var filledAt: String?

    init(trade: String, _ reason: BackfillReason, filled: String? = nil, price: String? = nil, exchangeOrderID: String? = nil,
         clientOrderID: String? = nil, filledAt: String? = nil) {
        self.trade = trade
        self.reason = reason
        self.filled = filled
        self.price = price
        self.exchangeOrderID = exchangeOrderID
        self.clientOrderID = clientOrderID
        self.filledAt = filledAt
    }

    init(_ row: BackfillPlannedRow) {
        self.init(trade: row.tradeID.rawValue, row.reason, filled: row.filledQuantity?.description,
                  price: row.price?.description, exchangeOrderID: row.exchangeOrderID,
                  clientOrderID: row.exchangeClientOrderID?.rawValue, filledAt: row.filledAt?.millisecondText)
    }

    var description: String {
        "\(trade) \(reason.rawValue) qty=\(filled ?? "nil") price=\(price ?? "nil") x=\(exchangeOrderID ?? "nil") c=\(clientOrderID ?? "nil") at=\(filledAt ?? "nil")"
    }
}

extension BackfillPlan {
    var summaries: [BackfillRowSummary] { rows.map(BackfillRowSummary.init) }
}

/// The ``BackfillError`` `body` throws, or `nil` when it throws nothing or another error.
func backfillError(_ body: () async throws -> Void) async -> BackfillError? {
    do {
        try await body()
        return nil
    } catch let error as BackfillError {
        return error
    } catch {
        return nil
    }
}


/// A thread-safe list of lines, for test doubles that record their calls.
final class BackfillRequestLog: Sendable {
    private let lines = Mutex<[String]>([])

    func append(_ line: String) {
        lines.withLock { $0.append(line) }
    }

    func entries() -> [String] {
        lines.withLock { $0 }
    }
}
