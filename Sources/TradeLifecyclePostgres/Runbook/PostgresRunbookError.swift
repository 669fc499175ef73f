public import TradeLifecycle

/// An error of a ``PostgresRunbook`` step: the database could not be reached or queried, a row
/// could not be read as the core reads it, or a gate of the runbook refused the step.
///
/// Compare by ``code``. Unlike ``PostgresStoreError``, whose messages are safe for any log, a
/// runbook error is written for the operator running the step: ``description`` names the
/// order, field and value that stopped it (`order o7: field quantity: ... (value '-1')`), or
/// lists what a gate found (anomalies, order ids). The driver error, when there is one, is kept
/// in ``underlying``.
public struct PostgresRunbookError: Error, Sendable, CustomStringConvertible {
    /// What went wrong.
    public enum Code: String, Sendable, Hashable, CaseIterable, CustomStringConvertible {
        /// The server could not be reached, refused the credentials, or the connection broke.
        case connectionFailed
        /// A query failed (the ``sqlState`` says why when the server sent one); a step that
        /// writes was rolled back.
        case queryFailed
        /// A row does not read as the core reads it (unknown status, malformed or non-positive
        /// quantity, time out of range...): the message names the order, field and value.
        /// Nothing was written.
        case invalidRow
        /// The core refused the data as a whole (a lifecycle sum out of range, conflicting fill
        /// evidence, ...): ``underlying`` is the core's error. Nothing was written.
        case planningFailed
        /// Gate: `validateConstraints` found lifecycle anomalies (``anomalies``); the
        /// reference plan validates constraints only once reconciliation is clean. Nothing was
        /// run.
        case anomaliesPresent
        /// Gate: the legacy trade id backfill found orders whose `trade_id` is blank text
        /// rather than NULL (``orderIDs``). The update only fills NULLs, so these must be
        /// normalized to NULL first. Nothing was written.
        case blankTradeIDs
        /// The task was cancelled.
        case cancelled

        /// The case name, e.g. `anomaliesPresent`.
        public var description: String { rawValue }
    }

    /// What went wrong; compare errors by this.
    public var code: Code
    /// The step and what stopped it.
    public var context: String
    /// The SQLSTATE the server reported, when it reported one.
    public var sqlState: String?
    /// For ``Code-swift.enum/anomaliesPresent``: the anomalies found, every profile's.
    public var anomalies: [LifecycleAnomaly]
    /// For ``Code-swift.enum/blankTradeIDs``: the orders concerned.
    public var orderIDs: [OrderID]
    /// The error underneath (a `PSQLError`, an `InputError`, a `LifecycleError`...), if any.
    public var underlying: (any Error & Sendable)?

    /// Creates an error.
    ///
    /// - Parameters:
    ///   - code: What went wrong.
    ///   - context: The step and what stopped it.
    ///   - sqlState: The server's SQLSTATE, if any.
    ///   - anomalies: The anomalies a gate found.
    ///   - orderIDs: The orders a gate found.
    ///   - underlying: The error underneath, if any.
    public init(_ code: Code, context: String, sqlState: String? = nil, anomalies: [LifecycleAnomaly] = [],
                orderIDs: [OrderID] = [], underlying: (any Error & Sendable)? = nil) {
        self.code = code
        self.context = context
        self.sqlState = sqlState
        self.anomalies = anomalies
        self.orderIDs = orderIDs
        self.underlying = underlying
    }

    /// `PostgresRunbookError.<code>: <context> (SQLSTATE <state>)`, followed by the core's
    /// error when one is underneath.
    public var description: String {
        var text = "PostgresRunbookError.\(code): \(context)"
        if let sqlState {
            text += " (SQLSTATE \(sqlState))"
        }
        if let underlying, !Self.isDriverError(underlying) {
            text += ": \(String(describing: underlying))"
        }
        return text
    }

    /// Whether `error` comes from postgres-nio, whose description may show a query's data.
    static func isDriverError(_ error: any Error) -> Bool {
        String(reflecting: type(of: error)).hasPrefix("PostgresNIO.")
    }
}
