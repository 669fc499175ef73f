import Synchronization
import Testing
import TradeLifecycle
import TradeLifecycleTesting

/// The conformance suite can fail: stores with one deliberate flaw each fail the checks of that
/// behaviour, and pass the checks of unrelated behaviours.
@Suite struct ConformanceBrokenStoreTests {
    @Test(arguments: Flaw.allCases)
    func suiteCatchesTheFlaw(_ flaw: Flaw) async throws {
        for check in flaw.checksThatMustFail {
            do {
                try await check.run(makeStore: { FlawedStore(flaw) })
                Issue.record("check \(check.name) passed against a store with flaw \(flaw)")
            } catch {
                #expect(error.check == check.name, "the failure names the check")
                #expect(error.description.contains(check.name))
            }
        }
    }

    @Test(arguments: Flaw.allCases)
    func flawedStorePassesUnrelatedChecks(_ flaw: Flaw) async throws {
        // The wrapper itself is sound: only the flawed behaviour fails.
        for check in flaw.unrelatedChecks {
            try await check.run(makeStore: { FlawedStore(flaw) })
        }
    }

    @Test func soundWrapperPassesEverything() async {
        let failures = await StoreConformance.failures(makeStore: { FlawedStore(nil) })
        #expect(failures.isEmpty, "\(failures)")
    }

    @Test func factoryErrorIsAFailureNamingTheCheck() async {
        struct Unreachable: Error {}
        let check = StoreConformance.insertedOrderReadsBack
        await #expect(throws: ConformanceFailure.self) {
            try await check.run(makeStore: { throw Unreachable() })
        }
    }
}

/// One deliberate defect of ``FlawedStore``.
enum Flaw: String, CaseIterable, Sendable, CustomStringConvertible {
    /// `insertOrder` of an existing order id overwrites the row and reports inserted.
    case insertOverwrites
    /// `withTransaction` claims to be transactional but keeps the writes of a throwing body.
    case transactionDoesNotRollBack
    /// `withTransaction` keeps a throwing body's writes until after the error is reported,
    /// and other callers can read them meanwhile (dirty reads).
    case transactionWritesAreVisibleEarly
    /// The one-live-ENTRY rule is not enforced.
    case liveEntryNotEnforced
    /// `orders(matching:)` returns rows in insertion order instead of order id order.
    case unsortedQueries
    /// `updateOrder` writes forbidden changes instead of refusing them.
    case stateMachineBypassed
    /// `markBatchReverted` moves `reverted_at` every time.
    case revertedAtOverwritten
    /// `acquireEntryLock` hands out a lease although another owner holds the lock.
    case lockIgnoresHolder
    /// `renewEntryLock` renews expired or replaced leases.
    case lockRenewsAfterExpiry
    /// `releaseEntryLock` releases the lock whoever asks.
    case lockReleasedByAnyone
    /// `checkEntryLockFence` passes every lease.
    case fenceNotChecked
    /// `recordIfNew` is always true.
    case dedupeAlwaysNew
    /// `appendExecutionLog` answers a retried record as newly inserted.
    case logAnswersRetriesAsNew
    /// Entries are not linked by the previous entry's hash.
    case logChainNotLinked
    /// `appendLedgerEvent` stores an event at the next free sequence whatever its number.
    case ledgerAcceptsAnySequence

    var description: String { rawValue }

