/// An error from parsing or computing an ``ExactDecimal``.
///
/// Compare errors by ``code``; the ``input`` is the offending text or operation, and
/// ``description`` names both.
public struct DecimalError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What went wrong.
    public enum Code: String, Sendable, Hashable, CaseIterable {
        /// The text was empty or only white space.
        case empty
        /// The text had a character that is not part of a plain decimal number.
        case invalidCharacter
        /// The text was `NaN`.
        case notANumber
        /// The text was an infinity.
        case infinite
        /// The text used an exponent (`1e5`).
        case exponent
        /// The text had more than 18 significant fractional digits.
        case tooManyFractionalDigits
        /// The value or result is outside ``ExactDecimal/min``...``ExactDecimal/max``.
        case overflow
        /// A division by zero.
        case divisionByZero
        /// A rounding scale outside 0...18.
        case invalidScale
    }

    /// What went wrong.
    public let code: Code
    /// The offending text or the operation that failed.
    public let input: String

    /// Creates an error.
    ///
    /// - Parameters:
    ///   - code: What went wrong.
    ///   - input: The offending text or operation.
    public init(_ code: Code, input: String) {
        self.code = code
        self.input = input
    }

    public var description: String {
        let quoted = "'\(input.count > 64 ? String(input.prefix(61)) + "..." : input)'"
        switch code {
        case .empty: return "invalid decimal \(quoted): empty"
        case .invalidCharacter: return "invalid decimal \(quoted): not a plain decimal number"
        case .notANumber: return "invalid decimal \(quoted): NaN is not a value"
        case .infinite: return "invalid decimal \(quoted): infinities are not values"
        case .exponent: return "invalid decimal \(quoted): exponents are not accepted"
        case .tooManyFractionalDigits: return "invalid decimal \(quoted): more than \(ExactDecimal.scale) fractional digits"
        case .overflow: return "decimal overflow in \(quoted): magnitude beyond \(ExactDecimal.max)"
        case .divisionByZero: return "division by zero in \(quoted)"
        case .invalidScale: return "invalid rounding scale \(quoted): expected 0...\(ExactDecimal.scale)"
        }
    }
}
