import Synchronization
import Testing
import TradeLifecycle
import TradeLifecyclePostgres

/// Units of work beyond the conformance suite: what an aborted PostgreSQL transaction means for
/// the body, deadlocks, the database's clock for entry locks.
@Suite(
    "PostgresStore transactions and lock clock on a real server",
    .enabled(if: PostgresTestEnvironment.shouldRun, PostgresTestEnvironment.skipNotice)
)
struct StoreTransactionTests {
    static let t0 = Timestamp(microsecondsSinceEpoch: 1_771_147_800_000_000)
    static let profile = fixture { () throws(InputError) in try ProfileID("p1") }

    static func id(_ text: String) -> OrderID { fixture { () throws(InputError) in try OrderID(text) } }

    static func order(_ id: String, action: LifecycleAction = .exit, status: OrderStatus = .open, trade: String? = nil,
                      symbol: String = "BTC-USD") -> Order {
        fixture { () throws(InputError) in
            try Order(orderID: OrderID(id), profileID: profile, symbol: symbol, tradeID: trade.map { TradeID.normalized($0)! },
                      action: action, side: .long, status: status, quantity: ExactDecimal(2), price: ExactDecimal(100), createdAt: t0)
        }
    }

    @Test("a failure the body swallows still rolls the unit back, and later operations of the unit say so")
    func swallowedServerFailureRollsBack() async throws {
        try await StoreTestDatabase.withMigrated { database in
            try await database.withStore { store async throws in
                let codes = Mutex<[StoreError.Code]>([])
                let error = await #expect(throws: StoreError.self) {
                    try await store.withTransaction { tx in
                        _ = try await tx.insertOrder(Self.order("x1"))
                        // chk_orders_trade_id_format refuses this row: the server aborts the transaction.
                        do { _ = try await tx.insertOrder(Self.order("x2", trade: "legacy trade 7")) } catch let error as StoreError {
                            codes.withLock { $0.append(error.code) }
                        }
                        do { _ = try await tx.insertOrder(Self.order("x3")) } catch let error as StoreError {
                            codes.withLock { $0.append(error.code) }
                        }
                        return 1
                    }
                }
                #expect(error?.code == .invalidChange)
                #expect(codes.withLock { $0 } == [.invalidChange, .invalidChange])
                for order in ["x1", "x2", "x3"] {
                    #expect(try await store.order(Self.id(order)) == nil, "\(order) was written by a rolled-back unit")
                }
            }
        }
    }

    @Test("the contract's expected refusals inside a unit of work leave it usable, and it commits")
    func expectedRefusalsKeepTheUnitUsable() async throws {
        try await StoreTestDatabase.withMigrated { database in
            try await database.withStore { store in
                let batch = fixture { () throws(InputError) in try BackfillBatchID("b1") }
                let record = BackfillAuditRecord(
                    batchID: batch, rowNumber: 0, profileID: Self.profile, symbol: "BTC-USD", tradeID: fixture { () throws(InputError) in try TradeID("TRD-a") },
                    decision: .noGo, reason: .exchangeNotFlat, openQuantity: ExactDecimal(1), filledQuantity: nil, price: nil,
                    backfillOrderID: nil, exchangeOrderID: nil, exchangeClientOrderID: nil, filledAt: nil, createdAt: Self.t0)
                try await store.insertAuditRecords([record])
                let logRecord = ExecutionLogRecord(entryID: fixture { () throws(InputError) in try ExecutionLogEntryID("log-1") },
                                                   profileID: Self.profile, orderID: Self.id("e1"), action: .submitted, reason: "r",
                                                   recordedAt: Self.t0)
                _ = try await store.appendExecutionLog(logRecord)
                _ = try await store.recordIfNew(source: "s", eventID: "e", at: Self.t0)

                let refusals = try await store.withTransaction { tx -> [StoreError.Code] in
                    var codes: [StoreError.Code] = []
                    func expectRefusal(_ operation: () async throws -> Void) async throws {
                        do {
                            try await operation()
                            codes.append(.injectedFailure)  // not refused: recorded as a mismatch
                        } catch let error as StoreError {
                            codes.append(error.code)
                        }
                    }
                    #expect(try await tx.insertOrder(Self.order("e1", action: .entry, status: .pending)) == .inserted)
                    try await expectRefusal { _ = try await tx.insertOrder(Self.order("e2", action: .entry, status: .pending)) }
                    #expect(try await tx.insertOrder(Self.order("e1", action: .entry, status: .open)) == .alreadyExists)
                    try await expectRefusal {
                        _ = try await tx.updateOrder(Self.id("e1"), change: .transition(to: .pending, filledQuantity: nil, filledAt: nil), at: Self.t0)
                    }
                    try await expectRefusal { _ = try await tx.updateOrder(Self.id("absent"), change: .revertBackfill, at: Self.t0) }
                    try await expectRefusal { try await tx.insertAuditRecords([record]) }
                    try await expectRefusal { _ = try await tx.updateAuditDecision(record.key, from: .pendingApply, to: .applied) }
                    #expect(try await tx.recordIfNew(source: "s", eventID: "e", at: Self.t0) == false)
                    try await expectRefusal {
                        _ = try await tx.appendExecutionLog(ExecutionLogRecord(
                            entryID: logRecord.entryID, profileID: Self.profile, orderID: Self.id("e1"), action: .filled, reason: "r",
                            recordedAt: Self.t0))
                    }
                    let event = LedgerEvent(sequence: 5, operation: LedgerOperation(
                        id: 1, kind: .allocate(profileID: Self.profile, amount: ExactDecimal(10))), result: .created)
                    try await expectRefusal { try await tx.appendLedgerEvent(event) }
                    try await expectRefusal { try await tx.releaseEntryLock(EntryLease(
                        profileID: Self.profile, symbol: "BTC-USD", owner: EntryLockOwner.random(), fencingToken: FencingToken(1),
                        acquiredAt: Self.t0, expiresAt: Self.t0), now: Self.t0) }
                    #expect(try await tx.insertOrder(Self.order("x1")) == .inserted)
                    return codes
                }
                #expect(refusals == [.uniqueViolation, .invalidChange, .notFound, .uniqueViolation, .conflict, .conflict, .conflict, .lockNotHeld])
                #expect(try await store.order(Self.id("e1"))?.status == .pending)
                #expect(try await store.order(Self.id("x1")) != nil)
                #expect(try await store.order(Self.id("e2")) == nil)
            }
        }
    }

    @Test("a transaction used after its unit of work ended is refused")
    func transactionUsedAfterItsEnd() async throws {
        try await StoreTestDatabase.withMigrated { database in
            try await database.withStore { store in
                let kept = Mutex<(any StoreTransaction)?>(nil)
                try await store.withTransaction { tx in kept.withLock { $0 = tx } }
                let tx = try #require(kept.withLock { $0 })
                let error = await #expect(throws: StoreError.self) { _ = try await tx.insertOrder(Self.order("late")) }
                #expect(error?.code == .unavailable)
                #expect(try await store.order(Self.id("late")) == nil)
            }
        }
    }

    @Test("of two units of work that deadlock, one fails with serializationFailure and the other commits")
    func deadlockIsASerializationFailure() async throws {
        try await StoreTestDatabase.withMigrated { database in
            try await database.withStore { store in
                for id in ["o1", "o2"] { _ = try await store.insertOrder(Self.order(id)) }
                let barrier = Barrier(count: 2)
                let outcomes = await withTaskGroup(of: StoreError.Code?.self) { group in
                    for (first, second) in [("o1", "o2"), ("o2", "o1")] {
                        group.addTask {
                            do {
                                try await store.withTransaction { tx in
                                    _ = try await tx.updateOrder(Self.id(first), change: .transition(
                                        to: .partiallyFilled, filledQuantity: ExactDecimal(1), filledAt: Self.t0), at: Self.t0)
                                    await barrier.arrive()
                                    _ = try await tx.updateOrder(Self.id(second), change: .transition(
                                        to: .filled, filledQuantity: nil, filledAt: Self.t0), at: Self.t0)
                                }
                                return nil
                            } catch let error as StoreError {
                                return error.code
                            } catch {
                                return .injectedFailure
                            }
                        }
                    }
                    var codes: [StoreError.Code?] = []
                    for await code in group { codes.append(code) }
                    return codes
                }
                #expect(outcomes.filter { $0 == nil }.count == 1, "\(outcomes)")
                #expect(outcomes.contains(.serializationFailure), "\(outcomes)")
            }
        }
    }

    @Test("with the database's clock, lease times are the server's and the caller's now is ignored")
    func databaseClockDecidesEntryLocks() async throws {
        try await StoreTestDatabase.withMigrated { database in
            try await database.withStore(entryLockClock: .database) { store in
                try await database.connect { sql in
                    let a = EntryLockOwner.random(), b = EntryLockOwner.random()
                    let ttl: Int64 = 3_600_000_000 + 123_457
                    let before = try await Self.serverNow(sql)
                    let acquisition = try await store.acquireEntryLock(profileID: Self.profile, symbol: "BTC-USD", owner: a,
                                                                       ttlMicroseconds: ttl, now: Timestamp.min)
                    let after = try await Self.serverNow(sql)
                    let lease = try #require(acquisition.lease)
                    #expect(before <= lease.acquiredAt && lease.acquiredAt <= after)
                    #expect(lease.expiresAt.microseconds(since: lease.acquiredAt) == ttl)
                    // A caller clock far in the future would see the lease expired; the server's does not.
                    let contended = try await store.acquireEntryLock(profileID: Self.profile, symbol: "BTC-USD", owner: b,
                                                                     ttlMicroseconds: ttl, now: Timestamp.max)
                    #expect(contended == .contended(holder: a, expiresAt: lease.expiresAt))
                    try await store.checkEntryLockFence(lease, now: Timestamp.max)
                    let renewed = try await store.renewEntryLock(lease, ttlMicroseconds: ttl, now: Timestamp.min)
                    #expect(renewed.expiresAt > lease.expiresAt)
                    #expect(renewed.fencingToken == lease.fencingToken)

                    // A short lease runs out on the server's clock.
                    let short = try #require(try await store.acquireEntryLock(
                        profileID: Self.profile, symbol: "ETH-USD", owner: a, ttlMicroseconds: 20_000, now: Timestamp.max).lease)
                    while try await Self.serverNow(sql) <= short.expiresAt {
                        try await Task.sleep(for: .milliseconds(10))
                    }
                    await #expect(throws: StoreError.self) { try await store.checkEntryLockFence(short, now: Timestamp.min) }
                    let taken = try #require(try await store.acquireEntryLock(
                        profileID: Self.profile, symbol: "ETH-USD", owner: b, ttlMicroseconds: ttl, now: Timestamp.min).lease)
                    #expect(taken.fencingToken > short.fencingToken)

                    for bad: Int64 in [0, -5, 101 * 366 * 86_400 * 1_000_000] {
                        let error = await #expect(throws: StoreError.self) {
                            _ = try await store.acquireEntryLock(profileID: Self.profile, symbol: "SOL-USD", owner: a,
                                                                 ttlMicroseconds: bad, now: Self.t0)
                        }
                        #expect(error?.code == .invalidChange)
                    }
                    #expect(try await store.entryLock(profileID: Self.profile, symbol: "SOL-USD") == nil)
                }
            }
        }
    }

    static func serverNow(_ sql: TestConnection) async throws -> Timestamp {
        let text = try await sql.values(#"SELECT to_char(clock_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')"#)
        return try Timestamp(try #require(text.first ?? nil))
    }
}

/// Lets `count` tasks wait for each other.
actor Barrier {
    private let count: Int
    private var arrived = 0
    private var waiting: [CheckedContinuation<Void, Never>] = []

    init(count: Int) {
        self.count = count
    }

    func arrive() async {
        arrived += 1
        if arrived >= count {
            for waiter in waiting { waiter.resume() }
            waiting.removeAll()
            return
        }
        await withCheckedContinuation { waiting.append($0) }
    }
}
