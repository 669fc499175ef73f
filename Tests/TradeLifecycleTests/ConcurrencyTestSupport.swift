import Synchronization
import Testing
import TradeLifecycle
import TradeLifecycleTesting

/// When a ``HookedStore`` write fails: before it reaches the store, or after the store did it
/// (a crash between the write and its answer).
enum FailurePhase: String, CaseIterable, Sendable {
    case beforeWrite
    case afterWrite
}

/// A store that calls a hook around every write, so a test can fail the n-th write; optionally
/// without transactions (each write then commits on its own, as in a store without them).
final class HookedStore: Store, StoreOperationsForwarding {
    let base = InMemoryStore()
    let transactional: Bool
    /// The writes seen so far, by operation name, in order.
    let writes = Mutex<[String]>([])
    /// Fail the write with this number (1-based), in this phase; `nil` for no failure.
    let failure = Mutex<(write: Int, phase: FailurePhase)?>(nil)

    init(transactional: Bool) {
        self.transactional = transactional
    }

    var isTransactional: Bool { transactional }

    /// Makes the `write`-th write from now on fail in `phase`.
    func failWrite(_ write: Int, _ phase: FailurePhase) {
        let seen = writes.withLock { $0.count }
        failure.withLock { $0 = (seen + write, phase) }
    }

    func clearFailure() {
        failure.withLock { $0 = nil }
    }

    /// Runs a write with the hook around it.
    func write<Value>(_ name: String, _ operation: () async throws(StoreError) -> Value) async throws(StoreError) -> Value {
        let number = writes.withLock { $0.append(name); return $0.count }
        let planned = failure.withLock { $0 }
        if let planned, planned.write == number, planned.phase == .beforeWrite {
            throw StoreError(.injectedFailure, context: "\(name) (write \(number)) failed before the write")
        }
        let value = try await operation()
        if let planned, planned.write == number, planned.phase == .afterWrite {
            throw StoreError(.injectedFailure, context: "\(name) (write \(number)) failed after the write")
        }
        return value
    }

    var operations: HookedOperations { HookedOperations(target: base, store: self) }

    func withTransaction<Result: Sendable>(_ body: @Sendable (any StoreTransaction) async throws -> Result) async throws -> Result {
        guard transactional else { return try await body(operations) }
        return try await base.withTransaction { tx in try await body(HookedOperations(target: tx, store: self)) }
    }

    var forwardingTarget: any StoreOperations { operations }
}

/// The operations of a ``HookedStore``: writes go through its hook, reads are forwarded.
struct HookedOperations: StoreTransaction, StoreOperationsForwarding {
    let target: any StoreOperations
    var forwardingTarget: any StoreOperations { target }
    let store: HookedStore

