import PropertyBased
import Synchronization
import Testing
import TradeLifecycle
@testable import TradeLifecyclePostgres
import TradeLifecycleTesting

/// One generated profile: orders written with legacy spellings (the SQL sees the text), the
/// same orders as the core's values (the oracle), the exchange's fills and positions.
struct GeneratedBackfillCase {
    static let now = try! Timestamp("2026-02-15T12:00:00Z")
    static let configuration = try! BackfillConfiguration(isEnabled: true, isDryRun: true, requiresPause: true)

    let profileID: String
    var rows: [OrderRowText] = []
    var orders: [Order] = []
    var fills: [ExchangeFill] = []
    var positions: [ExchangePosition] = []
    var paused: Bool?
    /// Whether a symbol or id is not ASCII (the plan must then read every order).
    var hasNonASCII = false
    private var random: SplitMix64
    private var orderNumber = 0
    private var exitClientOrderIDs: [String] = []

    static func time(minutesBeforeNow minutes: Int) -> Timestamp {
        Timestamp(microsecondsSinceEpoch: now.microsecondsSinceEpoch - Int64(minutes) * 60_000_000)
    }

    static func quarters(_ count: Int) -> ExactDecimal {
        ExactDecimal(units: Int128(count) * 250_000_000_000_000_000)
    }

    private mutating func chance(_ oneIn: Int) -> Bool { Int.random(in: 0..<oneIn, using: &random) == 0 }
    private mutating func pick<T>(_ options: [T]) -> T { options.randomElement(using: &random)! }
    private mutating func int(_ range: ClosedRange<Int>) -> Int { Int.random(in: range, using: &random) }

    private mutating func statusText(_ status: OrderStatus, entry: Bool) -> String {
        switch status {
        case .filled: return chance(4) ? pick(["FILLED", "Filled"]) : "filled"
        // Exactly 'partially_filled' on an ENTRY is a live entry for the unique index.
        case .partiallyFilled: return entry ? pick(["partially-filled", "partial", "Partially_Filled"]) : pick(["partially_filled", "partially-filled", "partial"])
        case .pending: return pick(["pending", "new", "NEW"])
        case .open: return pick(["open", "accepted", "OPEN"])
        case .cancelled: return pick(["canceled", "cancelled", "CANCELED"])
        case .rejected: return "rejected"
        case .expired: return "expired"
        }
    }

    private mutating func actionText(_ action: LifecycleAction) -> String {
        chance(5) ? action.rawValue.lowercased() : action.rawValue
    }

    /// Adds one order, as text and as the core's value.
    private mutating func add(symbol: String, tradeText: String?, action: LifecycleAction?, side: PositionSide?, status: OrderStatus,
                              quarters: Int, price: Int?, exchangeOrderID: String?, clientOrderID: String?,
                              filledMinutesAgo: Int?, profile: String? = nil) throws {
        orderNumber += 1
        let orderID = "\(profileID)-o\(orderNumber)"
        let legacyColumn = chance(4)
        let filledAt = filledMinutesAgo.map(Self.time(minutesBeforeNow:))
        let createdAt = Self.time(minutesBeforeNow: 5000)
        let quantity = Self.quarters(quarters)
        rows.append(OrderRowText(
            orderID: orderID, profileID: profile ?? profileID, symbol: symbol, tradeID: tradeText,
            action: action.map { actionText($0) }, side: side?.rawValue, status: statusText(status, entry: action == .entry),
            quantity: legacyColumn ? nil : quantity.description, qty: legacyColumn ? quantity.description : nil,
            filledQuantity: "0", price: price.map(String.init), exchangeOrderID: exchangeOrderID, clientOrderID: clientOrderID,
            filledAt: filledAt?.description, createdAt: createdAt.description))
        guard profile == nil else { return }
        orders.append(try Order(
            orderID: OrderID(orderID), profileID: ProfileID(profileID), symbol: symbol, tradeID: TradeID.normalized(tradeText),
            action: action, side: side, status: status, quantity: legacyColumn ? nil : quantity,
            legacyQuantity: legacyColumn ? quantity : nil, filledQuantity: .zero, price: price.map { ExactDecimal($0) },
            exchangeOrderID: exchangeOrderID, clientOrderID: ClientOrderID.normalized(clientOrderID), filledAt: filledAt,
            createdAt: createdAt))
        for text in [symbol, tradeText ?? "", exchangeOrderID ?? "", clientOrderID ?? ""] where !PostgresRunbook.isASCII(text) {
            hasNonASCII = true
        }
    }

