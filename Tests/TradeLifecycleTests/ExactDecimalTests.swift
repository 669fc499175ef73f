// Example-based tests of ExactDecimal: parsing PostgreSQL numeric text, the canonical text form,
// the boundaries, rounding tables for every mode, overflow and Codable.
//
// Every expected value below was worked out by hand from the decimal text, never printed by the
// code under test.

import Foundation
import Testing
import TradeLifecycle

// MARK: - Parsing valid text

@Suite("ExactDecimal parsing")
struct ExactDecimalParsingTests {
    /// PostgreSQL `numeric` output, the value in units of 10⁻¹⁸ and the canonical form.
    static let valid: [(text: String, units: Int128, canonical: String)] = [
        ("-12.3400", -12_340_000_000_000_000_000, "-12.34"),
        ("0.001", 1_000_000_000_000_000, "0.001"),
        ("42", 42_000_000_000_000_000_000, "42"),
        ("-0", 0, "0"),
        ("0", 0, "0"),
        ("-0.000", 0, "0"),
        ("0000", 0, "0"),
        ("0007.50", 7_500_000_000_000_000_000, "7.5"),
        ("-0003", -3_000_000_000_000_000_000, "-3"),
        ("1.10", 1_100_000_000_000_000_000, "1.1"),
        ("0.000000000000000001", 1, "0.000000000000000001"),
        ("-0.000000000000000001", -1, "-0.000000000000000001"),
        ("123.123456789012345678", 123_123_456_789_012_345_678, "123.123456789012345678"),
        ("0.100000000000000001", 100_000_000_000_000_001, "0.100000000000000001"),
        // Trailing zeros beyond 18 digits: only significant digits count.
        ("1.5000000000000000000000", 1_500_000_000_000_000_000, "1.5"),
        ("-2.000000000000000000000000000000", -2_000_000_000_000_000_000, "-2"),
        ("0.000000000000000001000000", 1, "0.000000000000000001"),
        ("100000000000000000000", 100_000_000_000_000_000_000_000_000_000_000_000_000, "100000000000000000000"),
        // Leading zeros in any number.
        (String(repeating: "0", count: 400) + "1.25", 1_250_000_000_000_000_000, "1.25"),
    ]

    @Test("parses PostgreSQL numeric text", arguments: valid)
    func parsesNumericText(text: String, units: Int128, canonical: String) throws {
        let value = try ExactDecimal(text)
        #expect(value.units == units)
        #expect(value.description == canonical)
        #expect(try ExactDecimal(canonical) == value)
    }

    @Test func negativeZeroIsZero() throws {
        let value = try ExactDecimal("-0")
        #expect(value == .zero)
        #expect(value.isZero)
        #expect(!value.isNegative)
        #expect(!value.isPositive)
        #expect(value.hashValue == ExactDecimal.zero.hashValue)
    }

    @Test func equalValuesWithDifferentTextAreEqualAndHashAlike() throws {
        let a = try ExactDecimal("1.50")
        let b = try ExactDecimal("0001.5000000")
        #expect(a == b)
        #expect(Set([a, b]).count == 1)
    }

    @Test func eighteenFractionalDigitsAreKept() throws {
        let text = "0.123456789012345678"
        #expect(try ExactDecimal(text).description == text)
        #expect(try ExactDecimal("-" + text).description == "-" + text)
    }

    @Test func integerInitializerAndLiteral() {
        #expect(ExactDecimal(5).units == 5_000_000_000_000_000_000)
        #expect(ExactDecimal(-7).description == "-7")
        #expect(ExactDecimal(Int.max).description == "9223372036854775807")
        #expect(ExactDecimal(Int.min).description == "-9223372036854775808")
        let literal: ExactDecimal = 12
        #expect(literal == ExactDecimal(12))
        #expect(ExactDecimal(0) == .zero)
        #expect(ExactDecimal.one.description == "1")
        #expect(ExactDecimal.leastNonzeroMagnitude.description == "0.000000000000000001")
    }
}

// MARK: - Boundaries

@Suite("ExactDecimal boundaries")
struct ExactDecimalBoundaryTests {
    // Int128.max = 170141183460469231731687303715884105727, split 18 digits from the right.
    static let maxText = "170141183460469231731.687303715884105727"

