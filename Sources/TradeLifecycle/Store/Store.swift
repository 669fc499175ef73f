/// Persistence of orders: the `orders` table.
///
/// Contract (checked by `TradeLifecycleTesting`'s conformance suite):
/// - ``insertOrder(_:)`` has `INSERT … ON CONFLICT (order_id) DO NOTHING` semantics: an existing
///   order id is reported as ``InsertOutcome/alreadyExists`` and the stored row is unchanged.
/// - At most one live (pending, open, partially filled) ENTRY order per profile and symbol; a
///   second is refused with ``StoreError/Code/uniqueViolation``.
/// - ``updateOrder(_:change:at:)`` applies the change through ``OrderStateMachine`` against the
///   current row; a forbidden change is ``StoreError/Code/invalidChange`` and writes nothing.
/// - ``orders(matching:)`` returns orders sorted by order id (UTF-8 byte order).
public protocol OrderStore: Sendable {
    /// Inserts an order unless its order id exists.
    ///
    /// - Returns: ``InsertOutcome/inserted`` or ``InsertOutcome/alreadyExists``.
    /// - Throws: ``StoreError`` (``StoreError/Code/uniqueViolation`` for a second live ENTRY of
    ///   the profile and symbol).
    func insertOrder(_ order: Order) async throws(StoreError) -> InsertOutcome

    /// The order with `orderID`, or `nil`.
    func order(_ orderID: OrderID) async throws(StoreError) -> Order?

    /// The orders matching `query`, sorted by order id.
    func orders(matching query: OrderQuery) async throws(StoreError) -> [Order]

    /// Changes an order's status through the state machine.
    ///
    /// - Parameters:
    ///   - orderID: The order.
    ///   - change: The change; ``OrderChange/revertBackfill`` and
    ///     ``OrderChange/correctToExchange(status:filledQuantity:filledAt:)`` are the only ways
    ///     out of a terminal status.
    ///   - at: The time of the change (`updated_at`).
    /// - Returns: The order as stored after the change.
    /// - Throws: ``StoreError/Code/notFound``, or ``StoreError/Code/invalidChange`` with the
    ///   state machine's error as `underlying`.
    func updateOrder(_ orderID: OrderID, change: OrderChange, at: Timestamp) async throws(StoreError) -> Order
}

/// Persistence of profiles' pause state.
public protocol ProfileStore: Sendable {
    /// The profile's state, or `nil` when unknown.
    func profile(_ profileID: ProfileID) async throws(StoreError) -> TradingProfile?

    /// Creates or replaces the profile's state.
    func saveProfile(_ profile: TradingProfile) async throws(StoreError)
}

/// Persistence of `reconciliation_backfill_audit`.
///
/// Contract: records are append-only apart from two changes: the decision of a
/// ``BackfillDecision/pendingApply`` record becomes ``BackfillDecision/applied`` or
/// ``BackfillDecision/skipExisting`` (compare-and-set), and a batch's `reverted_at` is set once.
public protocol BackfillAuditStore: Sendable {
    /// Appends records.
    ///
    /// - Throws: ``StoreError/Code/uniqueViolation`` when a record's key exists; then none of
    ///   the records is written.
    func insertAuditRecords(_ records: [BackfillAuditRecord]) async throws(StoreError)

    /// Sets the decision of the record with `key` to `newDecision` if it is `expected`.
    ///
    /// - Returns: The record after the change.
    /// - Throws: ``StoreError/Code/notFound``; ``StoreError/Code/conflict`` when the current
    ///   decision is not `expected`.
    func updateAuditDecision(_ key: BackfillAuditKey, from expected: BackfillDecision,
                             to newDecision: BackfillDecision) async throws(StoreError) -> BackfillAuditRecord

    /// The records of a batch, by row number.
    func auditRecords(batchID: BackfillBatchID) async throws(StoreError) -> [BackfillAuditRecord]

    /// The records of a profile with a decision, by creation time, batch and row number.
    func auditRecords(profileID: ProfileID, decision: BackfillDecision) async throws(StoreError) -> [BackfillAuditRecord]

    /// Sets `reverted_at` on every record of the batch that has none.
    ///
    /// - Returns: How many records were marked now (0 when the batch was already reverted).
    func markBatchReverted(_ batchID: BackfillBatchID, at: Timestamp) async throws(StoreError) -> Int
}

/// Every operation of a store, without the unit of work: what ``Store`` and
/// ``StoreTransaction`` both offer, so code that works inside or outside a transaction (or a
/// wrapper that forwards to either) takes `any StoreOperations`.
public typealias StoreOperations = OrderStore & ProfileStore & BackfillAuditStore & EntryLockStore & EventDedupeStore
    & ExecutionLogStore & LedgerEventStore

/// The operations available inside a unit of work (see ``Store/withTransaction(_:)``).
public protocol StoreTransaction: StoreOperations {}

/// Everything the SDK persists, with a unit of work.
///
/// Implementations: ``InMemoryStore`` in the core and `PostgresStore` in
/// `TradeLifecyclePostgres`. Every implementation must pass the conformance suite of
/// `TradeLifecycleTesting`.
public protocol Store: StoreOperations {
    /// Whether ``withTransaction(_:)`` is atomic: all of the body's writes or none.
    ///
    /// Callers that must survive a crash between writes (the EXIT backfill's PENDING_APPLY
    /// rows) do not rely on it; they are correct either way.
    var isTransactional: Bool { get }

    /// Runs `body` as one unit of work.
    ///
    /// In a transactional store the body's writes are committed together when it returns and
    /// discarded when it throws; other callers never see a partial result.
    /// - Parameter body: The work; use only the given transaction inside it.
    /// - Returns: What `body` returns.
    /// - Throws: What `body` throws, or ``StoreError`` when the unit of work cannot commit.
    func withTransaction<Result: Sendable>(
        _ body: @Sendable (any StoreTransaction) async throws -> Result
    ) async throws -> Result
}