    init(seed: Int, profileID: String) throws {
        self.profileID = profileID
        random = SplitMix64(seed: UInt64(seed))
        var symbols = ["BTC-USD", "ETH-USD"]
        if chance(12) { symbols.append("ÉTH-USD") }
        // Mostly ids of the SDK's own form (36 bytes: the targeted read keeps only the trades it
        // needs), sometimes short legacy ids (one inside another: ambiguous containment tags).
        var tradePool = chance(4)
            ? ["TRD-a", "TRD-a1", "TRD-a10", "TRD-b", "TRD-c"]
            : (0..<5).map { TradeID.generate(profileID: try! ProfileID(profileID), symbol: "any", entryKey: "\($0)").rawValue }
        if chance(10) { tradePool.append("  ") }
        if chance(12) { tradePool.append("TRD-é") }
        let exchangePool = ["x1", "x2", "x3", "x4", "x5", "x6"]
        paused = chance(8) ? nil : !chance(8)

        var used = Set<String>()
        for _ in 0..<int(1...8) {
            let symbol = pick(symbols)
            let trade = pick(tradePool)
            guard used.insert(symbol + "|" + trade).inserted else { continue }
            let side: PositionSide = chance(3) ? .short : .long
            for _ in 0..<int(1...2) {
                try add(symbol: symbol, tradeText: trade, action: .entry, side: chance(6) ? nil : side,
                        status: chance(4) ? .partiallyFilled : .filled, quarters: int(1...8), price: chance(5) ? nil : int(100...105),
                        exchangeOrderID: "e\(orderNumber)", clientOrderID: nil, filledMinutesAgo: chance(8) ? nil : int(0...6000))
            }
            for _ in 0..<int(0...2) {
                try add(symbol: symbol, tradeText: trade, action: .exit, side: side, status: chance(3) ? .partiallyFilled : .filled,
                        quarters: int(1...4), price: int(100...105), exchangeOrderID: chance(2) ? pick(exchangePool) : "k\(orderNumber)",
                        clientOrderID: chance(3) ? "EXT-\(orderNumber)" : nil, filledMinutesAgo: int(0...6000))
            }
            if chance(6) {
                try add(symbol: symbol, tradeText: trade, action: .exit, side: side, status: chance(2) ? .pending : .open,
                        quarters: 1, price: nil, exchangeOrderID: nil, clientOrderID: nil, filledMinutesAgo: nil)
            }
            if chance(3) {
                let client = chance(10) ? "EXT-é\(orderNumber)" : "EXT-c\(orderNumber)"
                exitClientOrderIDs.append(client)
                try add(symbol: symbol, tradeText: trade, action: .exit, side: side, status: .cancelled, quarters: 1, price: nil,
                        exchangeOrderID: nil, clientOrderID: client, filledMinutesAgo: nil)
            }
            if chance(5) {
                try add(symbol: symbol, tradeText: trade, action: .entry, side: side, status: chance(2) ? .rejected : .expired,
                        quarters: 2, price: 100, exchangeOrderID: nil, clientOrderID: nil, filledMinutesAgo: nil)
            }
        }
        // Closed trades: their ids tag fills in the full read (which then go to no open lifecycle).
        var closedTrades: [String] = []
        for _ in 0..<(chance(2) ? int(1...2) : 0) {
            let symbol = pick(symbols)
            let trade = pick(tradePool)
            guard used.insert(symbol + "|" + trade).inserted else { continue }
            closedTrades.append(trade)
            let quarters = int(1...4)
            try add(symbol: symbol, tradeText: trade, action: .entry, side: .long, status: .filled, quarters: quarters, price: 100,
                    exchangeOrderID: "ce\(orderNumber)", clientOrderID: nil, filledMinutesAgo: int(3000...6000))
            try add(symbol: symbol, tradeText: trade, action: .exit, side: .long, status: .filled, quarters: quarters, price: 101,
                    exchangeOrderID: "cx\(orderNumber)", clientOrderID: nil, filledMinutesAgo: int(0...2999))
        }
        // Rows without trade id: a counted EXIT carrying a fill's exchange order id, a manual row.
        if chance(3) {
            try add(symbol: pick(symbols), tradeText: nil, action: .exit, side: nil, status: .filled, quarters: 1, price: 100,
                    exchangeOrderID: pick(exchangePool), clientOrderID: nil, filledMinutesAgo: int(0...600))
        }
        if chance(3) {
            try add(symbol: pick(symbols), tradeText: nil, action: nil, side: nil, status: .filled, quarters: 1, price: 100,
                    exchangeOrderID: pick(exchangePool), clientOrderID: nil, filledMinutesAgo: int(0...600))
        }
        // Another profile with the same ids: never read into this profile's plan.
        try add(symbol: "BTC-USD", tradeText: "TRD-a", action: .entry, side: .long, status: .filled, quarters: 3, price: 100,
                exchangeOrderID: "x1", clientOrderID: "EXT-c1", filledMinutesAgo: 100, profile: profileID + "-other")

        for index in 0..<int(0...8) {
            var client: String?
            switch int(0...4) {
            case 0: client = exitClientOrderIDs.isEmpty ? nil : pick(exitClientOrderIDs)
            case 1: client = "tag-\(pick(closedTrades.isEmpty || chance(3) ? tradePool : closedTrades))-z"
            case 2: client = "noise-\(index)"
            default: client = nil
            }
            let exchangeOrderID = chance(2) ? pick(exchangePool) : "f\(index)"
            let fillProfile = chance(10) ? profileID + "-other" : profileID
            let fill = try ExchangeFill(
                profileID: ProfileID(fillProfile), symbol: pick(symbols), side: chance(2) ? .buy : .sell,
                exchangeOrderID: exchangeOrderID, clientOrderID: ClientOrderID.normalized(client), quantity: Self.quarters(int(1...10)),
                price: ExactDecimal(int(99...106)), filledAt: Self.time(minutesBeforeNow: int(-60...(72 * 60 + 600))))
            fills.append(fill)
            if fillProfile == profileID, !PostgresRunbook.isASCII(exchangeOrderID + (client ?? "")) { hasNonASCII = true }
        }
        for symbol in symbols where chance(5) {
            positions.append(try ExchangePosition(profileID: ProfileID(profileID), symbol: symbol, quantity: Self.quarters(int(1...3))))
        }
    }

