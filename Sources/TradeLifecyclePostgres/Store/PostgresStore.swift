public import Logging
public import PostgresNIO
public import TradeLifecycle

/// The ``TradeLifecycle/Store`` of the SDK over PostgreSQL, on the schema of
/// ``PostgresMigration/tradeLifecycleSchema`` (run ``PostgresMigrator`` first).
///
/// ## Lifetime
///
/// A store uses a `PostgresClient` (postgres-nio's connection pool), which works only while its
/// `run()` method runs. Either let the store own one for the length of a closure:
///
/// ```swift
/// let settings = try PostgresConnectionSettings(url: "postgres://trade_app_p1:secret@127.0.0.1:5432/trading")
/// try await PostgresStore.withStore(settings: settings) { store in
///     let engine = BackfillEngine(store: store, clock: SystemWallClock(), configuration: configuration)
///     _ = try await engine.run(profileID: profileID, gateway: gateway)
/// }
/// ```
///
/// or hand it a client the service already runs (for instance in a `ServiceGroup`), with
/// ``init(client:configuration:logger:)``. The store is a value: copies share the client.
///
/// ## Behaviour
///
/// Every operation keeps the contract of its protocol, checked by the conformance suite of
/// `TradeLifecycleTesting`:
/// - values are bound parameters, never SQL text; decimals travel as text cast to `numeric`
///   and come back as `numeric::text`, parsed by ``TradeLifecycle/ExactDecimal``; times travel
///   in PostgreSQL's exact binary form (microseconds), never as floating point;
/// - every row read back goes through the core types' validation: a row that is not a valid
///   record (a malformed decimal, an unknown status, a time outside years 0001-9999) is a
///   ``TradeLifecycle/StoreError`` with code `unavailable` whose `underlying`
///   ``PostgresStoreError`` (code `invalidRow`) names the table, the column and the row's key;
/// - an operation of several statements (``updateOrder(_:change:at:)``,
///   ``appendExecutionLog(_:)``, a large ``insertAuditRecords(_:)``) runs in a transaction of
///   its own, or inside the caller's unit of work;
/// - server errors map to store error codes by SQLSTATE: `23505` `uniqueViolation`, other
///   `23xxx` and `22xxx` `invalidChange`, `40001` and `40P01` `serializationFailure`, `42501`
///   (row level security, append-only tables) `permissionDenied`, the rest `unavailable`; the
///   driver's error is kept as a ``PostgresStoreError`` in `underlying`, and no description
///   carries row data.
///
/// Tenants: connect as a non-owner role bound to its profiles (`trade_lifecycle_grant_tenant_role`
/// and `tenant_profiles`, migrations 0007 and 0008); row level security then hides and refuses
/// other profiles' rows, and the capital ledger's history (``LedgerEventStore``) is the role's
/// own: one gapless sequence per database role.
public struct PostgresStore: Store, Sendable {
    /// How the store behaves where the protocols leave a choice.
    public struct Configuration: Sendable, Hashable {
        /// The clock that decides entry lock expiry.
        public enum EntryLockClock: String, Sendable, Hashable, CaseIterable {
            /// The database's `clock_timestamp()`: one clock for every process, so leases are
            /// exclusive and fencing is exact whatever the clients' clocks say. The `now` passed to
            /// the entry lock operations is ignored; lease times are the database's. TTLs are
            /// limited to 100 years.
            case database
            /// The `now` each caller passes, as the protocol describes it: every caller must read
            /// the same clock (see `Documentation/DistributedSafety.md`). The conformance suite
            /// runs in this mode, since it drives time by hand.
            case caller
        }

        /// The clock that decides entry lock expiry; ``EntryLockClock/database`` by default.
        public var entryLockClock: EntryLockClock
        /// The most connections ``PostgresStore/withStore(settings:configuration:logger:_:)``
        /// opens (at least 2: a unit of work holds one while the store answers others).
        public var maximumConnections: Int

        /// Creates a configuration.
        ///
        /// - Parameters:
        ///   - entryLockClock: The clock of entry lock expiry (default ``EntryLockClock/database``).
        ///   - maximumConnections: The connection pool's size for
        ///     ``PostgresStore/withStore(settings:configuration:logger:_:)`` (default 10; at least 2).
        public init(entryLockClock: EntryLockClock = .database, maximumConnections: Int = 10) {
            self.entryLockClock = entryLockClock
            self.maximumConnections = maximumConnections
        }
    }

    /// The connection pool the store runs its statements on.
    public let client: PostgresClient
    /// How the store behaves.
    public let configuration: Configuration
    /// Where postgres-nio logs the store's queries (at debug and trace levels).
    public let logger: Logger