    @Test func maxAndMinText() throws {
        #expect(ExactDecimal.max.description == Self.maxText)
        #expect(ExactDecimal.min.description == "-" + Self.maxText)
        #expect(try ExactDecimal(Self.maxText) == .max)
        #expect(try ExactDecimal("-" + Self.maxText) == .min)
        #expect(try ExactDecimal(ExactDecimal.max.description) == .max)
        #expect(try ExactDecimal(ExactDecimal.min.description) == .min)
        #expect(ExactDecimal.min == ExactDecimal.max.negated)
        #expect(ExactDecimal.min.magnitude == .max)
        #expect(-ExactDecimal.min == .max)
    }

    static let beyond = [
        // One unit beyond max and min.
        "170141183460469231731.687303715884105728",
        "-170141183460469231731.687303715884105728",
        // The next whole number.
        "170141183460469231732",
        "-170141183460469231732",
        // 10^21: 22 digits of whole part.
        "1000000000000000000000",
        // 2^128, which does not fit the 128-bit accumulator at all.
        "340282366920938463463374607431768211456",
        "340282366920938463463374607431768211456.5",
        String(repeating: "9", count: 60),
    ]

    @Test("text beyond the range overflows", arguments: beyond)
    func beyondRangeOverflows(text: String) {
        let error = #expect(throws: DecimalError.self) { try ExactDecimal(text) }
        #expect(error?.code == .overflow)
        #expect(error?.input == text)
    }

    @Test func largestWholeNumberFits() throws {
        let value = try ExactDecimal("170141183460469231731")
        #expect(value.description == "170141183460469231731")
        #expect(value < .max)
    }
}

// MARK: - Malformed text

@Suite("ExactDecimal malformed text")
struct ExactDecimalMalformedTests {
    static let fourHundredDigits = "1" + String(repeating: "0", count: 399)

    static let malformed: [(text: String, code: DecimalError.Code)] = [
        ("", .empty),
        (" ", .empty),
        ("\t\n", .empty),
        ("1e5", .exponent),
        ("1E5", .exponent),
        ("1.5e-3", .exponent),
        ("-2E+10", .exponent),
        ("NaN", .notANumber),
        ("nan", .notANumber),
        ("-NaN", .notANumber),
        ("--1", .invalidCharacter),
        ("-", .invalidCharacter),
        ("1.2.3", .invalidCharacter),
        ("１", .invalidCharacter),  // FULLWIDTH DIGIT ONE
        ("١", .invalidCharacter),  // ARABIC-INDIC DIGIT ONE
        ("1\u{0301}", .invalidCharacter),  // a combining accent after a digit
        (fourHundredDigits, .overflow),
        ("+1", .invalidCharacter),
        ("1.", .invalidCharacter),
        ("-1.", .invalidCharacter),
        (".5", .invalidCharacter),
        ("-.5", .invalidCharacter),
        (" 1", .invalidCharacter),
        ("1 ", .invalidCharacter),
        ("1\n", .invalidCharacter),
        ("1 000", .invalidCharacter),
        ("1,5", .invalidCharacter),
        ("1_000", .invalidCharacter),
        ("1-", .invalidCharacter),
        ("inf", .infinite),
        ("Infinity", .infinite),
        ("-Infinity", .infinite),
        ("0x10", .invalidCharacter),
        ("abc", .invalidCharacter),
        // 19 significant fractional digits.
        ("0.1234567890123456789", .tooManyFractionalDigits),
        ("0.0000000000000000001", .tooManyFractionalDigits),
        ("-1.0000000000000000001", .tooManyFractionalDigits),
        ("1.00000000000000000010", .tooManyFractionalDigits),
        // What is wrong with the text as a whole wins over a long fraction.
        ("0.1234567890123456789e5", .exponent),
        ("0.1234567890123456789x", .invalidCharacter),
        ("0.1234567890123456789.1", .invalidCharacter),
    ]

    @Test("malformed text is a typed error naming the input", arguments: malformed)
    func malformedTextThrows(text: String, code: DecimalError.Code) {
        let error = #expect(throws: DecimalError.self) { try ExactDecimal(text) }
        guard let error else { return }
        #expect(error.code == code, "\(text.debugDescription)")
        #expect(error.input == text)
        if text.count <= 64 {
            #expect(error.description.contains("'\(text)'"), "\(error.description)")
        } else {
            // Long input is shortened in the message, never dropped.
            #expect(error.description.contains("'\(text.prefix(61))...'"), "\(error.description)")
        }
    }

