// Entry locks, event dedupe and the execution log of the in-memory store and its transactions.

extension InMemoryStore {
    // MARK: EntryLockStore

    public func acquireEntryLock(profileID: ProfileID, symbol: String, owner: EntryLockOwner, ttlMicroseconds: Int64,
                                 now: Timestamp) async throws(StoreError) -> EntryLockAcquisition {
        try await exclusive { () throws(StoreError) in
            try state.acquireEntryLock(profileID: profileID, symbol: symbol, owner: owner, ttlMicroseconds: ttlMicroseconds, now: now)
        }
    }

    public func renewEntryLock(_ lease: EntryLease, ttlMicroseconds: Int64, now: Timestamp) async throws(StoreError) -> EntryLease {
        try await exclusive { () throws(StoreError) in try state.renewEntryLock(lease, ttlMicroseconds: ttlMicroseconds, now: now) }
    }

    public func releaseEntryLock(_ lease: EntryLease, now: Timestamp) async throws(StoreError) {
        try await exclusive { () throws(StoreError) in try state.releaseEntryLock(lease) }
    }

    public func entryLock(profileID: ProfileID, symbol: String) async throws(StoreError) -> EntryLease? {
        try await exclusive { () throws(StoreError) in state.entryLock(profileID: profileID, symbol: symbol) }
    }

    public func checkEntryLockFence(_ lease: EntryLease, now: Timestamp) async throws(StoreError) {
        try await exclusive { () throws(StoreError) in try state.checkEntryLockFence(lease, now: now) }
    }

    // MARK: EventDedupeStore

    public func recordIfNew(source: String, eventID: String, at: Timestamp) async throws(StoreError) -> Bool {
        try await exclusive { () throws(StoreError) in try state.recordIfNew(source: source, eventID: eventID, at: at) }
    }

    public func purgeEvents(olderThan cutoff: Timestamp) async throws(StoreError) -> Int {
        try await exclusive { () throws(StoreError) in state.purgeEvents(olderThan: cutoff) }
    }

    // MARK: ExecutionLogStore

    public func appendExecutionLog(_ record: ExecutionLogRecord) async throws(StoreError) -> ExecutionLogAppend {
        try await exclusive { () throws(StoreError) in try state.appendExecutionLog(record) }
    }

    public func executionLog(profileID: ProfileID, after: Int64, limit: Int) async throws(StoreError) -> [ExecutionLogEntry] {
        try await exclusive { () throws(StoreError) in try state.executionLog(profileID: profileID, after: after, limit: limit) }
    }

    public func executionLogEntry(_ entryID: ExecutionLogEntryID) async throws(StoreError) -> ExecutionLogEntry? {
        try await exclusive { () throws(StoreError) in state.executionLogEntry(entryID) }
    }

    public func executionLogHead(profileID: ProfileID) async throws(StoreError) -> ExecutionLogHead? {
        try await exclusive { () throws(StoreError) in state.executionLogHead(profileID: profileID) }
    }
}

extension InMemoryTransaction {
    // MARK: EntryLockStore

    func acquireEntryLock(profileID: ProfileID, symbol: String, owner: EntryLockOwner, ttlMicroseconds: Int64,
                          now: Timestamp) async throws(StoreError) -> EntryLockAcquisition {
        try await store.withState { (state) throws(StoreError) in
            try state.acquireEntryLock(profileID: profileID, symbol: symbol, owner: owner, ttlMicroseconds: ttlMicroseconds, now: now)
        }
    }

    func renewEntryLock(_ lease: EntryLease, ttlMicroseconds: Int64, now: Timestamp) async throws(StoreError) -> EntryLease {
        try await store.withState { (state) throws(StoreError) in try state.renewEntryLock(lease, ttlMicroseconds: ttlMicroseconds, now: now) }
    }

    func releaseEntryLock(_ lease: EntryLease, now: Timestamp) async throws(StoreError) {
        try await store.withState { (state) throws(StoreError) in try state.releaseEntryLock(lease) }
    }

    func entryLock(profileID: ProfileID, symbol: String) async throws(StoreError) -> EntryLease? {
        try await store.withState { (state) throws(StoreError) in state.entryLock(profileID: profileID, symbol: symbol) }
    }

    func checkEntryLockFence(_ lease: EntryLease, now: Timestamp) async throws(StoreError) {
        try await store.withState { (state) throws(StoreError) in try state.checkEntryLockFence(lease, now: now) }
    }

    // MARK: EventDedupeStore

    func recordIfNew(source: String, eventID: String, at: Timestamp) async throws(StoreError) -> Bool {
        try await store.withState { (state) throws(StoreError) in try state.recordIfNew(source: source, eventID: eventID, at: at) }
    }

    func purgeEvents(olderThan cutoff: Timestamp) async throws(StoreError) -> Int {
        try await store.withState { (state) throws(StoreError) in state.purgeEvents(olderThan: cutoff) }
    }

    // MARK: ExecutionLogStore

    func appendExecutionLog(_ record: ExecutionLogRecord) async throws(StoreError) -> ExecutionLogAppend {
        try await store.withState { (state) throws(StoreError) in try state.appendExecutionLog(record) }
    }

    func executionLog(profileID: ProfileID, after: Int64, limit: Int) async throws(StoreError) -> [ExecutionLogEntry] {
        try await store.withState { (state) throws(StoreError) in try state.executionLog(profileID: profileID, after: after, limit: limit) }
    }

    func executionLogEntry(_ entryID: ExecutionLogEntryID) async throws(StoreError) -> ExecutionLogEntry? {
        try await store.withState { (state) throws(StoreError) in state.executionLogEntry(entryID) }
    }

    func executionLogHead(profileID: ProfileID) async throws(StoreError) -> ExecutionLogHead? {
        try await store.withState { (state) throws(StoreError) in state.executionLogHead(profileID: profileID) }
    }
}

extension InMemoryStore {
    // MARK: LedgerEventStore

    public func appendLedgerEvent(_ event: LedgerEvent) async throws(StoreError) {
        try await exclusive { () throws(StoreError) in try state.appendLedgerEvent(event) }
    }

    public func ledgerEvents(after: UInt64, limit: Int) async throws(StoreError) -> [LedgerEvent] {
        try await exclusive { () throws(StoreError) in try state.ledgerEvents(after: after, limit: limit) }
    }

    public func ledgerEvent(for id: LedgerOperationID) async throws(StoreError) -> LedgerEvent? {
        try await exclusive { () throws(StoreError) in state.ledgerEvent(for: id) }
    }

    public func lastLedgerSequence() async throws(StoreError) -> UInt64 {
        try await exclusive { () throws(StoreError) in UInt64(state.ledgerEvents.count) }
    }
}

extension InMemoryTransaction {
    // MARK: LedgerEventStore

    func appendLedgerEvent(_ event: LedgerEvent) async throws(StoreError) {
        try await store.withState { (state) throws(StoreError) in try state.appendLedgerEvent(event) }
    }

    func ledgerEvents(after: UInt64, limit: Int) async throws(StoreError) -> [LedgerEvent] {
        try await store.withState { (state) throws(StoreError) in try state.ledgerEvents(after: after, limit: limit) }
    }

    func ledgerEvent(for id: LedgerOperationID) async throws(StoreError) -> LedgerEvent? {
        try await store.withState { (state) throws(StoreError) in state.ledgerEvent(for: id) }
    }

    func lastLedgerSequence() async throws(StoreError) -> UInt64 {
        try await store.withState { (state) throws(StoreError) in UInt64(state.ledgerEvents.count) }
    }
}
