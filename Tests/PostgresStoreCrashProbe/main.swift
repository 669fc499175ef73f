// A child process for the crash safety tests of PostgresStore (Tests/TradeLifecyclePostgresTests/
// StoreCrashSafetyTests.swift): it runs the EXIT backfill over PostgresStore, so that the test
// can kill it with SIGKILL in the middle of an apply and run it again.
//
//     TRADE_LIFECYCLE_PROBE_URL=postgres://... PostgresStoreCrashProbe seed|plan|apply
//
// - seed:  writes the scenario's orders and its paused profile;
// - plan:  prints the first BFILL order id of each lifecycle, in the order an apply writes them;
// - apply: runs the backfill in apply mode and prints how many records got each decision.
//
// The scenario is fixed (and the clock stands still), so every run plans the same rows.

import Foundation
import TradeLifecycle
import TradeLifecyclePostgres

enum Scenario {
    static let lifecycleCount = 8
    static let profileID = fixed { () throws(InputError) in try ProfileID("crash-p1") }
    static let now = fixed { () throws(TimestampError) in try Timestamp("2026-02-15T12:00:00.000000Z") }

    static func fixed<Value, Failure: Error>(_ make: () throws(Failure) -> Value) -> Value {
        do {
            return try make()
        } catch {
            fatalError("invalid probe scenario: \(error)")
        }
    }

    static func decimal(_ text: String) -> ExactDecimal {
        fixed { () throws(DecimalError) in try ExactDecimal(text) }
    }

    static func time(_ secondsBeforeNow: Int64, micros: Int64 = 0) -> Timestamp {
        Timestamp(microsecondsSinceEpoch: now.microsecondsSinceEpoch - secondsBeforeNow * 1_000_000 + micros)
    }

    /// One filled ENTRY of 2 per lifecycle, each on its own symbol.
    static var orders: [Order] {
        (0..<lifecycleCount).map { index in
            fixed { () throws(InputError) in
                try Order(orderID: OrderID("crash-entry-\(index)"), profileID: profileID, symbol: "S\(index)-USD",
                          tradeID: TradeID("TRD-crash-\(index)"), action: .entry, side: .long, status: .filled,
                          quantity: ExactDecimal(2), filledQuantity: ExactDecimal(2), price: ExactDecimal(100),
                          filledAt: time(7_200), createdAt: time(7_300))
            }
        }
    }

    /// Two closing fills per lifecycle (1.25 and 0.75, times with microseconds), flat positions.
    static var snapshot: ExchangeSnapshot {
        var fills: [ExchangeFill] = []
        var positions: [ExchangePosition] = []
        for index in 0..<lifecycleCount {
            let symbol = "S\(index)-USD"
            fills.append(fixed { () throws(InputError) in
                try ExchangeFill(profileID: profileID, symbol: symbol, side: .sell, exchangeOrderID: "x-\(index)-a", clientOrderID: nil,
                                 quantity: decimal("1.25"), price: decimal("101.5"), filledAt: time(3_600, micros: 123_456))
            })
            fills.append(fixed { () throws(InputError) in
                try ExchangeFill(profileID: profileID, symbol: symbol, side: .sell, exchangeOrderID: "x-\(index)-b", clientOrderID: nil,
                                 quantity: decimal("0.75"), price: decimal("99.25"), filledAt: time(1_800, micros: 987_654))
            })
            positions.append(fixed { () throws(InputError) in try ExchangePosition(profileID: profileID, symbol: symbol, quantity: .zero) })
        }
        return ExchangeSnapshot(positions: positions, fills: fills)
    }

    static var configuration: BackfillConfiguration {
        fixed { () throws(InputError) in
            try BackfillConfiguration(isEnabled: true, isDryRun: false, requiresPause: true,
                                      dust: DustPolicy(absoluteQuantity: decimal("0.001"), relativeFraction: decimal("0.002")),
                                      lookbackHours: 72)
        }
    }
}

func run() async throws {
    let arguments = CommandLine.arguments.dropFirst()
    guard let mode = arguments.first, let url = ProcessInfo.processInfo.environment["TRADE_LIFECYCLE_PROBE_URL"] else {
        FileHandle.standardError.write(Data("usage: TRADE_LIFECYCLE_PROBE_URL=postgres://... PostgresStoreCrashProbe seed|plan|apply\n".utf8))
        exit(64)
    }
    let settings = try PostgresConnectionSettings(url: url)
    try await PostgresStore.withStore(settings: settings) { store in
        let engine = BackfillEngine(store: store, clock: ManualWallClock(Scenario.now), configuration: Scenario.configuration)
        switch mode {
        case "seed":
            for order in Scenario.orders { _ = try await store.insertOrder(order) }
            try await store.saveProfile(TradingProfile(profileID: Scenario.profileID, isPaused: true, updatedAt: Scenario.time(600)))
        case "plan":
            let plan = try await engine.plan(profileID: Scenario.profileID, exchange: Scenario.snapshot)
            for group in plan.rowsByLifecycle {
                print(group.first?.backfillOrderID?.rawValue ?? "-")
            }
        case "apply":
            let result = try await engine.run(profileID: Scenario.profileID, exchange: Scenario.snapshot)
            for decision in BackfillDecision.allCases {
                print("\(decision.rawValue) \(result.count(of: decision))")
            }
        default:
            FileHandle.standardError.write(Data("unknown mode \(mode)\n".utf8))
            exit(64)
        }
    }
}

do {
    try await run()
} catch {
    FileHandle.standardError.write(Data("PostgresStoreCrashProbe: \(error)\n".utf8))
    exit(1)
}