    var checksThatMustFail: [StoreConformance.Check] {
        switch self {
        case .insertOverwrites:
            return [StoreConformance.insertOfExistingOrderIDWritesNothing, StoreConformance.orderIDIsUniqueAcrossProfiles,
                    StoreConformance.concurrentInsertsOfOneOrderIDHaveOneWinner]
        case .transactionDoesNotRollBack:
            return [StoreConformance.transactionRollsBackEverythingOnThrow, StoreConformance.transactionRollsBackOnStoreErrorInside]
        case .transactionWritesAreVisibleEarly:
            return [StoreConformance.concurrentReaderNeverSeesHalfATransaction,
                    StoreConformance.concurrentReaderNeverSeesRolledBackWrites]
        case .liveEntryNotEnforced:
            return [StoreConformance.secondLiveEntryIsRefused, StoreConformance.liveEntryFreesWhenFilled,
                    StoreConformance.concurrentLiveEntryInsertsHaveOneWinner]
        case .unsortedQueries:
            return [StoreConformance.queryOrdersByOrderIDBytes]
        case .stateMachineBypassed:
            return [StoreConformance.forbiddenTransitionWritesNothing, StoreConformance.concurrentTransitionsOfOneOrderHaveOneWinner]
        case .revertedAtOverwritten:
            return [StoreConformance.batchRevertedAtIsSetOnce]
        case .lockIgnoresHolder:
            return [StoreConformance.entryLockIsExclusiveUntilExpiry, StoreConformance.concurrentEntryLockAcquisitionsHaveOneWinner]
        case .lockRenewsAfterExpiry:
            return [StoreConformance.entryLockRenewalAfterExpiryFails, StoreConformance.expiredEntryLockIsTakenOver]
        case .lockReleasedByAnyone:
            return [StoreConformance.entryLockReleaseNeedsTheOwner, StoreConformance.expiredEntryLockIsTakenOver]
        case .fenceNotChecked:
            return [StoreConformance.fenceCheckRefusesStaleLeases, StoreConformance.fenceCheckGuardsWritesInATransaction,
                    StoreConformance.expiredEntryLockIsTakenOver]
        case .dedupeAlwaysNew:
            return [StoreConformance.recordIfNewIsTrueOncePerPair, StoreConformance.concurrentDuplicateEventsHaveOneWinner,
                    StoreConformance.purgeRemovesOnlyOlderEvents]
        case .logAnswersRetriesAsNew:
            return [StoreConformance.executionLogAppendIsIdempotentByEntryID, StoreConformance.concurrentExecutionLogAppendsFormOneChain]
        case .logChainNotLinked:
            return [StoreConformance.executionLogAppendsAHashChainPerProfile, StoreConformance.concurrentExecutionLogAppendsFormOneChain]
        case .ledgerAcceptsAnySequence:
            return [StoreConformance.ledgerEventAppendRefusesGapsAndDuplicates,
                    StoreConformance.concurrentLedgerAppendsOfOneSequenceHaveOneWinner]
        }
    }

    var unrelatedChecks: [StoreConformance.Check] {
        switch self {
        case .insertOverwrites, .liveEntryNotEnforced, .unsortedQueries, .stateMachineBypassed:
            return StoreConformance.profileChecks + StoreConformance.backfillAuditChecks
        case .transactionDoesNotRollBack, .transactionWritesAreVisibleEarly:
            return StoreConformance.orderChecks + StoreConformance.backfillAuditChecks
        case .revertedAtOverwritten:
            return StoreConformance.orderChecks + StoreConformance.profileChecks
        case .lockIgnoresHolder, .lockRenewsAfterExpiry, .lockReleasedByAnyone, .fenceNotChecked:
            return StoreConformance.eventDedupeChecks + StoreConformance.executionLogChecks
        case .dedupeAlwaysNew, .logAnswersRetriesAsNew, .logChainNotLinked:
            return StoreConformance.entryLockChecks
        case .ledgerAcceptsAnySequence:
            return StoreConformance.executionLogChecks
        }
    }
}

/// The operations of a store and of a transaction.

/// An ``InMemoryStore`` with at most one deliberate flaw. The flaws' own bookkeeping sits in a
/// `Mutex`; every other operation forwards to the sound store (or its transaction).
final class FlawedStore: Store, StoreOperationsForwarding {
    struct FlawState {
        /// Rows the flaws wrote outside the base store, read in preference to its rows.
        var overlay: [OrderID: Order] = [:]
        /// Rows a late rollback removed from view.
        var hidden: Set<OrderID> = []
        /// `reverted_at` written over every record of a batch.
        var revertedAt: [BackfillBatchID: Timestamp] = [:]
    }

    let base = InMemoryStore()
    let flaw: Flaw?
    let state = Mutex(FlawState())

    init(_ flaw: Flaw?) {
        self.flaw = flaw
    }

    var isTransactional: Bool { true }

    var operations: FlawedOperations { FlawedOperations(target: base, store: self) }

    func withTransaction<Result: Sendable>(
        _ body: @Sendable (any StoreTransaction) async throws -> Result
    ) async throws -> Result {
        switch flaw {
        case .transactionDoesNotRollBack:
            // Each write of the body commits on its own.
            return try await body(operations)
        case .transactionWritesAreVisibleEarly:
            // Writes go straight to the store; a throwing body's inserts are hidden only after
            // other callers had the chance to read them.
            let log = InsertLog()
            do {
                return try await body(FlawedOperations(target: base, store: self, insertLog: log))
            } catch {
                for _ in 0..<64 { await Task.yield() }
                let inserted = log.ids.withLock { $0 }
                state.withLock { $0.hidden.formUnion(inserted) }
                throw error
            }
        default:
            return try await base.withTransaction { tx in
                try await body(FlawedOperations(target: tx, store: self))
            }
        }
    }

