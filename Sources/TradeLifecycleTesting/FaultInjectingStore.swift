public import TradeLifecycle
import Synchronization

/// A ``Store`` that wraps another store and fails chosen operations with
/// ``StoreError/Code/injectedFailure``, to test what callers leave behind when a store fails or
/// the process dies between two writes.
///
/// ```swift
/// let store = FaultInjectingStore(wrapping: InMemoryStore(), isTransactional: false)
/// store.inject(.crash(atCall: 1, of: .updateAuditDecision))  // die before the first APPLIED
/// _ = try? await engine.run(profileID: p1, exchange: snapshot)  // fails with the crash
/// store.removeFaults()                                          // "restart"
/// ```
///
/// - Faults: ``Fault/failCall(number:of:)`` fails one call; ``Fault/crash(atCall:of:)`` fails
///   that call and every later call of any operation (a dead process writes nothing more);
///   ``Fault/failWrites(after:)`` lets a number of writes through and fails every later write.
///   Calls and writes are counted from the moment the fault is injected. A failing call does
///   not reach the wrapped store.
/// - Transactions: with `isTransactional: true` (the default) ``withTransaction(_:)`` runs in
///   the wrapped store's transaction, so a failure inside rolls the unit of work back (when the
///   wrapped store is transactional). With `isTransactional: false` the store reports
///   ``isTransactional`` `false` and runs transaction bodies directly against the wrapped
///   store, one operation at a time, without atomicity: the writes made before a failure stay,
///   as after a crash of a store without transactions.
///
/// Thread-safe: the counters and faults are behind a `Mutex`.
public final class FaultInjectingStore: Store, StoreOperationsForwarding {
    /// An operation of the ``Store`` protocols.
    public enum Operation: String, Sendable, Hashable, CaseIterable {
        /// ``OrderStore/insertOrder(_:)`` (a write).
        case insertOrder
        /// ``OrderStore/order(_:)``.
        case order
        /// ``OrderStore/orders(matching:)``.
        case orders
        /// ``OrderStore/updateOrder(_:change:at:)`` (a write).
        case updateOrder
        /// ``ProfileStore/profile(_:)``.
        case profile
        /// ``ProfileStore/saveProfile(_:)`` (a write).
        case saveProfile
        /// ``BackfillAuditStore/insertAuditRecords(_:)`` (a write).
        case insertAuditRecords
        /// ``BackfillAuditStore/updateAuditDecision(_:from:to:)`` (a write).
        case updateAuditDecision
        /// ``BackfillAuditStore/auditRecords(batchID:)``.
        case auditRecordsOfBatch
        /// ``BackfillAuditStore/auditRecords(profileID:decision:)``.
        case auditRecordsOfProfile
        /// ``BackfillAuditStore/markBatchReverted(_:at:)`` (a write).
        case markBatchReverted
        /// The start of ``Store/withTransaction(_:)``.
        case beginTransaction
        /// ``EntryLockStore/acquireEntryLock(profileID:symbol:owner:ttlMicroseconds:now:)`` (a write).
        case acquireEntryLock
        /// ``EntryLockStore/renewEntryLock(_:ttlMicroseconds:now:)`` (a write).
        case renewEntryLock
        /// ``EntryLockStore/releaseEntryLock(_:now:)`` (a write).
        case releaseEntryLock
        /// ``EntryLockStore/entryLock(profileID:symbol:)``.
        case entryLock
        /// ``EntryLockStore/checkEntryLockFence(_:now:)``.
        case checkEntryLockFence
        /// ``EventDedupeStore/recordIfNew(source:eventID:at:)`` (a write).
        case recordIfNew
        /// ``EventDedupeStore/purgeEvents(olderThan:)`` (a write).
        case purgeEvents
        /// ``ExecutionLogStore/appendExecutionLog(_:)`` (a write).
        case appendExecutionLog
        /// ``ExecutionLogStore/executionLog(profileID:after:limit:)``.
        case executionLog
        /// ``ExecutionLogStore/executionLogEntry(_:)``.
        case executionLogEntry
        /// ``ExecutionLogStore/executionLogHead(profileID:)``.
        case executionLogHead
        /// ``LedgerEventStore/appendLedgerEvent(_:)`` (a write).
        case appendLedgerEvent
        /// ``LedgerEventStore/ledgerEvents(after:limit:)``.
        case ledgerEvents
        /// ``LedgerEventStore/ledgerEvent(for:)``.
        case ledgerEvent
        /// ``LedgerEventStore/lastLedgerSequence()``.
        case lastLedgerSequence

