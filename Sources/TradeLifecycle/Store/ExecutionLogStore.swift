/// Persistence of the execution log: `execution_logs`, an append-only, hash-chained audit trail
/// per profile (`reference/003_*`). There is no update or delete operation.
///
/// Contract (checked by `TradeLifecycleTesting`'s conformance suite):
/// - ``appendExecutionLog(_:)`` seals the record as the next entry of the profile's chain
///   (``ExecutionLogEntry/init(sealing:after:)``): sequence numbers 1, 2, 3, … without gaps,
///   each entry carrying the previous entry's hash. Appends of one profile are serialized (a
///   PostgreSQL store locks the profile's head row), so concurrent appends never fork or skip.
/// - Appending an entry id that exists with the same content answers the stored entry with
///   ``InsertOutcome/alreadyExists`` and appends nothing; with other content it is
///   ``StoreError/Code/conflict``.
/// - ``executionLogHead(profileID:)`` is the last entry's sequence number and hash, kept with
///   every append.
public protocol ExecutionLogStore: Sendable {
    /// Appends a record to its profile's chain, unless its entry id exists.
    ///
    /// - Parameter record: The content.
    /// - Returns: The entry as stored and whether it was appended now.
    /// - Throws: ``StoreError/Code/conflict`` when the entry id exists with other content.
    func appendExecutionLog(_ record: ExecutionLogRecord) async throws(StoreError) -> ExecutionLogAppend

    /// The profile's entries with a sequence number above `after`, by sequence number.
    ///
    /// - Parameters:
    ///   - profileID: The profile.
    ///   - after: Entries after this sequence number (0 for the start).
    ///   - limit: At most this many entries; positive.
    func executionLog(profileID: ProfileID, after: Int64, limit: Int) async throws(StoreError) -> [ExecutionLogEntry]

    /// The entry with `entryID`, or `nil`.
    func executionLogEntry(_ entryID: ExecutionLogEntryID) async throws(StoreError) -> ExecutionLogEntry?

    /// The head of the profile's chain, or `nil` when the profile has no entries.
    func executionLogHead(profileID: ProfileID) async throws(StoreError) -> ExecutionLogHead?
}
