/// The answer of ``CapitalLedger/apply(_:)`` to an operation that passed validation.
///
/// Three results are *recorded* (the operation's id is then taken and a ``LedgerEvent`` is
/// appended to the history): ``created``, ``violation(available:)`` and
/// ``insufficientAvailable(available:required:)``. The others answer from the id table and change
/// nothing. Invalid operations are not results: ``CapitalLedger/apply(_:)`` throws a
/// ``LedgerError`` for them, records nothing and leaves the id free.
///
/// The `existsWithDifferent…` results name the first field that differs from the operation
/// first recorded under the same id, comparing in this fixed order: kind, profile, order,
/// symbol, trade id, side, amount, quantity, price, fee.
public enum LedgerResult: Sendable, Hashable, Codable {
    /// Applied; `available` is zero or more afterwards.
    case created
    /// A fact (fill, cancel or exit) was applied and left the profile's `available` below zero.
    ///
    /// Nothing was clamped: `available` is the negative value the profile now has. The ledger
    /// counts the violation (``CapitalLedger/violationCount``); the caller should pause the
    /// profile until capital is restored or the books are reconciled.
    case violation(available: ExactDecimal)
    /// A request (deallocate or reserve entry) was refused because it needs more than the
    /// profile's `available`; no balance changed.
    ///
    /// The refusal is recorded for the operation's id: sending the same operation again gets
    /// this same answer (with the figures of the first attempt). A new attempt needs a new id.
    /// - Parameters:
    ///   - available: The profile's `available` when the request was refused.
    ///   - required: What the request needed: the amount to deallocate, or the reservation
    ///     `quantity * limitPrice`.
    case insufficientAvailable(available: ExactDecimal, required: ExactDecimal)
    /// The same id was already recorded with the same content and was applied (as ``created`` or
    /// ``violation(available:)``): a no-op, to be treated as success.
    /// ``CapitalLedger/event(for:)`` returns the original event.
    case exists
    /// The id was first used for another kind of operation.
    case existsWithDifferentKind
    /// The id was first used with another profile.
    case existsWithDifferentProfile
    /// The id was first used with another order id.
    case existsWithDifferentOrder
    /// The id was first used with another symbol.
    case existsWithDifferentSymbol
    /// The id was first used with another trade id.
    case existsWithDifferentTradeID
    /// The id was first used with another position side.
    case existsWithDifferentSide
    /// The id was first used with another amount.
    case existsWithDifferentAmount
    /// The id was first used with another quantity.
    case existsWithDifferentQuantity
    /// The id was first used with another price (limit, fill or exit price).
    case existsWithDifferentPrice
    /// The id was first used with another fee.
    case existsWithDifferentFee

    /// A stable name for each result, for logs, metrics and text columns.
    public enum Code: String, Sendable, Hashable, CaseIterable, Codable {
        /// ``LedgerResult/created``.
        case created
        /// ``LedgerResult/violation(available:)``.
        case violation
        /// ``LedgerResult/insufficientAvailable(available:required:)``.
        case insufficientAvailable = "insufficient_available"
        /// ``LedgerResult/exists``.
        case exists
        /// ``LedgerResult/existsWithDifferentKind``.
        case existsWithDifferentKind = "exists_with_different_kind"
        /// ``LedgerResult/existsWithDifferentProfile``.
        case existsWithDifferentProfile = "exists_with_different_profile"
        /// ``LedgerResult/existsWithDifferentOrder``.
        case existsWithDifferentOrder = "exists_with_different_order"
        /// ``LedgerResult/existsWithDifferentSymbol``.
        case existsWithDifferentSymbol = "exists_with_different_symbol"
        /// ``LedgerResult/existsWithDifferentTradeID``.
        case existsWithDifferentTradeID = "exists_with_different_trade_id"
        /// ``LedgerResult/existsWithDifferentSide``.
        case existsWithDifferentSide = "exists_with_different_side"
        /// ``LedgerResult/existsWithDifferentAmount``.
        case existsWithDifferentAmount = "exists_with_different_amount"
        /// ``LedgerResult/existsWithDifferentQuantity``.
        case existsWithDifferentQuantity = "exists_with_different_quantity"
        /// ``LedgerResult/existsWithDifferentPrice``.
        case existsWithDifferentPrice = "exists_with_different_price"
        /// ``LedgerResult/existsWithDifferentFee``.
        case existsWithDifferentFee = "exists_with_different_fee"
    }

    /// The result's stable name.
    public var code: Code {
        switch self {
        case .created: return .created
        case .violation: return .violation
        case .insufficientAvailable: return .insufficientAvailable
        case .exists: return .exists
        case .existsWithDifferentKind: return .existsWithDifferentKind
        case .existsWithDifferentProfile: return .existsWithDifferentProfile
        case .existsWithDifferentOrder: return .existsWithDifferentOrder
        case .existsWithDifferentSymbol: return .existsWithDifferentSymbol
        case .existsWithDifferentTradeID: return .existsWithDifferentTradeID
        case .existsWithDifferentSide: return .existsWithDifferentSide
        case .existsWithDifferentAmount: return .existsWithDifferentAmount
        case .existsWithDifferentQuantity: return .existsWithDifferentQuantity
        case .existsWithDifferentPrice: return .existsWithDifferentPrice
        case .existsWithDifferentFee: return .existsWithDifferentFee
        }
    }

    /// Whether the operation is in the ledger: applied now (``created``,
    /// ``violation(available:)``) or before (``exists``).
    public var isApplied: Bool {
        switch self {
        case .created, .violation, .exists: return true
        default: return false
        }
    }

    /// Whether this result is one the ledger records in its history (``created``,
    /// ``violation(available:)``, ``insufficientAvailable(available:required:)``).
    public var isRecorded: Bool {
        switch self {
        case .created, .violation, .insufficientAvailable: return true
        default: return false
        }
    }
}