    @Test func errorsCompareByCode() {
        let a = #expect(throws: DecimalError.self) { try ExactDecimal("1e5") }
        let b = #expect(throws: DecimalError.self) { try ExactDecimal("2E7") }
        #expect(a?.code == b?.code)
        #expect(a != b)  // the inputs differ
    }
}

// MARK: - Rounding tables

/// The expected result in each mode, in the order of ``DecimalRoundingMode/allCases``:
/// halfEven, halfAwayFromZero, towardZero, awayFromZero, down, up.
struct RoundingRow: Sendable, CustomTestStringConvertible {
    let input: String
    let expected: [String]
    var testDescription: String { input }

    init(_ input: String, _ halfEven: String, _ halfAwayFromZero: String, _ towardZero: String,
         _ awayFromZero: String, _ down: String, _ up: String) {
        self.input = input
        self.expected = [halfEven, halfAwayFromZero, towardZero, awayFromZero, down, up]
    }
}

@Suite("ExactDecimal rounding")
struct ExactDecimalRoundingTests {
    @Test func modeOrderIsTheTableOrder() {
        #expect(DecimalRoundingMode.allCases == [.halfEven, .halfAwayFromZero, .towardZero, .awayFromZero, .down, .up])
        #expect(DecimalRoundingMode.allCases.map(\.rawValue)
            == ["halfEven", "halfAwayFromZero", "towardZero", "awayFromZero", "down", "up"])
    }

    /// Rounding to whole numbers: ties, non-ties and exact values, both signs.
    static let toWhole: [RoundingRow] = [
        //        input   halfEven halfAway towardZero away  down  up
        RoundingRow("2.5", "2", "3", "2", "3", "2", "3"),
        RoundingRow("3.5", "4", "4", "3", "4", "3", "4"),
        RoundingRow("2.4", "2", "2", "2", "3", "2", "3"),
        RoundingRow("2.6", "3", "3", "2", "3", "2", "3"),
        RoundingRow("2.500000000000000001", "3", "3", "2", "3", "2", "3"),
        RoundingRow("2.499999999999999999", "2", "2", "2", "3", "2", "3"),
        RoundingRow("0.5", "0", "1", "0", "1", "0", "1"),
        RoundingRow("0.000000000000000001", "0", "0", "0", "1", "0", "1"),
        RoundingRow("2", "2", "2", "2", "2", "2", "2"),
        RoundingRow("0", "0", "0", "0", "0", "0", "0"),
        RoundingRow("-2.5", "-2", "-3", "-2", "-3", "-3", "-2"),
        RoundingRow("-3.5", "-4", "-4", "-3", "-4", "-4", "-3"),
        RoundingRow("-2.4", "-2", "-2", "-2", "-3", "-3", "-2"),
        RoundingRow("-2.6", "-3", "-3", "-2", "-3", "-3", "-2"),
        RoundingRow("-0.5", "0", "-1", "0", "-1", "-1", "0"),
        RoundingRow("-0.000000000000000001", "0", "0", "0", "-1", "-1", "0"),
        RoundingRow("-2", "-2", "-2", "-2", "-2", "-2", "-2"),
    ]

    @Test("rounded(toFractionalDigits: 0)", arguments: toWhole)
    func roundsToWholeNumbers(row: RoundingRow) throws {
        let value = try ExactDecimal(row.input)
        for (mode, expected) in zip(DecimalRoundingMode.allCases, row.expected) {
            let rounded = try value.rounded(toFractionalDigits: 0, rounding: mode)
            #expect(rounded == (try ExactDecimal(expected)), "\(row.input) \(mode)")
        }
    }

    /// Rounding to cents.
    static let toCents: [RoundingRow] = [
        RoundingRow("1.005", "1", "1.01", "1", "1.01", "1", "1.01"),
        RoundingRow("1.015", "1.02", "1.02", "1.01", "1.02", "1.01", "1.02"),
        RoundingRow("1.0151", "1.02", "1.02", "1.01", "1.02", "1.01", "1.02"),
        RoundingRow("1.0149", "1.01", "1.01", "1.01", "1.02", "1.01", "1.02"),
        RoundingRow("-1.005", "-1", "-1.01", "-1", "-1.01", "-1.01", "-1"),
        RoundingRow("-1.015", "-1.02", "-1.02", "-1.01", "-1.02", "-1.02", "-1.01"),
        RoundingRow("-1.0149", "-1.01", "-1.01", "-1.01", "-1.02", "-1.02", "-1.01"),
        RoundingRow("12.34", "12.34", "12.34", "12.34", "12.34", "12.34", "12.34"),
    ]

    @Test("rounded(toFractionalDigits: 2)", arguments: toCents)
    func roundsToCents(row: RoundingRow) throws {
        let value = try ExactDecimal(row.input)
        for (mode, expected) in zip(DecimalRoundingMode.allCases, row.expected) {
            let rounded = try value.rounded(toFractionalDigits: 2, rounding: mode)
            #expect(rounded == (try ExactDecimal(expected)), "\(row.input) \(mode)")
        }
    }

    @Test func roundingToEighteenDigitsChangesNothing() throws {
        for text in ["0.000000000000000001", "-123.456789012345678", ExactDecimalBoundaryTests.maxText] {
            let value = try ExactDecimal(text)
            for mode in DecimalRoundingMode.allCases {
                #expect(try value.rounded(toFractionalDigits: 18, rounding: mode) == value)
            }
        }
    }

    @Test("invalid rounding scale", arguments: [-1, 19, Int.min, Int.max])
    func invalidScale(digits: Int) {
        let error = #expect(throws: DecimalError.self) {
            try ExactDecimal.one.rounded(toFractionalDigits: digits)
        }
        #expect(error?.code == .invalidScale)
        #expect(error?.description.contains(String(digits)) == true)
    }

    /// Quotients: `dividend / divisor` in each mode.
    static let quotients: [(dividend: String, divisor: String, row: RoundingRow)] = [
        ("1", "3", RoundingRow("1/3",
            "0.333333333333333333", "0.333333333333333333", "0.333333333333333333",
            "0.333333333333333334", "0.333333333333333333", "0.333333333333333334")),
        ("-1", "3", RoundingRow("-1/3",
            "-0.333333333333333333", "-0.333333333333333333", "-0.333333333333333333",
            "-0.333333333333333334", "-0.333333333333333334", "-0.333333333333333333")),
        ("2", "3", RoundingRow("2/3",
            "0.666666666666666667", "0.666666666666666667", "0.666666666666666666",
            "0.666666666666666667", "0.666666666666666666", "0.666666666666666667")),
        ("2", "-3", RoundingRow("2/-3",
            "-0.666666666666666667", "-0.666666666666666667", "-0.666666666666666666",
            "-0.666666666666666667", "-0.666666666666666667", "-0.666666666666666666")),
        // Half an ulp: a tie at the 18th digit, quotient digit even.
        ("0.000000000000000001", "2", RoundingRow("ulp/2",
            "0", "0.000000000000000001", "0", "0.000000000000000001", "0", "0.000000000000000001")),
        ("-0.000000000000000001", "2", RoundingRow("-ulp/2",
            "0", "-0.000000000000000001", "0", "-0.000000000000000001", "-0.000000000000000001", "0")),
        // One and a half ulps: a tie, quotient digit odd.
        ("0.000000000000000003", "2", RoundingRow("3ulp/2",
            "0.000000000000000002", "0.000000000000000002", "0.000000000000000001",
            "0.000000000000000002", "0.000000000000000001", "0.000000000000000002")),
        ("0.000000000000000003", "-2", RoundingRow("3ulp/-2",
            "-0.000000000000000002", "-0.000000000000000002", "-0.000000000000000001",
            "-0.000000000000000002", "-0.000000000000000002", "-0.000000000000000001")),
        ("10", "4", RoundingRow("10/4", "2.5", "2.5", "2.5", "2.5", "2.5", "2.5")),
        ("-7", "-7", RoundingRow("-7/-7", "1", "1", "1", "1", "1", "1")),
        ("0", "-3", RoundingRow("0/-3", "0", "0", "0", "0", "0", "0")),
    ]

    @Test("divided(by:) in every mode", arguments: quotients)
    func dividesInEveryMode(dividend: String, divisor: String, row: RoundingRow) throws {
        let a = try ExactDecimal(dividend)
        let b = try ExactDecimal(divisor)
        for (mode, expected) in zip(DecimalRoundingMode.allCases, row.expected) {
            #expect(try a.divided(by: b, rounding: mode) == (try ExactDecimal(expected)), "\(row.input) \(mode)")
        }
    }

    /// Products: `lhs * rhs` in each mode.
    static let products: [(lhs: String, rhs: String, row: RoundingRow)] = [
        ("0.000000000000000001", "0.5", RoundingRow("ulp*0.5",
            "0", "0.000000000000000001", "0", "0.000000000000000001", "0", "0.000000000000000001")),
        ("-0.000000000000000001", "0.5", RoundingRow("-ulp*0.5",
            "0", "-0.000000000000000001", "0", "-0.000000000000000001", "-0.000000000000000001", "0")),
        ("0.000000000000000003", "0.5", RoundingRow("3ulp*0.5",
            "0.000000000000000002", "0.000000000000000002", "0.000000000000000001",
            "0.000000000000000002", "0.000000000000000001", "0.000000000000000002")),
        ("-0.000000000000000003", "0.5", RoundingRow("-3ulp*0.5",
            "-0.000000000000000002", "-0.000000000000000002", "-0.000000000000000001",
            "-0.000000000000000002", "-0.000000000000000002", "-0.000000000000000001")),
        // 0.333333333333333333 * 0.000000000000000002 = 0.000000000000000000666666666666666666
        ("0.333333333333333333", "0.000000000000000002", RoundingRow("third*2ulp",
            "0.000000000000000001", "0.000000000000000001", "0",
            "0.000000000000000001", "0", "0.000000000000000001")),
        ("0.333333333333333333", "-0.000000000000000002", RoundingRow("third*-2ulp",
            "-0.000000000000000001", "-0.000000000000000001", "0",
            "-0.000000000000000001", "-0.000000000000000001", "0")),
        // 1.5 * 101.25 = 151.875, exact.
        ("1.5", "101.25", RoundingRow("exact", "151.875", "151.875", "151.875", "151.875", "151.875", "151.875")),
        ("-1.5", "101.25", RoundingRow("-exact", "-151.875", "-151.875", "-151.875", "-151.875", "-151.875", "-151.875")),
    ]

    @Test("multiplied(by:) in every mode", arguments: products)
    func multipliesInEveryMode(lhs: String, rhs: String, row: RoundingRow) throws {
        let a = try ExactDecimal(lhs)
        let b = try ExactDecimal(rhs)
        for (mode, expected) in zip(DecimalRoundingMode.allCases, row.expected) {
            #expect(try a.multiplied(by: b, rounding: mode) == (try ExactDecimal(expected)), "\(row.input) \(mode)")
            #expect(try b.multiplied(by: a, rounding: mode) == (try ExactDecimal(expected)), "\(row.input) \(mode) swapped")
        }
    }

    @Test func defaultRoundingIsHalfEven() throws {
        let ulp = ExactDecimal.leastNonzeroMagnitude
        let half = try ExactDecimal("0.5")
        let three = try ExactDecimal("0.000000000000000003")
        #expect(try ulp.multiplied(by: half) == .zero)
        #expect(try three.multiplied(by: half) == (try ExactDecimal("0.000000000000000002")))
        #expect(try ulp.divided(by: 2) == .zero)
        #expect(try three.divided(by: 2) == (try ExactDecimal("0.000000000000000002")))
        #expect(try ExactDecimal("2.5").rounded(toFractionalDigits: 0) == 2)
        #expect(try ExactDecimal("3.5").rounded(toFractionalDigits: 0) == 4)
    }
}

