// ExactDecimal against Foundation.Decimal, the baseline for every benchmark in this file.
//
// Each operation is measured twice, "Decimal.<operation> ExactDecimal" and
// "Decimal.<operation> Foundation.Decimal", over the same 1,000 pre-generated inputs: one input
// per scaled iteration (scaling factor kilo), so the figures printed are per operation.
// The inputs look like what PostgreSQL prints for prices and quantities: up to 9 whole digits,
// no fraction, 2 digits, a fixed 8 digits with trailing zeros (`numeric(20,8)`), or 1 to 18 digits.

import Benchmark
import Foundation
import TradeLifecycle
import TradeLifecycleTesting

/// The inputs of every benchmark, made once, identical for both implementations.
struct DecimalInputs: Sendable {
    /// The number of inputs; equal to the scaling factor, so each scaled iteration takes one.
    static let count = BenchmarkScalingFactor.kilo.rawValue

    /// PostgreSQL `numeric` text.
    let texts: [String]
    /// `texts` parsed by each implementation.
    let exact: [ExactDecimal]
    let foundation: [Decimal]
    /// For binary operations: input `i` is combined with input `partner[i]`.
    let partner: [Int]

    static let shared = DecimalInputs(seed: 0x5EED_DEC1)

    init(seed: UInt64) {
        var random = SplitMix64(seed: seed)
        var texts: [String] = []
        texts.reserveCapacity(Self.count)
        for _ in 0..<Self.count {
            texts.append(Self.numericText(using: &random))
        }
        self.texts = texts
        exact = texts.map { text in
            guard let value = try? ExactDecimal(text) else { fatalError("ExactDecimal refused \(text)") }
            return value
        }
        foundation = texts.map { text in
            guard let value = Decimal(string: text) else { fatalError("Foundation.Decimal refused \(text)") }
            return value
        }
        partner = (0..<Self.count).map { _ in Int.random(in: 0..<Self.count, using: &random) }
        checkSameWork()
    }

    /// Both implementations must read the same values and find the same sums, or the pairs would
    /// not measure the same work.
    private func checkSameWork() {
        for index in 0..<Self.count {
            let other = partner[index]
            guard Decimal(string: exact[index].description) == foundation[index] else {
                fatalError("inputs differ at \(texts[index]): \(exact[index]) vs \(foundation[index])")
            }
            guard let sum = try? exact[index].adding(exact[other]),
                  Decimal(string: sum.description) == foundation[index] + foundation[other] else {
                fatalError("sums differ at \(texts[index]) + \(texts[other])")
            }
            guard (exact[index] < exact[other]) == (foundation[index] < foundation[other]) else {
                fatalError("order differs at \(texts[index]) < \(texts[other])")
            }
        }
    }

    private static func numericText(using random: inout SplitMix64) -> String {
        let negative = random.next() % 4 == 0
        let wholeDigits = Int.random(in: 1...9, using: &random)
        var text = negative ? "-" : ""
        text += String(UInt64.random(in: 0..<powerOfTen(wholeDigits), using: &random))
        let fractionDigits: Int
        switch random.next() % 4 {
        case 0: fractionDigits = 0
        case 1: fractionDigits = 2
        case 2: fractionDigits = 8
        default: fractionDigits = Int.random(in: 1...18, using: &random)
        }
        if fractionDigits > 0 {
            var fraction = String(UInt64.random(in: 0..<powerOfTen(fractionDigits), using: &random))
            fraction = String(repeating: "0", count: fractionDigits - fraction.count) + fraction
            if fractionDigits == 8 {
                // numeric(20,8) pads with zeros: keep 2 to 8 significant digits.
                let kept = Int.random(in: 2...8, using: &random)
                fraction = String(fraction.prefix(kept)) + String(repeating: "0", count: 8 - kept)
            }
            text += "." + fraction
        }
        return text
    }

    private static func powerOfTen(_ exponent: Int) -> UInt64 {
        var result: UInt64 = 1
        for _ in 0..<exponent { result *= 10 }
        return result
    }
}