    var profileSQL: String? {
        paused.map { "INSERT INTO trade_profiles (profile_id, paused, updated_at) VALUES (\(sqlLiteral(profileID)), \($0), '2026-02-15T00:00:00Z')" }
    }

    var exchange: ExchangeSnapshot { ExchangeSnapshot(positions: positions, fills: fills) }

    var profile: TradingProfile? {
        paused.map { TradingProfile(profileID: try! ProfileID(profileID), isPaused: $0, updatedAt: try! Timestamp("2026-02-15T00:00:00Z")) }
    }
}

/// The constraints that refuse legacy spellings on new rows: dropped in the database of the
/// property test, which writes legacy rows case after case into one migrated database.
let legacySpellingConstraintDrops = [
    "ALTER TABLE orders DROP CONSTRAINT chk_orders_action_lifecycle",
    "ALTER TABLE orders DROP CONSTRAINT chk_orders_trade_id_not_blank",
    "ALTER TABLE orders DROP CONSTRAINT chk_orders_trade_id_format",
]

extension RunbookPostgresTests {
    @Suite(
        "Runbook: backfill plan on PostgreSQL",
        .enabled(if: PostgresTestEnvironment.shouldRun, PostgresTestEnvironment.skipNotice)
    )
    struct RunbookBackfillPlanTests {
        @Test("the targeted read and the full read give the planner's plan over the same orders in memory")
        func targetedReadEqualsThePlanOverEveryOrder() async throws {
            try await TestDatabase.withMigrated { database in
                try await database.connect { connection in
                    for statement in legacySpellingConstraintDrops { try await connection.run(statement) }
                }
                let runbook = database.runbook
                // Counts of the strategies taken and of plans with rows.
                let tally = Mutex<(strategies: [BackfillReadStrategy: Int], nonEmptyPlans: Int, partialReads: Int)>(([:], 0, 0))
                await propertyCheck(count: 120, input: Gen.int(in: 0...1_000_000_000)) { seed in
                    let generated = try GeneratedBackfillCase(seed: seed, profileID: "p\(seed)")
                    try await database.connect { connection in
                        try await connection.insert(generated.rows)
                        if let statement = generated.profileSQL { try await connection.run(statement) }
                    }
                    let profileID = try ProfileID(generated.profileID)
                    let expected = try BackfillPlanner.plan(
                        profileID: profileID, orders: generated.orders, profile: generated.profile, exchange: generated.exchange,
                        configuration: GeneratedBackfillCase.configuration, now: GeneratedBackfillCase.now)
                    let targeted = try await runbook.planBackfill(
                        profileID: profileID, exchange: generated.exchange, configuration: GeneratedBackfillCase.configuration,
                        now: GeneratedBackfillCase.now, allowTargetedRead: true)
                    let full = try await runbook.planBackfill(
                        profileID: profileID, exchange: generated.exchange, configuration: GeneratedBackfillCase.configuration,
                        now: GeneratedBackfillCase.now, allowTargetedRead: false)
                    #expect(targeted.plan.rows == expected.rows, "seed \(seed): targeted read")
                    #expect(targeted.plan.openLifecycleCount == expected.openLifecycleCount, "seed \(seed)")
                    #expect(full.plan.rows == expected.rows, "seed \(seed): full read")
                    #expect(full.strategy == .allOrders)
                    #expect(full.ordersRead == generated.orders.count)
                    #expect(targeted.ordersRead <= generated.orders.count)
                    #expect(targeted.strategy == (generated.hasNonASCII ? .allOrders : .dependentOrders), "seed \(seed)")
                    tally.withLock { tally in
                        tally.strategies[targeted.strategy, default: 0] += 1
                        if !expected.rows.isEmpty { tally.nonEmptyPlans += 1 }
                        if targeted.ordersRead < generated.orders.count { tally.partialReads += 1 }
                    }
                }
                // The generator reaches both strategies and plans with rows.
                let (strategies, nonEmptyPlans, partialReads) = tally.withLock { ($0.strategies, $0.nonEmptyPlans, $0.partialReads) }
                #expect(strategies[.dependentOrders, default: 0] > 60)
                #expect(strategies[.allOrders, default: 0] > 0)
                #expect(nonEmptyPlans > 60)
                // and the targeted read leaves orders out (the plan does not depend on them).
                #expect(partialReads > 30)
            }
        }

