/// An operation the capital ledger cannot accept as given, or a history it cannot rebuild.
///
/// When ``CapitalLedger/apply(_:)`` throws, nothing was recorded: no balance, reservation or
/// position changed, the history did not grow, and the operation's id is still free (a
/// corrected operation may use it). Compare errors by ``code``; ``description`` names the
/// operation, the field and the offending value.
public struct LedgerError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What is wrong.
    public enum Code: String, Sendable, Hashable, CaseIterable {
        /// The operation id is zero.
        case zeroOperationID = "zero_operation_id"
        /// An allocate or deallocate amount is zero or negative.
        case nonPositiveAmount = "non_positive_amount"
        /// A quantity is zero or negative.
        case nonPositiveQuantity = "non_positive_quantity"
        /// A limit, fill or exit price is zero or negative.
        case nonPositivePrice = "non_positive_price"
        /// An exit fee is negative.
        case negativeFee = "negative_fee"
        /// A symbol is empty or white space only.
        case blankSymbol = "blank_symbol"
        /// A reservation for this order id already exists in the profile (under another
        /// operation id).
        case orderExists = "order_exists"
        /// No reservation for this order id exists in the profile.
        case orderNotFound = "order_not_found"
        /// The order is fully filled: its reservation is posted.
        case orderAlreadyFilled = "order_already_filled"
        /// The order is cancelled: what was left of its reservation is voided.
        case orderAlreadyCancelled = "order_already_cancelled"
        /// The fill quantity exceeds the order's unfilled quantity.
        case fillExceedsRemainingQuantity = "fill_exceeds_remaining_quantity"
        /// The profile has no position for this symbol and trade id.
        case positionNotFound = "position_not_found"
        /// The exit quantity exceeds the position's quantity.
        case exitExceedsPositionQuantity = "exit_exceeds_position_quantity"
        /// An entry for a trade whose open position or pending orders are on the other side.
        case sideMismatch = "side_mismatch"
        /// An amount, product, quotient or balance would leave the range of ``ExactDecimal``.
        case overflow
        /// ``CapitalLedger/rebuild(from:)``: sequence numbers are not 1, 2, 3, ... once sorted
        /// (a duplicate or a gap, that is a lost event).
        case historyOutOfSequence = "history_out_of_sequence"
        /// ``CapitalLedger/rebuild(from:)``: replaying an event gives another result than the one
        /// recorded (the history was altered, or written by different rules).
        case historyMismatch = "history_mismatch"
    }

    /// What is wrong.
    public let code: Code
    /// The operation concerned, when there is one.
    public let operationID: LedgerOperationID?
    /// The history position concerned (rebuild only).
    public let sequence: UInt64?
    /// The field the offending value came from (`quantity`, `order_id`, `sequence`, ...).
    public let field: String
    /// The offending value as text.
    public let value: String
    /// What rule the value breaks, with the figures involved.
    public let detail: String

    /// Creates an error.
    ///
    /// - Parameters:
    ///   - code: What is wrong.
    ///   - operationID: The operation concerned.
    ///   - sequence: The history position concerned.
    ///   - field: The field the offending value came from.
    ///   - value: The offending value as text.
    ///   - detail: What rule the value breaks.
    public init(
        _ code: Code, operationID: LedgerOperationID?, sequence: UInt64? = nil, field: String, value: String,
        detail: String
    ) {
        self.code = code
        self.operationID = operationID
        self.sequence = sequence
        self.field = field
        self.value = value
        self.detail = detail
    }

    public var description: String {
        var text = "ledger"
        if let sequence { text += " event \(sequence)" }
        if let operationID { text += " operation \(operationID)" }
        let shown = value.count > 64 ? String(value.prefix(61)) + "..." : value
        return text + ": field \(field): \(detail) (value '\(shown)')"
    }
}
