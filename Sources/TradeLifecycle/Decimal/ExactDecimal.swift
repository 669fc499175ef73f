/// An exact decimal number with 18 fractional digits, for quantities, prices, notionals and PnL.
///
/// The value is stored as a 128-bit integer count of 10⁻¹⁸ units, so every value with at most
/// 18 fractional digits and a magnitude below about 1.7 × 10²⁰ is represented exactly.
/// Addition, subtraction and comparison are exact; multiplication and division round to the
/// type's scale with an explicit ``DecimalRoundingMode`` (half-even by default).
/// Nothing here wraps or traps on user input: every operation that can overflow has a
/// throwing or `Result`-free reporting form.
///
/// The text form is the one PostgreSQL prints for `numeric` (`-12.3400`, `0.001`):
///
/// ```swift
/// let quantity = try ExactDecimal("1.5000")
/// let price = try ExactDecimal("101.25")
/// let notional = try quantity.multiplied(by: price)   // 151.875
/// print(notional)                                      // "151.875"
/// ```
public struct ExactDecimal: Sendable, Hashable, Comparable {
    /// The number of fractional digits every value carries.
    public static let scale = 18

    /// 10¹⁸, the number of units in one.
    @usableFromInline
    static let unitsPerOne: Int128 = 1_000_000_000_000_000_000

    /// The value in units of 10⁻¹⁸.
    public let units: Int128

    /// Creates a value from a count of 10⁻¹⁸ units.
    ///
    /// The range is symmetric (``min`` is `-max`), so `Int128.min` units are not a value:
    /// passing them stops the program here rather than letting ``negated`` or ``magnitude``
    /// fail later. Values read from outside the program come in as text (``init(_:)-(String)``),
    /// which reports the overflow as an error instead.
    ///
    /// - Parameter units: The value multiplied by 10¹⁸, in `-Int128.max...Int128.max`.
    /// - Precondition: `units != Int128.min`.
    @inlinable
    public init(units: Int128) {
        precondition(units != .min, "ExactDecimal(units:): Int128.min is outside ExactDecimal.min...ExactDecimal.max")
        self.units = units
    }

    /// Creates a value from units the caller has already checked are not `Int128.min`.
    @inlinable
    init(uncheckedUnits units: Int128) {
        self.units = units
    }

    /// Creates the value of a whole number.
    ///
    /// Every `Int` fits, so this never fails.
    /// - Parameter integer: The whole number.
    @inlinable
    public init(_ integer: Int) {
        self.units = Int128(integer) * Self.unitsPerOne
    }

    /// Zero.
    public static let zero = ExactDecimal(units: 0)
    /// One.
    public static let one = ExactDecimal(units: unitsPerOne)
    /// The largest representable value (about 1.7 × 10²⁰).
    public static let max = ExactDecimal(units: .max)
    /// The smallest representable value; the negation of ``max``.
    public static let min = ExactDecimal(units: -Int128.max)
    /// The smallest positive value, 10⁻¹⁸.
    public static let leastNonzeroMagnitude = ExactDecimal(units: 1)

    /// Whether the value is zero.
    @inlinable public var isZero: Bool { units == 0 }
    /// Whether the value is below zero.
    @inlinable public var isNegative: Bool { units < 0 }
    /// Whether the value is above zero.
    @inlinable public var isPositive: Bool { units > 0 }

    /// The absolute value. Never overflows, because ``min`` is `-max`.
    @inlinable public var magnitude: ExactDecimal { ExactDecimal(uncheckedUnits: units < 0 ? -units : units) }

    /// The value with its sign reversed. Never overflows, because ``min`` is `-max`.
    @inlinable public var negated: ExactDecimal { ExactDecimal(uncheckedUnits: -units) }

    @inlinable
    public static func < (lhs: ExactDecimal, rhs: ExactDecimal) -> Bool {
        lhs.units < rhs.units
    }
}

// MARK: - Addition and subtraction

extension ExactDecimal {
    /// Adds two values, reporting whether the result overflowed.
    ///
    /// - Returns: The exact sum and `false`, or an unspecified value within ``min``...``max``
    ///   and `true` when the sum is outside ``min``...``max``.
    @inlinable
    public func addingReportingOverflow(_ other: ExactDecimal) -> (partialValue: ExactDecimal, overflow: Bool) {
        let (sum, overflow) = units.addingReportingOverflow(other.units)
        // Int128.min is one unit below `min`: keep the partial value a usable value.
        let outside = sum == .min
        return (ExactDecimal(uncheckedUnits: outside ? -Int128.max : sum), overflow || outside)
    }

