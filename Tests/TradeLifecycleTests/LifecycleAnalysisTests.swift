import PropertyBased
import Testing
@testable import TradeLifecycle
import TradeLifecycleTesting

private typealias F = LifecycleFixtures

private func key(_ profile: String = "p1", _ symbol: String = "BTC-USD", _ trade: String = "TRD-a") throws -> LifecycleKey {
    LifecycleKey(profileID: try ProfileID(profile), symbol: symbol, tradeID: try TradeID(trade))
}

@Suite("Lifecycle analysis")
struct LifecycleAnalysisTests {
    @Test("sums count filled and partially filled orders with COALESCE(quantity, qty, 0)")
    func sums() throws {
        let orders = [
            try F.order("e1", quantity: "1.5"),
            try F.order("e2", status: .partiallyFilled, quantity: nil, qty: "0.25"),
            try F.order("e3", quantity: nil, qty: nil),
            try F.order("e4", status: .cancelled, quantity: "100"),
            try F.order("e5", status: .open, quantity: "100"),
            try F.order("x1", action: .exit, quantity: "0.5", qty: "99"),
            try F.order("x2", action: .exit, status: .expired, quantity: "7"),
            try F.order("n1", action: nil, quantity: "1000"),
        ]
        let analysis = try LifecycleAnalysis(orders: orders)
        #expect(analysis.summaries.count == 1)
        let summary = try #require(analysis.summary(for: try key()))
        #expect(summary.entryQuantity == (try ExactDecimal("1.75")))
        #expect(summary.exitQuantity == (try ExactDecimal("0.5")))
        #expect(summary.openQuantity == (try ExactDecimal("1.25")))
        #expect(summary.isOpen)
        #expect(analysis.anomalies.isEmpty)
    }

    @Test("orders without trade id or without action form no lifecycle sums")
    func nullTradeAndAction() throws {
        let orders = [
            try F.order("a", trade: nil, action: nil, quantity: "1"),
            try F.order("b", trade: "   ", action: nil, quantity: "1"),
            try F.order("c", trade: "TRD-n", action: nil, quantity: "3", filledAt: 9),
        ]
        let analysis = try LifecycleAnalysis(orders: orders)
        // The SQL groups the action-NULL row of TRD-n with zero sums; the rows without trade id are left out.
        #expect(analysis.summaries.map(\.key) == [try key("p1", "BTC-USD", "TRD-n")])
        let summary = analysis.summaries[0]
        #expect(summary.entryQuantity == .zero && summary.exitQuantity == .zero && !summary.isOpen)
        #expect(summary.lastFilledAt == F.time(9))
        #expect(summary.firstEntryOrderID == nil && summary.side == .long && summary.averageEntryPrice == nil)
        #expect(analysis.anomalies.isEmpty, "rows without action are legacy/manual rows, not missing_trade_id")
    }

    @Test("the first ENTRY is the earliest by filled_at or created_at, then order id; it gives the side")
    func firstEntry() throws {
        let orders = [
            try F.order("e-late", side: .long, filledAt: 30),
            try F.order("e-b", side: .long, filledAt: 10),
            try F.order("e-a", side: .short, filledAt: 10),
            try F.order("e-created", side: .long, filledAt: nil, createdAt: 20),
            try F.order("e-zero", side: .long, quantity: nil, filledAt: 1),
            try F.order("e-cancelled", side: .long, status: .cancelled, filledAt: 1),
            try F.order("x", action: .exit, side: .long, quantity: "1", filledAt: 2),
        ]
        let summary = try #require(try LifecycleAnalysis(orders: orders).summaries.first)
        #expect(summary.firstEntryOrderID?.rawValue == "e-a")
        #expect(summary.firstEntryAt == F.time(10))
        #expect(summary.side == .short)
        #expect(summary.lastFilledAt == F.time(30))

        let byCreation = try LifecycleAnalysis(orders: [try F.order("late", filledAt: 50), try F.order("early", filledAt: nil, createdAt: 40)])
        #expect(byCreation.summaries.first?.firstEntryOrderID?.rawValue == "early")
        #expect(byCreation.summaries.first?.firstEntryAt == F.time(40))
        #expect(byCreation.summaries.first?.side == .long, "a missing side is long")
    }

