import TradeLifecycle

/// The ``TradeLifecycle/StoreTransaction`` of ``PostgresStore/withTransaction(_:)``: every
/// operation runs on the unit of work's connection, inside its transaction.
struct PostgresStoreTransaction: StoreTransaction {
    let operations: PostgresOperations

    // MARK: OrderStore

    func insertOrder(_ order: Order) async throws(StoreError) -> InsertOutcome {
        try await operations.insertOrder(order)
    }

    func order(_ orderID: OrderID) async throws(StoreError) -> Order? {
        try await operations.order(orderID)
    }

    func orders(matching query: OrderQuery) async throws(StoreError) -> [Order] {
        try await operations.orders(matching: query)
    }

    func updateOrder(_ orderID: OrderID, change: OrderChange, at time: Timestamp) async throws(StoreError) -> Order {
        try await operations.updateOrder(orderID, change: change, at: time)
    }

    // MARK: ProfileStore

    func profile(_ profileID: ProfileID) async throws(StoreError) -> TradingProfile? {
        try await operations.profile(profileID)
    }

    func saveProfile(_ profile: TradingProfile) async throws(StoreError) {
        try await operations.saveProfile(profile)
    }

    // MARK: BackfillAuditStore

    func insertAuditRecords(_ records: [BackfillAuditRecord]) async throws(StoreError) {
        try await operations.insertAuditRecords(records)
    }

    func updateAuditDecision(_ key: BackfillAuditKey, from expected: BackfillDecision,
                                    to newDecision: BackfillDecision) async throws(StoreError) -> BackfillAuditRecord {
        try await operations.updateAuditDecision(key, from: expected, to: newDecision)
    }

    func auditRecords(batchID: BackfillBatchID) async throws(StoreError) -> [BackfillAuditRecord] {
        try await operations.auditRecords(batchID: batchID)
    }

    func auditRecords(profileID: ProfileID, decision: BackfillDecision) async throws(StoreError) -> [BackfillAuditRecord] {
        try await operations.auditRecords(profileID: profileID, decision: decision)
    }

    func markBatchReverted(_ batchID: BackfillBatchID, at time: Timestamp) async throws(StoreError) -> Int {
        try await operations.markBatchReverted(batchID, at: time)
    }

    // MARK: EntryLockStore

    func acquireEntryLock(profileID: ProfileID, symbol: String, owner: EntryLockOwner, ttlMicroseconds: Int64,
                                 now: Timestamp) async throws(StoreError) -> EntryLockAcquisition {
        try await operations.acquireEntryLock(profileID: profileID, symbol: symbol, owner: owner, ttlMicroseconds: ttlMicroseconds, now: now)
    }

    func renewEntryLock(_ lease: EntryLease, ttlMicroseconds: Int64, now: Timestamp) async throws(StoreError) -> EntryLease {
        try await operations.renewEntryLock(lease, ttlMicroseconds: ttlMicroseconds, now: now)
    }

    func releaseEntryLock(_ lease: EntryLease, now: Timestamp) async throws(StoreError) {
        try await operations.releaseEntryLock(lease)
    }

    func entryLock(profileID: ProfileID, symbol: String) async throws(StoreError) -> EntryLease? {
        try await operations.entryLock(profileID: profileID, symbol: symbol)
    }

    func checkEntryLockFence(_ lease: EntryLease, now: Timestamp) async throws(StoreError) {
        try await operations.checkEntryLockFence(lease, now: now)
    }

    // MARK: EventDedupeStore

    func recordIfNew(source: String, eventID: String, at time: Timestamp) async throws(StoreError) -> Bool {
        try await operations.recordIfNew(source: source, eventID: eventID, at: time)
    }

    func purgeEvents(olderThan cutoff: Timestamp) async throws(StoreError) -> Int {
        try await operations.purgeEvents(olderThan: cutoff)
    }

    // MARK: ExecutionLogStore

    func appendExecutionLog(_ record: ExecutionLogRecord) async throws(StoreError) -> ExecutionLogAppend {
        try await operations.appendExecutionLog(record)
    }

    func executionLog(profileID: ProfileID, after: Int64, limit: Int) async throws(StoreError) -> [ExecutionLogEntry] {
        try await operations.executionLog(profileID: profileID, after: after, limit: limit)
    }

    func executionLogEntry(_ entryID: ExecutionLogEntryID) async throws(StoreError) -> ExecutionLogEntry? {
        try await operations.executionLogEntry(entryID)
    }

    func executionLogHead(profileID: ProfileID) async throws(StoreError) -> ExecutionLogHead? {
        try await operations.executionLogHead(profileID: profileID)
    }

    // MARK: LedgerEventStore

    func appendLedgerEvent(_ event: LedgerEvent) async throws(StoreError) {
        try await operations.appendLedgerEvent(event)
    }

    func ledgerEvents(after: UInt64, limit: Int) async throws(StoreError) -> [LedgerEvent] {
        try await operations.ledgerEvents(after: after, limit: limit)
    }

    func ledgerEvent(for id: LedgerOperationID) async throws(StoreError) -> LedgerEvent? {
        try await operations.ledgerEvent(for: id)
    }

    func lastLedgerSequence() async throws(StoreError) -> UInt64 {
        try await operations.lastLedgerSequence()
    }
}