        /// Whether the operation writes.
        public var isWrite: Bool {
            switch self {
            case .insertOrder, .updateOrder, .saveProfile, .insertAuditRecords, .updateAuditDecision, .markBatchReverted,
                 .acquireEntryLock, .renewEntryLock, .releaseEntryLock, .recordIfNew, .purgeEvents, .appendExecutionLog,
                 .appendLedgerEvent:
                return true
            case .order, .orders, .profile, .auditRecordsOfBatch, .auditRecordsOfProfile, .beginTransaction,
                 .entryLock, .checkEntryLockFence, .executionLog, .executionLogEntry, .executionLogHead, .ledgerEvents,
                 .ledgerEvent, .lastLedgerSequence:
                return false
            }
        }
    }

    /// A failure to inject.
    public enum Fault: Sendable, Hashable {
        /// The `number`-th call (1 = the next) of `operation` fails; other calls succeed.
        case failCall(number: Int, of: Operation)
        /// The `number`-th call (1 = the next) of `operation` fails, and so does every later
        /// call of any operation until ``FaultInjectingStore/removeFaults()``.
        case crash(atCall: Int, of: Operation)
        /// The first `count` writes (from now) succeed; every later write fails.
        case failWrites(after: Int)
    }

    private struct ArmedFault {
        let fault: Fault
        /// The operation's call count, or the write count, when the fault was injected.
        let baseline: Int
    }

    private struct State {
        var calls: [Operation: Int] = [:]
        var writes = 0
        var faults: [ArmedFault] = []
        var isCrashed = false
        var injectedFailures = 0
    }

    /// The wrapped store.
    public let base: any Store
    private let atomicTransactions: Bool
    private let state = Mutex(State())

    /// Wraps a store.
    ///
    /// - Parameters:
    ///   - base: The store that does the work.
    ///   - isTransactional: `false` to report ``isTransactional`` `false` and run transaction
    ///     bodies without atomicity; `true` to use the wrapped store's transactions.
    public init(wrapping base: any Store, isTransactional: Bool = true) {
        self.base = base
        self.atomicTransactions = isTransactional
    }

    /// Whether transactions are atomic: the wrapped store's answer, or `false` when created
    /// with `isTransactional: false`.
    public var isTransactional: Bool { atomicTransactions && base.isTransactional }

    // MARK: Faults

    /// Injects a fault; calls and writes are counted from now.
    ///
    /// - Parameter fault: The fault.
    public func inject(_ fault: Fault) {
        state.withLock { state in
            let baseline: Int
            switch fault {
            case .failCall(_, let operation), .crash(_, let operation): baseline = state.calls[operation] ?? 0
            case .failWrites: baseline = state.writes
            }
            state.faults.append(ArmedFault(fault: fault, baseline: baseline))
        }
    }

    /// Removes every fault and ends a crash (the "restart"); the counters keep counting.
    public func removeFaults() {
        state.withLock { state in
            state.faults.removeAll()
            state.isCrashed = false
        }
    }

    /// How many times `operation` was called, failed calls included.
    ///
    /// - Parameter operation: The operation.
    public func callCount(of operation: Operation) -> Int {
        state.withLock { $0.calls[operation] ?? 0 }
    }

    /// How many writes were attempted, failed ones included.
    public var writeCount: Int { state.withLock { $0.writes } }

    /// How many calls failed with an injected failure.
    public var injectedFailureCount: Int { state.withLock { $0.injectedFailures } }

    /// Whether a ``Fault/crash(atCall:of:)`` fault has fired and not been removed.
    public var isCrashed: Bool { state.withLock { $0.isCrashed } }