    @Test("the average entry price is quantity-weighted over priced ENTRY orders and rounded once, half-even")
    func averageEntryPrice() throws {
        let orders = [
            try F.order("e1", quantity: "1", price: "100"),
            try F.order("e2", quantity: "3", price: "104"),
            try F.order("e3", quantity: "5", price: nil),
            try F.order("x1", action: .exit, quantity: "1", price: "1"),
            try F.order("e4", status: .cancelled, quantity: "1", price: "1"),
        ]
        #expect(try LifecycleAnalysis(orders: orders).summaries.first?.averageEntryPrice == 103)

        let thirds = [try F.order("e1", quantity: "1", price: "1"), try F.order("e2", quantity: "2", price: "2")]
        #expect(try LifecycleAnalysis(orders: thirds).summaries.first?.averageEntryPrice == (try ExactDecimal("1.666666666666666667")))

        // (1e-18 * 1e-18 + 1e-18 * 3e-18) / 2e-18 = 2e-18 exactly, and
        // (1e-18 * 1e-18 + 1e-18 * 2e-18) / 2e-18 = 1.5e-18 -> 2e-18 (tie to even),
        // (1e-18 * 1e-18 + 1e-18 * 4e-18) / 2e-18 = 2.5e-18 -> 2e-18 (tie to even):
        // rounding each product first would give zero.
        let tiny = "0.000000000000000001"
        for (second, expected) in [("0.000000000000000003", "0.000000000000000002"), ("0.000000000000000002", "0.000000000000000002"),
                                   ("0.000000000000000004", "0.000000000000000002"), ("0.000000000000000006", "0.000000000000000004")] {
            let pair = [try F.order("e1", quantity: tiny, price: tiny), try F.order("e2", quantity: tiny, price: second)]
            #expect(try LifecycleAnalysis(orders: pair).summaries.first?.averageEntryPrice == (try ExactDecimal(expected)), "\(second)")
        }

        let unpriced = [try F.order("e1", quantity: "1"), try F.order("x1", action: .exit, quantity: "1", price: "5")]
        #expect(try LifecycleAnalysis(orders: unpriced).summaries.first?.averageEntryPrice == nil)
    }

    @Test("the average entry price of the largest quantities and prices does not overflow")
    func averageOfLargeValues() throws {
        let big = try ExactDecimal("100000000000000000000") // 1e20
        let orders = [
            try F.order("e1", quantity: big.description, price: big.description),
            try F.order("e2", quantity: "0.000000000000000001", price: "1"),
        ]
        let summary = try #require(try LifecycleAnalysis(orders: orders).summaries.first)
        // (1e20 * 1e20 + 1e-18) / (1e20 + 1e-18) is just below 1e20: 1e20 - 1e-18 * (1e20 - 1) / (1e20 + 1e-18).
        #expect(summary.averageEntryPrice == (try ExactDecimal("99999999999999999999.999999999999999999")))
    }

    @Test("a sum out of range is an overflow error naming the order")
    func overflow() throws {
        let nearMax = "100000000000000000000"
        let orders = [try F.order("e1", quantity: nearMax), try F.order("e2", quantity: nearMax)]
        let error = LifecycleFixtures.lifecycleError { _ = try LifecycleAnalysis(orders: orders) }
        #expect(error?.code == .overflow)
        #expect(error?.orderID?.rawValue == "e1" || error?.orderID?.rawValue == "e2")
        #expect(error?.description.contains("entry_qty") == true)
        let exits = [try F.order("x1", action: .exit, quantity: nearMax), try F.order("x2", action: .exit, quantity: nearMax)]
        #expect(LifecycleFixtures.lifecycleError { _ = try LifecycleAnalysis(orders: exits) }?.code == .overflow)
    }

