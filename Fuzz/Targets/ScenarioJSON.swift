// libFuzzer target: the scenario and exchange snapshot readers, and the backfill planner on
// what they read (see Documentation/Fuzzing.md).
//
// Nothing may crash: a bad file is a ScenarioError, a plan that cannot be made a BackfillError.
// For every profile of a scenario that reads, the plan must not depend on the order of the
// orders and fills, and per lifecycle the fill evidence must be positive and cover at most the
// open quantity.
import TradeLifecycle
import TradeLifecycleScenario

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzScenarioJSON(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? []
    _ = try? ExchangeSnapshotFile.read(json: bytes)
    guard let scenario = try? Scenario(json: bytes) else { return 0 }
    let profileIDs = Set(scenario.profiles.map(\.profileID) + scenario.orders.map(\.profileID)
                         + scenario.exchange.fills.map(\.profileID))
    for profileID in profileIDs.sorted() {
        let profile = scenario.profiles.first { $0.profileID == profileID }
        let reversed = ExchangeSnapshot(openOrders: scenario.exchange.openOrders.reversed(),
                                        positions: scenario.exchange.positions.reversed(),
                                        fills: scenario.exchange.fills.reversed())
        let plan = Result { () throws(BackfillError) in
            try BackfillPlanner.plan(profileID: profileID, orders: scenario.orders, profile: profile,
                                     exchange: scenario.exchange, configuration: scenario.configuration, now: scenario.now)
        }
        let planOfReversed = Result { () throws(BackfillError) in
            try BackfillPlanner.plan(profileID: profileID, orders: scenario.orders.reversed(), profile: profile,
                                     exchange: reversed, configuration: scenario.configuration, now: scenario.now)
        }
        switch (plan, planOfReversed) {
        case (.success(let plan), .success(let other)):
            guard plan == other else {
                fatalError("BackfillPlanner: the plan of \(profileID) depends on the order of the orders and fills:\n\(plan.rows)\n\(other.rows)")
            }
            check(plan)
        case (.failure(let error), .failure(let other)):
            guard error.code == other.code else {
                fatalError("BackfillPlanner: \(profileID) fails as \(error) or as \(other) depending on the order of the input")
            }
        default:
            fatalError("BackfillPlanner: \(profileID) plans or fails depending on the order of the orders and fills: \(plan), \(planOfReversed)")
        }
    }
    return 0
}

func check(_ plan: BackfillPlan) {
    for rows in plan.rowsByLifecycle {
        var covered = ExactDecimal.zero
        for row in rows {
            guard row.openQuantity.isPositive else { fatalError("BackfillPlanner: a row with open quantity \(row.openQuantity): \(row)") }
            guard row.reason == .fillEvidence, let filled = row.filledQuantity else { continue }
            guard filled.isPositive else { fatalError("BackfillPlanner: fill evidence of \(filled): \(row)") }
            guard let sum = try? covered.adding(filled) else { fatalError("BackfillPlanner: evidence overflows: \(rows)") }
            covered = sum
        }
        if let open = rows.first?.openQuantity, covered > open {
            fatalError("BackfillPlanner: evidence \(covered) covers more than the open \(open): \(rows)")
        }
    }
}
