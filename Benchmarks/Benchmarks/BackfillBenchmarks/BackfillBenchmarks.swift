// The EXIT backfill planner at production scale: one profile with 1,000,000 orders, 100,000 open
// lifecycles and 200,000 exchange fills. The budget is 1 second per plan on one core.
//
// Three benchmarks over the same pre-generated data, each a baseline for the next:
// - "Backfill.plan LifecycleAnalysis": the full lifecycle analysis (the reference detection
//   query: every lifecycle summarised and sorted). The planner sums every lifecycle the same
//   way but summarises and sorts only the open ones, so this is a close floor, not an exact one.
// - "Backfill.plan BackfillPlanner": the pure planner over the orders and the snapshot.
// - "Backfill.plan BackfillEngine+InMemoryStore": reading the orders and the profile from the
//   in-memory store, then planning (what `trade-lifecycle plan --scenario` and a dry run do).
//   The store keeps a profile's orders sorted by order id between reads: the first read after
//   the inserts sorts them once (the warm-up iteration), later reads hand out the stored array.
//   Its orders come sorted by order id, the planner benchmark's shuffled.
//
// The data (seeded, identical on every run):
// - 100,000 open lifecycles over 50 symbols (one in ten short), each with two filled ENTRY
//   orders and one EXIT order: filled (partly closed), open (1 in 100: a pending blocker) or
//   cancelled (3 in 10: a ghost EXIT whose fill the exchange reports, tagged by client order id);
// - 350,000 closed lifecycles (ENTRY + EXIT), so 1,000,000 orders in all;
// - 200,000 fills: 30,000 tagged, 100,000 + 50,000 untagged on the closing side (50,000 of them
//   with an unrelated client order id, which exercises the trade id containment search),
//   10,000 already recorded on EXIT orders and 10,000 older than the lookback.

import Benchmark
import Synchronization
import TradeLifecycle
import TradeLifecycleTesting

/// The inputs of every benchmark, made once.
struct BackfillInputs: Sendable {
    static let openLifecycles = 100_000
    static let closedLifecycles = 350_000
    static let symbolCount = 50

    let profileID: ProfileID
    let profile: TradingProfile
    let now: Timestamp
    let configuration: BackfillConfiguration
    let orders: [Order]
    let snapshot: ExchangeSnapshot

    static let shared = BackfillInputs()

    private static func quarters(_ count: Int) -> ExactDecimal {
        ExactDecimal(units: Int128(count) * 250_000_000_000_000_000)
    }

    private static func required<Value>(_ make: () throws -> Value) -> Value {
        do {
            return try make()
        } catch {
            fatalError("benchmark input refused: \(error)")
        }
    }