    @Test("anomalies: orphan_exit, overclosed, missing_entry_order and missing_trade_id")
    func anomalies() throws {
        let orders = [
            // TRD-orphan: exits, no entry.
            try F.order("x1", trade: "TRD-orphan", action: .exit, quantity: "2"),
            try F.order("x2", trade: "TRD-orphan", action: .exit, status: .partiallyFilled, quantity: nil, qty: "0.5"),
            // TRD-over: exit 3 > entry 2 > 0.
            try F.order("e3", trade: "TRD-over", quantity: "2"),
            try F.order("x3", trade: "TRD-over", action: .exit, quantity: "3"),
            // TRD-closed and TRD-open: fine.
            try F.order("e4", trade: "TRD-closed", quantity: "2"),
            try F.order("x4", trade: "TRD-closed", action: .exit, quantity: "2"),
            try F.order("e5", trade: "TRD-open", quantity: "2"),
            // TRD-zero: an ENTRY without any quantity is no filled ENTRY.
            try F.order("e6", trade: "TRD-zero", quantity: nil),
            try F.order("x6", trade: "TRD-zero", action: .exit, quantity: "1"),
            // TRD-other in profile p2 only.
            try F.order("e7", profile: "p2", trade: "TRD-other", quantity: "1"),
            // Missing trade ids: counted ENTRY/EXIT rows only.
            try F.order("m2", symbol: "ETH-USD", trade: nil, action: .exit),
            try F.order("m1", symbol: "ETH-USD", trade: nil, action: .entry, status: .partiallyFilled),
            try F.order("m0", symbol: "ADA-USD", trade: nil, action: .entry),
            try F.order("m3", trade: nil, action: .entry, status: .cancelled),
            try F.order("m4", trade: nil, action: nil),
        ]
        let p1 = try ProfileID("p1")
        let references = [
            TradeReference(profileID: p1, symbol: "BTC-USD", tradeID: try TradeID("TRD-open"), source: .position),
            TradeReference(profileID: p1, symbol: nil, tradeID: try TradeID("TRD-gone"), source: .tradeHistory),
            TradeReference(profileID: p1, symbol: "BTC-USD", tradeID: try TradeID("TRD-gone"), source: .position),
            TradeReference(profileID: p1, symbol: nil, tradeID: try TradeID("TRD-gone"), source: .tradeHistory),
            TradeReference(profileID: p1, symbol: "BTC-USD", tradeID: try TradeID("TRD-other"), source: .tradeHistory),
            TradeReference(profileID: p1, symbol: "BTC-USD", tradeID: try TradeID("TRD-orphan"), source: .tradeHistory),
            TradeReference(profileID: try ProfileID("p2"), symbol: "BTC-USD", tradeID: try TradeID("TRD-other"), source: .position),
        ]
        let analysis = try LifecycleAnalysis(orders: orders, references: references)
        let expected: [LifecycleAnomaly] = [
            .orphanExit(try key("p1", "BTC-USD", "TRD-orphan"), exitQuantity: try ExactDecimal("2.5")),
            .overclosed(try key("p1", "BTC-USD", "TRD-over"), entryQuantity: 2, exitQuantity: 3),
            .orphanExit(try key("p1", "BTC-USD", "TRD-zero"), exitQuantity: 1),
            .missingEntryOrder(profileID: p1, symbol: nil, tradeID: try TradeID("TRD-gone"), source: .tradeHistory),
            .missingEntryOrder(profileID: p1, symbol: "BTC-USD", tradeID: try TradeID("TRD-gone"), source: .position),
            .missingEntryOrder(profileID: p1, symbol: "BTC-USD", tradeID: try TradeID("TRD-orphan"), source: .tradeHistory),
            .missingEntryOrder(profileID: p1, symbol: "BTC-USD", tradeID: try TradeID("TRD-other"), source: .tradeHistory),
            .missingTradeID(orderID: try OrderID("m0"), profileID: p1, symbol: "ADA-USD", action: .entry),
            .missingTradeID(orderID: try OrderID("m1"), profileID: p1, symbol: "ETH-USD", action: .entry),
            .missingTradeID(orderID: try OrderID("m2"), profileID: p1, symbol: "ETH-USD", action: .exit),
        ]
        #expect(analysis.anomalies == expected)
        #expect(analysis.anomalies.map(\.kind) == ["orphan_exit", "overclosed", "orphan_exit", "missing_entry_order", "missing_entry_order",
                                                   "missing_entry_order", "missing_entry_order", "missing_trade_id", "missing_trade_id",
                                                   "missing_trade_id"])
        #expect(analysis.anomalies(profileID: try ProfileID("p2")).isEmpty)
        #expect(analysis.anomalies[1].description.contains("exit_qty 3 > entry_qty 2"))
    }

    @Test("open lifecycles of a profile come by symbol then trade id in byte order; lookups find exact keys")
    func openLifecyclesOrder() throws {
        var orders: [Order] = []
        var index = 0
        for (profile, symbol, trade) in [("p1", "ÉTH", "TRD-a"), ("p1", "btc-usd", "TRD-a"), ("p1", "BTC-USD", "TRD-b"),
                                         ("p1", "BTC-USD", "TRD-B"), ("p1", "BTC-USD", "TRD-10"), ("p1", "BTC-USD", "TRD-9"),
                                         ("p10", "BTC-USD", "TRD-a"), ("p0", "BTC-USD", "TRD-a"), ("p1", "BTC-USD", "TRD-closed")] {
            index += 1
            orders.append(try F.order("o\(index)", profile: profile, symbol: symbol, trade: trade))
        }
        orders.append(try F.order("x", symbol: "BTC-USD", trade: "TRD-closed", action: .exit))
        let analysis = try LifecycleAnalysis(orders: orders.reversed())
        let open = analysis.openLifecycles(profileID: try ProfileID("p1")).map { "\($0.key.symbol)/\($0.key.tradeID)" }
        #expect(open == ["BTC-USD/TRD-10", "BTC-USD/TRD-9", "BTC-USD/TRD-B", "BTC-USD/TRD-b", "btc-usd/TRD-a", "ÉTH/TRD-a"])
        #expect(analysis.summaries(profileID: try ProfileID("p1")).count == 7)
        #expect(analysis.summaries.map(\.key.profileID.rawValue) == ["p0"] + Array(repeating: "p1", count: 7) + ["p10"])
        #expect(analysis.openLifecycles(profileID: try ProfileID("p")).isEmpty)
        #expect(analysis.openLifecycles(profileID: try ProfileID("p10")).count == 1)
        #expect(analysis.summary(for: try key("p1", "BTC-USD", "TRD-closed"))?.isOpen == false)
        #expect(analysis.summary(for: try key("p1", "BTC-USD", "TRD-c")) == nil)
        #expect(analysis.summary(for: try key("p2", "BTC-USD", "TRD-a")) == nil)
        #expect(try key("p1", "BTC-USD", "TRD-a") < (try key("p1", "BTC-USD", "TRD-b")))
        #expect(try key("p1", "Z", "TRD-z") < (try key("p10", "A", "TRD-a")))
    }

    @Test("text is grouped and ordered by its bytes, as PostgreSQL groups it, not by canonical equivalence")
    func bytesNotCanonicalEquivalence() throws {
        let precomposed = "\u{E9}TH"      // é as one scalar: bytes C3 A9
        let decomposed = "e\u{301}TH"     // e + combining acute: bytes 65 CC 81
        #expect(precomposed == decomposed, "Swift calls them equal")
        let orders = [try F.order("a", symbol: precomposed, quantity: "1"), try F.order("b", symbol: decomposed, quantity: "2"),
                      try F.order("c", symbol: decomposed, action: .exit, quantity: "2")]
        let analysis = try LifecycleAnalysis(orders: orders)
        #expect(try LifecycleAnalysis(orders: orders, references: [], hashMask: 0).summaries == analysis.summaries)
        #expect(analysis.summaries.count == 2)
        #expect(analysis.summaries.map { Array($0.key.symbol.utf8) } == [Array(decomposed.utf8), Array(precomposed.utf8)])
        #expect(analysis.summaries.map(\.openQuantity) == [0, 1])
        #expect(try key("p1", precomposed) != (try key("p1", decomposed)))
        #expect(analysis.summary(for: try key("p1", precomposed))?.entryQuantity == 1)
        let p1 = try ProfileID("p1")
        let references = [TradeReference(profileID: p1, symbol: precomposed, tradeID: try TradeID("TRD-x"), source: .position),
                          TradeReference(profileID: p1, symbol: decomposed, tradeID: try TradeID("TRD-x"), source: .position)]
        #expect(references[0] != references[1])
        #expect(try LifecycleAnalysis(orders: orders, references: references).anomalies.count == 2)
    }

    @Test("trade ids of every length are told apart by all their bytes", arguments: [1, 7, 8, 9, 20, 28, 35, 36, 37, 64, 200])
    func tradeIDLengths(_ length: Int) throws {
        let base = String(repeating: "x", count: length - 1)
        let ids = ["TRD-" + base + "a", "TRD-" + base + "b", "TRD-" + base + "a\u{0}", "TRD-" + base, "TRD-" + base + "a" + base + "z"]
        var orders: [Order] = []
        for (index, id) in ids.enumerated() {
            // Each id twice, as separate allocations, with index + 1 as quantity.
            for copy in 0..<2 {
                orders.append(try F.order("o\(index)-\(copy)", trade: String(decoding: Array(id.utf8), as: UTF8.self),
                                          quantity: String(index + 1)))
            }
        }
        // With all hashes equal, only the byte comparison keeps the lifecycles apart.
        for hashMask in [UInt64.max, 0] {
            let analysis = try LifecycleAnalysis(orders: orders.shuffled(), references: [], hashMask: hashMask)
            #expect(analysis.summaries.count == ids.count)
            for (index, id) in ids.enumerated() {
                #expect(analysis.summary(for: try key("p1", "BTC-USD", id))?.entryQuantity == ExactDecimal((index + 1) * 2),
                        "\(id.utf8.count) bytes, mask \(hashMask)")
            }
        }
    }

    @Test("the analysis does not depend on the order of its input")
    func shuffleInvariance() async {
        await propertyCheck(count: 60, input: Gen.int(in: 0...Int.max)) { seed in
            var random = SplitMix64(seed: UInt64(seed))
            let data = GeneratedLifecycleData(random: &random)
            let orders = try data.orders()
            let first = try LifecycleAnalysis(orders: orders, references: data.references)
            let second = try LifecycleAnalysis(orders: orders.shuffled(using: &random), references: data.references.shuffled(using: &random))
            #expect(first.summaries == second.summaries)
            #expect(first.anomalies == second.anomalies)
            // A sequence without contiguous storage takes the element-by-element path.
            let streamed = try LifecycleAnalysis(orders: AnySequence(orders), references: data.references)
            #expect(streamed.summaries == first.summaries)
            #expect(streamed.anomalies == first.anomalies)
        }
    }

    @Test("thousands of lifecycles over many profiles and symbols, long and short texts, agree with the reference query",
          arguments: [UInt64.max, 0])
    func manyLifecyclesAgreeWithReferenceQuery(_ hashMask: UInt64) throws {
        // Enough keys to grow the lifecycle table and the profile and symbol tables several
        // times, orders spread over many batches, and ids longer than the inline bytes.
        var random = SplitMix64(seed: 0x5EED_0F_11FE)
        var data = GeneratedLifecycleData(random: &random)
        data.references = []
        let profiles = (0..<40).map { index in index % 5 == 0 ? "profile-" + String(repeating: "p", count: 40) + "\(index)" : "p\(index)" }
        let symbols = (0..<30).map { index in index % 7 == 0 ? "\u{E9}TH-\(index)" : "SYM\(index)-USD" }
        let trades = (0..<900).map { index in index % 3 == 0 ? "TRD-" + String(repeating: "x", count: 40) + "\(index)" : "TRD-\(index)" }
        let statuses = ["filled", "filled", "partially_filled", "cancelled"]
        data.rows = (0..<4_000).map { index in
            GeneratedLifecycleData.Row(
                orderID: "o\(index)", profile: profiles.randomElement(using: &random)!,
                symbol: symbols.randomElement(using: &random)!,
                trade: Int.random(in: 0..<100, using: &random) < 95 ? trades.randomElement(using: &random)! : nil,
                action: ["ENTRY", "EXIT", nil].randomElement(using: &random)!,
                side: [nil, "long", "short"].randomElement(using: &random)!, status: statuses.randomElement(using: &random)!,
                quantity: Int64.random(in: 1...10_000_000_000, using: &random), qty: nil,
                price: Bool.random(using: &random) ? Int64.random(in: 1...1_000_000, using: &random) : nil,
                filledAt: Int64.random(in: 0...40, using: &random), createdAt: Int64.random(in: 0...40, using: &random))
        }
        let orders = try data.orders()
        let analysis = try LifecycleAnalysis(orders: orders.shuffled(using: &random), references: [], hashMask: hashMask)
        let reference = ReferenceLifecycleQuery(rows: data.rows, references: [])
        #expect(analysis.summaries.count > 1_000)
        #expect(analysis.summaries.count == reference.groups.count)
        for (summary, group) in zip(analysis.summaries, reference.groups) {
            #expect(summary.key.profileID.rawValue == group.profile && summary.key.symbol == group.symbol
                && summary.key.tradeID.rawValue == group.trade)
            #expect(summary.entryQuantity == GeneratedLifecycleData.decimal(quantityUnits: group.entry))
            #expect(summary.exitQuantity == GeneratedLifecycleData.decimal(quantityUnits: group.exit))
            #expect(summary.firstEntryOrderID?.rawValue == group.firstEntry?.orderID)
            #expect(summary.side.rawValue == (group.firstEntry?.side ?? "long"))
            #expect(summary.averageEntryPrice?.units == group.averagePriceUnits)
            #expect(summary.lastFilledAt == group.lastFilledAt.map(F.time))
        }
        #expect(Set(analysis.anomalies.map(\.description)) == reference.anomalies)
        // One order at a time (a sequence without contiguous storage) gives the same result.
        let streamed = try LifecycleAnalysis(orders: AnySequence(orders), references: [], hashMask: hashMask)
        #expect(streamed.summaries == analysis.summaries)
        #expect(streamed.anomalies == analysis.anomalies)
    }

    @Test("the analysis agrees with a direct evaluation of the reference detection query on generated data")
    func agreesWithReferenceQuery() async {
        await propertyCheck(count: 150, input: Gen.int(in: 0...Int.max)) { seed in
            var random = SplitMix64(seed: UInt64(seed))
            let data = GeneratedLifecycleData(random: &random)
            // Every other run makes all key hashes collide, so keys are told apart by bytes alone.
            let analysis = try LifecycleAnalysis(orders: try data.orders(), references: data.references,
                                                 hashMask: seed.isMultiple(of: 2) ? 0 : .max)
            let reference = ReferenceLifecycleQuery(rows: data.rows, references: data.references)

            #expect(analysis.summaries.count == reference.groups.count)
            for (summary, group) in zip(analysis.summaries, reference.groups) {
                #expect(summary.key.profileID.rawValue == group.profile)
                #expect(summary.key.symbol == group.symbol)
                #expect(summary.key.tradeID.rawValue == group.trade)
                #expect(summary.entryQuantity == GeneratedLifecycleData.decimal(quantityUnits: group.entry))
                #expect(summary.exitQuantity == GeneratedLifecycleData.decimal(quantityUnits: group.exit))
                #expect(summary.openQuantity == GeneratedLifecycleData.decimal(quantityUnits: group.entry - group.exit))
                #expect(summary.firstEntryOrderID?.rawValue == group.firstEntry?.orderID)
                #expect(summary.firstEntryAt.map { $0 == F.time(group.firstEntry!.at) } ?? (group.firstEntry == nil))
                #expect(summary.side.rawValue == (group.firstEntry?.side ?? "long"))
                #expect(summary.averageEntryPrice?.units == group.averagePriceUnits)
                #expect(summary.lastFilledAt == group.lastFilledAt.map(F.time))
            }
            for profile in GeneratedLifecycleData.profiles {
                let open = analysis.openLifecycles(profileID: try ProfileID(profile)).map {
                    "\($0.key.symbol)|\($0.key.tradeID.rawValue)|\($0.entryQuantity)|\($0.exitQuantity)|\($0.openQuantity)"
                }
                let expected = reference.detectionQuery(profile: profile).map {
                    "\($0.symbol)|\($0.trade)|\(GeneratedLifecycleData.decimal(quantityUnits: $0.entry))|\(GeneratedLifecycleData.decimal(quantityUnits: $0.exit))|\(GeneratedLifecycleData.decimal(quantityUnits: $0.entry - $0.exit))"
                }
                #expect(open == expected)
            }
            #expect(analysis.anomalies.count == reference.anomalies.count)
            #expect(Set(analysis.anomalies.map(\.description)) == reference.anomalies)
        }
    }
}