        @Test("a fill whose client order id contains a closed trade's id is that trade's: the targeted read finds the closed trade",
              arguments: ["TRD-" + String(repeating: "c", count: 32), "TRD-short"])
        func containmentOfAClosedTrade(closedTradeID: String) async throws {
            let openTradeID = "TRD-" + String(repeating: "a", count: 32)
            let rows = [
                OrderRowText(orderID: "o1", tradeID: openTradeID, action: "ENTRY", quantity: "1", price: "100", filledAt: "2026-02-15T09:00:00Z"),
                OrderRowText(orderID: "c1", tradeID: closedTradeID, action: "ENTRY", quantity: "2", price: "100", filledAt: "2026-02-15T08:00:00Z"),
                OrderRowText(orderID: "c2", tradeID: closedTradeID, action: "EXIT", quantity: "2", price: "100", filledAt: "2026-02-15T08:30:00Z"),
            ]
            try await TestDatabase.withMigrated(seed: [
                try #require(OrderRowText.insert(rows)), "INSERT INTO trade_profiles (profile_id, paused) VALUES ('p1', true)",
            ]) { database in
                let fill = try ExchangeFill(profileID: ProfileID("p1"), symbol: "BTC-USD", side: .sell, exchangeOrderID: "x1",
                                            clientOrderID: ClientOrderID("tag-\(closedTradeID)-z"), quantity: ExactDecimal(1),
                                            price: ExactDecimal(101), filledAt: Timestamp("2026-02-15T10:00:00Z"))
                let configuration = try BackfillConfiguration(isEnabled: true)
                let expected = try Self.planOfPausedP1(orders: rows.map { try $0.order() }, fill: fill, configuration: configuration)
                #expect(expected.rows.map(\.reason) == [.missingFillEvidenceForLargeRemainder], "the tagged fill is not the open trade's")
                let targeted = try await database.runbook.planBackfill(profileID: ProfileID("p1"), exchange: ExchangeSnapshot(fills: [fill]),
                                                                       configuration: configuration, now: GeneratedBackfillCase.now,
                                                                       allowTargetedRead: true)
                #expect(targeted.strategy == .dependentOrders)
                #expect(targeted.plan.rows == expected.rows)
            }
        }

