/// Persistence of the capital ledger's history: every ``LedgerEvent`` the ledger records, from
/// which ``CapitalLedger/rebuild(from:)`` restores it after a restart (`reference/002_*`
/// phases 2 and 3). The store is the source of truth; ``LedgerBook`` keeps the ledger in memory
/// and catches up from the store before every change.
///
/// Contract (checked by `TradeLifecycleTesting`'s conformance suite):
/// - The history is one sequence for the whole store: 1, 2, 3, … without gaps.
/// - ``appendLedgerEvent(_:)`` accepts only the next sequence number
///   (``lastLedgerSequence()`` + 1) and an operation id not stored yet; anything else writes
///   nothing. Concurrent appenders of the same sequence number: one wins, the others get
///   ``StoreError/Code/conflict`` and must catch up and retry.
/// - There is no update or delete.
public protocol LedgerEventStore: Sendable {
    /// Appends the next event of the history.
    ///
    /// - Throws: ``StoreError/Code/conflict`` when `event.sequence` is not the next sequence
    ///   number (another writer appended first, or the caller is behind);
    ///   ``StoreError/Code/uniqueViolation`` when the operation id is stored already.
    func appendLedgerEvent(_ event: LedgerEvent) async throws(StoreError)

    /// The events with a sequence number above `after`, by sequence number.
    ///
    /// - Parameters:
    ///   - after: Events after this sequence number (0 for the start).
    ///   - limit: At most this many events; positive.
    func ledgerEvents(after: UInt64, limit: Int) async throws(StoreError) -> [LedgerEvent]

    /// The event recorded for an operation id, or `nil`.
    func ledgerEvent(for id: LedgerOperationID) async throws(StoreError) -> LedgerEvent?

    /// The last sequence number stored, or 0 when the history is empty.
    func lastLedgerSequence() async throws(StoreError) -> UInt64
}
