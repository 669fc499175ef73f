/// Entry locks, event dedupe and the execution log of an ``InMemoryStore``.
extension InMemoryState {
    struct EventKey: Hashable, Sendable {
        let source: String
        let eventID: String
    }

    struct ExecutionLogPosition: Hashable, Sendable {
        let profileID: ProfileID
        let index: Int
    }

    // MARK: Entry locks

    mutating func acquireEntryLock(profileID: ProfileID, symbol: String, owner: EntryLockOwner, ttlMicroseconds: Int64,
                                   now: Timestamp) throws(StoreError) -> EntryLockAcquisition {
        let context = "acquireEntryLock \(profileID)/\(symbol)"
        try EntryLockRules.requireSymbol(symbol, context: context)
        let expiresAt = try EntryLockRules.expiry(from: now, ttlMicroseconds: ttlMicroseconds, context: context)
        let key = LiveEntryKey(profileID: profileID, symbol: symbol)
        if let current = entryLocks[key], current.owner != owner, current.isUnexpired(at: now) {
            return .contended(holder: current.owner, expiresAt: current.expiresAt)
        }
        guard lastFencingToken < Int64.max else {
            throw StoreError(.unavailable, context: "\(context): the fencing token sequence is exhausted")
        }
        lastFencingToken += 1
        let lease = EntryLease(profileID: profileID, symbol: symbol, owner: owner, fencingToken: FencingToken(lastFencingToken),
                               acquiredAt: now, expiresAt: expiresAt)
        entryLocks[key] = lease
        return .acquired(lease)
    }

    mutating func renewEntryLock(_ lease: EntryLease, ttlMicroseconds: Int64, now: Timestamp) throws(StoreError) -> EntryLease {
        let context = "renewEntryLock \(lease.profileID)/\(lease.symbol) token \(lease.fencingToken)"
        let expiresAt = try EntryLockRules.expiry(from: now, ttlMicroseconds: ttlMicroseconds, context: context)
        let key = LiveEntryKey(profileID: lease.profileID, symbol: lease.symbol)
        guard let current = entryLocks[key], current.owner == lease.owner, current.fencingToken == lease.fencingToken else {
            throw StoreError(.lockNotHeld, context: "\(context): the lease was released or replaced")
        }
        guard current.isUnexpired(at: now) else {
            throw StoreError(.lockNotHeld, context: "\(context): the lease expired at \(current.expiresAt)")
        }
        let renewed = EntryLease(profileID: current.profileID, symbol: current.symbol, owner: current.owner,
                                 fencingToken: current.fencingToken, acquiredAt: current.acquiredAt, expiresAt: expiresAt)
        entryLocks[key] = renewed
        return renewed
    }

    mutating func releaseEntryLock(_ lease: EntryLease) throws(StoreError) {
        let key = LiveEntryKey(profileID: lease.profileID, symbol: lease.symbol)
        guard let current = entryLocks[key], current.owner == lease.owner, current.fencingToken == lease.fencingToken else {
            throw StoreError(.lockNotHeld, context:
                "releaseEntryLock \(lease.profileID)/\(lease.symbol) token \(lease.fencingToken): the caller does not hold the lock")
        }
        entryLocks[key] = nil
    }

    func entryLock(profileID: ProfileID, symbol: String) -> EntryLease? {
        entryLocks[LiveEntryKey(profileID: profileID, symbol: symbol)]
    }

    func checkEntryLockFence(_ lease: EntryLease, now: Timestamp) throws(StoreError) {
        let context = "checkEntryLockFence \(lease.profileID)/\(lease.symbol) token \(lease.fencingToken)"
        guard let current = entryLocks[LiveEntryKey(profileID: lease.profileID, symbol: lease.symbol)] else {
            throw StoreError(.staleFencingToken, context: "\(context): the lock is not held")
        }
        guard current.owner == lease.owner, current.fencingToken == lease.fencingToken else {
            throw StoreError(.staleFencingToken, context: "\(context): the current lease has token \(current.fencingToken)")
        }
        guard current.isUnexpired(at: now) else {
            throw StoreError(.staleFencingToken, context: "\(context): the lease expired at \(current.expiresAt)")
        }
    }

