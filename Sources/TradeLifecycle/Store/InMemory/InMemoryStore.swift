/// A ``Store`` that keeps everything in memory: the embedded default, and the reference
/// implementation the conformance suite is written against.
///
/// It is an actor, so every operation is atomic, and ``withTransaction(_:)`` is truly
/// transactional: a transaction holds the store exclusively (other callers wait in FIFO order)
/// and its writes are discarded when its body throws. Do not call the store itself, or start
/// another transaction, from inside a transaction's body: use the transaction handed to it.
public actor InMemoryStore: Store {
    var state = InMemoryState()
    private var isLocked = false
    private var waiters: [CheckedContinuation<Void, Never>] = []
    private var nextWaiter = 0

    /// Creates an empty store.
    public init() {}

    public nonisolated var isTransactional: Bool { true }

    public func withTransaction<Result: Sendable>(
        _ body: @Sendable (any StoreTransaction) async throws -> Result
    ) async throws -> Result {
        await lock()
        defer { unlock() }
        let snapshot = state
        do {
            return try await body(InMemoryTransaction(store: self))
        } catch {
            state = snapshot
            throw error
        }
    }

    // MARK: Exclusive access

    /// Waits until no transaction holds the store, then holds it.
    func lock() async {
        if !isLocked {
            isLocked = true
            return
        }
        await withCheckedContinuation { waiters.append($0) }
        // Ownership was handed over by `unlock()`; `isLocked` is still true.
    }

    /// Hands the store to the next waiter, or frees it.
    func unlock() {
        if nextWaiter < waiters.count {
            let waiter = waiters[nextWaiter]
            nextWaiter += 1
            if nextWaiter == waiters.count {
                waiters.removeAll(keepingCapacity: true)
                nextWaiter = 0
            }
            waiter.resume()
        } else {
            isLocked = false
        }
    }

    /// Runs a synchronous operation once no transaction holds the store.
    func exclusive<Value>(_ operation: () throws(StoreError) -> Value) async throws(StoreError) -> Value {
        if isLocked {
            await lock()
            defer { unlock() }
            return try operation()
        }
        return try operation()
    }

    // MARK: OrderStore

    public func insertOrder(_ order: Order) async throws(StoreError) -> InsertOutcome {
        try await exclusive { () throws(StoreError) in try state.insertOrder(order) }
    }

    public func order(_ orderID: OrderID) async throws(StoreError) -> Order? {
        try await exclusive { () throws(StoreError) in state.order(orderID) }
    }

    public func orders(matching query: OrderQuery) async throws(StoreError) -> [Order] {
        try await exclusive { () throws(StoreError) in state.orders(matching: query) }
    }

    public func updateOrder(_ orderID: OrderID, change: OrderChange, at: Timestamp) async throws(StoreError) -> Order {
        try await exclusive { () throws(StoreError) in try state.updateOrder(orderID, change: change, at: at) }
    }

    // MARK: ProfileStore

    public func profile(_ profileID: ProfileID) async throws(StoreError) -> TradingProfile? {
        try await exclusive { () throws(StoreError) in state.profiles[profileID] }
    }

    public func saveProfile(_ profile: TradingProfile) async throws(StoreError) {
        try await exclusive { () throws(StoreError) in state.profiles[profile.profileID] = profile }
    }

    // MARK: BackfillAuditStore

    public func insertAuditRecords(_ records: [BackfillAuditRecord]) async throws(StoreError) {
        try await exclusive { () throws(StoreError) in try state.insertAuditRecords(records) }
    }

    public func updateAuditDecision(_ key: BackfillAuditKey, from expected: BackfillDecision,
                                    to newDecision: BackfillDecision) async throws(StoreError) -> BackfillAuditRecord {
        try await exclusive { () throws(StoreError) in try state.updateAuditDecision(key, from: expected, to: newDecision) }
    }

    public func auditRecords(batchID: BackfillBatchID) async throws(StoreError) -> [BackfillAuditRecord] {
        try await exclusive { () throws(StoreError) in state.auditRecords(batchID: batchID) }
    }

    public func auditRecords(profileID: ProfileID, decision: BackfillDecision) async throws(StoreError) -> [BackfillAuditRecord] {
        try await exclusive { () throws(StoreError) in state.auditRecords(profileID: profileID, decision: decision) }
    }

    public func markBatchReverted(_ batchID: BackfillBatchID, at: Timestamp) async throws(StoreError) -> Int {
        try await exclusive { () throws(StoreError) in state.markBatchReverted(batchID, at: at) }
    }

    // MARK: Access for transactions (the caller holds the store)

    func withState<Value>(_ operation: (inout InMemoryState) throws(StoreError) -> Value) throws(StoreError) -> Value {
        try operation(&state)
    }
}

/// The transaction handed to a body of ``InMemoryStore/withTransaction(_:)``: operates on the
/// store's state directly, because the body holds the store exclusively.
struct InMemoryTransaction: StoreTransaction {
    let store: InMemoryStore

    func insertOrder(_ order: Order) async throws(StoreError) -> InsertOutcome {
        try await store.withState { (state) throws(StoreError) in try state.insertOrder(order) }
    }

    func order(_ orderID: OrderID) async throws(StoreError) -> Order? {
        try await store.withState { (state) throws(StoreError) in state.order(orderID) }
    }

    func orders(matching query: OrderQuery) async throws(StoreError) -> [Order] {
        try await store.withState { (state) throws(StoreError) in state.orders(matching: query) }
    }

    func updateOrder(_ orderID: OrderID, change: OrderChange, at: Timestamp) async throws(StoreError) -> Order {
        try await store.withState { (state) throws(StoreError) in try state.updateOrder(orderID, change: change, at: at) }
    }

    func profile(_ profileID: ProfileID) async throws(StoreError) -> TradingProfile? {
        try await store.withState { (state) throws(StoreError) in state.profiles[profileID] }
    }

    func saveProfile(_ profile: TradingProfile) async throws(StoreError) {
        try await store.withState { (state) throws(StoreError) in state.profiles[profile.profileID] = profile }
    }

    func insertAuditRecords(_ records: [BackfillAuditRecord]) async throws(StoreError) {
        try await store.withState { (state) throws(StoreError) in try state.insertAuditRecords(records) }
    }

    func updateAuditDecision(_ key: BackfillAuditKey, from expected: BackfillDecision,
                             to newDecision: BackfillDecision) async throws(StoreError) -> BackfillAuditRecord {
        try await store.withState { (state) throws(StoreError) in try state.updateAuditDecision(key, from: expected, to: newDecision) }
    }

    func auditRecords(batchID: BackfillBatchID) async throws(StoreError) -> [BackfillAuditRecord] {
        try await store.withState { (state) throws(StoreError) in state.auditRecords(batchID: batchID) }
    }

    func auditRecords(profileID: ProfileID, decision: BackfillDecision) async throws(StoreError) -> [BackfillAuditRecord] {
        try await store.withState { (state) throws(StoreError) in state.auditRecords(profileID: profileID, decision: decision) }
    }

    func markBatchReverted(_ batchID: BackfillBatchID, at: Timestamp) async throws(StoreError) -> Int {
        try await store.withState { (state) throws(StoreError) in state.markBatchReverted(batchID, at: at) }
    }
}