let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(
        metrics: [.throughput, .wallClock, .mallocCountTotal],
        timeUnits: .nanoseconds,
        warmupIterations: 10,
        scalingFactor: .kilo,
        maxDuration: .seconds(2),
        maxIterations: 100_000
    )

    // MARK: parse

    Benchmark("Decimal.parse ExactDecimal") { benchmark in
        let texts = DecimalInputs.shared.texts
        benchmark.startMeasurement()
        for index in benchmark.scaledIterations {
            blackHole(try ExactDecimal(texts[index]))
        }
    }

    Benchmark("Decimal.parse Foundation.Decimal") { benchmark in
        let texts = DecimalInputs.shared.texts
        benchmark.startMeasurement()
        for index in benchmark.scaledIterations {
            blackHole(Decimal(string: texts[index]))
        }
    }

    // MARK: format

    Benchmark("Decimal.format ExactDecimal") { benchmark in
        let values = DecimalInputs.shared.exact
        benchmark.startMeasurement()
        for index in benchmark.scaledIterations {
            blackHole(values[index].description)
        }
    }

    Benchmark("Decimal.format Foundation.Decimal") { benchmark in
        let values = DecimalInputs.shared.foundation
        benchmark.startMeasurement()
        for index in benchmark.scaledIterations {
            blackHole(values[index].description)
        }
    }

    // MARK: parse + format

    Benchmark("Decimal.parse+format ExactDecimal") { benchmark in
        let texts = DecimalInputs.shared.texts
        benchmark.startMeasurement()
        for index in benchmark.scaledIterations {
            blackHole(try ExactDecimal(texts[index]).description)
        }
    }

    Benchmark("Decimal.parse+format Foundation.Decimal") { benchmark in
        let texts = DecimalInputs.shared.texts
        benchmark.startMeasurement()
        for index in benchmark.scaledIterations {
            blackHole(Decimal(string: texts[index])?.description)
        }
    }

    // MARK: add

    Benchmark("Decimal.add ExactDecimal") { benchmark in
        let values = DecimalInputs.shared.exact
        let partner = DecimalInputs.shared.partner
        benchmark.startMeasurement()
        for index in benchmark.scaledIterations {
            blackHole(try values[index].adding(values[partner[index]]))
        }
    }

    Benchmark("Decimal.add Foundation.Decimal") { benchmark in
        let values = DecimalInputs.shared.foundation
        let partner = DecimalInputs.shared.partner
        benchmark.startMeasurement()
        for index in benchmark.scaledIterations {
            blackHole(values[index] + values[partner[index]])
        }
    }

    // MARK: compare

    Benchmark("Decimal.compare ExactDecimal") { benchmark in
        let values = DecimalInputs.shared.exact
        let partner = DecimalInputs.shared.partner
        benchmark.startMeasurement()
        for index in benchmark.scaledIterations {
            blackHole(values[index] < values[partner[index]])
        }
    }

    Benchmark("Decimal.compare Foundation.Decimal") { benchmark in
        let values = DecimalInputs.shared.foundation
        let partner = DecimalInputs.shared.partner
        benchmark.startMeasurement()
        for index in benchmark.scaledIterations {
            blackHole(values[index] < values[partner[index]])
        }
    }

    // MARK: multiply
    // ExactDecimal rounds the product to 18 fractional digits (half-even); Foundation.Decimal
    // keeps 38 significant digits. Both compute the full product of the same operands.

    Benchmark("Decimal.multiply ExactDecimal") { benchmark in
        let values = DecimalInputs.shared.exact
        let partner = DecimalInputs.shared.partner
        benchmark.startMeasurement()
        for index in benchmark.scaledIterations {
            blackHole(try values[index].multiplied(by: values[partner[index]]))
        }
    }

    Benchmark("Decimal.multiply Foundation.Decimal") { benchmark in
        let values = DecimalInputs.shared.foundation
        let partner = DecimalInputs.shared.partner
        benchmark.startMeasurement()
        for index in benchmark.scaledIterations {
            blackHole(values[index] * values[partner[index]])
        }
    }
}
