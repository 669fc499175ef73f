/// Persistence of processed event ids, for idempotent stream processing (`reference/004_*`,
/// the `event_dedupe` table keyed by source and event id).
///
/// Contract (checked by `TradeLifecycleTesting`'s conformance suite):
/// - ``recordIfNew(source:eventID:at:)`` returns `true` exactly once per (source, event id)
///   pair, however many callers race, until the pair is purged.
/// - ``purgeEvents(olderThan:)`` deletes the pairs recorded before the cutoff and nothing else.
///   After a purge the same pair counts as new again: keep the retention window longer than the
///   longest time a source may redeliver an event (see ``EventDeduplicator``).
public protocol EventDedupeStore: Sendable {
    /// Records a pair unless it is recorded already.
    ///
    /// - Parameters:
    ///   - source: Where the event comes from (a stream, an exchange account); not blank.
    ///   - eventID: The event's id within the source; not blank.
    ///   - at: When the event is processed; the purge compares it with its cutoff.
    /// - Returns: `true` when the pair was new and is recorded now, `false` when it was recorded
    ///   before (nothing changes then, not even its time).
    /// - Throws: ``StoreError/Code/invalidChange`` for a blank source or event id.
    func recordIfNew(source: String, eventID: String, at: Timestamp) async throws(StoreError) -> Bool

    /// Deletes the pairs recorded before `cutoff`.
    ///
    /// - Parameter cutoff: Pairs with a time strictly before it are deleted.
    /// - Returns: How many pairs were deleted.
    func purgeEvents(olderThan cutoff: Timestamp) async throws(StoreError) -> Int
}

/// Checks of the event dedupe inputs, shared by the stores.
public enum EventDedupeRules {
    /// Checks that the source and event id are not blank.
    ///
    /// - Throws: ``StoreError`` with code ``StoreError/Code/invalidChange``.
    public static func validate(source: String, eventID: String) throws(StoreError) {
        guard !ProfileID.isBlank(source) else {
            throw StoreError(.invalidChange, context: "recordIfNew: the event source must not be blank")
        }
        guard !ProfileID.isBlank(eventID) else {
            throw StoreError(.invalidChange, context: "recordIfNew \(source): the event id must not be blank")
        }
    }
}