/// Random `orders` rows as a database holds them (text statuses and actions, numeric columns as
/// integer counts of 10⁻⁸ for quantities and 10⁻² for prices, times in seconds).
struct GeneratedLifecycleData {
    struct Row {
        var orderID: String
        var profile: String
        var symbol: String
        var trade: String?
        var action: String?
        var side: String?
        var status: String
        var quantity: Int64?
        var qty: Int64?
        var price: Int64?
        var filledAt: Int64?
        var createdAt: Int64
    }

    static let profiles = ["p1", "p10", "p2"]
    static let symbols = ["BTC-USD", "btc-usd", "ÉTH"]
    static let trades = ["TRD-a", "TRD-B", "TRD-b", "TRD-10", "TRD-9", "legacy 7"]
    /// Status text as stored: canonical forms and the aliases the database may hold in lower case.
    /// (Upper-case or `partial` text would be counted by the SDK, which normalises it, but not by
    /// the reference query's text comparison; the database stores these forms only.)
    static let statuses = ["filled", "partially_filled", "partially-filled", "canceled", "cancelled", "open", "new",
                           "pending", "accepted", "rejected", "expired"]

    var rows: [Row] = []
    var references: [TradeReference] = []

    init(random: inout SplitMix64) {
        let count = Int.random(in: 0...250, using: &random)
        for index in 0..<count {
            func maybe<T>(_ percent: Int, _ value: @autoclosure () -> T) -> T? {
                Int.random(in: 0..<100, using: &random) < percent ? value() : nil
            }
            let action: String? = switch Int.random(in: 0..<100, using: &random) {
            case 0..<45: "ENTRY"
            case 45..<85: "EXIT"
            default: nil
            }
            rows.append(Row(
                orderID: "o\(index)",
                profile: Self.profiles.randomElement(using: &random)!,
                symbol: Self.symbols.randomElement(using: &random)!,
                trade: maybe(85, Self.trades.randomElement(using: &random)!),
                action: action,
                side: [nil, "long", "short"].randomElement(using: &random)!,
                status: Self.statuses.randomElement(using: &random)!,
                quantity: maybe(80, Int64.random(in: 1...10_000_000_000, using: &random)),
                qty: maybe(40, Int64.random(in: 1...10_000_000_000, using: &random)),
                price: maybe(70, Int64.random(in: 1...1_000_000, using: &random)),
                filledAt: maybe(80, Int64.random(in: 0...40, using: &random)),
                createdAt: Int64.random(in: 0...40, using: &random)))
        }
        for _ in 0..<Int.random(in: 0...12, using: &random) {
            references.append(TradeReference(
                profileID: try! ProfileID(Self.profiles.randomElement(using: &random)!),
                symbol: [nil, "BTC-USD", "ÉTH"].randomElement(using: &random)!,
                tradeID: try! TradeID((Self.trades + ["TRD-none"]).randomElement(using: &random)!),
                source: Bool.random(using: &random) ? .tradeHistory : .position))
        }
    }

