/// An error from a ``Store``.
///
/// Compare by ``code``. ``description`` names the operation and the ids involved but never
/// includes a driver's message text that could carry row data; the driver's error is kept in
/// ``underlying`` for logs.
public struct StoreError: Error, Sendable, CustomStringConvertible {
    /// What went wrong.
    public enum Code: String, Sendable, Hashable, CaseIterable {
        /// A record the operation needs does not exist.
        case notFound
        /// A uniqueness rule refused the write (for example a second live ENTRY order of a
        /// profile and symbol).
        case uniqueViolation
        /// The write breaks a rule of the data (a forbidden status transition, a constraint).
        case invalidChange
        /// A compare-and-set found a different current value.
        case conflict
        /// The store cannot be reached or failed (connection, I/O, driver error).
        case unavailable
        /// A concurrent transaction conflicted; the operation may be retried.
        case serializationFailure
        /// The store's tenant rules refused access to another profile's rows.
        case permissionDenied
        /// A failure injected by a test store.
        case injectedFailure
        /// The caller does not hold the entry lock it named: the lease expired, was released, or
        /// another owner holds the lock now (renew, release).
        case lockNotHeld
        /// A write guarded by an entry lock presented a fencing token that is no longer valid: a
        /// later acquisition replaced the lease, or the lease expired or was released.
        case staleFencingToken
    }

    /// What went wrong.
    public let code: Code
    /// The operation and the ids involved, such as `updateOrder BFILL-1f…`.
    public let context: String
    /// The error of the driver or rule underneath, for logs.
    public let underlying: (any Error & Sendable)?

    /// Creates an error.
    ///
    /// - Parameters:
    ///   - code: What went wrong.
    ///   - context: The operation and the ids involved.
    ///   - underlying: The driver's or rule's error, if any.
    public init(_ code: Code, context: String, underlying: (any Error & Sendable)? = nil) {
        self.code = code
        self.context = context
        self.underlying = underlying
    }

    public var description: String {
        var text = "store error \(code.rawValue): \(context)"
        // Rule errors of the core carry no row data beyond ids; driver errors are not printed.
        if let underlying = underlying as? any RowFreeError {
            text += " (\(underlying.description))"
        }
        return text
    }
}

/// An error of the core whose description names ids and rule values only, never a driver's
/// text, so a ``StoreError`` may print it.
protocol RowFreeError: Error, CustomStringConvertible {}

extension InputError: RowFreeError {}
extension DecimalError: RowFreeError {}
