/// An error of entry coordination and lifecycle recording (``EntryCoordinator``,
/// ``LifecycleRecorder``, ``LedgerBook``).
///
/// Compare by ``code``. ``description`` names the operation and the ids involved; the error of
/// the store or the ledger underneath is kept in ``underlying``.
public struct CoordinationError: Error, Sendable, CustomStringConvertible {
    /// What went wrong.
    public enum Code: String, Sendable, Hashable, CaseIterable {
        /// Another owner holds the entry lock of the profile and symbol; retry after its expiry.
        case lockContended
        /// The entry lock was lost (expired or taken over) before the write: the write was
        /// refused by the fencing check and nothing was recorded.
        case lockLost
        /// The profile already has a live (pending, open, partially filled) ENTRY order for the
        /// symbol: resolve it before a new attempt.
        case liveEntryExists
        /// The ledger refused the entry's reservation: not enough available capital. The refusal
        /// is recorded under the attempt's operation id; a new attempt needs a new attempt number.
        case insufficientCapital
        /// The order the confirmation is for does not exist.
        case orderNotFound
        /// The confirmation does not belong to the order (profile, symbol, side, client order id)
        /// or exceeds its quantity.
        case confirmationMismatch
        /// The same ids were used before with other content (an entry attempt with other figures,
        /// an execution id with another fill).
        case conflict
        /// The exchange reports more filled than recorded: record the fills first.
        case fillsNotRecorded
        /// The capital ledger refused the operation (see ``underlying``, a ``LedgerError``).
        case ledgerRefused
        /// The request itself is invalid (a negative attempt number, a blank symbol).
        case invalidRequest
        /// The store failed (see ``underlying``, a ``StoreError``).
        case store
    }

    /// What went wrong.
    public let code: Code
    /// The operation and the ids involved.
    public let context: String
    /// The store's or ledger's error, if any.
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
        var text = "coordination error \(code.rawValue): \(context)"
        if let underlying = underlying as? StoreError {
            text += " (\(underlying.description))"
        } else if let underlying = underlying as? LedgerError {
            text += " (\(underlying.description))"
        }
        return text
    }

    /// Wraps a store error: a refused fencing check becomes ``Code/lockLost``.
    static func wrapping(_ error: StoreError, _ context: String) -> CoordinationError {
        CoordinationError(error.code == .staleFencingToken ? .lockLost : .store, context: context, underlying: error)
    }

    /// The error of a unit of work: coordination errors as they are, store errors wrapped.
    static func wrapping(_ error: any Error, _ context: String) -> CoordinationError {
        switch error {
        case let error as CoordinationError: return error
        case let error as StoreError: return wrapping(error, context)
        case let error as LedgerError: return CoordinationError(.ledgerRefused, context: context, underlying: error)
        default: return CoordinationError(.store, context: "\(context): \(error)")
        }
    }
}