    var forwardingTarget: any StoreOperations { operations }
}

/// The order ids a transaction body inserted.
final class InsertLog: Sendable {
    let ids = Mutex<[OrderID]>([])
}

/// The operations of a ``FlawedStore``, against its base store or a transaction of it.
struct FlawedOperations: StoreTransaction, StoreOperationsForwarding {
    let target: any StoreOperations
    var forwardingTarget: any StoreOperations { target }
    let store: FlawedStore
    var insertLog: InsertLog? = nil

    var flaw: Flaw? { store.flaw }

    func insertOrder(_ order: Order) async throws(StoreError) -> InsertOutcome {
        let outcome: InsertOutcome
        do {
            outcome = try await target.insertOrder(order)
        } catch where error.code == .uniqueViolation && flaw == .liveEntryNotEnforced {
            store.state.withLock { $0.overlay[order.orderID] = order }
            return .inserted
        }
        insertLog?.ids.withLock { $0.append(order.orderID) }
        if outcome == .alreadyExists && flaw == .insertOverwrites {
            store.state.withLock { $0.overlay[order.orderID] = order }
            return .inserted
        }
        return outcome
    }

    func order(_ orderID: OrderID) async throws(StoreError) -> Order? {
        let (overlaid, hidden) = store.state.withLock { ($0.overlay[orderID], $0.hidden.contains(orderID)) }
        if hidden { return nil }
        if let overlaid { return overlaid }
        return try await target.order(orderID)
    }

    func orders(matching query: OrderQuery) async throws(StoreError) -> [Order] {
        let rows = try await target.orders(matching: query)
        let (overlay, hidden) = store.state.withLock { ($0.overlay, $0.hidden) }
        var byID: [OrderID: Order] = [:]
        for row in rows where !hidden.contains(row.orderID) { byID[row.orderID] = row }
        for (id, row) in overlay {
            if query.matches(row) { byID[id] = row } else { byID[id] = nil }
        }
        let sorted = byID.values.sorted { $0.orderID < $1.orderID }
        return flaw == .unsortedQueries ? sorted.reversed() : sorted
    }

    func updateOrder(_ orderID: OrderID, change: OrderChange, at: Timestamp) async throws(StoreError) -> Order {
        if let overlaid = store.state.withLock({ $0.overlay[orderID] }) {
            let changed = try Self.forced(overlaid, change: change, at: at)
            store.state.withLock { $0.overlay[orderID] = changed }
            return changed
        }
        do {
            return try await target.updateOrder(orderID, change: change, at: at)
        } catch where error.code == .invalidChange && flaw == .stateMachineBypassed {
            guard let current = try await target.order(orderID) else { throw error }
            let changed = try Self.forced(current, change: change, at: at)
            store.state.withLock { $0.overlay[orderID] = changed }
            return changed
        }
    }

    /// The order with the change applied where the state machine allows it, and written
    /// regardless of the state machine otherwise.
    static func forced(_ order: Order, change: OrderChange, at: Timestamp) throws(StoreError) -> Order {
        guard case .transition(let status, let filledQuantity, let filledAt) = change else {
            throw StoreError(.invalidChange, context: "forced change of \(order.orderID)")
        }
        if let allowed = try? order.transitioned(to: status, filledQuantity: filledQuantity, filledAt: filledAt, at: at) {
            return allowed
        }
        do {
            return try Order(
                orderID: order.orderID, profileID: order.profileID, symbol: order.symbol, tradeID: order.tradeID,
                action: order.action, side: order.side, status: status, quantity: order.quantity,
                legacyQuantity: order.legacyQuantity, filledQuantity: filledQuantity ?? order.filledQuantity,
                price: order.price, exchangeOrderID: order.exchangeOrderID, clientOrderID: order.clientOrderID,
                filledAt: filledAt ?? order.filledAt, createdAt: order.createdAt, updatedAt: at)
        } catch {
            throw StoreError(.invalidChange, context: "forced change of \(order.orderID)", underlying: error)
        }
    }

