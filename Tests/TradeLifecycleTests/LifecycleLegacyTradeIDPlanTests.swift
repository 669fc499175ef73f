import PropertyBased
import Testing
import TradeLifecycle
import TradeLifecycleTesting

private typealias F = LifecycleFixtures

private func legacyID(_ profile: String, _ symbol: String, firstEntry: String) throws -> TradeID {
    TradeID.generate(profileID: try ProfileID(profile), symbol: symbol, entryKey: "legacy:" + firstEntry)
}

/// `orderID -> firstEntryOrderID` of the plan's assignments.
private func grouping(_ plan: LegacyTradeIDPlan) -> [String: String] {
    Dictionary(uniqueKeysWithValues: plan.assignments.map { ($0.orderID.rawValue, $0.firstEntryOrderID.rawValue) })
}

@Suite("Legacy trade id plan")
struct LifecycleLegacyTradeIDPlanTests {
    @Test("ENTRY opens or adds, EXITs reduce, the lifecycle closes at zero; orphans stay NULL; overclosing exits close and are reported")
    func walk() throws {
        let orders = [
            try F.order("e1", trade: nil, quantity: "2", filledAt: 1),
            try F.order("x1", trade: nil, action: .exit, quantity: "1", filledAt: 2),
            try F.order("x2", trade: nil, action: .exit, status: .partiallyFilled, quantity: nil, qty: "1", filledAt: 3),
            try F.order("e2", trade: nil, quantity: "1", filledAt: 4),
            try F.order("e3", trade: nil, quantity: "1", filledAt: 5),
            try F.order("x3", trade: nil, action: .exit, quantity: "5", filledAt: 6),
            try F.order("x4", trade: nil, action: .exit, quantity: "1", filledAt: 7),
            try F.order("e4", trade: nil, quantity: "3", filledAt: 8),
        ]
        let plan = try LegacyTradeIDPlan(orders: orders.reversed())
        #expect(plan.assignments.map(\.orderID.rawValue) == ["e1", "x1", "x2", "e2", "e3", "x3", "e4"])
        #expect(grouping(plan) == ["e1": "e1", "x1": "e1", "x2": "e1", "e2": "e2", "e3": "e2", "x3": "e2", "e4": "e4"])
        for assignment in plan.assignments {
            #expect(assignment.tradeID == (try legacyID("p1", "BTC-USD", firstEntry: assignment.firstEntryOrderID.rawValue)))
            #expect(assignment.profileID.rawValue == "p1" && assignment.symbol == "BTC-USD")
        }
        #expect(plan.orphanExits.map(\.rawValue) == ["x4"])
        #expect(plan.overclosingExits == [LegacyOverclosingExit(orderID: try OrderID("x3"), tradeID: try legacyID("p1", "BTC-USD", firstEntry: "e2"),
                                                                openQuantity: 2, exitQuantity: 5)])
    }

    @Test("only filled or partially filled ENTRY/EXIT rows without trade id are planned; others are never touched")
    func consideredRows() throws {
        let orders = [
            try F.order("keep", trade: "TRD-existing", quantity: "1", filledAt: 1),
            try F.order("manual", trade: nil, action: nil, quantity: "1", filledAt: 2),
            try F.order("cancelled", trade: nil, status: .cancelled, quantity: "1", filledAt: 3),
            try F.order("open", trade: nil, status: .open, quantity: "1", filledAt: 4),
            try F.order("exit-existing", trade: "TRD-existing", action: .exit, quantity: "1", filledAt: 5),
            try F.order("x", trade: nil, action: .exit, quantity: "1", filledAt: 6),
            try F.order("p", trade: nil, status: .partiallyFilled, quantity: "1", filledAt: 7),
        ]
        let plan = try LegacyTradeIDPlan(orders: orders)
        #expect(plan.assignments.map(\.orderID.rawValue) == ["p"])
        #expect(plan.orphanExits.map(\.rawValue) == ["x"], "rows with a trade id open nothing for the legacy walk")
        #expect(plan.overclosingExits.isEmpty)
    }

    @Test("each (profile, symbol) is walked on its own")
    func separateWalks() throws {
        let orders = [
            try F.order("a-e", profile: "p1", symbol: "BTC-USD", trade: nil, quantity: "1", filledAt: 1),
            try F.order("b-x", profile: "p1", symbol: "ETH-USD", trade: nil, action: .exit, quantity: "1", filledAt: 2),
            try F.order("c-x", profile: "p2", symbol: "BTC-USD", trade: nil, action: .exit, quantity: "1", filledAt: 3),
            try F.order("d-x", profile: "p1", symbol: "BTC-USD", trade: nil, action: .exit, quantity: "1", filledAt: 4),
            try F.order("e-e", profile: "p2", symbol: "BTC-USD", trade: nil, quantity: "1", filledAt: 5),
        ]
        let plan = try LegacyTradeIDPlan(orders: orders)
        #expect(grouping(plan) == ["a-e": "a-e", "d-x": "a-e", "e-e": "e-e"])
        #expect(plan.orphanExits.map(\.rawValue) == ["b-x", "c-x"])
        let p2 = try #require(plan.assignments.first { $0.orderID.rawValue == "e-e" })
        #expect(p2.tradeID == (try legacyID("p2", "BTC-USD", firstEntry: "e-e")))
    }

    @Test("rows are walked by filled_at (created_at when absent), then order id bytes")
    func walkOrder() throws {
        let orders = [
            try F.order("o9", trade: nil, quantity: "1", filledAt: 10),
            try F.order("o10", trade: nil, quantity: "1", filledAt: 10),
            try F.order("x", trade: nil, action: .exit, quantity: "2", filledAt: nil, createdAt: 11),
            try F.order("late-created", trade: nil, quantity: "1", filledAt: 12, createdAt: 0),
        ]
        let plan = try LegacyTradeIDPlan(orders: orders)
        #expect(plan.assignments.map(\.orderID.rawValue) == ["o10", "o9", "x", "late-created"])
        #expect(grouping(plan) == ["o10": "o10", "o9": "o10", "x": "o10", "late-created": "late-created"])

        let exitFirst = try LegacyTradeIDPlan(orders: [try F.order("e", trade: nil, filledAt: 5), try F.order("x", trade: nil, action: .exit, filledAt: 4)])
        #expect(exitFirst.orphanExits.map(\.rawValue) == ["x"])
        #expect(grouping(exitFirst) == ["e": "e"])
    }

    @Test("an ENTRY without quantity forms a closed lifecycle of its own")
    func zeroQuantityEntry() throws {
        let orders = [
            try F.order("e0", trade: nil, quantity: nil, filledAt: 1),
            try F.order("e1", trade: nil, quantity: "1", filledAt: 2),
            try F.order("x1", trade: nil, action: .exit, quantity: "1", filledAt: 3),
            try F.order("x2", trade: nil, action: .exit, quantity: "1", filledAt: 4),
        ]
        let plan = try LegacyTradeIDPlan(orders: orders)
        #expect(grouping(plan) == ["e0": "e0", "e1": "e1", "x1": "e1"])
        #expect(plan.orphanExits.map(\.rawValue) == ["x2"])
    }

    @Test("duplicate order ids and out-of-range open quantities are typed errors")
    func errors() throws {
        let duplicate = [try F.order("d", trade: nil, filledAt: 1), try F.order("d", trade: nil, action: .exit, filledAt: 9)]
        let error = LifecycleFixtures.lifecycleError { _ = try LegacyTradeIDPlan(orders: duplicate) }
        #expect(error?.code == .duplicateOrderID && error?.orderID?.rawValue == "d")
        let huge = [try F.order("a", trade: nil, quantity: "100000000000000000000", filledAt: 1),
                    try F.order("b", trade: nil, quantity: "100000000000000000000", filledAt: 2)]
        let overflow = LifecycleFixtures.lifecycleError { _ = try LegacyTradeIDPlan(orders: huge) }
        #expect(overflow?.code == .overflow && overflow?.orderID?.rawValue == "b")
        #expect(try LegacyTradeIDPlan(orders: [Order]()).assignments.isEmpty)
    }

    @Test("the plan does not depend on input order, accounts for every row once, and applied it leaves only orphan exits without trade id")
    func planProperties() async {
        await propertyCheck(count: 150, input: Gen.int(in: 0...Int.max)) { seed in
            var random = SplitMix64(seed: UInt64(seed))
            var orders: [Order] = []
            for index in 0..<Int.random(in: 0...120, using: &random) {
                let action: LifecycleAction? = [.entry, .entry, .exit, .exit, .exit, nil].randomElement(using: &random)!
                orders.append(try F.order(
                    "o\(index)", profile: ["p1", "p2"].randomElement(using: &random)!, symbol: ["A", "B"].randomElement(using: &random)!,
                    trade: Int.random(in: 0..<10, using: &random) < 8 ? nil : "TRD-x", action: action,
                    status: [.filled, .filled, .partiallyFilled, .cancelled, .open].randomElement(using: &random)!,
                    quantity: Int.random(in: 0..<10, using: &random) == 0 ? nil : String(Int.random(in: 1...4, using: &random)),
                    filledAt: Int.random(in: 0..<10, using: &random) == 0 ? nil : Int64.random(in: 0...30, using: &random),
                    createdAt: Int64.random(in: 0...30, using: &random)))
            }
            let plan = try LegacyTradeIDPlan(orders: orders)
            #expect(try LegacyTradeIDPlan(orders: orders.shuffled(using: &random)) == plan)

            let considered = orders.filter { $0.tradeID == nil && $0.action != nil && $0.status.countsTowardLifecycle }
            let planned = plan.assignments.map(\.orderID) + plan.orphanExits
            #expect(planned.count == considered.count)
            #expect(Set(planned) == Set(considered.map(\.orderID)))
            let byID = Dictionary(uniqueKeysWithValues: orders.map { ($0.orderID, $0) })
            for assignment in plan.assignments {
                let row = byID[assignment.orderID]!
                let first = byID[assignment.firstEntryOrderID]!
                #expect(first.action == .entry && first.tradeID == nil)
                #expect(first.profileID == row.profileID && first.symbol == row.symbol)
                #expect((first.filledAt ?? first.createdAt) <= (row.filledAt ?? row.createdAt))
                #expect(assignment.tradeID == TradeID.generate(profileID: row.profileID, symbol: row.symbol,
                                                                entryKey: TradeID.legacyEntryKey(firstEntryOrderID: first.orderID)))
            }
            for orphan in plan.orphanExits { #expect(byID[orphan]!.action == .exit) }

            // Apply the plan (one distinct trade id per lifecycle) and analyse the result.
            let lifecycleOf = Dictionary(uniqueKeysWithValues: plan.assignments.map { ($0.orderID, $0.firstEntryOrderID) })
            let applied = try orders.map { order -> Order in
                guard order.tradeID == nil, let first = lifecycleOf[order.orderID] else { return order }
                return try Order(orderID: order.orderID, profileID: order.profileID, symbol: order.symbol,
                                 tradeID: TradeID("TRD-legacy-" + first.rawValue), action: order.action, side: order.side,
                                 status: order.status, quantity: order.quantity, legacyQuantity: order.legacyQuantity,
                                 price: order.price, filledAt: order.filledAt, createdAt: order.createdAt)
            }
            let analysis = try LifecycleAnalysis(orders: applied)
            var missing: [OrderID] = []
            for anomaly in analysis.anomalies {
                if case let .missingTradeID(orderID, _, _, _) = anomaly { missing.append(orderID) }
            }
            #expect(Set(missing) == Set(plan.orphanExits), "only orphan exits are left without trade id")
            let overclosed = Set(plan.overclosingExits.map { "TRD-legacy-" + lifecycleOf[$0.orderID]!.rawValue })
            var openPerMarket: [String: Int] = [:]
            for summary in analysis.summaries where summary.key.tradeID.rawValue.hasPrefix("TRD-legacy-") {
                if overclosed.contains(summary.key.tradeID.rawValue) {
                    #expect(summary.exitQuantity > summary.entryQuantity)
                } else {
                    #expect(!summary.openQuantity.isNegative, "\(summary.key)")
                }
                if summary.isOpen { openPerMarket["\(summary.key.profileID)/\(summary.key.symbol)", default: 0] += 1 }
            }
            #expect(openPerMarket.values.allSatisfy { $0 == 1 }, "at most one legacy lifecycle per profile and symbol stays open")
        }
    }
}
