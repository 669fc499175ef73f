public import TradeLifecycle

/// A store or a transaction that forwards every operation it does not implement itself to
/// ``forwardingTarget``: the shape of a test double that changes one behaviour of a real store
/// and keeps the rest.
///
/// Conform, return the wrapped operations, and implement only what differs; the extension
/// implements every other operation of ``TradeLifecycle/StoreOperations`` by forwarding:
///
/// ```swift
/// /// A store whose inserts fail once the disk is "full".
/// final class FullDiskStore: Store, StoreOperationsForwarding {
///     let base = InMemoryStore()
///     var forwardingTarget: any StoreOperations { base }
///     var isTransactional: Bool { base.isTransactional }
///     func withTransaction<Result: Sendable>(
///         _ body: @Sendable (any StoreTransaction) async throws -> Result
///     ) async throws -> Result { try await base.withTransaction(body) }
///     func insertOrder(_ order: Order) async throws(StoreError) -> InsertOutcome {
///         throw StoreError(.unavailable, context: "insert of \(order.orderID): disk full")
///     }
/// }
/// ```
///
/// A wrapper with transactions usually forwards its own operations to the wrapper of its
/// transactions (a `struct` conforming to `StoreTransaction` and this protocol), so each
/// behaviour is written once, as ``FaultInjectingStore`` does.
public protocol StoreOperationsForwarding: StoreOperations {
    /// Where every operation this type does not implement itself goes.
    var forwardingTarget: any StoreOperations { get }
}

extension StoreOperationsForwarding {
    /// Forwards to ``forwardingTarget``.
    public func insertOrder(_ order: Order) async throws(StoreError) -> InsertOutcome {
        try await forwardingTarget.insertOrder(order)
    }

    /// Forwards to ``forwardingTarget``.
    public func order(_ orderID: OrderID) async throws(StoreError) -> Order? {
        try await forwardingTarget.order(orderID)
    }

    /// Forwards to ``forwardingTarget``.
    public func orders(matching query: OrderQuery) async throws(StoreError) -> [Order] {
        try await forwardingTarget.orders(matching: query)
    }

    /// Forwards to ``forwardingTarget``.
    public func updateOrder(_ orderID: OrderID, change: OrderChange, at: Timestamp) async throws(StoreError) -> Order {
        try await forwardingTarget.updateOrder(orderID, change: change, at: at)
    }

    /// Forwards to ``forwardingTarget``.
    public func profile(_ profileID: ProfileID) async throws(StoreError) -> TradingProfile? {
        try await forwardingTarget.profile(profileID)
    }

    /// Forwards to ``forwardingTarget``.
    public func saveProfile(_ profile: TradingProfile) async throws(StoreError) {
        try await forwardingTarget.saveProfile(profile)
    }

    /// Forwards to ``forwardingTarget``.
    public func insertAuditRecords(_ records: [BackfillAuditRecord]) async throws(StoreError) {
        try await forwardingTarget.insertAuditRecords(records)
    }

    /// Forwards to ``forwardingTarget``.
    public func updateAuditDecision(_ key: BackfillAuditKey, from expected: BackfillDecision,
                                    to newDecision: BackfillDecision) async throws(StoreError) -> BackfillAuditRecord {
        try await forwardingTarget.updateAuditDecision(key, from: expected, to: newDecision)
    }

    /// Forwards to ``forwardingTarget``.
    public func auditRecords(batchID: BackfillBatchID) async throws(StoreError) -> [BackfillAuditRecord] {
        try await forwardingTarget.auditRecords(batchID: batchID)
    }

    /// Forwards to ``forwardingTarget``.
    public func auditRecords(profileID: ProfileID, decision: BackfillDecision) async throws(StoreError) -> [BackfillAuditRecord] {
        try await forwardingTarget.auditRecords(profileID: profileID, decision: decision)
    }

    /// Forwards to ``forwardingTarget``.
    public func markBatchReverted(_ batchID: BackfillBatchID, at: Timestamp) async throws(StoreError) -> Int {
        try await forwardingTarget.markBatchReverted(batchID, at: at)
    }