// MARK: - Overflow and division by zero

@Suite("ExactDecimal overflow")
struct ExactDecimalOverflowTests {
    static let ulp = ExactDecimal.leastNonzeroMagnitude

    @Test func addingAndSubtractingAtTheEdges() throws {
        #expect(try ExactDecimal.max.adding(.zero) == .max)
        #expect(try ExactDecimal.max.adding(Self.ulp.negated).units == Int128.max - 1)
        #expect(try ExactDecimal.min.subtracting(Self.ulp.negated) == (try ExactDecimal("-170141183460469231731.687303715884105726")))
        #expect(try ExactDecimal.max.adding(.min) == .zero)

        let cases: [(ExactDecimal, ExactDecimal, isAdd: Bool)] = [
            (.max, Self.ulp, true),
            (Self.ulp, .max, true),
            (.min, Self.ulp.negated, true),
            (.max, .max, true),
            (.min, .min, true),
            (.min, Self.ulp, false),
            (.max, Self.ulp.negated, false),
            (.max, .min, false),
            (.min, .max, false),
        ]
        for (a, b, isAdd) in cases {
            if isAdd {
                #expect(a.addingReportingOverflow(b).overflow)
                let error = #expect(throws: DecimalError.self) { try a.adding(b) }
                #expect(error?.code == .overflow)
                #expect(error?.input == "\(a) + \(b)")
            } else {
                #expect(a.subtractingReportingOverflow(b).overflow)
                let error = #expect(throws: DecimalError.self) { try a.subtracting(b) }
                #expect(error?.code == .overflow)
                #expect(error?.input == "\(a) - \(b)")
            }
        }
    }

