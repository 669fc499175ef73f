import Testing
import TradeLifecycle
import TradeLifecyclePostgres

/// A store connected as a non-owner role bound to profile pA can neither see nor change profile
/// pB's rows in any profile-scoped table, through the Store API or raw SQL, and works normally
/// for pA.
@Suite(
    "PostgresStore tenant isolation on a real server",
    .enabled(if: PostgresTestEnvironment.shouldRun, PostgresTestEnvironment.skipNotice)
)
struct StoreTenantIsolationTests {
    static let t0 = Timestamp(microsecondsSinceEpoch: 1_771_147_800_000_000)
    static let pA = fixture { () throws(InputError) in try ProfileID("pA") }
    static let pB = fixture { () throws(InputError) in try ProfileID("pB") }

    static func id(_ text: String) -> OrderID { fixture { () throws(InputError) in try OrderID(text) } }
    static func trade(_ text: String) -> TradeID { fixture { () throws(InputError) in try TradeID(text) } }
    static func batch(_ text: String) -> BackfillBatchID { fixture { () throws(InputError) in try BackfillBatchID(text) } }
    static func entry(_ text: String) -> ExecutionLogEntryID { fixture { () throws(InputError) in try ExecutionLogEntryID(text) } }

    static func order(_ id: String, profile: ProfileID, action: LifecycleAction = .entry, status: OrderStatus = .pending) -> Order {
        fixture { () throws(InputError) in
            try Order(orderID: OrderID(id), profileID: profile, symbol: "BTC-USD", tradeID: TradeID("TRD-\(id)"), action: action,
                      side: .long, status: status, quantity: ExactDecimal(2), price: ExactDecimal(100), createdAt: t0)
        }
    }

    static func record(_ batch: BackfillBatchID, profile: ProfileID) -> BackfillAuditRecord {
        BackfillAuditRecord(
            batchID: batch, rowNumber: 0, profileID: profile, symbol: "BTC-USD", tradeID: trade("TRD-x"), decision: .pendingApply,
            reason: .fillEvidence, openQuantity: ExactDecimal(1), filledQuantity: ExactDecimal(1), price: ExactDecimal(100),
            backfillOrderID: id("BFILL-\(batch.rawValue)"), exchangeOrderID: "x1", exchangeClientOrderID: nil, filledAt: t0, createdAt: t0)
    }

    static func logRecord(_ entryID: String, profile: ProfileID) -> ExecutionLogRecord {
        ExecutionLogRecord(entryID: entry(entryID), profileID: profile, orderID: id("o-\(entryID)"), action: .submitted,
                           reason: "r", recordedAt: t0)
    }

