/// When the part of a lifecycle's open quantity that no exchange fill explains is small enough
/// to close without evidence (`reference/001_*` section 4).
///
/// `threshold = max(absoluteQuantity, openQuantity * relativeFraction)`. A remainder above zero
/// and at most the threshold is dust; a larger one is a NO_GO
/// (``BackfillReason/missingFillEvidenceForLargeRemainder``).
public struct DustPolicy: Sendable, Hashable {
    /// `RECON_EXIT_BACKFILL_DUST_ABS_QTY`: the absolute dust quantity (default 0.001).
    public let absoluteQuantity: ExactDecimal
    /// `RECON_EXIT_BACKFILL_DUST_REL_PCT`: the dust share of the open quantity as a fraction
    /// (default 0.002, that is 0.2 %).
    public let relativeFraction: ExactDecimal

    /// The runbook defaults: 0.001 absolute, 0.002 relative.
    public static let `default` = DustPolicy(unchecked: ExactDecimal(units: 1_000_000_000_000_000),
                                             relativeFraction: ExactDecimal(units: 2_000_000_000_000_000))

    /// Creates a policy.
    ///
    /// - Parameters:
    ///   - absoluteQuantity: The absolute dust quantity; zero or more.
    ///   - relativeFraction: The relative dust fraction; from zero to one.
    /// - Throws: ``InputError`` with code ``InputError/Code/outOfRange`` naming the setting.
    public init(absoluteQuantity: ExactDecimal, relativeFraction: ExactDecimal) throws(InputError) {
        guard !absoluteQuantity.isNegative else {
            throw InputError(.outOfRange, field: "RECON_EXIT_BACKFILL_DUST_ABS_QTY", value: absoluteQuantity.description,
                             detail: "the absolute dust quantity must not be negative")
        }
        guard !relativeFraction.isNegative, relativeFraction <= .one else {
            throw InputError(.outOfRange, field: "RECON_EXIT_BACKFILL_DUST_REL_PCT", value: relativeFraction.description,
                             detail: "the relative dust fraction must be between 0 and 1")
        }
        self.init(unchecked: absoluteQuantity, relativeFraction: relativeFraction)
    }

    private init(unchecked absoluteQuantity: ExactDecimal, relativeFraction: ExactDecimal) {
        self.absoluteQuantity = absoluteQuantity
        self.relativeFraction = relativeFraction
    }

    /// The dust threshold of a lifecycle: `max(absoluteQuantity, openQuantity * relativeFraction)`.
    ///
    /// The product is rounded toward zero: at the 18th fractional digit the threshold never
    /// grows, so rounding never turns a NO_GO into an automatic close.
    /// - Parameter openQuantity: The lifecycle's open quantity (non-negative).
    public func threshold(openQuantity: ExactDecimal) -> ExactDecimal {
        // |openQuantity| <= max and relativeFraction <= 1, so the product cannot overflow.
        let relative = (try? openQuantity.magnitude.multiplied(by: relativeFraction, rounding: .towardZero)) ?? .max
        return Swift.max(absoluteQuantity, relative)
    }

    /// How an uncovered remainder is treated.
    public enum Classification: Sendable, Hashable {
        /// Nothing is left to close.
        case covered
        /// The remainder may be closed without evidence.
        case dust
        /// The remainder is too large to close without evidence: NO_GO.
        case large
    }

    /// Classifies `remainder = openQuantity - covered`.
    ///
    /// - Parameters:
    ///   - remainder: The open quantity no evidence covers.
    ///   - openQuantity: The lifecycle's open quantity.
    /// - Returns: ``Classification/covered`` when `remainder <= 0`, ``Classification/dust`` when
    ///   `0 < remainder <= threshold`, ``Classification/large`` otherwise.
    public func classify(remainder: ExactDecimal, openQuantity: ExactDecimal) -> Classification {
        if !remainder.isPositive { return .covered }
        return remainder <= threshold(openQuantity: openQuantity) ? .dust : .large
    }
}