    /// Creates a store over a client the caller runs.
    ///
    /// The store works only while `client.run()` runs (see postgres-nio); it does not start
    /// or stop the client. Give the client at least 2 connections.
    ///
    /// - Parameters:
    ///   - client: A `PostgresClient` connected to a database migrated by ``PostgresMigrator``.
    ///   - configuration: How the store behaves.
    ///   - logger: The logger of the store's queries.
    public init(client: PostgresClient, configuration: Configuration = Configuration(),
                logger: Logger = Logger(label: "TradeLifecyclePostgres.PostgresStore")) {
        self.client = client
        self.configuration = configuration
        self.logger = logger
    }

    /// Runs `body` with a store whose connection pool lives for the length of the call.
    ///
    /// Starts a `PostgresClient` for `settings` (connections are opened on demand, at most
    /// ``Configuration/maximumConnections``), runs `body`, then shuts the client down, whether
    /// `body` returns or throws. Do not let the store escape `body`.
    ///
    /// - Parameters:
    ///   - settings: Where and as whom to connect.
    ///   - configuration: How the store behaves.
    ///   - logger: The logger of the client and the store's queries.
    ///   - body: The work to do with the store.
    /// - Returns: What `body` returns.
    /// - Throws: What `body` throws. Connection failures surface from the store's operations as
    ///   ``TradeLifecycle/StoreError`` with code `unavailable`.
    public static func withStore<Value: Sendable>(
        settings: PostgresConnectionSettings,
        configuration: Configuration = Configuration(),
        logger: Logger = Logger(label: "TradeLifecyclePostgres.PostgresStore"),
        _ body: (PostgresStore) async throws -> Value
    ) async throws -> Value {
        let client = PostgresClient(configuration: settings.clientConfiguration(maximumConnections: configuration.maximumConnections),
                                    backgroundLogger: logger)
        let store = PostgresStore(client: client, configuration: configuration, logger: logger)
        return try await withThrowingTaskGroup(of: Void.self) { group in
            let (started, signal) = AsyncStream<Void>.makeStream()
            group.addTask {
                signal.finish()
                await client.run()
            }
            defer { group.cancelAll() }
            // Lease connections once the client runs (postgres-nio warns about leases before).
            for await _ in started {}
            return try await body(store)
        }
    }

    var operations: PostgresOperations {
        PostgresOperations(executor: PostgresPoolExecutor(client: client, logger: logger), configuration: configuration)
    }

    // MARK: Store

    /// `true`: ``withTransaction(_:)`` is one PostgreSQL transaction.
    public var isTransactional: Bool { true }

    /// Runs `body` as one PostgreSQL transaction (`READ COMMITTED`) on one connection.
    ///
    /// The ``TradeLifecycle/StoreTransaction`` handed to `body` runs every statement on that
    /// connection: its reads see its own writes, other callers see all of them after the commit
    /// or none. When `body` throws, the transaction is rolled back and the error rethrown
    /// unchanged. When an operation inside fails on the server, PostgreSQL aborts the
    /// transaction: later operations of the unit throw that failure again, and if `body` still
    /// returns, the unit is rolled back and that failure thrown. Use only the given transaction
    /// inside `body` (a call to the store itself waits for another connection), and not after
    /// `body` returns.
    ///
    /// - Parameter body: The work.
    /// - Returns: What `body` returns.
    /// - Throws: What `body` throws; ``TradeLifecycle/StoreError`` when the transaction cannot begin or
    ///   commit (`serializationFailure` for `40001` and `40P01`: retry the unit of work;
    ///   `unavailable` for a lost connection).
    public func withTransaction<Result: Sendable>(
        _ body: @Sendable (any StoreTransaction) async throws -> Result
    ) async throws -> Result {
        let context = "withTransaction"
        let logger = logger, configuration = configuration
        let outcome: Swift.Result<Result, any Error>
        do {
            outcome = try await client.withConnection { connection in
                await PostgresTransactionExecutor.run(on: connection, logger: logger, context: context,
                                                      reporting: { (error: StoreError) -> any Error in error }) {
                    executor async throws(any Error) in
                    try await body(PostgresStoreTransaction(
                        operations: PostgresOperations(executor: executor, configuration: configuration)))
                }
            }
        } catch {
            // Only leasing the connection throws here.
            throw PostgresErrors.storeError(error, context: context)
        }
        return try outcome.get()
    }

    // MARK: OrderStore

    public func insertOrder(_ order: Order) async throws(StoreError) -> InsertOutcome {
        try await operations.insertOrder(order)
    }

    public func order(_ orderID: OrderID) async throws(StoreError) -> Order? {
        try await operations.order(orderID)
    }

    public func orders(matching query: OrderQuery) async throws(StoreError) -> [Order] {
        try await operations.orders(matching: query)
    }

    public func updateOrder(_ orderID: OrderID, change: OrderChange, at time: Timestamp) async throws(StoreError) -> Order {
        try await operations.updateOrder(orderID, change: change, at: time)
    }

    // MARK: ProfileStore