    /// Counts a call and throws when a fault says so.
    func check(_ operation: Operation) throws(StoreError) {
        let failure: String? = state.withLock { state in
            let call = (state.calls[operation] ?? 0) + 1
            state.calls[operation] = call
            if operation.isWrite { state.writes += 1 }
            var reason: String?
            if state.isCrashed {
                reason = "after a crash"
            } else {
                for armed in state.faults {
                    switch armed.fault {
                    case .failCall(let number, let target) where target == operation && call == armed.baseline + number:
                        reason = "call \(number) of \(operation.rawValue)"
                    case .crash(let number, let target) where target == operation && call == armed.baseline + number:
                        reason = "crash at call \(number) of \(operation.rawValue)"
                        state.isCrashed = true
                    case .failWrites(let count) where operation.isWrite && state.writes > armed.baseline + count:
                        reason = "write after the first \(count)"
                    default:
                        continue
                    }
                    break
                }
            }
            if reason != nil { state.injectedFailures += 1 }
            return reason
        }
        if let failure {
            throw StoreError(.injectedFailure, context: "\(operation.rawValue): injected failure (\(failure))")
        }
    }

    // MARK: Store

    public func withTransaction<Result: Sendable>(
        _ body: @Sendable (any StoreTransaction) async throws -> Result
    ) async throws -> Result {
        try check(.beginTransaction)
        if isTransactional {
            return try await base.withTransaction { transaction in
                try await body(FaultInjectingTransaction(owner: self, inner: transaction))
            }
        }
        return try await body(FaultInjectingTransaction(owner: self, inner: base))
    }

    /// The store's own operations: counted and checked like a transaction's, then forwarded to
    /// the wrapped store.
    public var forwardingTarget: any StoreOperations { FaultInjectingTransaction(owner: self, inner: base) }
}

/// The transaction a ``FaultInjectingStore`` hands to a transaction body: every call is counted
/// and checked, then forwarded to the wrapped store's transaction (atomic mode) or to the
/// wrapped store itself (non-atomic mode).
struct FaultInjectingTransaction: StoreTransaction {
    let owner: FaultInjectingStore
    let inner: any StoreOperations

    func insertOrder(_ order: Order) async throws(StoreError) -> InsertOutcome {
        try owner.check(.insertOrder)
        return try await inner.insertOrder(order)
    }

    func order(_ orderID: OrderID) async throws(StoreError) -> Order? {
        try owner.check(.order)
        return try await inner.order(orderID)
    }

    func orders(matching query: OrderQuery) async throws(StoreError) -> [Order] {
        try owner.check(.orders)
        return try await inner.orders(matching: query)
    }

    func updateOrder(_ orderID: OrderID, change: OrderChange, at: Timestamp) async throws(StoreError) -> Order {
        try owner.check(.updateOrder)
        return try await inner.updateOrder(orderID, change: change, at: at)
    }

    func profile(_ profileID: ProfileID) async throws(StoreError) -> TradingProfile? {
        try owner.check(.profile)
        return try await inner.profile(profileID)
    }

    func saveProfile(_ profile: TradingProfile) async throws(StoreError) {
        try owner.check(.saveProfile)
        try await inner.saveProfile(profile)
    }

    func insertAuditRecords(_ records: [BackfillAuditRecord]) async throws(StoreError) {
        try owner.check(.insertAuditRecords)
        try await inner.insertAuditRecords(records)
    }

    func updateAuditDecision(_ key: BackfillAuditKey, from expected: BackfillDecision,
                             to newDecision: BackfillDecision) async throws(StoreError) -> BackfillAuditRecord {
        try owner.check(.updateAuditDecision)
        return try await inner.updateAuditDecision(key, from: expected, to: newDecision)
    }

    func auditRecords(batchID: BackfillBatchID) async throws(StoreError) -> [BackfillAuditRecord] {
        try owner.check(.auditRecordsOfBatch)
        return try await inner.auditRecords(batchID: batchID)
    }

    func auditRecords(profileID: ProfileID, decision: BackfillDecision) async throws(StoreError) -> [BackfillAuditRecord] {
        try owner.check(.auditRecordsOfProfile)
        return try await inner.auditRecords(profileID: profileID, decision: decision)
    }

    func markBatchReverted(_ batchID: BackfillBatchID, at: Timestamp) async throws(StoreError) -> Int {
        try owner.check(.markBatchReverted)
        return try await inner.markBatchReverted(batchID, at: at)
    }
}
