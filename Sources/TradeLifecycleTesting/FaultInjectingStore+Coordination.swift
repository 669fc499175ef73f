// The entry lock, event dedupe, execution log and ledger event operations of the fault-injecting
// store's transactions (and, through them, of the store): counted and checked like the others,
// then forwarded.
import TradeLifecycle

extension FaultInjectingTransaction {
    func acquireEntryLock(profileID: ProfileID, symbol: String, owner: EntryLockOwner, ttlMicroseconds: Int64,
                          now: Timestamp) async throws(StoreError) -> EntryLockAcquisition {
        try self.owner.check(.acquireEntryLock)
        return try await inner.acquireEntryLock(profileID: profileID, symbol: symbol, owner: owner, ttlMicroseconds: ttlMicroseconds, now: now)
    }

    func renewEntryLock(_ lease: EntryLease, ttlMicroseconds: Int64, now: Timestamp) async throws(StoreError) -> EntryLease {
        try self.owner.check(.renewEntryLock)
        return try await inner.renewEntryLock(lease, ttlMicroseconds: ttlMicroseconds, now: now)
    }

    func releaseEntryLock(_ lease: EntryLease, now: Timestamp) async throws(StoreError) {
        try self.owner.check(.releaseEntryLock)
        try await inner.releaseEntryLock(lease, now: now)
    }

    func entryLock(profileID: ProfileID, symbol: String) async throws(StoreError) -> EntryLease? {
        try self.owner.check(.entryLock)
        return try await inner.entryLock(profileID: profileID, symbol: symbol)
    }

    func checkEntryLockFence(_ lease: EntryLease, now: Timestamp) async throws(StoreError) {
        try self.owner.check(.checkEntryLockFence)
        try await inner.checkEntryLockFence(lease, now: now)
    }

    func recordIfNew(source: String, eventID: String, at: Timestamp) async throws(StoreError) -> Bool {
        try self.owner.check(.recordIfNew)
        return try await inner.recordIfNew(source: source, eventID: eventID, at: at)
    }

    func purgeEvents(olderThan cutoff: Timestamp) async throws(StoreError) -> Int {
        try self.owner.check(.purgeEvents)
        return try await inner.purgeEvents(olderThan: cutoff)
    }

    func appendExecutionLog(_ record: ExecutionLogRecord) async throws(StoreError) -> ExecutionLogAppend {
        try self.owner.check(.appendExecutionLog)
        return try await inner.appendExecutionLog(record)
    }

    func executionLog(profileID: ProfileID, after: Int64, limit: Int) async throws(StoreError) -> [ExecutionLogEntry] {
        try self.owner.check(.executionLog)
        return try await inner.executionLog(profileID: profileID, after: after, limit: limit)
    }

    func executionLogEntry(_ entryID: ExecutionLogEntryID) async throws(StoreError) -> ExecutionLogEntry? {
        try self.owner.check(.executionLogEntry)
        return try await inner.executionLogEntry(entryID)
    }

    func executionLogHead(profileID: ProfileID) async throws(StoreError) -> ExecutionLogHead? {
        try self.owner.check(.executionLogHead)
        return try await inner.executionLogHead(profileID: profileID)
    }

    func appendLedgerEvent(_ event: LedgerEvent) async throws(StoreError) {
        try self.owner.check(.appendLedgerEvent)
        try await inner.appendLedgerEvent(event)
    }

    func ledgerEvents(after: UInt64, limit: Int) async throws(StoreError) -> [LedgerEvent] {
        try self.owner.check(.ledgerEvents)
        return try await inner.ledgerEvents(after: after, limit: limit)
    }

    func ledgerEvent(for id: LedgerOperationID) async throws(StoreError) -> LedgerEvent? {
        try self.owner.check(.ledgerEvent)
        return try await inner.ledgerEvent(for: id)
    }

    func lastLedgerSequence() async throws(StoreError) -> UInt64 {
        try self.owner.check(.lastLedgerSequence)
        return try await inner.lastLedgerSequence()
    }
}