    func auditRecords(batchID: BackfillBatchID) async throws(StoreError) -> [BackfillAuditRecord] {
        let records = try await target.auditRecords(batchID: batchID)
        guard let revertedAt = store.state.withLock({ $0.revertedAt[batchID] }) else { return records }
        return records.map { record in
            var record = record
            record.revertedAt = revertedAt
            return record
        }
    }

    func markBatchReverted(_ batchID: BackfillBatchID, at: Timestamp) async throws(StoreError) -> Int {
        let marked = try await target.markBatchReverted(batchID, at: at)
        guard flaw == .revertedAtOverwritten else { return marked }
        store.state.withLock { $0.revertedAt[batchID] = at }
        return try await target.auditRecords(batchID: batchID).count
    }

    // MARK: Entry locks

    func acquireEntryLock(profileID: ProfileID, symbol: String, owner: EntryLockOwner, ttlMicroseconds: Int64,
                          now: Timestamp) async throws(StoreError) -> EntryLockAcquisition {
        let acquisition = try await target.acquireEntryLock(profileID: profileID, symbol: symbol, owner: owner,
                                                            ttlMicroseconds: ttlMicroseconds, now: now)
        guard flaw == .lockIgnoresHolder, case .contended = acquisition else { return acquisition }
        // Pretends the lock is free: a lease the store never recorded.
        return .acquired(EntryLease(profileID: profileID, symbol: symbol, owner: owner, fencingToken: FencingToken(1),
                                    acquiredAt: now, expiresAt: now.advanced(byMicroseconds: ttlMicroseconds) ?? now))
    }

    func renewEntryLock(_ lease: EntryLease, ttlMicroseconds: Int64, now: Timestamp) async throws(StoreError) -> EntryLease {
        do {
            return try await target.renewEntryLock(lease, ttlMicroseconds: ttlMicroseconds, now: now)
        } catch where error.code == .lockNotHeld && flaw == .lockRenewsAfterExpiry {
            return EntryLease(profileID: lease.profileID, symbol: lease.symbol, owner: lease.owner, fencingToken: lease.fencingToken,
                              acquiredAt: lease.acquiredAt, expiresAt: now.advanced(byMicroseconds: ttlMicroseconds) ?? now)
        }
    }

    func releaseEntryLock(_ lease: EntryLease, now: Timestamp) async throws(StoreError) {
        guard flaw == .lockReleasedByAnyone else { return try await target.releaseEntryLock(lease, now: now) }
        // Releases whatever lease the key has, whoever asks.
        if let current = try await target.entryLock(profileID: lease.profileID, symbol: lease.symbol) {
            try await target.releaseEntryLock(current, now: now)
        }
    }

    func checkEntryLockFence(_ lease: EntryLease, now: Timestamp) async throws(StoreError) {
        if flaw == .fenceNotChecked { return }
        try await target.checkEntryLockFence(lease, now: now)
    }

    // MARK: Event dedupe

    func recordIfNew(source: String, eventID: String, at: Timestamp) async throws(StoreError) -> Bool {
        let isNew = try await target.recordIfNew(source: source, eventID: eventID, at: at)
        return flaw == .dedupeAlwaysNew ? true : isNew
    }


    // MARK: Execution log

    func appendExecutionLog(_ record: ExecutionLogRecord) async throws(StoreError) -> ExecutionLogAppend {
        let append = try await target.appendExecutionLog(record)
        guard flaw == .logAnswersRetriesAsNew else { return append }
        return ExecutionLogAppend(entry: append.entry, outcome: .inserted)
    }

    func executionLog(profileID: ProfileID, after: Int64, limit: Int) async throws(StoreError) -> [ExecutionLogEntry] {
        let entries = try await target.executionLog(profileID: profileID, after: after, limit: limit)
        guard flaw == .logChainNotLinked else { return entries }
        // Every entry claims to be the first of its chain.
        return entries.map { entry in
            ExecutionLogEntry(sealing: entry.record, after: entry.sequenceNumber == 1 ? nil
                              : ExecutionLogHead(sequenceNumber: entry.sequenceNumber - 1, hash: ExecutionLogEntry.genesisHash))
        }
    }


    // MARK: Ledger events

    func appendLedgerEvent(_ event: LedgerEvent) async throws(StoreError) {
        guard flaw == .ledgerAcceptsAnySequence else { return try await target.appendLedgerEvent(event) }
        // Renumbers the event to the next free sequence instead of refusing it.
        let next = try await target.lastLedgerSequence() + 1
        try await target.appendLedgerEvent(LedgerEvent(sequence: next, operation: event.operation, result: event.result))
    }
}
