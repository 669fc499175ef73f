// Property tests of ExactDecimal against an independent oracle: arbitrary-precision integers
// (attaswift/BigInt) holding the value scaled by 10^18, read from and written to text by plain
// string handling, and rounding written from the definitions of the modes (floor, ceiling,
// distance to each), not from the implementation's magnitude arithmetic.

import BigInt
import PropertyBased
import Testing
import TradeLifecycle

// MARK: - Oracle

/// An independent model of ``ExactDecimal``: the value times 10^18 as a `BigInt`.
enum DecimalOracle {
    static let scale = 18
    static let unitsPerOne = BigInt(10).power(scale)
    /// The largest magnitude in units: 2^127 - 1.
    static let maxUnits = BigInt(2).power(127) - 1

    /// Why the oracle refuses a text, in the order the checks are made.
    enum Refusal: Error, Equatable {
        case empty
        case notPlain
        case tooManyFractionalDigits
        case overflow
    }

    /// Reads `-?[0-9]+(\.[0-9]+)?` by string surgery: drop the fraction's trailing zeros, pad it
    /// to 18 digits, and read whole and fraction as one integer.
    static func units(fromText text: String) -> Result<BigInt, Refusal> {
        if text.isEmpty { return .failure(.empty) }
        var body = Substring(text)
        var negative = false
        if body.first == "-" {
            negative = true
            body = body.dropFirst()
        }
        let parts = body.split(separator: ".", maxSplits: 2, omittingEmptySubsequences: false)
        guard parts.count <= 2 else { return .failure(.notPlain) }
        let isDigits = { (part: Substring) in !part.isEmpty && part.unicodeScalars.allSatisfy { ("0"..."9").contains($0) } }
        guard isDigits(parts[0]) else { return .failure(.notPlain) }
        var fraction = ""
        if parts.count == 2 {
            guard isDigits(parts[1]) else { return .failure(.notPlain) }
            fraction = String(parts[1])
        }
        while fraction.hasSuffix("0") { fraction.removeLast() }
        guard fraction.count <= scale else { return .failure(.tooManyFractionalDigits) }
        fraction += String(repeating: "0", count: scale - fraction.count)
        let magnitude = BigInt(String(parts[0]) + fraction)!
        guard magnitude <= maxUnits else { return .failure(.overflow) }
        return .success(negative ? -magnitude : magnitude)
    }

    /// Writes units in the canonical form: digits padded to at least 19, a point 18 from the
    /// right, trailing fractional zeros and leading whole zeros removed.
    static func text(fromUnits units: BigInt) -> String {
        var digits = String(units.magnitude)
        if digits.count <= scale {
            digits = String(repeating: "0", count: scale + 1 - digits.count) + digits
        }
        var whole = String(digits.dropLast(scale))
        var fraction = String(digits.suffix(scale))
        while fraction.hasSuffix("0") { fraction.removeLast() }
        while whole.count > 1, whole.hasPrefix("0") { whole.removeFirst() }
        let magnitude = fraction.isEmpty ? whole : whole + "." + fraction
        return units < 0 ? "-" + magnitude : magnitude
    }

    static func units(of value: ExactDecimal) -> BigInt {
        BigInt(String(value.units))!
    }

    /// The integer nearest to `numerator / denominator` by the mode's definition; nil when the
    /// result is outside the range of ``ExactDecimal``.
    static func round(_ numerator: BigInt, over denominator: BigInt, _ mode: DecimalRoundingMode) -> BigInt? {
        precondition(denominator != 0)
        // Normalise to a positive denominator, then floor and ceiling.
        let (n, d) = denominator < 0 ? (-numerator, -denominator) : (numerator, denominator)
        var floor = n / d  // truncates toward zero
        if n % d != 0, n < 0 { floor -= 1 }
        let exact = floor * d == n
        let ceiling = exact ? floor : floor + 1
        let result: BigInt
        if exact {
            result = floor
        } else {
            let belowDistance = n - floor * d  // distance to floor, times d
            let aboveDistance = ceiling * d - n
            switch mode {
            case .down: result = floor
            case .up: result = ceiling
            case .towardZero: result = n > 0 ? floor : ceiling
            case .awayFromZero: result = n > 0 ? ceiling : floor
            case .halfEven, .halfAwayFromZero:
                if belowDistance < aboveDistance {
                    result = floor
                } else if aboveDistance < belowDistance {
                    result = ceiling
                } else if mode == .halfEven {
                    result = floor % 2 == 0 ? floor : ceiling
                } else {
                    result = n > 0 ? ceiling : floor
                }
            }
        }
        return result.magnitude <= maxUnits.magnitude ? result : nil
    }
}