    /// Subtracts a value, reporting whether the result overflowed.
    ///
    /// - Returns: The exact difference and `false`, or an unspecified value within
    ///   ``min``...``max`` and `true` when the difference is outside ``min``...``max``.
    @inlinable
    public func subtractingReportingOverflow(_ other: ExactDecimal) -> (partialValue: ExactDecimal, overflow: Bool) {
        let (difference, overflow) = units.subtractingReportingOverflow(other.units)
        // Int128.min is one unit below `min`: keep the partial value a usable value.
        let outside = difference == .min
        return (ExactDecimal(uncheckedUnits: outside ? -Int128.max : difference), overflow || outside)
    }

    /// The exact sum.
    ///
    /// - Throws: ``DecimalError/Code/overflow`` when the sum is outside ``min``...``max``.
    @inlinable
    public func adding(_ other: ExactDecimal) throws(DecimalError) -> ExactDecimal {
        let (sum, overflow) = addingReportingOverflow(other)
        if overflow { throw DecimalError(.overflow, input: "\(self) + \(other)") }
        return sum
    }

    /// The exact difference.
    ///
    /// - Throws: ``DecimalError/Code/overflow`` when the difference is outside ``min``...``max``.
    @inlinable
    public func subtracting(_ other: ExactDecimal) throws(DecimalError) -> ExactDecimal {
        let (difference, overflow) = subtractingReportingOverflow(other)
        if overflow { throw DecimalError(.overflow, input: "\(self) - \(other)") }
        return difference
    }
}

// MARK: - Multiplication and division

/// How a result with more than 18 fractional digits is brought to the scale of ``ExactDecimal``.
public enum DecimalRoundingMode: String, Sendable, Hashable, CaseIterable {
    /// To the nearest value; a tie goes to the even neighbour (banker's rounding). The default.
    case halfEven
    /// To the nearest value; a tie goes away from zero.
    case halfAwayFromZero
    /// Toward zero (truncation).
    case towardZero
    /// Away from zero.
    case awayFromZero
    /// Toward negative infinity.
    case down
    /// Toward positive infinity.
    case up
}

extension ExactDecimal {
    /// The product, rounded to 18 fractional digits.
    ///
    /// - Parameters:
    ///   - other: The multiplier.
    ///   - rounding: How to round digits beyond the scale. Half-even by default.
    /// - Throws: ``DecimalError/Code/overflow`` when the product is outside ``min``...``max``.
    @inlinable
    public func multiplied(by other: ExactDecimal, rounding: DecimalRoundingMode = .halfEven) throws(DecimalError) -> ExactDecimal {
        guard let product = Self.multiply(self, other, rounding: rounding) else {
            throw DecimalError(.overflow, input: "\(self) * \(other)")
        }
        return product
    }

    /// The quotient, rounded to 18 fractional digits.
    ///
    /// - Parameters:
    ///   - other: The divisor.
    ///   - rounding: How to round digits beyond the scale. Half-even by default.
    /// - Throws: ``DecimalError/Code/divisionByZero`` when `other` is zero,
    ///   ``DecimalError/Code/overflow`` when the quotient is outside ``min``...``max``.
    @inlinable
    public func divided(by other: ExactDecimal, rounding: DecimalRoundingMode = .halfEven) throws(DecimalError) -> ExactDecimal {
        if other.units == 0 { throw DecimalError(.divisionByZero, input: "\(self) / 0") }
        guard let quotient = Self.divide(self, other, rounding: rounding) else {
            throw DecimalError(.overflow, input: "\(self) / \(other)")
        }
        return quotient
    }

