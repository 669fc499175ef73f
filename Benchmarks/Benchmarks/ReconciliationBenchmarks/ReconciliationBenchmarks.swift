// The reconciliation diff at scale (SPEC section 5: cost linear in orders and fills).
//
// Baseline: the goal of 0.5 s wall clock for one diff of 1,000,000 orders against a snapshot of
// 1,000,000 exchange records on one core, stated as an absolute p90 threshold. The inputs are
// built once, outside the measurement (see ReconciliationInputs.swift); building the database
// view (validation and lifecycle analysis) is measured separately, as a pass does it once per
// read of the orders.

import Benchmark
import TradeLifecycle

let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(
        metrics: [.wallClock, .cpuTotal, .peakMemoryResident, .mallocCountTotal],
        timeUnits: .milliseconds,
        warmupIterations: 1,
        scalingFactor: .one,
        maxDuration: .seconds(30),
        maxIterations: 10
    )

    Benchmark(
        "Reconciliation.diff 1M orders vs 1M exchange records",
        configuration: .init(thresholds: [.wallClock: .init(absolute: [.p90: .milliseconds(500)])])
    ) { benchmark in
        let inputs = ReconciliationInputs.million
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations {
            blackHole(try ReconciliationDiff.discrepancies(database: inputs.view, exchange: inputs.snapshot))
        }
    }

    Benchmark("Reconciliation.view 1M orders (validation and lifecycle analysis)") { benchmark in
        let inputs = ReconciliationInputs.million
        let profileID = inputs.view.profileID
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations {
            blackHole(try ReconciliationDatabaseView(profileID: profileID, orders: inputs.orders))
        }
    }
}

extension ReconciliationInputs {
    /// One million orders, checked once to agree with their snapshot.
    static let million: ReconciliationInputs = {
        let inputs = ReconciliationInputs(orderCount: 1_000_000)
        inputs.checkAgreement()
        return inputs
    }()
}