    public func profile(_ profileID: ProfileID) async throws(StoreError) -> TradingProfile? {
        try await operations.profile(profileID)
    }

    public func saveProfile(_ profile: TradingProfile) async throws(StoreError) {
        try await operations.saveProfile(profile)
    }

    // MARK: BackfillAuditStore

    public func insertAuditRecords(_ records: [BackfillAuditRecord]) async throws(StoreError) {
        try await operations.insertAuditRecords(records)
    }

    public func updateAuditDecision(_ key: BackfillAuditKey, from expected: BackfillDecision,
                                    to newDecision: BackfillDecision) async throws(StoreError) -> BackfillAuditRecord {
        try await operations.updateAuditDecision(key, from: expected, to: newDecision)
    }

    public func auditRecords(batchID: BackfillBatchID) async throws(StoreError) -> [BackfillAuditRecord] {
        try await operations.auditRecords(batchID: batchID)
    }

    public func auditRecords(profileID: ProfileID, decision: BackfillDecision) async throws(StoreError) -> [BackfillAuditRecord] {
        try await operations.auditRecords(profileID: profileID, decision: decision)
    }

    public func markBatchReverted(_ batchID: BackfillBatchID, at time: Timestamp) async throws(StoreError) -> Int {
        try await operations.markBatchReverted(batchID, at: time)
    }

    // MARK: EntryLockStore

    public func acquireEntryLock(profileID: ProfileID, symbol: String, owner: EntryLockOwner, ttlMicroseconds: Int64,
                                 now: Timestamp) async throws(StoreError) -> EntryLockAcquisition {
        try await operations.acquireEntryLock(profileID: profileID, symbol: symbol, owner: owner, ttlMicroseconds: ttlMicroseconds, now: now)
    }

    public func renewEntryLock(_ lease: EntryLease, ttlMicroseconds: Int64, now: Timestamp) async throws(StoreError) -> EntryLease {
        try await operations.renewEntryLock(lease, ttlMicroseconds: ttlMicroseconds, now: now)
    }

    public func releaseEntryLock(_ lease: EntryLease, now: Timestamp) async throws(StoreError) {
        try await operations.releaseEntryLock(lease)
    }

    public func entryLock(profileID: ProfileID, symbol: String) async throws(StoreError) -> EntryLease? {
        try await operations.entryLock(profileID: profileID, symbol: symbol)
    }

    public func checkEntryLockFence(_ lease: EntryLease, now: Timestamp) async throws(StoreError) {
        try await operations.checkEntryLockFence(lease, now: now)
    }

    // MARK: EventDedupeStore

    public func recordIfNew(source: String, eventID: String, at time: Timestamp) async throws(StoreError) -> Bool {
        try await operations.recordIfNew(source: source, eventID: eventID, at: time)
    }

    public func purgeEvents(olderThan cutoff: Timestamp) async throws(StoreError) -> Int {
        try await operations.purgeEvents(olderThan: cutoff)
    }

    // MARK: ExecutionLogStore

    public func appendExecutionLog(_ record: ExecutionLogRecord) async throws(StoreError) -> ExecutionLogAppend {
        try await operations.appendExecutionLog(record)
    }

    public func executionLog(profileID: ProfileID, after: Int64, limit: Int) async throws(StoreError) -> [ExecutionLogEntry] {
        try await operations.executionLog(profileID: profileID, after: after, limit: limit)
    }

    public func executionLogEntry(_ entryID: ExecutionLogEntryID) async throws(StoreError) -> ExecutionLogEntry? {
        try await operations.executionLogEntry(entryID)
    }

    public func executionLogHead(profileID: ProfileID) async throws(StoreError) -> ExecutionLogHead? {
        try await operations.executionLogHead(profileID: profileID)
    }

    // MARK: LedgerEventStore

    public func appendLedgerEvent(_ event: LedgerEvent) async throws(StoreError) {
        try await operations.appendLedgerEvent(event)
    }

    public func ledgerEvents(after: UInt64, limit: Int) async throws(StoreError) -> [LedgerEvent] {
        try await operations.ledgerEvents(after: after, limit: limit)
    }

    public func ledgerEvent(for id: LedgerOperationID) async throws(StoreError) -> LedgerEvent? {
        try await operations.ledgerEvent(for: id)
    }

    public func lastLedgerSequence() async throws(StoreError) -> UInt64 {
        try await operations.lastLedgerSequence()
    }
}

extension PostgresConnectionSettings {
    /// The postgres-nio client configuration for these settings.
    func clientConfiguration(maximumConnections: Int) -> PostgresClient.Configuration {
        var configuration = PostgresClient.Configuration(
            host: host, port: port, username: username, password: password, database: database, tls: clientTLS)
        configuration.options.connectTimeout = connectTimeout
        configuration.options.minimumConnections = 0
        configuration.options.maximumConnections = max(2, maximumConnections)
        return configuration
    }
}
