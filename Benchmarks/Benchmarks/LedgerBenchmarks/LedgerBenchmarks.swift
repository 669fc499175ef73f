// CapitalLedger throughput on a reserve/fill/exit mix. The baseline is the ledger's target of
// 5 million operations per second on one core, that is 200 ns per operation: "Ledger.mixed"
// must stay below it.
//
// Each trade is five operations: reserve an entry, fill part of it, fill the rest, exit part of
// the position, exit the rest (20% reserve, 40% fill, 40% exit), over 4 profiles, 3 symbols,
// long and short, with 36-character trade and order ids like the SDK's generated ones. The
// operations are made once; every sample applies them, one per scaled iteration, to a new
// funded ledger (so every operation records a `created`, never an `exists`). The caller's copy
// of each operation (taken out of the array, released after `apply`) is part of the measure.
//
// "Ledger.mixed" (scaling factor kilo) runs 1,000 operations per sample: the ledger's indexes
// stay in the processor's caches. "Ledger.mixed 1M-operation ledger" (scaling factor mega)
// runs 1,000,000 per sample and shows the same work once the tables outgrow the caches. Its
// operation ids grow (1,000, 1,001, ...), as time-based ids do, so the ledger finds each id
// free without a lookup; "…, random ids" runs the same operations under random 128-bit ids,
// each of which costs a lookup in a table of a million ids (a cache miss). Every ledger
// reserves capacity for its operations first (`reserveCapacity` commits the history's
// memory before the clock starts, as a service that sizes its ledger at start-up does);
// "…, no reservation" shows the cost of a history that grows while it records.

import Benchmark
import TradeLifecycle
import TradeLifecycleTesting

/// The operations of every sample, made once.
struct LedgerWorkload: Sendable {
    let profiles: [ProfileID]
    let operations: [LedgerOperation]

    static let kilo = LedgerWorkload(operationCount: BenchmarkScalingFactor.kilo.rawValue, seed: 0x1ED6_E500)
    static let mega = LedgerWorkload(operationCount: BenchmarkScalingFactor.mega.rawValue, seed: 0x1ED6_E501)
    static let megaRandomIDs = LedgerWorkload(
        operationCount: BenchmarkScalingFactor.mega.rawValue, seed: 0x1ED6_E501, randomIDs: true)

    /// - Parameter randomIDs: Random 128-bit operation ids instead of growing ones (the same
    ///   operations otherwise).
    init(operationCount: Int, seed: UInt64, randomIDs: Bool = false) {
        var random = SplitMix64(seed: seed)
        guard let profiles = try? (0..<4).map({ try ProfileID("profile-\($0)") }) else { fatalError("profile ids") }
        self.profiles = profiles
        let symbols = ["BTC-USD", "ETH-USD", "SOL-USD"]
        var operations: [LedgerOperation] = []
        operations.reserveCapacity(operationCount)
        var nextID: UInt128 = 1_000
        var idRandom = SplitMix64(seed: ~seed)
        func add(_ kind: LedgerOperation.Kind) {
            let id = randomIDs ? UInt128(idRandom.next()) << 64 | UInt128(idRandom.next()) : nextID
            operations.append(LedgerOperation(id: LedgerOperationID(id), kind: kind))
            nextID += 1
        }
        var trade = 0
        while operations.count < operationCount {
            let profile = profiles[trade % profiles.count]
            let symbol = symbols[trade % symbols.count]
            guard let tradeID = try? TradeID("TRD-" + random.hex32()), let orderID = try? OrderID("ENT-" + random.hex32()) else {
                fatalError("trade and order ids")
            }
            let side: PositionSide = random.next() % 2 == 0 ? .long : .short
            let quantity = random.decimal(1...5_000, digits: 3)          // 0.001 ... 5
            let limitPrice = random.decimal(100_000...10_000_000, digits: 2)   // 1,000 ... 100,000
            let firstFill = random.share(of: quantity)
            let secondFill = Self.difference(quantity, firstFill)
            let firstExit = random.share(of: quantity)
            let secondExit = Self.difference(quantity, firstExit)
            add(.reserveEntry(profileID: profile, orderID: orderID, symbol: symbol, tradeID: tradeID, side: side,
                              quantity: quantity, limitPrice: limitPrice))
            add(.fill(profileID: profile, orderID: orderID, quantity: firstFill, price: random.around(limitPrice, permille: 5)))
            add(.fill(profileID: profile, orderID: orderID, quantity: secondFill, price: random.around(limitPrice, permille: 5)))
            add(.exit(profileID: profile, symbol: symbol, tradeID: tradeID, quantity: firstExit,
                      price: random.around(limitPrice, permille: 20), fee: random.decimal(0...1_000, digits: 2)))
            add(.exit(profileID: profile, symbol: symbol, tradeID: tradeID, quantity: secondExit,
                      price: random.around(limitPrice, permille: 20), fee: .zero))
            trade += 1
        }
        operations.removeLast(operations.count - operationCount)
        self.operations = operations
        checkSameWork()
    }

