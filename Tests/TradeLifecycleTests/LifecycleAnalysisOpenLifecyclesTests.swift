import PropertyBased
import Testing
@testable import TradeLifecycle
import TradeLifecycleTesting

private typealias F = LifecycleFixtures

/// `LifecycleAnalysis.openLifecycles(orders:profileID:hashMask:)` (the planner's entry point)
/// against the full analysis it stands in for.
@Suite("Lifecycle analysis: open lifecycles of one profile")
struct LifecycleAnalysisOpenLifecyclesTests {
    /// Checks the open entry point against `LifecycleAnalysis(orders:)` for one profile.
    private static func expectAgreement(orders: [Order], profileID: ProfileID, hashMask: UInt64,
                                        sourceLocation: SourceLocation = #_sourceLocation) throws {
        let full = try LifecycleAnalysis(orders: orders)
        let lean = try LifecycleAnalysis.openLifecycles(orders: orders, profileID: profileID, hashMask: hashMask)
        #expect(lean.summaries == full.openLifecycles(profileID: profileID), sourceLocation: sourceLocation)
        // Same summaries, also by the bytes of their keys (`==` on keys compares bytes).
        #expect(lean.summaries.map { Array($0.key.tradeID.rawValue.utf8) + [0] + Array($0.key.symbol.utf8) }
            == full.openLifecycles(profileID: profileID).map { Array($0.key.tradeID.rawValue.utf8) + [0] + Array($0.key.symbol.utf8) },
                sourceLocation: sourceLocation)
        // The open keys and the closed keys are every key of the profile, each once.
        let closed = lean.closedKeys
        #expect((lean.summaries.map(\.key) + closed).sorted() == full.summaries(profileID: profileID).map(\.key),
                sourceLocation: sourceLocation)
        #expect(closed.allSatisfy { full.summary(for: $0)?.isOpen == false }, sourceLocation: sourceLocation)
    }

    @Test("the open lifecycles and the other keys are those of the full analysis, for every profile")
    func agreesWithFullAnalysis() async {
        await propertyCheck(count: 150, input: Gen.int(in: 0...Int.max)) { seed in
            var random = SplitMix64(seed: UInt64(seed))
            let data = GeneratedLifecycleData(random: &random)
            let orders = try data.orders().shuffled(using: &random)
            let hashMask: UInt64 = seed.isMultiple(of: 2) ? 0 : .max
            for profile in GeneratedLifecycleData.profiles + ["p", "p3"] {
                try Self.expectAgreement(orders: orders, profileID: try ProfileID(profile), hashMask: hashMask)
            }
            // One profile's orders only, as the planner passes them.
            let p1 = try ProfileID("p1")
            try Self.expectAgreement(orders: orders.filter { $0.profileID == p1 }, profileID: p1, hashMask: hashMask)
        }
    }

    @Test("profile ids are matched by their bytes, not by canonical equivalence", arguments: [UInt64.max, 0])
    func profileBytes(_ hashMask: UInt64) throws {
        let precomposed = "\u{E9}p"      // é as one scalar
        let decomposed = "e\u{301}p"     // e + combining acute
        let orders = [
            try F.order("a", profile: precomposed, trade: "TRD-a", quantity: "2"),
            try F.order("b", profile: decomposed, trade: "TRD-a", quantity: "3"),
            try F.order("c", profile: decomposed, trade: "TRD-b", quantity: "1"),
            try F.order("d", profile: decomposed, trade: "TRD-b", action: .exit, quantity: "1"),
            try F.order("e", profile: precomposed, trade: "TRD-c", action: .exit, quantity: "1"),
        ]
        for profile in [precomposed, decomposed] {
            try Self.expectAgreement(orders: orders, profileID: try ProfileID(profile), hashMask: hashMask)
            let lean = try LifecycleAnalysis.openLifecycles(orders: orders, profileID: try ProfileID(profile), hashMask: hashMask)
            #expect(lean.summaries.count == 1)
            #expect(lean.summaries.allSatisfy { Array($0.key.profileID.rawValue.utf8) == Array(profile.utf8) })
            #expect(lean.closedKeys.allSatisfy { Array($0.profileID.rawValue.utf8) == Array(profile.utf8) })
        }
    }

    @Test("thousands of lifecycles over many symbols and long trade ids agree with the full analysis", arguments: [UInt64.max, 0])
    func manyLifecycles(_ hashMask: UInt64) throws {
        var random = SplitMix64(seed: 0x0BE7_11FE)
        let symbols = (0..<30).map { index in index % 7 == 0 ? "\u{E9}TH-\(index)" : "SYM\(index)-USD" }
        let trades = (0..<900).map { index in index % 3 == 0 ? "TRD-" + String(repeating: "x", count: 40) + "\(index)" : "TRD-\(index)" }
        var orders: [Order] = []
        for index in 0..<5_000 {
            let action: LifecycleAction? = [.entry, .entry, .exit, nil].randomElement(using: &random)!
            orders.append(try F.order(
                "o\(index)", profile: Int.random(in: 0..<10, using: &random) == 0 ? "other" : "p1",
                symbol: symbols.randomElement(using: &random)!, trade: trades.randomElement(using: &random)!, action: action,
                side: [nil, .long, .short].randomElement(using: &random)!,
                status: [.filled, .filled, .partiallyFilled, .cancelled].randomElement(using: &random)!,
                quantity: String(Int.random(in: 1...9, using: &random)),
                price: Bool.random(using: &random) ? String(Int.random(in: 1...1_000, using: &random)) : nil,
                filledAt: Int64.random(in: 0...40, using: &random), createdAt: Int64.random(in: 0...40, using: &random)))
        }
        let p1 = try ProfileID("p1")
        try Self.expectAgreement(orders: orders, profileID: p1, hashMask: hashMask)
        let lean = try LifecycleAnalysis.openLifecycles(orders: orders, profileID: p1, hashMask: hashMask)
        #expect(lean.summaries.count > 500)
        #expect(lean.closedKeys.count > 500)
    }

    @Test("a sum out of range in a lifecycle that is not open is the full analysis's error")
    func overflowOfClosedLifecycle() throws {
        let nearMax = "100000000000000000000"
        let orders = [
            try F.order("open", trade: "TRD-open", quantity: "1"),
            try F.order("x1", trade: "TRD-closed", action: .exit, quantity: nearMax),
            try F.order("x2", trade: "TRD-closed", action: .exit, quantity: nearMax),
        ]
        let full = F.lifecycleError { _ = try LifecycleAnalysis(orders: orders) }
        let lean = F.lifecycleError { _ = try LifecycleAnalysis.openLifecycles(orders: orders, profileID: try ProfileID("p1")) }
        #expect(full?.code == .overflow)
        #expect(lean?.code == full?.code)
        #expect(lean?.orderID == full?.orderID)
        #expect(lean?.description == full?.description)
    }
}
