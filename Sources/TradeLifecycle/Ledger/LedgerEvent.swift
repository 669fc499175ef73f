/// One entry of the ledger's history: an operation the ledger recorded and the result it
/// recorded for it.
///
/// The ledger appends an event for every operation whose result is recorded
/// (``LedgerResult/isRecorded``: created, violation, insufficient available) and for nothing
/// else; sequence numbers start at 1 and have no gaps. ``CapitalLedger/rebuild(from:)`` folds
/// a history back into the same ledger, so a store that persists the events (for instance as
/// JSON: decimals and ids are strings) can restore the ledger after a restart.
public struct LedgerEvent: Sendable, Hashable, Codable {
    /// The position in the history, from 1, without gaps.
    public let sequence: UInt64
    /// The operation, with its idempotency id.
    public let operation: LedgerOperation
    /// The recorded result: ``LedgerResult/created``, ``LedgerResult/violation(available:)`` or
    /// ``LedgerResult/insufficientAvailable(available:required:)``.
    public let result: LedgerResult

    /// Creates an event, for instance when reading one back from a store.
    ///
    /// ``CapitalLedger/rebuild(from:)`` checks every event against the rules, so an event that
    /// was not produced by the ledger is refused there.
    /// - Parameters:
    ///   - sequence: The position in the history, from 1.
    ///   - operation: The operation.
    ///   - result: The recorded result.
    public init(sequence: UInt64, operation: LedgerOperation, result: LedgerResult) {
        self.sequence = sequence
        self.operation = operation
        self.result = result
    }

    /// The operation's idempotency id.
    public var id: LedgerOperationID { operation.id }
}