    /// The value rounded to `fractionalDigits` digits after the point (0...18).
    ///
    /// - Throws: ``DecimalError/Code/invalidScale`` when `fractionalDigits` is outside 0...18,
    ///   ``DecimalError/Code/overflow`` when rounding away from zero leaves the range.
    public func rounded(toFractionalDigits fractionalDigits: Int, rounding: DecimalRoundingMode = .halfEven) throws(DecimalError) -> ExactDecimal {
        guard (0...Self.scale).contains(fractionalDigits) else {
            throw DecimalError(.invalidScale, input: String(fractionalDigits))
        }
        let step = Self.powerOfTen(Self.scale - fractionalDigits)
        let magnitude = units.magnitude
        let quotient = magnitude / step
        let remainder = magnitude % step
        guard let rounded = Self.round(quotient: quotient, remainder: remainder, divisor: step,
                                       negative: units < 0, rounding: rounding) else {
            throw DecimalError(.overflow, input: description)
        }
        let (scaled, overflow) = rounded.multipliedReportingOverflow(by: step)
        guard !overflow, scaled <= UInt128(Int128.max) else {
            throw DecimalError(.overflow, input: description)
        }
        return ExactDecimal(uncheckedUnits: units < 0 ? -Int128(scaled) : Int128(scaled))
    }

    @usableFromInline
    static func powerOfTen(_ exponent: Int) -> UInt128 {
        var result: UInt128 = 1
        for _ in 0..<exponent { result &*= 10 }
        return result
    }

    /// Rounds `quotient + remainder / divisor` (a magnitude) by `rounding`; nil on overflow.
    @usableFromInline
    static func round(quotient: UInt128, remainder: UInt128, divisor: UInt128,
                      negative: Bool, rounding: DecimalRoundingMode) -> UInt128? {
        if remainder == 0 { return quotient }
        let increment: Bool
        switch rounding {
        case .towardZero:
            increment = false
        case .awayFromZero:
            increment = true
        case .down:
            increment = negative
        case .up:
            increment = !negative
        case .halfEven, .halfAwayFromZero:
            // Compare remainder with divisor - remainder, which cannot overflow.
            let other = divisor - remainder
            if remainder > other {
                increment = true
            } else if remainder < other {
                increment = false
            } else {
                increment = rounding == .halfAwayFromZero || quotient & 1 == 1
            }
        }
        if !increment { return quotient }
        let (next, overflow) = quotient.addingReportingOverflow(1)
        return overflow ? nil : next
    }

    @usableFromInline
    static func signed(_ magnitude: UInt128, negative: Bool) -> ExactDecimal? {
        guard magnitude <= UInt128(Int128.max) else { return nil }
        let value = Int128(magnitude)
        return ExactDecimal(uncheckedUnits: negative ? -value : value)
    }

    @usableFromInline
    static func multiply(_ lhs: ExactDecimal, _ rhs: ExactDecimal, rounding: DecimalRoundingMode) -> ExactDecimal? {
        let negative = (lhs.units < 0) != (rhs.units < 0)
        let product = lhs.units.magnitude.multipliedFullWidth(by: rhs.units.magnitude)
        let divisor = UInt128(unitsPerOne)
        // The quotient fits in 128 bits only when the high half is below the divisor.
        guard product.high < divisor else { return nil }
        let (quotient, remainder) = divisor.dividingFullWidth(product)
        guard let rounded = round(quotient: quotient, remainder: remainder, divisor: divisor,
                                  negative: negative, rounding: rounding) else { return nil }
        return signed(rounded, negative: negative)
    }

    @usableFromInline
    static func divide(_ lhs: ExactDecimal, _ rhs: ExactDecimal, rounding: DecimalRoundingMode) -> ExactDecimal? {
        let negative = (lhs.units < 0) != (rhs.units < 0)
        let divisor = rhs.units.magnitude
        let dividend = lhs.units.magnitude.multipliedFullWidth(by: UInt128(unitsPerOne))
        guard dividend.high < divisor else { return nil }
        let (quotient, remainder) = divisor.dividingFullWidth(dividend)
        guard let rounded = round(quotient: quotient, remainder: remainder, divisor: divisor,
                                  negative: negative, rounding: rounding) else { return nil }
        return signed(rounded, negative: negative)
    }
}

// MARK: - Operators

extension ExactDecimal {
    /// The value with its sign reversed. Never overflows.
    ///
    /// There are deliberately no `+` and `-` operators: a sum of values from outside the
    /// program can overflow, and an operator could only trap. Use ``adding(_:)``,
    /// ``subtracting(_:)`` or the `ReportingOverflow` forms.
    @inlinable
    public static prefix func - (operand: ExactDecimal) -> ExactDecimal {
        operand.negated
    }
}

extension ExactDecimal: ExpressibleByIntegerLiteral {
    /// Creates the value of an integer literal.
    public init(integerLiteral value: Int) {
        self.init(value)
    }
}