    /// A ledger with every profile funded far beyond what the trades need.
    func fundedLedger(reserving: Bool = true) -> CapitalLedger {
        var ledger = CapitalLedger()
        if reserving { ledger.reserveCapacity(operations.count + profiles.count) }
        for (index, profile) in profiles.enumerated() {
            let funding = LedgerOperation(id: LedgerOperationID(UInt128(index + 1)),
                                          kind: .allocate(profileID: profile, amount: 1_000_000_000_000))
            guard (try? ledger.apply(funding)) == .created else { fatalError("funding refused") }
        }
        return ledger
    }

    /// Every operation must be created (no refusal, violation or error), or the samples would
    /// not measure the path they claim to.
    private func checkSameWork() {
        var ledger = fundedLedger()
        for operation in operations {
            guard let result = try? ledger.apply(operation), result == .created else {
                fatalError("workload operation \(operation) is not created")
            }
        }
    }

    private static func difference(_ lhs: ExactDecimal, _ rhs: ExactDecimal) -> ExactDecimal {
        guard let value = try? lhs.subtracting(rhs) else { fatalError("difference") }
        return value
    }
}

/// The benchmark's own draws from the seeded generator.
extension SplitMix64 {
    /// 32 lowercase hex digits.
    mutating func hex32() -> String {
        let digits = Array("0123456789abcdef")
        var text = ""
        for _ in 0..<2 {
            var word = next()
            for _ in 0..<16 {
                text.append(digits[Int(word & 15)])
                word >>= 4
            }
        }
        return text
    }

    /// `k * 10^-digits` for a random `k` in `range`.
    mutating func decimal(_ range: ClosedRange<Int>, digits: Int) -> ExactDecimal {
        let k = Int.random(in: range, using: &self)
        var scale: Int128 = 1
        for _ in 0..<(18 - digits) { scale *= 10 }
        return ExactDecimal(units: Int128(k) * scale)
    }

    /// A part of `quantity` strictly between zero and all of it (a tenth to nine tenths).
    mutating func share(of quantity: ExactDecimal) -> ExactDecimal {
        let part = ExactDecimal(units: quantity.units * Int128(Int.random(in: 1...9, using: &self)) / 10)
        return part.isPositive && part < quantity ? part : quantity
    }

    /// `price` moved by up to `permille` thousandths either way.
    mutating func around(_ price: ExactDecimal, permille: Int) -> ExactDecimal {
        let factor = decimal((1_000 - permille)...(1_000 + permille), digits: 3)
        guard let moved = try? price.multiplied(by: factor) else { fatalError("price") }
        return moved
    }
}

let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(
        metrics: [.throughput, .wallClock, .mallocCountTotal],
        timeUnits: .nanoseconds,
        warmupIterations: 3,
        maxDuration: .seconds(2),
        maxIterations: 10_000
    )

    Benchmark("Ledger.mixed", configuration: .init(scalingFactor: .kilo)) { benchmark in
        try measure(benchmark, LedgerWorkload.kilo)
    }

    // Total CPU time as well: on a shared machine the wall clock of a long sample includes time
    // the process was not running.
    Benchmark("Ledger.mixed 1M-operation ledger", configuration: .init(
        metrics: [.throughput, .wallClock, .cpuTotal, .mallocCountTotal],
        warmupIterations: 1, scalingFactor: .mega, maxDuration: .seconds(30), maxIterations: 10)) { benchmark in
        try measure(benchmark, LedgerWorkload.mega)
    }

    Benchmark("Ledger.mixed 1M-operation ledger, random ids", configuration: .init(
        metrics: [.throughput, .wallClock, .cpuTotal, .mallocCountTotal],
        warmupIterations: 1, scalingFactor: .mega, maxDuration: .seconds(30), maxIterations: 10)) { benchmark in
        try measure(benchmark, LedgerWorkload.megaRandomIDs)
    }

    Benchmark("Ledger.mixed 1M-operation ledger, no reservation", configuration: .init(
        metrics: [.throughput, .wallClock, .cpuTotal, .mallocCountTotal],
        warmupIterations: 1, scalingFactor: .mega, maxDuration: .seconds(30), maxIterations: 10)) { benchmark in
        try measure(benchmark, LedgerWorkload.mega, reserving: false)
    }
}

/// Applies the workload's operations, one per scaled iteration, to a new funded ledger.
private func measure(_ benchmark: Benchmark, _ workload: LedgerWorkload, reserving: Bool = true) throws {
    var ledger = workload.fundedLedger(reserving: reserving)
    try workload.operations.withUnsafeBufferPointer { operations in
        benchmark.startMeasurement()
        for index in benchmark.scaledIterations {
            blackHole(try ledger.apply(operations[index]))
        }
        benchmark.stopMeasurement()
    }
    blackHole(ledger)
}
