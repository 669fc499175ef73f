import Crypto
import PropertyBased
import Testing
import TradeLifecycle
import TradeLifecycleTesting

private typealias F = BackfillFixtures

/// A generated scenario: lifecycles of one ENTRY each, untagged fills, quantities in quarters.
private struct Scenario {
    struct Trade {
        let id: String
        let symbol: String
        let side: PositionSide
        let quarters: Int
        let entryMinute: Int
        let blocked: Bool
    }

    struct Fill {
        let exchangeOrderID: String
        let symbol: String
        let side: OrderSide
        let quarters: Int
        let minute: Int
    }

    var trades: [Trade] = []
    var fills: [Fill] = []

    /// Minutes are counted from now - 80 hours; the window starts at minute 480.
    static let windowStartMinute = 8 * 60
    static let nowMinute = 80 * 60

    init(seed: Int) {
        var random = SplitMix64(seed: UInt64(seed))
        let symbols = ["BTC-USD", "ETH-USD"]
        for index in 0..<Int.random(in: 1...7, using: &random) {
            trades.append(Trade(
                id: "TRD-\(Int.random(in: 0...3, using: &random))\(index)", symbol: symbols.randomElement(using: &random)!,
                side: Bool.random(using: &random) ? .long : .short, quarters: Int.random(in: 1...12, using: &random),
                entryMinute: Int.random(in: 0...Self.nowMinute, using: &random), blocked: Int.random(in: 0..<6, using: &random) == 0))
        }
        for index in 0..<Int.random(in: 0...9, using: &random) {
            fills.append(Fill(
                exchangeOrderID: "x\(Int.random(in: 0...9, using: &random))-\(index)", symbol: symbols.randomElement(using: &random)!,
                side: Bool.random(using: &random) ? .buy : .sell, quarters: Int.random(in: 1...14, using: &random),
                minute: Int.random(in: 0...(Self.nowMinute + 60), using: &random)))
        }
    }

    static func time(minute: Int) -> Timestamp {
        Timestamp(microsecondsSinceEpoch: 1_771_156_800_000_000 - Int64(nowMinute) * 60_000_000 + Int64(minute) * 60_000_000)
    }

    static func quarters(_ count: Int) -> ExactDecimal {
        ExactDecimal(units: Int128(count) * 250_000_000_000_000_000)
    }

    func orders() throws -> [Order] {
        var orders: [Order] = []
        for trade in trades {
            orders.append(try Order(
                orderID: OrderID("e-\(trade.id)"), profileID: ProfileID("p1"), symbol: trade.symbol, tradeID: TradeID(trade.id),
                action: .entry, side: trade.side, status: .filled, quantity: Self.quarters(trade.quarters), price: ExactDecimal(100),
                filledAt: Self.time(minute: trade.entryMinute), createdAt: Self.time(minute: 0)))
            if trade.blocked {
                orders.append(try Order(
                    orderID: OrderID("b-\(trade.id)"), profileID: ProfileID("p1"), symbol: trade.symbol, tradeID: TradeID(trade.id),
                    action: .exit, side: trade.side, status: .pending, quantity: Self.quarters(1), price: nil,
                    createdAt: Self.time(minute: 0)))
            }
        }
        return orders
    }

    func exchangeFills() throws -> [ExchangeFill] {
        try fills.map { fill in
            try ExchangeFill(profileID: ProfileID("p1"), symbol: fill.symbol, side: fill.side, exchangeOrderID: fill.exchangeOrderID,
                             clientOrderID: nil, quantity: Self.quarters(fill.quarters), price: ExactDecimal(100 + fill.minute % 7),
                             filledAt: Self.time(minute: fill.minute))
        }
    }

    /// The rows SPEC section 6 describes, computed directly (quadratically) from its text:
    /// "trade reason exchange_order_id quarters".
    func expectedRows() -> [String] {
        let lifecycles = trades.sorted { left, right in
            if left.entryMinute != right.entryMinute { return left.entryMinute < right.entryMinute }
            return Array(left.id.utf8).lexicographicallyPrecedes(Array(right.id.utf8))
        }
        var remaining = Dictionary(uniqueKeysWithValues: trades.map { ($0.id, $0.quarters) })
        var portions: [String: [(String, Int)]] = [:]
        let usable = fills
            .filter { $0.minute >= Self.windowStartMinute && $0.minute <= Self.nowMinute }
            .sorted { ($0.minute, $0.exchangeOrderID) < ($1.minute, $1.exchangeOrderID) }
        for fill in usable {
            var left = fill.quarters
            for trade in lifecycles where left > 0 && trade.symbol == fill.symbol && trade.entryMinute <= fill.minute
                && (trade.side == .long ? OrderSide.sell : .buy) == fill.side && remaining[trade.id]! > 0 {
                let take = min(left, remaining[trade.id]!)
                remaining[trade.id]! -= take
                left -= take
                portions[trade.id, default: []].append((fill.exchangeOrderID, take))
            }
        }
        var rows: [String] = []
        let ordered = trades.sorted { left, right in
            left.symbol != right.symbol ? left.symbol < right.symbol : Array(left.id.utf8).lexicographicallyPrecedes(Array(right.id.utf8))
        }
        for trade in ordered {
            if trade.blocked {
                rows.append("\(trade.id) pending_lifecycle_blocker - -")
                continue
            }
            for (exchangeOrderID, quarters) in portions[trade.id] ?? [] {
                rows.append("\(trade.id) fill_evidence \(exchangeOrderID) \(quarters)")
            }
            if remaining[trade.id]! > 0 {
                rows.append("\(trade.id) missing_fill_evidence_for_large_remainder - \(remaining[trade.id]!)")
            }
        }
        return rows
    }
}

