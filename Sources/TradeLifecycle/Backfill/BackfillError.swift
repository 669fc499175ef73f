/// An error of the EXIT backfill: planning refused the data, or the store or exchange failed
/// during a run, rollback or validation.
///
/// Compare by ``code``. ``context`` names the profile, trade, batch or ids involved; a store's or
/// exchange's error is kept in ``underlying``.
public struct BackfillError: Error, Sendable, CustomStringConvertible {
    /// What went wrong.
    public enum Code: String, Sendable, Hashable, CaseIterable {
        /// An audit row could not be written or its decision updated (runbook No-Go "Audit table
        /// unavailable/write failure"). No EXIT row of that trade was inserted in a
        /// transactional store; in another store the trade's `PENDING_APPLY` rows stay for the
        /// next apply run to finish.
        case auditWriteFailed
        /// An EXIT order could not be inserted or cancelled.
        case orderWriteFailed
        /// Orders, the profile or audit rows could not be read.
        case storeReadFailed
        /// The exchange snapshot could not be read.
        case exchangeUnavailable
        /// The lifecycle sums of the profile's orders are out of range (see ``LifecycleError``).
        case lifecycleAnalysisFailed
        /// Two fills with the same exchange order id and the same `filled_at` millisecond (so
        /// the same `BFILL-` id) went to one trade but disagree on the client order id.
        case conflictingFillEvidence
        /// A sum or average of quantities or prices is outside the range of ``ExactDecimal``.
        case overflow
        /// A planned or audited row does not make a valid EXIT order, or an audit row lacks a
        /// value it must have (a `PENDING_APPLY` row without a `BFILL-` id or quantity).
        case invalidRow
        /// No audit row has the batch id given to rollback.
        case batchNotFound
    }

    /// What went wrong.
    public let code: Code
    /// The operation and the ids involved.
    public let context: String
    /// The store's, exchange's or rule's error underneath, if any.
    public let underlying: (any Error & Sendable)?

    /// Creates an error.
    ///
    /// - Parameters:
    ///   - code: What went wrong.
    ///   - context: The operation and the ids involved.
    ///   - underlying: The error underneath, if any.
    public init(_ code: Code, context: String, underlying: (any Error & Sendable)? = nil) {
        self.code = code
        self.context = context
        self.underlying = underlying
    }

    public var description: String {
        var text = "backfill error \(code.rawValue): \(context)"
        if let underlying = underlying as? StoreError {
            text += " (\(underlying.description))"
        } else if let underlying = underlying as? LifecycleError {
            text += " (\(underlying.description))"
        } else if let underlying = underlying as? any RowFreeError {
            text += " (\(underlying.description))"
        }
        return text
    }
}