    // MARK: Event dedupe

    mutating func recordIfNew(source: String, eventID: String, at time: Timestamp) throws(StoreError) -> Bool {
        try EventDedupeRules.validate(source: source, eventID: eventID)
        let key = EventKey(source: source, eventID: eventID)
        guard processedEvents[key] == nil else { return false }
        processedEvents[key] = time
        return true
    }

    mutating func purgeEvents(olderThan cutoff: Timestamp) -> Int {
        let before = processedEvents.count
        processedEvents = processedEvents.filter { !($0.value < cutoff) }
        return before - processedEvents.count
    }

    // MARK: Execution log

    mutating func appendExecutionLog(_ record: ExecutionLogRecord) throws(StoreError) -> ExecutionLogAppend {
        if let position = executionLogEntries[record.entryID], let existing = executionLogs[position.profileID]?[position.index] {
            guard existing.record == record else {
                throw StoreError(.conflict, context:
                    "appendExecutionLog \(record.entryID): the entry id exists with other content (sequence \(existing.sequenceNumber) of profile \(existing.record.profileID))")
            }
            return ExecutionLogAppend(entry: existing, outcome: .alreadyExists)
        }
        var chain = executionLogs[record.profileID] ?? []
        let entry = ExecutionLogEntry(sealing: record, after: chain.last?.head)
        chain.append(entry)
        executionLogs[record.profileID] = chain
        executionLogEntries[record.entryID] = ExecutionLogPosition(profileID: record.profileID, index: chain.count - 1)
        return ExecutionLogAppend(entry: entry, outcome: .inserted)
    }

    func executionLog(profileID: ProfileID, after: Int64, limit: Int) throws(StoreError) -> [ExecutionLogEntry] {
        guard limit > 0 else {
            throw StoreError(.invalidChange, context: "executionLog \(profileID): the limit must be positive, got \(limit)")
        }
        guard let chain = executionLogs[profileID] else { return [] }
        // Entries sit at index sequenceNumber - 1.
        let start = Int(clamping: max(after, 0))
        guard start < chain.count else { return [] }
        return Array(chain[start..<min(chain.count, start + min(limit, chain.count))])
    }

    func executionLogEntry(_ entryID: ExecutionLogEntryID) -> ExecutionLogEntry? {
        guard let position = executionLogEntries[entryID] else { return nil }
        return executionLogs[position.profileID]?[position.index]
    }

    func executionLogHead(profileID: ProfileID) -> ExecutionLogHead? {
        executionLogs[profileID]?.last?.head
    }
}

/// The capital ledger's history in an ``InMemoryStore``.
extension InMemoryState {
    mutating func appendLedgerEvent(_ event: LedgerEvent) throws(StoreError) {
        let next = UInt64(ledgerEvents.count) + 1
        guard event.sequence == next else {
            throw StoreError(.conflict, context:
                "appendLedgerEvent \(event.id): sequence \(event.sequence) is not the next sequence \(next)")
        }
        guard ledgerEventIndex[event.id] == nil else {
            throw StoreError(.uniqueViolation, context: "appendLedgerEvent \(event.id): the operation id is stored already")
        }
        ledgerEventIndex[event.id] = ledgerEvents.count
        ledgerEvents.append(event)
    }

    func ledgerEvents(after: UInt64, limit: Int) throws(StoreError) -> [LedgerEvent] {
        guard limit > 0 else {
            throw StoreError(.invalidChange, context: "ledgerEvents: the limit must be positive, got \(limit)")
        }
        let start = after >= UInt64(ledgerEvents.count) ? ledgerEvents.count : Int(after)
        return Array(ledgerEvents[start..<min(ledgerEvents.count, start + min(limit, ledgerEvents.count))])
    }

    func ledgerEvent(for id: LedgerOperationID) -> LedgerEvent? {
        ledgerEventIndex[id].map { ledgerEvents[$0] }
    }
}
