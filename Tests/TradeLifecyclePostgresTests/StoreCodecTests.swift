import PostgresNIO
import PropertyBased
import Testing
import TradeLifecycle
import TradeLifecyclePostgres

/// Times and decimals cross the wire exactly, and a row that is not a valid record is a typed
/// error naming the table, column and key, never a crash or a silently changed value.
@Suite(
    "PostgresStore values on a real server",
    .enabled(if: PostgresTestEnvironment.shouldRun, PostgresTestEnvironment.skipNotice)
)
struct StoreCodecTests {
    static let timestampMicroseconds = Gen.int64(in: Timestamp.min.microsecondsSinceEpoch...Timestamp.max.microsecondsSinceEpoch)

    /// PostgreSQL's own rendering of a stored time, with six fractional digits: the oracle the
    /// store's binary encoding is checked against.
    static let microsecondText = #"to_char(updated_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')"#

    @Test("a time written by the store is the same instant in PostgreSQL's own text, and reads back equal")
    func timestampsRoundTripExactly() async throws {
        try await StoreTestDatabase.withMigrated { database in
            try await database.withStore { store in
                try await database.connect { sql in
                    let edges = [Timestamp.min, Timestamp.max, Timestamp(microsecondsSinceEpoch: 0), Timestamp(microsecondsSinceEpoch: -1),
                                 Timestamp(microsecondsSinceEpoch: 946_684_800_000_000), Timestamp(microsecondsSinceEpoch: 946_684_799_999_999),
                                 Timestamp(microsecondsSinceEpoch: 1_771_147_800_123_456)]
                    for time in edges {
                        try await Self.checkRoundTrip(time, store: store, sql: sql)
                    }
                    await propertyCheck(count: 300, input: Self.timestampMicroseconds) { micros in
                        try await Self.checkRoundTrip(Timestamp(microsecondsSinceEpoch: micros), store: store, sql: sql)
                    }
                }
            }
        }
    }

    static func checkRoundTrip(_ time: Timestamp, store: PostgresStore, sql: TestConnection) async throws {
        let profile = fixture { () throws(InputError) in try ProfileID("p\(time.microsecondsSinceEpoch)") }
        let saved = TradingProfile(profileID: profile, isPaused: true, updatedAt: time)
        try await store.saveProfile(saved)
        #expect(try await store.profile(profile) == saved)
        let text = try await sql.values(
            "SELECT \(unescaped: microsecondText) FROM trade_profiles WHERE profile_id = \(profile.rawValue)")
        #expect(text == [time.description], "PostgreSQL renders the stored time differently")
    }

    @Test("a time PostgreSQL parses from text reads back as the timestamp that text parses to")
    func timestampsWrittenAsTextReadBack() async throws {
        try await StoreTestDatabase.withMigrated { database in
            try await database.withStore { store in
                try await database.connect { sql in
                    await propertyCheck(count: 200, input: Self.timestampMicroseconds) { micros in
                        let text = Timestamp(microsecondsSinceEpoch: micros).description
                        let profile = fixture { () throws(InputError) in try ProfileID("t\(micros)") }
                        _ = try await sql.query("""
                            INSERT INTO trade_profiles (profile_id, paused, updated_at) VALUES (\(profile.rawValue), false, \(text)::timestamptz)
                            ON CONFLICT (profile_id) DO UPDATE SET updated_at = EXCLUDED.updated_at
                            """)
                        #expect(try await store.profile(profile)?.updatedAt == (try Timestamp(text)))
                    }
                }
            }
        }
    }

    @Test("decimals with 18 fractional digits and the largest magnitudes read back equal, and PostgreSQL holds the same number")
    func decimalsRoundTripExactly() async throws {
        try await StoreTestDatabase.withMigrated { database in
            try await database.withStore { store in
                try await database.connect { sql in
                    let edges = [ExactDecimal.max, ExactDecimal.max.negated, try ExactDecimal("0.000000000000000001"),
                                 try ExactDecimal("-0.000000000000000001"), .zero, try ExactDecimal("123456789012345678.123456789012345678")]
                    var index = 0
                    for value in edges {
                        index += 1
                        try await Self.checkDecimal(value, index: index, store: store, sql: sql)
                    }
                    await propertyCheck(count: 200, input: Gen.int64(in: .min ... .max), Gen.uint64(in: .min ... .max)) { high, low in
                        let units = Int128(high) << 64 | Int128(low)
                        guard units != .min else { return }
                        index += 1
                        try await Self.checkDecimal(ExactDecimal(units: units), index: index, store: store, sql: sql)
                    }
                }
            }
        }
    }