    init() {
        var random = SplitMix64(seed: 0xBAC0_F111)
        let profileID = Self.required { try ProfileID("bench-profile") }
        let now = Self.required { try Timestamp("2026-02-15T12:00:00.000Z") }
        let hour: Int64 = 3_600_000_000
        func at(_ offset: Int64) -> Timestamp { after(now, offset) }
        func after(_ time: Timestamp, _ microseconds: Int64) -> Timestamp {
            Timestamp(microsecondsSinceEpoch: time.microsecondsSinceEpoch + microseconds)
        }
        let symbols = (0..<Self.symbolCount).map { "SYM\($0)" }
        let price = ExactDecimal(100)
        var orders: [Order] = []
        orders.reserveCapacity(1_000_000)
        var fills: [ExchangeFill] = []
        fills.reserveCapacity(200_000)

        for index in 0..<Self.openLifecycles {
            let symbol = symbols[index % Self.symbolCount]
            let side: PositionSide = index % 10 == 0 ? .short : .long
            let tradeID = TradeID.generate(profileID: profileID, symbol: symbol, entryKey: "open-\(index)")
            // Entries spread over the last 60 hours, two seconds apart.
            let entryAt = at(-60 * hour + Int64(index) * 2_000_000)
            let first = 1 + index % 7
            let exitStatus: OrderStatus = index % 100 == 1 ? .open : (index % 10 == 3 || index % 10 == 6 || index % 10 == 9 ? .cancelled : .filled)
            let exitClientOrderID = ClientOrderID.deterministic(profileID: profileID, tradeID: tradeID, action: .exit, attempt: 0)
            Self.required {
                orders.append(try Order(
                    orderID: OrderID("o-\(index)-e1"), profileID: profileID, symbol: symbol, tradeID: tradeID, action: .entry,
                    side: side, status: .filled, quantity: Self.quarters(first), price: price, exchangeOrderID: "ex-\(index)-1",
                    filledAt: entryAt, createdAt: entryAt))
                orders.append(try Order(
                    orderID: OrderID("o-\(index)-e2"), profileID: profileID, symbol: symbol, tradeID: tradeID, action: .entry,
                    side: side, status: .filled, quantity: Self.quarters(2), price: price, exchangeOrderID: "ex-\(index)-2",
                    filledAt: after(entryAt, 1_000_000), createdAt: entryAt))
                orders.append(try Order(
                    orderID: OrderID("o-\(index)-x"), profileID: profileID, symbol: symbol, tradeID: tradeID, action: .exit,
                    side: side, status: exitStatus, quantity: Self.quarters(1), price: price,
                    exchangeOrderID: exitStatus == .filled ? "rx-\(index)" : nil, clientOrderID: exitClientOrderID,
                    filledAt: exitStatus == .filled ? after(entryAt, 60_000_000) : nil,
                    createdAt: entryAt))
            }
            let closing = side.closingSide
            let fillAt = after(entryAt, hour)
            let open = first + 2 - (exitStatus == .filled ? 1 : 0)
            if exitStatus == .cancelled {
                // The ghost EXIT's fill, tagged by its client order id.
                fills.append(Self.required { try ExchangeFill(
                    profileID: profileID, symbol: symbol, side: closing, exchangeOrderID: "tx-\(index)",
                    clientOrderID: exitClientOrderID, quantity: Self.quarters(1), price: price, filledAt: fillAt) })
            }
            // Untagged evidence: most of the open quantity, half the time in two fills.
            let unrelated = index % 2 == 0
                ? ClientOrderID.deterministic(profileID: profileID, tradeID: tradeID, action: .exit, attempt: 99) : nil
            let untagged = max(1, open - (exitStatus == .cancelled ? 1 : 0) - Int.random(in: 0...1, using: &random))
            if index % 2 == 1 && untagged > 1 {
                fills.append(Self.required { try ExchangeFill(
                    profileID: profileID, symbol: symbol, side: closing, exchangeOrderID: "ux-\(index)-a", clientOrderID: nil,
                    quantity: Self.quarters(1), price: price, filledAt: fillAt) })
                fills.append(Self.required { try ExchangeFill(
                    profileID: profileID, symbol: symbol, side: closing, exchangeOrderID: "ux-\(index)-b", clientOrderID: nil,
                    quantity: Self.quarters(untagged - 1), price: price, filledAt: after(fillAt, 1_000)) })
            } else {
                fills.append(Self.required { try ExchangeFill(
                    profileID: profileID, symbol: symbol, side: closing, exchangeOrderID: "ux-\(index)", clientOrderID: unrelated,
                    quantity: Self.quarters(untagged), price: price, filledAt: fillAt) })
            }
        }
        for index in 0..<Self.closedLifecycles {
            let symbol = symbols[index % Self.symbolCount]
            let tradeID = TradeID.generate(profileID: profileID, symbol: symbol, entryKey: "closed-\(index)")
            let entryAt = at(-100 * hour + Int64(index) * 500_000)
            Self.required {
                orders.append(try Order(
                    orderID: OrderID("c-\(index)-e"), profileID: profileID, symbol: symbol, tradeID: tradeID, action: .entry,
                    side: .long, status: .filled, quantity: Self.quarters(4), price: price, exchangeOrderID: "cex-\(index)",
                    filledAt: entryAt, createdAt: entryAt))
                orders.append(try Order(
                    orderID: OrderID("c-\(index)-x"), profileID: profileID, symbol: symbol, tradeID: tradeID, action: .exit,
                    side: .long, status: .filled, quantity: Self.quarters(4), price: price, exchangeOrderID: "cx-\(index)",
                    filledAt: after(entryAt, hour), createdAt: entryAt))
            }
        }
        // Fills that are not evidence: already recorded, or older than the lookback.
        for index in 0..<10_000 {
            let symbol = symbols[index % Self.symbolCount]
            fills.append(Self.required { try ExchangeFill(
                profileID: profileID, symbol: symbol, side: .sell, exchangeOrderID: "cx-\(index * 35)", clientOrderID: nil,
                quantity: Self.quarters(4), price: price, filledAt: at(-2 * hour)) })
            fills.append(Self.required { try ExchangeFill(
                profileID: profileID, symbol: symbol, side: .sell, exchangeOrderID: "old-\(index)", clientOrderID: nil,
                quantity: Self.quarters(4), price: price, filledAt: at(-80 * hour)) })
        }
        // Pad to exactly 200,000 fills with more untagged evidence of the first lifecycles.
        var padding = 0
        while fills.count < 200_000 {
            let index = padding % Self.openLifecycles
            let symbol = symbols[index % Self.symbolCount]
            let side: PositionSide = index % 10 == 0 ? .short : .long
            fills.append(Self.required { try ExchangeFill(
                profileID: profileID, symbol: symbol, side: side.closingSide, exchangeOrderID: "px-\(padding)", clientOrderID: nil,
                quantity: Self.quarters(1), price: price, filledAt: at(-hour)) })
            padding += 1
        }
        fills.shuffle(using: &random)
        orders.shuffle(using: &random)

        guard orders.count == 1_000_000, fills.count == 200_000 else {
            fatalError("benchmark inputs: \(orders.count) orders, \(fills.count) fills")
        }
        self.profileID = profileID
        self.now = now
        self.orders = orders
        self.profile = TradingProfile(profileID: profileID, isPaused: true, updatedAt: now)
        self.snapshot = ExchangeSnapshot(
            positions: Self.required { try symbols.map { try ExchangePosition(profileID: profileID, symbol: $0, quantity: .zero) } },
            fills: fills)
        self.configuration = Self.required { try BackfillConfiguration(isEnabled: true, isDryRun: true, requiresPause: true) }
        checkShape()
    }