    /// `units` of 10⁻⁸ as decimal text.
    static func text(quantityUnits units: Int64, scale: Int = 8) -> String {
        let divisor = Int64(([Int64](repeating: 10, count: scale)).reduce(1, *))
        let sign = units < 0 ? "-" : ""
        let magnitude = units.magnitude
        let fraction = String(magnitude % UInt64(divisor))
        return sign + String(magnitude / UInt64(divisor)) + "." + String(repeating: "0", count: scale - fraction.count) + fraction
    }

    static func decimal(quantityUnits units: Int64) -> ExactDecimal {
        try! ExactDecimal(text(quantityUnits: units))
    }

    /// The rows read through the SDK's parsers, as a store would.
    func orders() throws -> [Order] {
        try rows.map { row in
            try Order(
                orderID: OrderID(row.orderID), profileID: ProfileID(row.profile), symbol: row.symbol,
                tradeID: TradeID.normalized(row.trade), action: try row.action.map { try LifecycleAction(parsing: $0) },
                side: try row.side.map { try PositionSide(parsing: $0) }, status: try OrderStatus(parsing: row.status),
                quantity: row.quantity.map { Self.decimal(quantityUnits: $0) },
                legacyQuantity: row.qty.map { Self.decimal(quantityUnits: $0) },
                price: row.price.map { try ExactDecimal(Self.text(quantityUnits: $0, scale: 2)) },
                filledAt: row.filledAt.map(LifecycleFixtures.time), createdAt: LifecycleFixtures.time(row.createdAt))
        }
    }
}