    @Test func reportingFormsAgreeWhenNoOverflow() throws {
        let a = try ExactDecimal("1.25")
        let b = try ExactDecimal("-3.5")
        #expect(a.addingReportingOverflow(b) == (try ExactDecimal("-2.25"), false))
        #expect(a.subtractingReportingOverflow(b) == (try ExactDecimal("4.75"), false))
    }

    @Test func multiplicationOverflow() throws {
        let two = ExactDecimal(2)
        let cases: [(ExactDecimal, ExactDecimal)] = [
            (.max, two),
            (.min, two),
            (.max, .max),
            (.min, .max),
            (.min, .min),
            (ExactDecimal(Int.max), ExactDecimal(Int.max)),
            // 10^11 * 10^10 = 10^21 > max
            (try ExactDecimal("100000000000"), try ExactDecimal("10000000000")),
        ]
        for (a, b) in cases {
            for mode in DecimalRoundingMode.allCases {
                let error = #expect(throws: DecimalError.self) { try a.multiplied(by: b, rounding: mode) }
                #expect(error?.code == .overflow)
                #expect(error?.input == "\(a) * \(b)")
            }
        }
        // Right at the edge, nothing overflows.
        #expect(try ExactDecimal.max.multiplied(by: .one) == .max)
        #expect(try ExactDecimal.max.multiplied(by: -1) == .min)
        #expect(try ExactDecimal.min.multiplied(by: -1) == .max)
        #expect(try ExactDecimal.max.multiplied(by: .zero) == .zero)
        #expect(try ExactDecimal("10000000000").multiplied(by: try ExactDecimal("10000000000")).description == "100000000000000000000")
    }