@Suite("Backfill planner: properties")
struct BackfillPlannerPropertyTests {
    private func describe(_ plan: BackfillPlan) -> [String] {
        plan.rows.map { row in
            let quarters = row.filledQuantity.map { String(Int($0.units / 250_000_000_000_000_000)) } ?? "-"
            return "\(row.tradeID) \(row.reason.rawValue) \(row.exchangeOrderID ?? "-") \(quarters)"
        }
    }

    @Test("the planner's rows equal a direct evaluation of the FIFO rules")
    func matchesDirectEvaluation() async {
        await propertyCheck(count: 300, input: Gen.int(in: 0...1_000_000_000)) { seed in
            let scenario = Scenario(seed: seed)
            // Trade ids may repeat across generated trades; keep scenarios with unique ids.
            guard Set(scenario.trades.map(\.id)).count == scenario.trades.count else { return }
            let plan = try F.plan(orders: try scenario.orders(), fills: try scenario.exchangeFills(),
                                  now: Scenario.time(minute: Scenario.nowMinute))
            #expect(describe(plan) == scenario.expectedRows(), "seed \(seed)")
        }
    }

    @Test("the plan does not depend on the order of the orders and fills; covered never exceeds open")
    func orderIndependence() async {
        await propertyCheck(count: 200, input: Gen.int(in: 0...1_000_000_000)) { seed in
            let scenario = Scenario(seed: seed)
            guard Set(scenario.trades.map(\.id)).count == scenario.trades.count else { return }
            var random = SplitMix64(seed: UInt64(seed) &* 31)
            let orders = try scenario.orders()
            let fills = try scenario.exchangeFills()
            let now = Scenario.time(minute: Scenario.nowMinute)
            let plan = try F.plan(orders: orders, fills: fills, now: now)
            let shuffled = try F.plan(orders: orders.shuffled(using: &random), fills: fills.shuffled(using: &random), now: now)
            #expect(plan == shuffled)
            var covered: [String: ExactDecimal] = [:]
            for row in plan.rows where row.reason == .fillEvidence {
                covered[row.tradeID.rawValue] = try (covered[row.tradeID.rawValue] ?? .zero).adding(row.filledQuantity!)
                #expect(row.filledQuantity!.isPositive)
            }
            for row in plan.rows {
                #expect((covered[row.tradeID.rawValue] ?? .zero) <= row.openQuantity)
            }
        }
    }
}

@Suite("Backfill planner: SPEC section 9 example")
struct BackfillSpecExampleTests {
    @Test("the example gives one DRY_RUN fill_evidence row with the BFILL id PostgreSQL computes")
    func specExample() async throws {
        let entry = try F.order("o1", symbol: "BTC-USD", trade: "TRD-a1", action: .entry, side: .long, status: .filled,
                                quantity: "1.5", price: "100", exchangeOrderID: "x1", clientOrderID: nil,
                                filledAt: "2026-02-15T10:00:00.000Z")
        let store = try await F.store(orders: [entry], paused: true)
        _ = try await store.saveProfile(try F.pausedProfile(true))
        let engine = BackfillEngine(store: store, clock: ManualWallClock(try F.time("2026-02-15T12:00:00.000Z")),
                                    configuration: try F.configuration(enabled: true, dryRun: true, requirePause: true,
                                                                       dustAbs: "0.001", dustRel: "0.002", lookbackHours: 72))
        let snapshot = ExchangeSnapshot(
            positions: [try F.position("0")],
            fills: [try F.fill("x9", symbol: "BTC-USD", side: .sell, quantity: "1.5", price: "101", clientOrderID: nil,
                               at: "2026-02-15T11:00:00.000Z")])
        let result = try await engine.run(profileID: try F.profileID("p1"), exchange: snapshot)

        // md5("p1:TRD-a1:x9:2026-02-15T11:00:00.000Z"), computed by swift-crypto.
        let digest = Insecure.MD5.hash(data: Array("p1:TRD-a1:x9:2026-02-15T11:00:00.000Z".utf8))
        let expectedID = "BFILL-" + digest.map { byte in
            let hex = String(byte, radix: 16)
            return byte < 16 ? "0" + hex : hex
        }.joined()

        #expect(result.records.count == 1)
        let record = try #require(result.records.first)
        #expect(record.batchID == result.batchID)
        #expect(record.profileID.rawValue == "p1" && record.symbol == "BTC-USD" && record.tradeID.rawValue == "TRD-a1")
        #expect(record.decision == .dryRun && record.decision.rawValue == "DRY_RUN")
        #expect(record.reason.rawValue == "fill_evidence")
        #expect(record.openQuantity.description == "1.5" && record.filledQuantity?.description == "1.5")
        #expect(record.price?.description == "101")
        #expect(record.backfillOrderID?.rawValue == expectedID)
        #expect(record.exchangeOrderID == "x9" && record.exchangeClientOrderID == nil)
        #expect(record.filledAt?.millisecondText == "2026-02-15T11:00:00.000Z")
        // Dry run: the audit row is written, no order.
        #expect(try await store.auditRecords(batchID: result.batchID) == [record])
        #expect(try await store.orders(matching: OrderQuery(profileID: try F.profileID())).map(\.orderID.rawValue) == ["o1"])
    }
}