/// A second, deliberately plain implementation: the reference detection query of the EXIT
/// backfill runbook (section 1) evaluated row by row with a dictionary keyed by strings, plus the
/// other summary facts and the anomaly rules computed the obvious way with integers.
struct ReferenceLifecycleQuery {
    struct Group {
        var profile: String
        var symbol: String
        var trade: String
        var entry: Int64 = 0
        var exit: Int64 = 0
        var firstEntry: (orderID: String, at: Int64, side: String?)?
        var pricedQuantity: Int128 = 0
        var weightedPrice: Int128 = 0
        var lastFilledAt: Int64?

        /// sum(q * p) / sum(q) in units of 10⁻¹⁸, rounded half-even by hand.
        var averagePriceUnits: Int128? {
            guard pricedQuantity > 0 else { return nil }
            // q in 10⁻⁸ and p in 10⁻², so q * p is in 10⁻¹⁰; scale to 10⁻¹⁸ before dividing.
            let numerator = weightedPrice * 10_000_000_000_000_000
            let quotient = numerator / pricedQuantity
            let remainder = numerator % pricedQuantity
            if remainder * 2 > pricedQuantity || (remainder * 2 == pricedQuantity && quotient % 2 == 1) { return quotient + 1 }
            return quotient
        }
    }

    var groups: [Group] = []
    var anomalies: Set<String> = []

