/// An error from reconciliation: inconsistent input, a sum out of range, a lock that could not
/// be taken, or a source (store, exchange) that failed.
///
/// Compare by ``code``. ``description`` names the profile and the ids involved; an underlying
/// driver or gateway error is kept in ``underlying`` for logs and not printed.
public struct ReconciliationError: Error, Sendable, CustomStringConvertible {
    /// What went wrong.
    public enum Code: String, Sendable, Hashable, CaseIterable {
        /// The database view is not the view of one profile: an order of another profile, or
        /// an order id that occurs twice.
        case inconsistentInput
        /// A sum of quantities (fills of an order, open lifecycles of a symbol, positions of a
        /// symbol) is outside the range of ``ExactDecimal``.
        case overflow
        /// A setting is out of range (a negative throttle window or tolerance).
        case invalidConfiguration
        /// The profile's reconciliation lock is held by another pass and the lock refuses
        /// rather than waits.
        case lockUnavailable
        /// The order store failed while the pass read the profile's orders.
        case storeUnavailable
        /// The exchange gateway failed while the pass read the snapshot.
        case exchangeUnavailable
        /// The task was cancelled while the pass waited for the lock or ran.
        case cancelled
    }

    /// What went wrong.
    public let code: Code
    /// The profile concerned, when known.
    public let profileID: ProfileID?
    /// The rule that was broken and the ids involved.
    public let detail: String
    /// The error of the store, gateway or lock underneath, for logs.
    public let underlying: (any Error & Sendable)?

    /// Creates an error.
    ///
    /// - Parameters:
    ///   - code: What went wrong.
    ///   - profileID: The profile concerned, when known.
    ///   - detail: The rule that was broken and the ids involved.
    ///   - underlying: The error underneath, if any.
    public init(_ code: Code, profileID: ProfileID?, detail: String, underlying: (any Error & Sendable)? = nil) {
        self.code = code
        self.profileID = profileID
        self.detail = detail
        self.underlying = underlying
    }

    public var description: String {
        let profile = profileID.map { "profile \($0.rawValue): " } ?? ""
        return "reconciliation error \(code.rawValue): \(profile)\(detail)"
    }
}
