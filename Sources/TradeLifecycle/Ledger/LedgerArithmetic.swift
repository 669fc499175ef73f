// The proportional share the ledger releases (a filled share of a reservation, an exited share
// of a cost basis): `value * numerator / denominator` computed on a 256-bit intermediate and
// rounded once.

extension ExactDecimal {
    /// `self * numerator / denominator`, rounded once to 18 fractional digits.
    ///
    /// The product is kept at full width (256 bits) before the division, so a large reservation
    /// times a large quantity does not overflow when the share itself is in range, and the
    /// result carries one rounding instead of two.
    ///
    /// - Parameters:
    ///   - numerator: The multiplier (a filled or exited quantity).
    ///   - denominator: The divisor (an order or position quantity); must not be zero.
    ///   - rounding: How to round digits beyond the scale.
    /// - Returns: The share, or `nil` when it is outside ``min``...``max``.
    func multiplied(
        by numerator: ExactDecimal, dividedBy denominator: ExactDecimal, rounding: DecimalRoundingMode = .halfEven
    ) -> ExactDecimal? {
        guard denominator.units != 0 else { return nil }
        let negative = ((units < 0) != (numerator.units < 0)) != (denominator.units < 0)
        // (a·10¹⁸)(b·10¹⁸) / (c·10¹⁸) = (a·b/c)·10¹⁸: the quotient of the units is in units.
        let product = units.magnitude.multipliedFullWidth(by: numerator.units.magnitude)
        let divisor = denominator.units.magnitude
        guard product.high < divisor else { return nil }
        let (quotient, remainder) = divisor.dividingFullWidth(product)
        guard let rounded = Self.round(quotient: quotient, remainder: remainder, divisor: divisor,
                                       negative: negative, rounding: rounding) else { return nil }
        return Self.signed(rounded, negative: negative)
    }
}