    static func bytesPrecede(_ lhs: String, _ rhs: String) -> Bool {
        Array(lhs.utf8).lexicographicallyPrecedes(Array(rhs.utf8))
    }

    init(rows: [GeneratedLifecycleData.Row], references: [TradeReference]) {
        var byKey: [String: Group] = [:]
        for row in rows where ["filled", "partially_filled", "partially-filled"].contains(row.status) {
            guard let trade = row.trade else {
                if let action = row.action {
                    anomalies.insert("missing_trade_id \(row.profile)/\(row.symbol): \(action) order \(row.orderID) has no trade_id")
                }
                continue
            }
            let key = row.profile + "\u{1}" + row.symbol + "\u{1}" + trade
            var group = byKey[key] ?? Group(profile: row.profile, symbol: row.symbol, trade: trade)
            let quantity = row.quantity ?? row.qty ?? 0
            if row.action == "ENTRY" {
                group.entry += quantity
                if quantity > 0 {
                    let at = row.filledAt ?? row.createdAt
                    if let first = group.firstEntry, first.at < at || (first.at == at && Self.bytesPrecede(first.orderID, row.orderID)) {
                        // keep the earlier one
                    } else {
                        group.firstEntry = (row.orderID, at, row.side)
                    }
                    if let price = row.price {
                        group.pricedQuantity += Int128(quantity)
                        group.weightedPrice += Int128(quantity) * Int128(price)
                    }
                }
            }
            if row.action == "EXIT" { group.exit += quantity }
            if let filledAt = row.filledAt { group.lastFilledAt = max(group.lastFilledAt ?? filledAt, filledAt) }
            byKey[key] = group
        }
        groups = byKey.values.sorted { lhs, rhs in
            if lhs.profile != rhs.profile { return Self.bytesPrecede(lhs.profile, rhs.profile) }
            if lhs.symbol != rhs.symbol { return Self.bytesPrecede(lhs.symbol, rhs.symbol) }
            return Self.bytesPrecede(lhs.trade, rhs.trade)
        }
        var withEntry = Set<String>()
        for group in groups {
            let name = "\(group.profile)/\(group.symbol)/\(group.trade)"
            if group.entry > 0 { withEntry.insert(group.profile + "\u{1}" + group.trade) }
            if group.entry == 0 && group.exit > 0 {
                anomalies.insert("orphan_exit \(name): exit_qty \(GeneratedLifecycleData.decimal(quantityUnits: group.exit)), no filled ENTRY")
            }
            if group.entry > 0 && group.exit > group.entry {
                anomalies.insert("overclosed \(name): exit_qty \(GeneratedLifecycleData.decimal(quantityUnits: group.exit)) > entry_qty \(GeneratedLifecycleData.decimal(quantityUnits: group.entry))")
            }
        }
        for reference in references where !withEntry.contains(reference.profileID.rawValue + "\u{1}" + reference.tradeID.rawValue) {
            anomalies.insert("missing_entry_order \(reference.profileID.rawValue)/\(reference.symbol ?? "-")/\(reference.tradeID.rawValue): referenced by \(reference.source.rawValue), no filled ENTRY")
        }
    }

    /// `... WHERE profile_id = ? ... WHERE (entry_qty - exit_qty) > 0 ORDER BY symbol, trade_id`.
    func detectionQuery(profile: String) -> [Group] {
        groups.filter { $0.profile == profile && $0.entry - $0.exit > 0 }
    }
}
