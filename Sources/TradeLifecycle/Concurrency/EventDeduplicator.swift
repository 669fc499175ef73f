/// Idempotent event processing (`reference/004_*`): tells whether an event of a source is seen
/// for the first time, remembering events for a retention window.
///
/// ```swift
/// let dedupe = EventDeduplicator(store: store, clock: SystemWallClock(), retentionMicroseconds: Timestamp.hours(72))
/// if try await dedupe.isNew(source: "fills-stream", eventID: message.id) {
///     // process the message
/// }
/// ```
///
/// Keep the retention longer than the longest time a source may redeliver an event: after
/// ``purgeExpired()`` an event older than the window counts as new again. To process an event
/// and mark it in one unit of work, call ``EventDedupeStore/recordIfNew(source:eventID:at:)`` on
/// the transaction instead.
public struct EventDeduplicator: Sendable {
    /// The store.
    public let store: any EventDedupeStore
    /// Where the time of each event comes from.
    public let clock: any WallClock
    /// How long events are remembered.
    public let retentionMicroseconds: Int64

    /// Creates a deduplicator.
    ///
    /// - Parameters:
    ///   - store: The store.
    ///   - clock: The clock.
    ///   - retentionMicroseconds: How long events are remembered; negative counts as zero.
    public init(store: any EventDedupeStore, clock: any WallClock, retentionMicroseconds: Int64) {
        self.store = store
        self.clock = clock
        self.retentionMicroseconds = max(0, retentionMicroseconds)
    }

    /// Records the event and tells whether it is new; true exactly once per (source, event id)
    /// within the retention window, however many callers race.
    ///
    /// - Throws: ``StoreError`` (``StoreError/Code/invalidChange`` for a blank source or id).
    public func isNew(source: String, eventID: String) async throws(StoreError) -> Bool {
        try await store.recordIfNew(source: source, eventID: eventID, at: clock.now())
    }

    /// Forgets the events recorded before `now - retention`.
    ///
    /// - Returns: How many events were forgotten.
    /// - Throws: ``StoreError``.
    @discardableResult
    public func purgeExpired() async throws(StoreError) -> Int {
        let cutoff = clock.now().advanced(byMicroseconds: -retentionMicroseconds) ?? Timestamp.min
        return try await store.purgeEvents(olderThan: cutoff)
    }
}