        @Test("an order id equal to a fill's in Swift but not byte for byte, in a trade the scan does not keep, makes the plan read every order",
              arguments: [(exchange: "\u{212A}x9", client: nil), (exchange: "cx1", client: "EXT-\u{212A}9")] as [(exchange: String, client: String?)])
        func canonicallyEqualIDInAClosedTrade(exchangeOrderID: String, clientOrderID: String?) async throws {
            // U+212A KELVIN SIGN is canonically equivalent to "K": Swift's == says the ids are equal.
            #expect(exchangeOrderID == "Kx9" || clientOrderID == "EXT-K9")
            let openTradeID = "TRD-" + String(repeating: "a", count: 32)
            let closedTradeID = "TRD-" + String(repeating: "c", count: 32)
            let rows = [
                OrderRowText(orderID: "o1", tradeID: openTradeID, action: "ENTRY", quantity: "1", price: "100", filledAt: "2026-02-15T09:00:00Z"),
                OrderRowText(orderID: "c1", tradeID: closedTradeID, action: "ENTRY", quantity: "2", price: "100", filledAt: "2026-02-15T08:00:00Z"),
                OrderRowText(orderID: "c2", tradeID: closedTradeID, action: "EXIT", quantity: "2", price: "100", exchangeOrderID: exchangeOrderID,
                             clientOrderID: clientOrderID, filledAt: "2026-02-15T08:30:00Z"),
                // Another profile's row, never read.
                OrderRowText(orderID: "q1", profileID: "p2", tradeID: openTradeID, action: "ENTRY", quantity: "5", price: "100",
                             exchangeOrderID: "Kx9", filledAt: "2026-02-15T09:00:00Z"),
            ]
            try await TestDatabase.withMigrated(seed: [
                try #require(OrderRowText.insert(rows)), "INSERT INTO trade_profiles (profile_id, paused) VALUES ('p1', true)",
            ]) { database in
                let fill = try ExchangeFill(profileID: ProfileID("p1"), symbol: "BTC-USD", side: .sell, exchangeOrderID: "Kx9",
                                            clientOrderID: ClientOrderID("EXT-K9"), quantity: ExactDecimal(1),
                                            price: ExactDecimal(101), filledAt: Timestamp("2026-02-15T10:00:00Z"))
                let configuration = try BackfillConfiguration(isEnabled: true)
                let orders = try rows.filter { $0.profileID == "p1" }.map { try $0.order() }
                let expected = try Self.planOfPausedP1(orders: orders, fill: fill, configuration: configuration)
                // Without the closed trade's EXIT the fill would be evidence for the open trade.
                let withoutClosedTrade = try Self.planOfPausedP1(orders: [orders[0]], fill: fill, configuration: configuration)
                #expect(expected.rows != withoutClosedTrade.rows, "the closed trade's EXIT changes the plan")
                let targeted = try await database.runbook.planBackfill(profileID: ProfileID("p1"), exchange: ExchangeSnapshot(fills: [fill]),
                                                                       configuration: configuration, now: GeneratedBackfillCase.now,
                                                                       allowTargetedRead: true)
                #expect(targeted.strategy == .allOrders)
                #expect(targeted.ordersRead == 3)
                #expect(targeted.plan.rows == expected.rows)
            }
        }