    static func checkDecimal(_ value: ExactDecimal, index: Int, store: PostgresStore, sql: TestConnection) async throws {
        let batch = fixture { () throws(InputError) in try BackfillBatchID("decimals") }
        let record = BackfillAuditRecord(
            batchID: batch, rowNumber: index, profileID: fixture { () throws(InputError) in try ProfileID("p1") }, symbol: "BTC-USD",
            tradeID: fixture { () throws(InputError) in try TradeID("TRD-1") }, decision: .noGo, reason: .exchangeNotFlat,
            openQuantity: value, filledQuantity: value, price: nil, backfillOrderID: nil,
            exchangeOrderID: nil, exchangeClientOrderID: nil, filledAt: nil, createdAt: Timestamp(microsecondsSinceEpoch: 0))
        try await store.insertAuditRecords([record])
        #expect(try await store.auditRecords(batchID: batch).last == record)
        let equal = try await sql.values("""
            SELECT (open_qty = \(value.description)::numeric)::text FROM reconciliation_backfill_audit
            WHERE batch_id = 'decimals' AND row_number = \(Int64(index))
            """)
        #expect(equal == ["true"], "PostgreSQL holds another number than \(value)")
    }

    @Test("legacy status spellings are read as OrderStatus(parsing:) reads them, and status queries find them")
    func legacyStatusSpellings() async throws {
        let spellings = ["new", "PENDING", "Accepted", "open", "partially-filled", "PARTIALLY_FILLED", "partial", "Filled",
                         "canceled", "CANCELLED", "cancelled", "rejected", "EXPIRED", "Partial"]
        try await StoreTestDatabase.withMigrated { database in
            try await database.connect { sql in
                for (index, spelling) in spellings.enumerated() {
                    try await sql.query("""
                        INSERT INTO orders (order_id, profile_id, symbol, action, side, status, quantity, price, created_at, updated_at)
                        VALUES (\("legacy-\(index)"), 'p1', 'BTC-USD', 'EXIT', 'long', \(spelling), 1, 100, now(), now())
                        """)
                }
            }
            try await database.withStore { store in
                let profile = fixture { () throws(InputError) in try ProfileID("p1") }
                // The oracle: the core's parser, spelling by spelling.
                let expected = try spellings.map { try OrderStatus(parsing: $0) }
                let all = try await store.orders(matching: OrderQuery(profileID: profile))
                let byID = Dictionary(uniqueKeysWithValues: all.map { ($0.orderID.rawValue, $0.status) })
                for (index, status) in expected.enumerated() {
                    #expect(byID["legacy-\(index)"] == status, "spelling \(spellings[index])")
                }
                for status in OrderStatus.allCases {
                    let found = try await store.orders(matching: OrderQuery(profileID: profile, statuses: [status])).map(\.orderID.rawValue)
                    let wanted = expected.indices.filter { expected[$0] == status }.map { "legacy-\($0)" }
                    #expect(Set(found) == Set(wanted), "orders with status \(status.rawValue)")
                }
                let live = try await store.orders(matching: OrderQuery(profileID: profile, statuses: [.pending, .open, .partiallyFilled]))
                #expect(live.count == expected.filter(\.isLive).count)
            }
        }
    }

    // MARK: Rows that are not valid records

    struct BadRow: Sendable, CustomTestStringConvertible {
        let label: String
        /// The statement that plants the row (as the owner, bypassing the store).
        let plant: String
        /// The table and column the error must name, and the key.
        let table: String
        let column: String
        let key: String
        /// Text of the bad value, which the error must not repeat.
        let value: String
        let read: @Sendable (PostgresStore) async throws -> Void

        var testDescription: String { label }
    }

    static let orderColumns = "order_id, profile_id, symbol, trade_id, action, side, status, quantity, price, created_at, updated_at"