    /// Every profile-scoped table and a statement that writes a row of `profile` into it.
    static func inserts(profile: String) -> [(table: String, insert: String)] {
        [
            ("trade_profiles", "INSERT INTO trade_profiles (profile_id) VALUES ('\(profile)-raw')"),
            ("orders", "INSERT INTO orders (order_id, profile_id, symbol, status) VALUES ('raw-\(profile)', '\(profile)', 'X', 'open')"),
            ("trade_history", "INSERT INTO trade_history (profile_id, symbol) VALUES ('\(profile)', 'X')"),
            ("fills", "INSERT INTO fills (fill_id, profile_id, order_id, symbol, side, quantity, price, filled_at) VALUES ('raw-\(profile)', '\(profile)', 'b-live', 'X', 'buy', 1, 1, now())"),
            ("reconciliation_backfill_audit", "INSERT INTO reconciliation_backfill_audit (batch_id, row_number, profile_id, symbol, trade_id, decision, reason, open_qty) VALUES ('raw', 9, '\(profile)', 'X', 'TRD-r', 'NO_GO', 'exchange_not_flat', 1)"),
            ("entry_locks", "INSERT INTO entry_locks (profile_id, symbol, owner_token, acquired_at, expires_at) VALUES ('\(profile)', 'RAW', 'me', now(), now() + interval '1 minute')"),
            ("reconciliation_locks", "INSERT INTO reconciliation_locks (profile_id, owner_token, acquired_at, expires_at) VALUES ('\(profile)', 'me', now(), now() + interval '1 minute')"),
            ("execution_logs", "INSERT INTO execution_logs (sequence, profile_id, order_id, action, previous_hash, hash, entry_id) VALUES (99, '\(profile)', 'o', 'FILLED', 'p', 'h', 'raw-\(profile)')"),
            ("execution_log_heads", "INSERT INTO execution_log_heads (profile_id) VALUES ('\(profile)-2')"),
            ("ledger_events", #"INSERT INTO ledger_events (sequence, operation_id, profile_id, kind, event) VALUES (500, 500, '\#(profile)', 'allocate', '{}')"#),
            ("capital_ledger_events", "INSERT INTO capital_ledger_events (profile_id, event_id, sequence, kind) VALUES ('\(profile)', 'raw', 99, 'allocate')"),
            ("capital_ledger_balances", "INSERT INTO capital_ledger_balances (profile_id) VALUES ('\(profile)')"),
        ]
    }

    /// The number of pB rows in every profile-scoped table, as the owner sees them.
    static func profileBRows(_ sql: TestConnection) async throws -> [String: String?] {
        var counts: [String: String?] = [:]
        for (table, _) in inserts(profile: "pB") {
            counts[table] = try await sql.column("n", "SELECT count(*)::text AS n FROM \(table) WHERE profile_id LIKE 'pB%'").first ?? nil
        }
        counts["orders.status"] = try await sql.column("s", "SELECT string_agg(order_id || '=' || status, ',' ORDER BY order_id) AS s FROM orders WHERE profile_id = 'pB'").first ?? nil
        return counts
    }

    @Test("a tenant role bound to pA cannot see or write pB's rows, through the store or raw SQL")
    func tenantSeesAndWritesOnlyItsProfiles() async throws {
        try await StoreTestDatabase.withMigrated { database in
            try await database.database.withRole { role, password in
                try await database.connect { owner in
                    try await owner.run("SELECT trade_lifecycle_grant_tenant_role('\(role)')")
                    try await owner.run("INSERT INTO tenant_profiles (role_name, profile_id) VALUES ('\(role)', 'pA'), ('someone_else', 'pB')")
                }
                // pB's rows, written by the owner through the store and raw SQL.
                let bLease = try await database.withStore { store in
                    try await store.saveProfile(TradingProfile(profileID: Self.pB, isPaused: true, updatedAt: Self.t0))
                    _ = try await store.insertOrder(Self.order("b-live", profile: Self.pB))
                    try await store.insertAuditRecords([Self.record(Self.batch("bB"), profile: Self.pB)])
                    _ = try await store.appendExecutionLog(Self.logRecord("log-b", profile: Self.pB))
                    return try #require(try await store.acquireEntryLock(
                        profileID: Self.pB, symbol: "BTC-USD", owner: EntryLockOwner.random(), ttlMicroseconds: 3_600_000_000, now: Self.t0).lease)
                }
                try await database.connect { owner in
                    for (_, insert) in Self.inserts(profile: "pB") { try await owner.run(insert) }
                    // A row in the tenant role's own ledger history, but of pB.
                    try await owner.run(#"INSERT INTO ledger_events (role_name, sequence, operation_id, profile_id, kind, event) VALUES ('\#(role)', 1000, 1000, 'pB', 'allocate', '{}')"#)
                }
                let before = try await database.connect { owner in try await Self.profileBRows(owner) }

                var tenantSettings = database.settings
                tenantSettings.username = role
                tenantSettings.password = password

                // Through the Store API.
                try await database.withStore(settings: tenantSettings) { tenant in
                    #expect(try await tenant.profile(Self.pB) == nil)
                    #expect(try await tenant.order(Self.id("b-live")) == nil)
                    #expect(try await tenant.orders(matching: OrderQuery(profileID: Self.pB)) == [])
                    #expect(try await tenant.auditRecords(batchID: Self.batch("bB")) == [])
                    #expect(try await tenant.auditRecords(profileID: Self.pB, decision: .pendingApply) == [])
                    #expect(try await tenant.entryLock(profileID: Self.pB, symbol: "BTC-USD") == nil)
                    #expect(try await tenant.executionLog(profileID: Self.pB, after: 0, limit: 10) == [])
                    #expect(try await tenant.executionLogEntry(Self.entry("log-b")) == nil)
                    #expect(try await tenant.executionLogHead(profileID: Self.pB) == nil)
                    #expect(try await tenant.ledgerEvents(after: 0, limit: 10) == [])
                    #expect(try await tenant.lastLedgerSequence() == 0)

                    let denied: [(String, @Sendable () async throws -> Void)] = [
                        ("saveProfile", { try await tenant.saveProfile(TradingProfile(profileID: Self.pB, isPaused: false, updatedAt: Self.t0)) }),
                        ("insertOrder", { _ = try await tenant.insertOrder(Self.order("b-new", profile: Self.pB, action: .exit)) }),
                        ("insertAuditRecords", { try await tenant.insertAuditRecords([Self.record(Self.batch("bB2"), profile: Self.pB)]) }),
                        ("acquireEntryLock", {
                            _ = try await tenant.acquireEntryLock(profileID: Self.pB, symbol: "ETH-USD", owner: EntryLockOwner.random(),
                                                                  ttlMicroseconds: 1_000_000, now: Self.t0)
                        }),
                        ("appendExecutionLog", { _ = try await tenant.appendExecutionLog(Self.logRecord("log-b2", profile: Self.pB)) }),
                        ("appendLedgerEvent", {
                            try await tenant.appendLedgerEvent(LedgerEvent(sequence: 1, operation: LedgerOperation(
                                id: 77, kind: .allocate(profileID: Self.pB, amount: ExactDecimal(5))), result: .created))
                        }),
                    ]
                    for (what, operation) in denied {
                        let error = await #expect(throws: StoreError.self, "\(what) of pB") { try await operation() }
                        #expect(error?.code == .permissionDenied, "\(what) of pB: \(String(describing: error))")
                    }
                    let notFound = await #expect(throws: StoreError.self) {
                        _ = try await tenant.updateOrder(Self.id("b-live"), change: .transition(to: .cancelled, filledQuantity: nil, filledAt: nil), at: Self.t0)
                    }
                    #expect(notFound?.code == .notFound)
                    let auditNotFound = await #expect(throws: StoreError.self) {
                        _ = try await tenant.updateAuditDecision(BackfillAuditKey(batchID: Self.batch("bB"), rowNumber: 0), from: .pendingApply, to: .applied)
                    }
                    #expect(auditNotFound?.code == .notFound)
                    #expect(try await tenant.markBatchReverted(Self.batch("bB"), at: Self.t0) == 0)
                    let release = await #expect(throws: StoreError.self) { try await tenant.releaseEntryLock(bLease, now: Self.t0) }
                    #expect(release?.code == .lockNotHeld)
                    let fence = await #expect(throws: StoreError.self) { try await tenant.checkEntryLockFence(bLease, now: Self.t0) }
                    #expect(fence?.code == .staleFencingToken)
                    let renew = await #expect(throws: StoreError.self) {
                        _ = try await tenant.renewEntryLock(bLease, ttlMicroseconds: 1_000_000, now: Self.t0)
                    }
                    #expect(renew?.code == .lockNotHeld)
                    // An order id of pB's is taken, whoever asks.
                    #expect(try await tenant.insertOrder(Self.order("b-live", profile: Self.pA, action: .exit)) == .alreadyExists)

                    // The tenant's own profile works end to end.
                    try await Self.useProfileA(tenant)
                }