    @Test func divisionOverflow() throws {
        let half = try ExactDecimal("0.5")
        let cases: [(ExactDecimal, ExactDecimal)] = [
            (.max, half),
            (.min, half),
            (.max, ExactDecimal.leastNonzeroMagnitude),
            (ExactDecimal(1000), ExactDecimal.leastNonzeroMagnitude),  // 10^21
        ]
        for (a, b) in cases {
            for mode in DecimalRoundingMode.allCases {
                let error = #expect(throws: DecimalError.self) { try a.divided(by: b, rounding: mode) }
                #expect(error?.code == .overflow)
                #expect(error?.input == "\(a) / \(b)")
            }
        }
        #expect(try ExactDecimal.max.divided(by: .one) == .max)
        #expect(try ExactDecimal.max.divided(by: -1) == .min)
        #expect(try ExactDecimal(100).divided(by: .leastNonzeroMagnitude).description == "100000000000000000000")
    }

    @Test("division by zero", arguments: ["0", "1", "-1", "0.000000000000000001", ExactDecimalBoundaryTests.maxText])
    func divisionByZero(dividend: String) throws {
        let a = try ExactDecimal(dividend)
        for mode in DecimalRoundingMode.allCases {
            let error = #expect(throws: DecimalError.self) { try a.divided(by: .zero, rounding: mode) }
            #expect(error?.code == .divisionByZero)
            #expect(error?.description.contains(a.description) == true)
        }
    }

    @Test func roundingAwayFromZeroAtTheEdgeOverflows() throws {
        for (value, mode) in [(ExactDecimal.max, DecimalRoundingMode.up), (.max, .awayFromZero),
                              (.max, .halfEven), (.min, .down), (.min, .awayFromZero), (.min, .halfAwayFromZero)] {
            let error = #expect(throws: DecimalError.self) { try value.rounded(toFractionalDigits: 0, rounding: mode) }
            #expect(error?.code == .overflow)
        }
        #expect(try ExactDecimal.max.rounded(toFractionalDigits: 0, rounding: .towardZero).description == "170141183460469231731")
        #expect(try ExactDecimal.min.rounded(toFractionalDigits: 0, rounding: .up).description == "-170141183460469231731")
    }
}

// MARK: - Sign helpers