    /// The data must give the plan the benchmark claims to measure.
    private func checkShape() {
        let plan = Self.required {
            try BackfillPlanner.plan(profileID: profileID, orders: orders, profile: profile, exchange: snapshot,
                                     configuration: configuration, now: now)
        }
        let evidence = plan.rows.filter { $0.reason == .fillEvidence }.count
        let blocked = plan.rows.filter { $0.reason == .pendingLifecycleBlocker }.count
        guard plan.openLifecycleCount == Self.openLifecycles, evidence >= 100_000, blocked == 1_000 else {
            fatalError("benchmark plan shape: \(plan.openLifecycleCount) open, \(evidence) evidence rows, \(blocked) blocked")
        }
    }
}

/// The in-memory store holding the inputs, filled once by the setup hook.
enum BackfillStoreHolder {
    static let store = InMemoryStore()
    private static let isFilled = Mutex(false)

    static func fillOnce() async throws {
        guard isFilled.withLock({ filled in
            defer { filled = true }
            return !filled
        }) else { return }
        let inputs = BackfillInputs.shared
        for order in inputs.orders {
            _ = try await store.insertOrder(order)
        }
        try await store.saveProfile(inputs.profile)
    }
}

let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(
        metrics: [.wallClock, .cpuTotal, .peakMemoryResident, .mallocCountTotal],
        timeUnits: .milliseconds,
        warmupIterations: 1,
        maxDuration: .seconds(60),
        maxIterations: 5
    )

    Benchmark("Backfill.plan LifecycleAnalysis") { benchmark in
        let inputs = BackfillInputs.shared
        benchmark.startMeasurement()
        blackHole(try LifecycleAnalysis(orders: inputs.orders).openLifecycles(profileID: inputs.profileID).count)
    }

    Benchmark("Backfill.plan BackfillPlanner") { benchmark in
        let inputs = BackfillInputs.shared
        benchmark.startMeasurement()
        blackHole(try BackfillPlanner.plan(profileID: inputs.profileID, orders: inputs.orders, profile: inputs.profile,
                                           exchange: inputs.snapshot, configuration: inputs.configuration, now: inputs.now))
    }

    Benchmark("Backfill.plan BackfillEngine+InMemoryStore",
              closure: { benchmark in
                  let inputs = BackfillInputs.shared
                  let engine = BackfillEngine(store: BackfillStoreHolder.store, clock: ManualWallClock(inputs.now),
                                              configuration: inputs.configuration)
                  benchmark.startMeasurement()
                  blackHole(try await engine.plan(profileID: inputs.profileID, exchange: inputs.snapshot))
              },
              setup: { try await BackfillStoreHolder.fillOnce() })
}