                // Through raw SQL.
                try await TestConnection.with(tenantSettings) { tenant async throws in
                    for (table, _) in Self.inserts(profile: "pB") {
                        #expect(try await tenant.column("n", "SELECT count(*)::text AS n FROM \(table) WHERE profile_id LIKE 'pB%'") == ["0"],
                                "\(table): the tenant sees pB rows")
                    }
                    #expect(try await tenant.column("n", "SELECT count(*)::text AS n FROM ledger_events WHERE profile_id = 'pB'") == ["0"])
                    for (table, insert) in Self.inserts(profile: "pB") {
                        #expect(await tenant.sqlStateOfFailure(insert) == "42501", "\(table): the tenant wrote a pB row")
                    }
                    let updates = [
                        "UPDATE orders SET status = 'canceled' WHERE profile_id = 'pB' RETURNING 1",
                        "UPDATE trade_profiles SET paused = false WHERE profile_id = 'pB' RETURNING 1",
                        "UPDATE reconciliation_backfill_audit SET reverted_at = now() WHERE profile_id = 'pB' RETURNING 1",
                        "UPDATE trade_history SET symbol = 'Y' WHERE profile_id = 'pB' RETURNING 1",
                        "UPDATE execution_log_heads SET sequence_number = 0, hash = NULL WHERE profile_id = 'pB' RETURNING 1",
                        "UPDATE entry_locks SET owner_token = 'me' WHERE profile_id = 'pB' RETURNING 1",
                        "DELETE FROM entry_locks WHERE profile_id = 'pB' RETURNING 1",
                        "UPDATE capital_ledger_balances SET allocated = 1 WHERE profile_id = 'pB' RETURNING 1",
                    ]
                    for update in updates {
                        #expect(try await tenant.rows(update).isEmpty, "the tenant changed a pB row: \(update)")
                    }
                    // Moving an own row into pB is refused as well.
                    #expect(await tenant.sqlStateOfFailure("UPDATE orders SET profile_id = 'pB' WHERE profile_id = 'pA'") == "42501")
                }

                let after = try await database.connect { owner in try await Self.profileBRows(owner) }
                #expect(after == before, "pB's rows changed")
            }
        }
    }

    /// Every operation on the tenant's own profile, pA.
    static func useProfileA(_ tenant: PostgresStore) async throws {
        let profile = TradingProfile(profileID: pA, isPaused: true, updatedAt: t0)
        try await tenant.saveProfile(profile)
        #expect(try await tenant.profile(pA) == profile)
        let owner = EntryLockOwner.random()
        let lease = try #require(try await tenant.acquireEntryLock(profileID: pA, symbol: "BTC-USD", owner: owner,
                                                                   ttlMicroseconds: 60_000_000, now: t0).lease)
        let entry = order("a-1", profile: pA)
        try await tenant.withTransaction { tx in
            try await tx.checkEntryLockFence(lease, now: t0)
            #expect(try await tx.insertOrder(entry) == .inserted)
            _ = try await tx.appendExecutionLog(logRecord("log-a", profile: pA))
            try await tx.appendLedgerEvent(LedgerEvent(sequence: 1, operation: LedgerOperation(
                id: 1, kind: .allocate(profileID: pA, amount: ExactDecimal(1_000))), result: .created))
        }
        try await tenant.releaseEntryLock(lease, now: t0)
        let filled = try await tenant.updateOrder(entry.orderID, change: .transition(to: .filled, filledQuantity: nil, filledAt: t0), at: t0)
        #expect(try await tenant.orders(matching: OrderQuery(profileID: pA)) == [filled])
        let record = record(batch("bA"), profile: pA)
        try await tenant.insertAuditRecords([record])
        _ = try await tenant.updateAuditDecision(record.key, from: .pendingApply, to: .applied)
        #expect(try await tenant.markBatchReverted(record.batchID, at: t0) == 1)
        #expect(try await tenant.executionLogHead(profileID: pA)?.sequenceNumber == 1)
        #expect(try await tenant.lastLedgerSequence() == 1)
        #expect(try await tenant.ledgerEvents(after: 0, limit: 10).map(\.sequence) == [1])
        #expect(try await tenant.recordIfNew(source: "pA-stream", eventID: "e1", at: t0))
        // Purging needs DELETE on event_dedupe, which tenant roles do not get.
        let purge = await #expect(throws: StoreError.self) { _ = try await tenant.purgeEvents(olderThan: t0) }
        #expect(purge?.code == .permissionDenied)
    }
}