@Suite("ExactDecimal signs")
struct ExactDecimalSignTests {
    @Test func signsMagnitudeAndNegation() throws {
        let value = try ExactDecimal("-12.5")
        #expect(value.isNegative)
        #expect(!value.isPositive)
        #expect(!value.isZero)
        #expect(value.magnitude == (try ExactDecimal("12.5")))
        #expect(value.negated == (try ExactDecimal("12.5")))
        #expect(-value == value.negated)
        #expect(value.negated.negated == value)
        #expect(ExactDecimal.zero.negated == .zero)
    }

    @Test func comparisonOperators() throws {
        let values = try ["-3", "-0.5", "-0.000000000000000001", "0", "0.000000000000000001", "1", "1.1", "10"]
            .map { try ExactDecimal($0) }
        for (i, a) in values.enumerated() {
            for (j, b) in values.enumerated() {
                #expect((a < b) == (i < j))
                #expect((a <= b) == (i <= j))
                #expect((a > b) == (i > j))
                #expect((a == b) == (i == j))
            }
        }
        #expect(ExactDecimal.min < .max)
        #expect(values.shuffled().sorted() == values)
    }

    /// `min` is `-max`, so negation and magnitude never overflow. A raw value of `Int128.min`
    /// units lies outside that range and is refused where it is made, instead of trapping later
    /// in `negated` or `magnitude`, which promise never to overflow.
    @Test func unitsBelowMinAreRefusedAtConstruction() async {
        await #expect(processExitsWith: .failure) {
            _ = ExactDecimal(units: Int128.min)
        }
        #expect(ExactDecimal(units: -Int128.max) == .min)
    }

    /// The partial value of an overflowing sum is unspecified but must be a usable value: one
    /// unit below `min` is `Int128.min` units, which `negated` could not represent.
    @Test func overflowingPartialValuesCanBeNegated() async {
        await #expect(processExitsWith: .success) {
            let ulp = ExactDecimal.leastNonzeroMagnitude
            let sum = ExactDecimal.min.addingReportingOverflow(ulp.negated)
            let difference = ExactDecimal.min.subtractingReportingOverflow(ulp)
            precondition(sum.overflow && difference.overflow)
            _ = sum.partialValue.negated
            _ = difference.partialValue.magnitude
        }
    }
}

// MARK: - Codable

@Suite("ExactDecimal Codable")
struct ExactDecimalCodableTests {
    struct Fill: Codable, Equatable {
        let quantity: ExactDecimal
        let price: ExactDecimal
    }

    @Test func roundTripsThroughJSONAsStrings() throws {
        let fill = Fill(quantity: try ExactDecimal("1.5000"), price: try ExactDecimal("-0.000000000000000001"))
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        let data = try encoder.encode(fill)
        #expect(String(decoding: data, as: UTF8.self) == #"{"price":"-0.000000000000000001","quantity":"1.5"}"#)
        #expect(try JSONDecoder().decode(Fill.self, from: data) == fill)

        let extremes = [ExactDecimal.max, .min, .zero]
        let array = try JSONEncoder().encode(extremes)
        #expect(try JSONDecoder().decode([ExactDecimal].self, from: array) == extremes)
    }

    @Test func decodesPostgresText() throws {
        let json = Data(#"{"quantity":"-12.3400","price":"0.001"}"#.utf8)
        let fill = try JSONDecoder().decode(Fill.self, from: json)
        #expect(fill.quantity == (try ExactDecimal("-12.34")))
        #expect(fill.price.units == 1_000_000_000_000_000)
    }

    @Test("a JSON number is refused", arguments: ["1.5", "1", "0", "-2", "1e5"])
    func jsonNumberIsRefused(number: String) {
        let json = Data(#"{"quantity":\#(number),"price":"1"}"#.utf8)
        #expect(throws: DecodingError.self) { try JSONDecoder().decode(Fill.self, from: json) }
    }

    @Test("a malformed JSON string names the text", arguments: ["1e5", "NaN", "", "1.2.3", "0.1234567890123456789"])
    func malformedStringIsRefused(text: String) {
        let json = Data(#"{"quantity":"\#(text)","price":"1"}"#.utf8)
        let error = #expect(throws: DecodingError.self) { try JSONDecoder().decode(Fill.self, from: json) }
        guard case .dataCorrupted(let context)? = error else {
            Issue.record("expected dataCorrupted, got \(String(describing: error))")
            return
        }
        #expect(context.debugDescription.contains("'\(text)'"))
        #expect(context.codingPath.map(\.stringValue) == ["quantity"])
    }
}