        /// The core planner's plan for profile p1, paused, with one fill, at the cases' `now`.
        static func planOfPausedP1(orders: [Order], fill: ExchangeFill, configuration: BackfillConfiguration) throws -> BackfillPlan {
            try BackfillPlanner.plan(profileID: ProfileID("p1"), orders: orders,
                                     profile: TradingProfile(profileID: ProfileID("p1"), isPaused: true, updatedAt: GeneratedBackfillCase.now),
                                     exchange: ExchangeSnapshot(fills: [fill]), configuration: configuration, now: GeneratedBackfillCase.now)
        }

        /// The example of SPEC section 9, in the database.
        static let specExampleRows = [
            OrderRowText(orderID: "o1", tradeID: "TRD-a1", action: "ENTRY", quantity: "1.5", price: "100", exchangeOrderID: "x1",
                         filledAt: "2026-02-15T10:00:00.000Z"),
        ]
        static let specExampleFill = try! ExchangeFill(
            profileID: ProfileID("p1"), symbol: "BTC-USD", side: .sell, exchangeOrderID: "x9", clientOrderID: nil,
            quantity: ExactDecimal("1.5"), price: ExactDecimal(101), filledAt: Timestamp("2026-02-15T11:00:00.000Z"))

        @Test("the SPEC example: one fill_evidence row with the BFILL id PostgreSQL computes; nothing written")
        func specExample() async throws {
            try await TestDatabase.withMigrated(seed: [
                try #require(OrderRowText.insert(Self.specExampleRows)),
                "INSERT INTO trade_profiles (profile_id, paused) VALUES ('p1', true)",
            ]) { database in
                let exchange = ExchangeSnapshot(positions: [try ExchangePosition(profileID: ProfileID("p1"), symbol: "BTC-USD", quantity: .zero)],
                                                fills: [Self.specExampleFill])
                let configuration = try BackfillConfiguration(isEnabled: true)
                let result = try await database.runbook.planBackfill(
                    profileID: ProfileID("p1"), exchange: exchange, configuration: configuration,
                    now: Timestamp("2026-02-15T12:00:00.000Z"), allowTargetedRead: true)
                #expect(result.strategy == .dependentOrders)
                let row = try #require(result.plan.rows.first)
                #expect(result.plan.rows.count == 1)
                #expect(row.reason == .fillEvidence)
                #expect(row.filledQuantity == (try ExactDecimal("1.5")))
                let expectedID = try await database.connect { connection in
                    try await connection.backfillOrderID(profile: "p1", trade: "TRD-a1", exchangeOrderID: "x9", filledAt: "2026-02-15T11:00:00Z")
                }
                #expect(row.backfillOrderID?.rawValue == expectedID)
                let counts = try await database.connect { try await $0.column("n", "SELECT (SELECT count(*) FROM orders) + (SELECT count(*) FROM reconciliation_backfill_audit) AS n") }
                #expect(counts == ["1"])
            }
        }

        @Test("a disabled configuration plans nothing without reading")
        func disabled() async throws {
            var settings = try PostgresTestEnvironment.adminSettings()
            settings.port = 1
            let runbook = PostgresRunbook(settings: settings, logger: PostgresTestEnvironment.quietLogger)
            let plan = try await runbook.planBackfill(profileID: ProfileID("p1"), exchange: ExchangeSnapshot(),
                                                      configuration: .default, now: GeneratedBackfillCase.now)
            #expect(plan.rows.isEmpty)
        }

        @Test("a malformed row in a lifecycle the plan reads stops it, naming the order")
        func malformedRowInAnOpenLifecycle() async throws {
            try await TestDatabase.withMigrated(seed: [
                try #require(OrderRowText.insert(Self.specExampleRows + [
                    OrderRowText(orderID: "o2", tradeID: "TRD-a1", action: "EXIT", status: "halfway", quantity: "0.5"),
                ])),
            ]) { database in
                let error = await #expect(throws: PostgresRunbookError.self) {
                    try await database.runbook.planBackfill(profileID: ProfileID("p1"), exchange: ExchangeSnapshot(fills: [Self.specExampleFill]),
                                                            configuration: try BackfillConfiguration(isEnabled: true),
                                                            now: Timestamp("2026-02-15T12:00:00.000Z"))
                }
                #expect(error?.code == .invalidRow)
                #expect(error?.description.contains("order o2") == true)
            }
        }
    }
}