// MARK: - Generators

enum DecimalGen {
    static func powerOfTen(_ exponent: Int) -> Int128 {
        var result: Int128 = 1
        for _ in 0..<exponent { result *= 10 }
        return result
    }

    /// Any value, with the number of digits of its units spread evenly over 0...39, so that tiny,
    /// ordinary and huge magnitudes (and zero) all come up often.
    static let any = zip(Gen.int(in: 0...39), Gen.int128(in: -Int128.max...Int128.max))
        .map { digits, raw in ExactDecimal(units: digits == 39 ? raw : raw % powerOfTen(digits)) }

    /// Values at most a third of ``ExactDecimal/max`` in magnitude: a sum of three never overflows.
    static let third = zip(Gen.int(in: 0...38), Gen.int128(in: -(Int128.max / 3)...(Int128.max / 3)))
        .map { digits, raw in ExactDecimal(units: raw % powerOfTen(digits)) }

    /// Values with at most 4 fractional digits and magnitude below 10^8: products of two are exact.
    static let fewDigits = Gen.int64(in: -1_000_000_000_000...1_000_000_000_000)
        .map { ExactDecimal(units: Int128($0) * powerOfTen(14)) }

    /// Whole numbers below 10^9 in magnitude.
    static let integer = Gen.int(in: -1_000_000_000...1_000_000_000).map { ExactDecimal($0) }

    /// Values within 10^20 units of the range's ends, or within 10^6 units of ±1.
    static let edge = zip(Gen.bool, Gen.bool, Gen.int128(in: 0...100_000_000_000_000_000_000))
        .map { nearMax, negative, offset in
            let magnitude = nearMax ? Int128.max - offset : powerOfTen(18) - 1_000_000 + offset % 2_000_001
            return ExactDecimal(units: negative ? -magnitude : magnitude)
        }

    static let mode = Gen<DecimalRoundingMode>.case

    /// Text in the grammar: optional `-`, 1...22 whole digits (leading zeros included), and
    /// optionally a point and 1...20 fractional digits (trailing zeros included).
    static let text = zip(Gen.bool, Gen.number.string(of: 1...22), Gen.bool, Gen.number.string(of: 1...20))
        .map { negative, whole, hasFraction, fraction in
            (negative ? "-" : "") + whole + (hasFraction ? "." + fraction : "")
        }

    /// Short strings over an alphabet of digits and the characters that break numbers.
    static let noise = Gen<Character?>.element(of: Array("0123456789000.-+eE nNaIif,x_") as [Character])
        .map { $0! }
        .string(of: 0...24)
}

// MARK: - Text

@Suite("ExactDecimal text properties")
struct ExactDecimalTextPropertyTests {
    @Test func formatThenParseIsIdentity() async {
        await propertyCheck(count: 2000, input: DecimalGen.any) { value throws in
            #expect(try ExactDecimal(value.description) == value)
        }
    }