    func insertOrder(_ order: Order) async throws(StoreError) -> InsertOutcome {
        try await store.write("insertOrder") { () throws(StoreError) in try await target.insertOrder(order) }
    }
    func updateOrder(_ orderID: OrderID, change: OrderChange, at: Timestamp) async throws(StoreError) -> Order {
        try await store.write("updateOrder") { () throws(StoreError) in try await target.updateOrder(orderID, change: change, at: at) }
    }
    func saveProfile(_ profile: TradingProfile) async throws(StoreError) {
        try await store.write("saveProfile") { () throws(StoreError) in try await target.saveProfile(profile) }
    }
    func insertAuditRecords(_ records: [BackfillAuditRecord]) async throws(StoreError) {
        try await store.write("insertAuditRecords") { () throws(StoreError) in try await target.insertAuditRecords(records) }
    }
    func updateAuditDecision(_ key: BackfillAuditKey, from expected: BackfillDecision,
                             to newDecision: BackfillDecision) async throws(StoreError) -> BackfillAuditRecord {
        try await store.write("updateAuditDecision") { () throws(StoreError) in
            try await target.updateAuditDecision(key, from: expected, to: newDecision)
        }
    }
    func markBatchReverted(_ batchID: BackfillBatchID, at: Timestamp) async throws(StoreError) -> Int {
        try await store.write("markBatchReverted") { () throws(StoreError) in try await target.markBatchReverted(batchID, at: at) }
    }
    func acquireEntryLock(profileID: ProfileID, symbol: String, owner: EntryLockOwner, ttlMicroseconds: Int64,
                          now: Timestamp) async throws(StoreError) -> EntryLockAcquisition {
        try await store.write("acquireEntryLock") { () throws(StoreError) in
            try await target.acquireEntryLock(profileID: profileID, symbol: symbol, owner: owner, ttlMicroseconds: ttlMicroseconds, now: now)
        }
    }
    func renewEntryLock(_ lease: EntryLease, ttlMicroseconds: Int64, now: Timestamp) async throws(StoreError) -> EntryLease {
        try await store.write("renewEntryLock") { () throws(StoreError) in
            try await target.renewEntryLock(lease, ttlMicroseconds: ttlMicroseconds, now: now)
        }
    }
    func releaseEntryLock(_ lease: EntryLease, now: Timestamp) async throws(StoreError) {
        try await store.write("releaseEntryLock") { () throws(StoreError) in try await target.releaseEntryLock(lease, now: now) }
    }
    func recordIfNew(source: String, eventID: String, at: Timestamp) async throws(StoreError) -> Bool {
        try await store.write("recordIfNew") { () throws(StoreError) in try await target.recordIfNew(source: source, eventID: eventID, at: at) }
    }
    func purgeEvents(olderThan cutoff: Timestamp) async throws(StoreError) -> Int {
        try await store.write("purgeEvents") { () throws(StoreError) in try await target.purgeEvents(olderThan: cutoff) }
    }
    func appendExecutionLog(_ record: ExecutionLogRecord) async throws(StoreError) -> ExecutionLogAppend {
        try await store.write("appendExecutionLog") { () throws(StoreError) in try await target.appendExecutionLog(record) }
    }
    func appendLedgerEvent(_ event: LedgerEvent) async throws(StoreError) {
        try await store.write("appendLedgerEvent") { () throws(StoreError) in try await target.appendLedgerEvent(event) }
    }
}

/// Values the coordination tests share.
enum Coordination {
    static let t0 = Timestamp(microsecondsSinceEpoch: 1_771_147_800_000_000)
    static let profile = try! ProfileID("p1")
    static let symbol = "BTC-USD"

    static func time(seconds: Int64) -> Timestamp {
        Timestamp(microsecondsSinceEpoch: t0.microsecondsSinceEpoch + seconds * 1_000_000)
    }

    static func decimal(_ text: String) -> ExactDecimal { try! ExactDecimal(text) }

    static func entry(trade: String = "TRD-a1", quantity: String = "2", price: String = "100", attempt: Int = 0) throws -> EntryRequest {
        try EntryRequest(profileID: profile, symbol: symbol, tradeID: TradeID(trade), side: .long, quantity: decimal(quantity),
                         limitPrice: decimal(price), attempt: attempt)
    }

    /// A fill of `order` on the side that order's action takes.
    static func fill(of order: Order, execution: String, quantity: String, price: String, cumulative: String,
                     at seconds: Int64 = 10, fee: String = "0") throws -> FillConfirmation {
        let side = order.action == .entry ? order.effectiveSide.openingSide : order.effectiveSide.closingSide
        return try FillConfirmation(
            executionID: execution,
            fill: ExchangeFill(profileID: order.profileID, symbol: order.symbol, side: side, exchangeOrderID: "x-\(order.orderID)",
                               clientOrderID: order.clientOrderID, quantity: decimal(quantity), price: decimal(price),
                               filledAt: time(seconds: seconds)),
            cumulativeFilledQuantity: decimal(cumulative), fee: decimal(fee))
    }

    /// Allocates capital to the profile through the book (as a service would).
    static func allocate(_ amount: String, store: any Store, book: LedgerBook, id: UInt64 = 1) async throws {
        let change = try await book.apply(LedgerOperation(id: LedgerOperationID(integerLiteral: id),
                                                          kind: .allocate(profileID: profile, amount: decimal(amount))), in: store)
        await book.adopt(change)
    }

    /// Every stored ledger event.
    static func ledgerEvents(_ store: any Store) async throws -> [LedgerEvent] {
        try await store.ledgerEvents(after: 0, limit: 10_000)
    }

    /// Every execution log entry of the profile.
    static func log(_ store: any Store) async throws -> [ExecutionLogEntry] {
        try await store.executionLog(profileID: profile, after: 0, limit: 10_000)
    }
}