    static let badRows: [BadRow] = [
        BadRow(label: "unknown order status",
               plant: "INSERT INTO orders (\(orderColumns)) VALUES ('bad-1', 'p1', 'BTC-USD', NULL, 'EXIT', 'long', 'done-ish', 1, 100, now(), now())",
               table: "orders", column: "status", key: "order_id bad-1", value: "done-ish",
               read: { store in _ = try await store.order(fixture { () throws(InputError) in try OrderID("bad-1") }) }),
        BadRow(label: "19 fractional digits",
               plant: "INSERT INTO orders (\(orderColumns)) VALUES ('bad-2', 'p1', 'BTC-USD', NULL, 'EXIT', 'long', 'open', 1.0000000000000000001, 100, now(), now())",
               table: "orders", column: "quantity", key: "order_id bad-2", value: "1.0000000000000000001",
               read: { store in _ = try await store.orders(matching: OrderQuery(profileID: fixture { () throws(InputError) in try ProfileID("p1") })) }),
        BadRow(label: "price beyond ExactDecimal",
               plant: "INSERT INTO orders (\(orderColumns)) VALUES ('bad-3', 'p1', 'BTC-USD', NULL, 'EXIT', 'long', 'open', 1, 1e30, now(), now())",
               table: "orders", column: "price", key: "order_id bad-3", value: "1000000000000000000000000000000",
               read: { store in _ = try await store.order(fixture { () throws(InputError) in try OrderID("bad-3") }) }),
        BadRow(label: "infinite filled_at",
               plant: "INSERT INTO orders (\(orderColumns), filled_at) VALUES ('bad-4', 'p1', 'BTC-USD', NULL, 'EXIT', 'long', 'filled', 1, 100, now(), now(), 'infinity')",
               table: "orders", column: "filled_at", key: "order_id bad-4", value: "infinity",
               read: { store in _ = try await store.order(fixture { () throws(InputError) in try OrderID("bad-4") }) }),
        BadRow(label: "created_at after year 9999",
               plant: "INSERT INTO orders (\(orderColumns)) VALUES ('bad-5', 'p1', 'BTC-USD', NULL, 'EXIT', 'long', 'open', 1, 100, '12000-01-01', now())",
               table: "orders", column: "created_at", key: "order_id bad-5", value: "12000",
               read: { store in _ = try await store.order(fixture { () throws(InputError) in try OrderID("bad-5") }) }),
        BadRow(label: "filled above quantity in a legacy row",
               plant: "INSERT INTO orders (\(orderColumns), qty, filled_quantity) VALUES ('bad-6', 'p1', 'BTC-USD', NULL, 'EXIT', 'long', 'open', NULL, 100, now(), now(), 2, 3)",
               table: "orders", column: "filled_quantity", key: "order_id bad-6", value: "3",
               read: { store in _ = try await store.order(fixture { () throws(InputError) in try OrderID("bad-6") }) }),
        BadRow(label: "audit row without a row number (written by the runbook's SQL)",
               plant: "INSERT INTO reconciliation_backfill_audit (batch_id, profile_id, symbol, trade_id, decision, reason, open_qty) VALUES ('legacy', 'p1', 'BTC-USD', 'TRD-1', 'NO_GO', 'profile_not_paused', 1)",
               table: "reconciliation_backfill_audit", column: "row_number", key: "batch_id legacy", value: "profile_not_paused",
               read: { store in _ = try await store.auditRecords(batchID: fixture { () throws(InputError) in try BackfillBatchID("legacy") }) }),
        BadRow(label: "log entry with a malformed hash",
               plant: "INSERT INTO execution_logs (sequence, profile_id, order_id, action, reason, hash, entry_id) VALUES (1, 'p1', 'o1', 'FILLED', 'fill', 'not-a-hash', 'log-1')",
               table: "execution_logs", column: "hash", key: "entry_id log-1", value: "not-a-hash",
               read: { store in _ = try await store.executionLogEntry(fixture { () throws(InputError) in try ExecutionLogEntryID("log-1") }) }),
        BadRow(label: "ledger event that is not a LedgerEvent",
               plant: #"INSERT INTO ledger_events (sequence, operation_id, profile_id, kind, event) VALUES (1, 7, 'p1', 'allocate', '{"secret": "s3cr3t"}')"#,
               table: "ledger_events", column: "event", key: "sequence 1", value: "s3cr3t",
               read: { store in _ = try await store.ledgerEvents(after: 0, limit: 10) }),
        BadRow(label: "lease with an expiry out of range",
               plant: "INSERT INTO entry_locks (profile_id, symbol, owner_token, acquired_at, expires_at) VALUES ('p1', 'BTC-USD', 'owner-x', now(), 'infinity')",
               table: "entry_locks", column: "expires_at", key: "profile_id p1 symbol BTC-USD", value: "infinity",
               read: { store in _ = try await store.entryLock(profileID: fixture { () throws(InputError) in try ProfileID("p1") }, symbol: "BTC-USD") }),
    ]

    @Test("a row that is not a valid record is a typed error naming the table, column and key, without the value", arguments: badRows)
    func invalidRowsAreTypedErrors(_ bad: BadRow) async throws {
        try await StoreTestDatabase.withMigrated { database in
            try await database.connect { sql in try await sql.run(bad.plant) }
            try await database.withStore { store in
                let error = await #expect(throws: StoreError.self) { try await bad.read(store) }
                guard let error else { return }
                #expect(error.code == .unavailable)
                let underlying = try #require(error.underlying as? PostgresStoreError)
                #expect(underlying.code == .invalidRow)
                for text in [error.context, underlying.description] {
                    #expect(text.contains("table \(bad.table)"), "\(text)")
                    #expect(text.contains("column \(bad.column)"), "\(text)")
                    #expect(text.contains("row \(bad.key)"), "\(text)")
                }
                for text in [error.description, underlying.description, underlying.debugDescription] {
                    #expect(!text.contains(bad.value), "the error repeats the row's value: \(text)")
                }
                // The store goes on working.
                #expect(try await store.order(fixture { () throws(InputError) in try OrderID("absent") }) == nil)
            }
        }
    }
}

extension TestConnection {
    /// Runs a statement with bound parameters and returns its rows.
    @discardableResult
    func query(_ query: PostgresQuery) async throws -> [PostgresRow] {
        var rows: [PostgresRow] = []
        for try await row in try await connection.query(query, logger: PostgresTestEnvironment.quietLogger) {
            rows.append(row)
        }
        return rows
    }

    /// The first column of every row, as text (`nil` for NULL).
    func values(_ query: PostgresQuery) async throws -> [String?] {
        try await self.query(query).map { row in try row.makeRandomAccess()[0].decode(String?.self) }
    }
}