    @Test func formatIsCanonical() async {
        await propertyCheck(count: 2000, input: DecimalGen.any) { value throws in
            let text = value.description
            #expect(text == DecimalOracle.text(fromUnits: DecimalOracle.units(of: value)))
            #expect(!text.contains("e") && !text.contains("E") && !text.contains("+"))
            #expect(!text.hasPrefix("-0") || text.hasPrefix("-0."), "\(text)")
            #expect(text != "-0")
            if value.isZero { #expect(text == "0") }
            if text.contains(".") { #expect(!text.hasSuffix("0") && !text.hasSuffix("."), "\(text)") }
            #expect(!(text.hasPrefix("0") && text.count > 1 && !text.hasPrefix("0.")), "\(text)")
            #expect(text.hasPrefix("-") == value.isNegative)
        }
    }

    @Test func parseAgreesWithOracleOnTextInTheGrammar() async {
        await propertyCheck(count: 2000, input: DecimalGen.text) { text throws in
            let parsed = Result { () throws(DecimalError) in try ExactDecimal(text) }
            switch (DecimalOracle.units(fromText: text), parsed) {
            case (.success(let expected), .success(let value)):
                #expect(DecimalOracle.units(of: value) == expected, "\(text)")
            case (.failure(.tooManyFractionalDigits), .failure(let error)):
                #expect(error.code == .tooManyFractionalDigits, "\(text)")
            case (.failure(.overflow), .failure(let error)):
                #expect(error.code == .overflow, "\(text)")
            case (let expected, let actual):
                Issue.record("\(text): oracle \(expected), parsed \(actual)")
            }
        }
    }

    @Test func parseAcceptsExactlyWhatTheOracleAccepts() async {
        await propertyCheck(count: 3000, input: DecimalGen.noise) { text throws in
            let parsed = Result { () throws(DecimalError) in try ExactDecimal(text) }
            switch (DecimalOracle.units(fromText: text), parsed) {
            case (.success(let expected), .success(let value)):
                #expect(DecimalOracle.units(of: value) == expected, "\(text)")
            case (.failure(let refusal), .failure(let error)):
                switch refusal {
                case .empty: #expect(error.code == .empty, "\(text)")
                case .tooManyFractionalDigits: #expect(error.code == .tooManyFractionalDigits, "\(text)")
                case .overflow: #expect(error.code == .overflow, "\(text)")
                case .notPlain: #expect(![.tooManyFractionalDigits, .overflow].contains(error.code), "\(text): \(error)")
                }
                #expect(error.input == text)
            case (let expected, let actual):
                Issue.record("\(text.debugDescription): oracle \(expected), parsed \(actual)")
            }
        }
    }

    @Test func zerosAroundTheDigitsDoNotChangeTheValue() async {
        await propertyCheck(count: 1000, input: DecimalGen.any, Gen.int(in: 0...30), Gen.int(in: 0...30)) { value, leading, trailing throws in
            var text = value.description
            let negative = text.hasPrefix("-")
            if negative { text.removeFirst() }
            text = String(repeating: "0", count: leading) + text
            if trailing > 0 { text += (text.contains(".") ? "" : ".") + String(repeating: "0", count: trailing) }
            #expect(try ExactDecimal((negative ? "-" : "") + text) == value)
        }
    }
}

// MARK: - Ordering

@Suite("ExactDecimal ordering properties")
struct ExactDecimalOrderingPropertyTests {
    static func oracleValue(_ text: String) -> BigInt? {
        try? DecimalOracle.units(fromText: text).get()
    }

    @Test func orderingAgreesWithOracleOnParsedText() async {
        await propertyCheck(count: 2000, input: DecimalGen.text, DecimalGen.text) { lhsText, rhsText throws in
            guard let lhsUnits = Self.oracleValue(lhsText), let rhsUnits = Self.oracleValue(rhsText) else { return }
            let lhs = try ExactDecimal(lhsText)
            let rhs = try ExactDecimal(rhsText)
            #expect((lhs < rhs) == (lhsUnits < rhsUnits))
            #expect((lhs == rhs) == (lhsUnits == rhsUnits))
            #expect((lhs > rhs) == (lhsUnits > rhsUnits))
        }
    }

    /// Pairs that differ in one digit, so that near-equal values are compared often.
    @Test func orderingAgreesWithOracleOnNearValues() async {
        await propertyCheck(count: 2000, input: DecimalGen.text, Gen.int(in: 0...100), Gen.number) { text, position, digit throws in
            var characters = Array(text)
            let digitIndices = characters.indices.filter { characters[$0].isNumber }
            characters[digitIndices[position % digitIndices.count]] = digit
            let otherText = String(characters)
            guard let lhsUnits = Self.oracleValue(text), let rhsUnits = Self.oracleValue(otherText) else { return }
            let lhs = try ExactDecimal(text)
            let rhs = try ExactDecimal(otherText)
            #expect((lhs < rhs) == (lhsUnits < rhsUnits), "\(text) vs \(otherText)")
            #expect((lhs == rhs) == (lhsUnits == rhsUnits), "\(text) vs \(otherText)")
        }
    }

    @Test func orderingAgreesWithOracleOnAnyValues() async {
        await propertyCheck(count: 2000, input: DecimalGen.any, DecimalGen.any) { lhs, rhs throws in
            let lhsUnits = try #require(Self.oracleValue(lhs.description))
            let rhsUnits = try #require(Self.oracleValue(rhs.description))
            #expect((lhs < rhs) == (lhsUnits < rhsUnits))
            #expect((lhs == rhs) == (lhsUnits == rhsUnits))
            #expect((lhs.hashValue == rhs.hashValue) || lhs != rhs)
        }
    }
}

// MARK: - Addition

@Suite("ExactDecimal addition properties")
struct ExactDecimalAdditionPropertyTests {
    @Test func addingAgreesWithOracle() async {
        await propertyCheck(count: 2000, input: DecimalGen.any, DecimalGen.any) { a, b throws in
            let exact = DecimalOracle.units(of: a) + DecimalOracle.units(of: b)
            let fits = exact.magnitude <= DecimalOracle.maxUnits.magnitude
            let (sum, overflow) = a.addingReportingOverflow(b)
            #expect(overflow == !fits, "\(a) + \(b)")
            if fits {
                #expect(DecimalOracle.units(of: sum) == exact)
                #expect(try a.adding(b) == sum)
            } else {
                let error = #expect(throws: DecimalError.self) { try a.adding(b) }
                #expect(error?.code == .overflow)
            }
        }
    }

    @Test func addingEdgesAgreesWithOracle() async {
        await propertyCheck(count: 1000, input: DecimalGen.edge, DecimalGen.edge) { a, b throws in
            let exact = DecimalOracle.units(of: a) + DecimalOracle.units(of: b)
            #expect(a.addingReportingOverflow(b).overflow == (exact.magnitude > DecimalOracle.maxUnits.magnitude))
            let difference = DecimalOracle.units(of: a) - DecimalOracle.units(of: b)
            #expect(a.subtractingReportingOverflow(b).overflow == (difference.magnitude > DecimalOracle.maxUnits.magnitude))
        }
    }

    @Test func addingIsCommutative() async {
        await propertyCheck(count: 1000, input: DecimalGen.any, DecimalGen.any) { a, b throws in
            let ab = a.addingReportingOverflow(b)
            let ba = b.addingReportingOverflow(a)
            #expect(ab.overflow == ba.overflow)
            if !ab.overflow { #expect(ab.partialValue == ba.partialValue) }
        }
    }

    @Test func addingIsAssociative() async {
        await propertyCheck(count: 1000, input: DecimalGen.third, DecimalGen.third, DecimalGen.third) { a, b, c throws in
            #expect(try a.adding(b).adding(c) == a.adding(b.adding(c)))
        }
    }

    @Test func zeroAndInverse() async {
        await propertyCheck(count: 1000, input: DecimalGen.any) { a throws in
            #expect(try a.adding(.zero) == a)
            #expect(try a.subtracting(.zero) == a)
            #expect(try a.adding(a.negated) == .zero)
            #expect(try a.subtracting(a) == .zero)
            #expect(a.negated.negated == a)
            #expect(-a == a.negated)
            #expect(a.magnitude == (a.isNegative ? a.negated : a))
            #expect(try ExactDecimal.zero.subtracting(a) == a.negated)
        }
    }

    @Test func subtractingIsAddingTheNegation() async {
        await propertyCheck(count: 2000, input: DecimalGen.any, DecimalGen.any) { a, b throws in
            let difference = a.subtractingReportingOverflow(b)
            let sum = a.addingReportingOverflow(b.negated)
            #expect(difference.overflow == sum.overflow)
            if !difference.overflow {
                #expect(difference.partialValue == sum.partialValue)
                #expect(try a.subtracting(b) == a.adding(-b))
            }
        }
    }

    @Test func reportingPartialValuesStayInRange() async {
        await propertyCheck(count: 1000, input: DecimalGen.edge, DecimalGen.edge) { a, b throws in
            // Whatever an overflowing partial value is, using it must not trap.
            for value in [a.addingReportingOverflow(b).partialValue, a.subtractingReportingOverflow(b).partialValue] {
                #expect(value.negated.negated == value)
                #expect(value.magnitude >= .zero)
                #expect(value >= .min && value <= .max)
            }
        }
    }
}

// MARK: - Multiplication and division

@Suite("ExactDecimal multiplication and division properties")
struct ExactDecimalProductPropertyTests {
    static func checkProduct(_ a: ExactDecimal, _ b: ExactDecimal, _ mode: DecimalRoundingMode) {
        let expected = DecimalOracle.round(DecimalOracle.units(of: a) * DecimalOracle.units(of: b),
                                           over: DecimalOracle.unitsPerOne, mode)
        let result = Result { () throws(DecimalError) in try a.multiplied(by: b, rounding: mode) }
        switch (expected, result) {
        case (let expected?, .success(let product)):
            #expect(DecimalOracle.units(of: product) == expected, "\(a) * \(b) \(mode)")
        case (nil, .failure(let error)):
            #expect(error.code == .overflow, "\(a) * \(b) \(mode)")
        case (let expected, let actual):
            Issue.record("\(a) * \(b) \(mode): oracle \(String(describing: expected)), got \(actual)")
        }
    }

    static func checkQuotient(_ a: ExactDecimal, _ b: ExactDecimal, _ mode: DecimalRoundingMode) {
        let result = Result { () throws(DecimalError) in try a.divided(by: b, rounding: mode) }
        if b.isZero {
            guard case .failure(let error) = result else {
                Issue.record("\(a) / 0 gave \(result)")
                return
            }
            #expect(error.code == .divisionByZero)
            return
        }
        let expected = DecimalOracle.round(DecimalOracle.units(of: a) * DecimalOracle.unitsPerOne,
                                           over: DecimalOracle.units(of: b), mode)
        switch (expected, result) {
        case (let expected?, .success(let quotient)):
            #expect(DecimalOracle.units(of: quotient) == expected, "\(a) / \(b) \(mode)")
        case (nil, .failure(let error)):
            #expect(error.code == .overflow, "\(a) / \(b) \(mode)")
        case (let expected, let actual):
            Issue.record("\(a) / \(b) \(mode): oracle \(String(describing: expected)), got \(actual)")
        }
    }

    @Test func multipliedAgreesWithOracle() async {
        await propertyCheck(count: 3000, input: DecimalGen.any, DecimalGen.any, DecimalGen.mode) { a, b, mode throws in
            Self.checkProduct(a, b, mode)
        }
    }

    @Test func multipliedAgreesWithOracleAtTheEdges() async {
        await propertyCheck(count: 2000, input: DecimalGen.edge, DecimalGen.edge, DecimalGen.mode) { a, b, mode throws in
            Self.checkProduct(a, b, mode)
        }
    }

    @Test func dividedAgreesWithOracle() async {
        await propertyCheck(count: 3000, input: DecimalGen.any, DecimalGen.any, DecimalGen.mode) { a, b, mode throws in
            Self.checkQuotient(a, b, mode)
        }
    }

    @Test func dividedAgreesWithOracleAtTheEdges() async {
        await propertyCheck(count: 2000, input: DecimalGen.edge, DecimalGen.edge, DecimalGen.mode) { a, b, mode throws in
            Self.checkQuotient(a, b, mode)
        }
    }

    /// Small divisors make ties and near-ties at the 18th digit common.
    @Test func dividedBySmallIntegersAgreesWithOracle() async {
        await propertyCheck(count: 2000, input: DecimalGen.any, Gen.int(in: -16...16), DecimalGen.mode) { a, divisor, mode throws in
            Self.checkQuotient(a, ExactDecimal(divisor), mode)
        }
    }

    @Test func roundedAgreesWithOracle() async {
        await propertyCheck(count: 3000, input: DecimalGen.any, Gen.int(in: 0...18), DecimalGen.mode) { a, digits, mode throws in
            let step = BigInt(10).power(18 - digits)
            let expected = DecimalOracle.round(DecimalOracle.units(of: a), over: step, mode).map { $0 * step }
            let result = Result { () throws(DecimalError) in try a.rounded(toFractionalDigits: digits, rounding: mode) }
            switch (expected, result) {
            case (let expected?, .success(let rounded)) where expected.magnitude <= DecimalOracle.maxUnits.magnitude:
                #expect(DecimalOracle.units(of: rounded) == expected, "\(a) to \(digits) \(mode)")
            case (let expected, .failure(let error)):
                #expect(expected == nil || expected!.magnitude > DecimalOracle.maxUnits.magnitude, "\(a) to \(digits) \(mode)")
                #expect(error.code == .overflow)
            case (let expected, let actual):
                Issue.record("\(a) to \(digits) \(mode): oracle \(String(describing: expected)), got \(actual)")
            }
        }
    }

    @Test func multiplyingByOneAndZero() async {
        await propertyCheck(count: 1000, input: DecimalGen.any, DecimalGen.mode) { a, mode throws in
            #expect(try a.multiplied(by: .one, rounding: mode) == a)
            #expect(try ExactDecimal.one.multiplied(by: a, rounding: mode) == a)
            #expect(try a.multiplied(by: -1, rounding: mode) == a.negated)
            #expect(try a.multiplied(by: .zero, rounding: mode) == .zero)
            #expect(try ExactDecimal.zero.multiplied(by: a, rounding: mode) == .zero)
            #expect(try a.divided(by: .one, rounding: mode) == a)
        }
    }

    @Test func multipliedIsCommutative() async {
        await propertyCheck(count: 2000, input: DecimalGen.any, DecimalGen.any, DecimalGen.mode) { a, b, mode throws in
            let ab = Result { () throws(DecimalError) in try a.multiplied(by: b, rounding: mode) }
            let ba = Result { () throws(DecimalError) in try b.multiplied(by: a, rounding: mode) }
            switch (ab, ba) {
            case (.success(let x), .success(let y)): #expect(x == y)
            case (.failure(let x), .failure(let y)): #expect(x.code == y.code)
            default: Issue.record("\(a) * \(b): \(ab) vs \(ba)")
            }
        }
    }

    @Test func multipliedIsAssociativeWhenExact() async {
        await propertyCheck(count: 1000, input: DecimalGen.integer, DecimalGen.fewDigits, DecimalGen.integer) { a, b, c throws in
            // |a*b*c| < 10^26 could overflow: keep the property to products that fit.
            guard let ab = try? a.multiplied(by: b), let bc = try? b.multiplied(by: c),
                  let left = try? ab.multiplied(by: c) else { return }
            #expect(try left == a.multiplied(by: bc))
        }
    }

    @Test func distributesWhenExact() async {
        await propertyCheck(count: 2000, input: DecimalGen.fewDigits, DecimalGen.fewDigits, DecimalGen.fewDigits) { a, b, c throws in
            let left = try a.multiplied(by: b.adding(c))
            let right = try a.multiplied(by: b).adding(a.multiplied(by: c))
            #expect(left == right, "\(a) * (\(b) + \(c))")
        }
    }

    @Test func distributesOverIntegers() async {
        await propertyCheck(count: 1000, input: DecimalGen.integer, DecimalGen.integer, DecimalGen.integer) { a, b, c throws in
            #expect(try a.multiplied(by: b.adding(c)) == a.multiplied(by: b).adding(a.multiplied(by: c)))
        }
    }

    @Test func divisionUndoesExactMultiplication() async {
        await propertyCheck(count: 2000, input: DecimalGen.fewDigits, DecimalGen.fewDigits, DecimalGen.mode) { a, b, mode throws in
            guard !b.isZero else { return }
            let product = try a.multiplied(by: b, rounding: mode)
            #expect(try product.divided(by: b, rounding: mode) == a, "(\(a) * \(b)) / \(b)")
        }
    }

    @Test func divisionByZeroNeverTraps() async {
        await propertyCheck(count: 500, input: DecimalGen.any, DecimalGen.mode) { a, mode throws in
            let error = #expect(throws: DecimalError.self) { try a.divided(by: .zero, rounding: mode) }
            #expect(error?.code == .divisionByZero)
        }
    }
}