    /// Forwards to ``forwardingTarget``.
    public func acquireEntryLock(profileID: ProfileID, symbol: String, owner: EntryLockOwner, ttlMicroseconds: Int64,
                                 now: Timestamp) async throws(StoreError) -> EntryLockAcquisition {
        try await forwardingTarget.acquireEntryLock(profileID: profileID, symbol: symbol, owner: owner,
                                                    ttlMicroseconds: ttlMicroseconds, now: now)
    }

    /// Forwards to ``forwardingTarget``.
    public func renewEntryLock(_ lease: EntryLease, ttlMicroseconds: Int64, now: Timestamp) async throws(StoreError) -> EntryLease {
        try await forwardingTarget.renewEntryLock(lease, ttlMicroseconds: ttlMicroseconds, now: now)
    }

    /// Forwards to ``forwardingTarget``.
    public func releaseEntryLock(_ lease: EntryLease, now: Timestamp) async throws(StoreError) {
        try await forwardingTarget.releaseEntryLock(lease, now: now)
    }

    /// Forwards to ``forwardingTarget``.
    public func entryLock(profileID: ProfileID, symbol: String) async throws(StoreError) -> EntryLease? {
        try await forwardingTarget.entryLock(profileID: profileID, symbol: symbol)
    }

    /// Forwards to ``forwardingTarget``.
    public func checkEntryLockFence(_ lease: EntryLease, now: Timestamp) async throws(StoreError) {
        try await forwardingTarget.checkEntryLockFence(lease, now: now)
    }

    /// Forwards to ``forwardingTarget``.
    public func recordIfNew(source: String, eventID: String, at: Timestamp) async throws(StoreError) -> Bool {
        try await forwardingTarget.recordIfNew(source: source, eventID: eventID, at: at)
    }

    /// Forwards to ``forwardingTarget``.
    public func purgeEvents(olderThan cutoff: Timestamp) async throws(StoreError) -> Int {
        try await forwardingTarget.purgeEvents(olderThan: cutoff)
    }

    /// Forwards to ``forwardingTarget``.
    public func appendExecutionLog(_ record: ExecutionLogRecord) async throws(StoreError) -> ExecutionLogAppend {
        try await forwardingTarget.appendExecutionLog(record)
    }

    /// Forwards to ``forwardingTarget``.
    public func executionLog(profileID: ProfileID, after: Int64, limit: Int) async throws(StoreError) -> [ExecutionLogEntry] {
        try await forwardingTarget.executionLog(profileID: profileID, after: after, limit: limit)
    }

    /// Forwards to ``forwardingTarget``.
    public func executionLogEntry(_ entryID: ExecutionLogEntryID) async throws(StoreError) -> ExecutionLogEntry? {
        try await forwardingTarget.executionLogEntry(entryID)
    }

    /// Forwards to ``forwardingTarget``.
    public func executionLogHead(profileID: ProfileID) async throws(StoreError) -> ExecutionLogHead? {
        try await forwardingTarget.executionLogHead(profileID: profileID)
    }

    /// Forwards to ``forwardingTarget``.
    public func appendLedgerEvent(_ event: LedgerEvent) async throws(StoreError) {
        try await forwardingTarget.appendLedgerEvent(event)
    }

    /// Forwards to ``forwardingTarget``.
    public func ledgerEvents(after: UInt64, limit: Int) async throws(StoreError) -> [LedgerEvent] {
        try await forwardingTarget.ledgerEvents(after: after, limit: limit)
    }

    /// Forwards to ``forwardingTarget``.
    public func ledgerEvent(for id: LedgerOperationID) async throws(StoreError) -> LedgerEvent? {
        try await forwardingTarget.ledgerEvent(for: id)
    }

    /// Forwards to ``forwardingTarget``.
    public func lastLedgerSequence() async throws(StoreError) -> UInt64 {
        try await forwardingTarget.lastLedgerSequence()
    }
}
