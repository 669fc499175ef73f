import Testing
import TradeLifecyclePostgres

@Suite(
    "Schema behaviour on a real server",
    .enabled(if: PostgresTestEnvironment.shouldRun, PostgresTestEnvironment.skipNotice)
)
struct SchemaBehaviourTests {
    private func withMigratedDatabase(_ body: (TestDatabase, TestConnection) async throws -> Void) async throws {
        try await TestDatabase.withFresh { database in
            _ = try await database.migrator().migrate()
            try await database.connect { connection in
                try await body(database, connection)
            }
        }
    }

    @Test("a non-owner tenant role sees and writes only its own profiles' rows")
    func rowLevelSecurityIsolatesTenants() async throws {
        try await withMigratedDatabase { database, owner in
            try await database.withRole { role, password in
                try await owner.run("SELECT trade_lifecycle_grant_tenant_role('\(role)')")
                try await owner.run("INSERT INTO tenant_profiles (role_name, profile_id) VALUES ('\(role)', 'p1'), ('someone_else', 'p2')")
                try await owner.run("INSERT INTO trade_profiles (profile_id) VALUES ('p1'), ('p2')")
                try await owner.run("""
                    INSERT INTO orders (order_id, profile_id, symbol, trade_id, action, side, status, quantity, price) VALUES
                      ('a', 'p1', 'BTC-USD', 'TRD-1', 'ENTRY', 'long', 'filled', 1, 100),
                      ('b', 'p2', 'BTC-USD', 'TRD-2', 'ENTRY', 'long', 'filled', 1, 100)
                    """)
                try await owner.run("""
                    INSERT INTO execution_logs (sequence, profile_id, order_id, action, hash) VALUES
                      (1, 'p1', 'a', 'SUBMITTED', 'h1'), (1, 'p2', 'b', 'SUBMITTED', 'h2')
                    """)

                var tenantSettings = database.settings
                tenantSettings.username = role
                tenantSettings.password = password
                try await TestConnection.with(tenantSettings) { tenant in
                    #expect(try await tenant.column("order_id", "SELECT order_id FROM orders ORDER BY 1") == ["a"])
                    #expect(try await tenant.column("profile_id", "SELECT profile_id FROM trade_profiles") == ["p1"])
                    #expect(try await tenant.column("profile_id", "SELECT profile_id FROM execution_logs") == ["p1"])
                    #expect(try await tenant.column("profile_id", "SELECT profile_id FROM tenant_profiles") == ["p1"])

                    // Writes into another profile are refused; updates cannot reach its rows.
                    #expect(await tenant.sqlStateOfFailure(
                        "INSERT INTO orders (order_id, profile_id, symbol, status) VALUES ('c', 'p2', 'BTC-USD', 'pending')"
                    ) == "42501")
                    #expect(await tenant.sqlStateOfFailure("UPDATE orders SET profile_id = 'p2' WHERE order_id = 'a'") == "42501")
                    try await tenant.run("UPDATE orders SET status = 'canceled' WHERE order_id = 'b'")
                    try await tenant.run("INSERT INTO orders (order_id, profile_id, symbol, status) VALUES ('c', 'p1', 'BTC-USD', 'pending')")
                    try await tenant.run("INSERT INTO execution_logs (sequence, profile_id, order_id, action, previous_hash, hash) VALUES (2, 'p1', 'a', 'FILLED', 'h1', 'h3')")

                    // Never deleted, never edited: no privilege, whatever the policies.
                    #expect(await tenant.sqlStateOfFailure("DELETE FROM orders WHERE order_id = 'a'") == "42501")
                    #expect(await tenant.sqlStateOfFailure("UPDATE execution_logs SET reason = 'x'") == "42501")
                    #expect(await tenant.sqlStateOfFailure("DELETE FROM execution_logs") == "42501")
                    #expect(await tenant.sqlStateOfFailure("UPDATE capital_ledger_events SET kind = 'x'") == "42501")
                    #expect(await tenant.sqlStateOfFailure("INSERT INTO tenant_profiles (role_name, profile_id) VALUES ('\(role)', 'p2')") == "42501")

                    // Lock tables and fencing tokens work for the tenant.
                    try await tenant.run("INSERT INTO entry_locks (profile_id, symbol, owner_token, acquired_at, expires_at) VALUES ('p1', 'BTC-USD', 'me', now(), now() + interval '30 seconds')")
                    #expect(await tenant.sqlStateOfFailure(
                        "INSERT INTO entry_locks (profile_id, symbol, owner_token, acquired_at, expires_at) VALUES ('p2', 'BTC-USD', 'me', now(), now() + interval '30 seconds')"
                    ) == "42501")
                    try await tenant.run("INSERT INTO reconciliation_backfill_audit (batch_id, profile_id, symbol, trade_id, decision, reason) VALUES ('b', 'p1', 'BTC-USD', 'TRD-1', 'NO_GO', 'profile_not_paused')")
                    try await tenant.run("INSERT INTO trade_history (profile_id, symbol, trade_id) VALUES ('p1', 'BTC-USD', 'TRD-1')")
                }
                #expect(try await owner.column("status", "SELECT status FROM orders WHERE order_id = 'b'") == ["filled"])
                #expect(try await owner.column("profile_id", "SELECT profile_id FROM orders WHERE order_id = 'a'") == ["p1"])
            }
        }
    }

    @Test("the grant helper refuses a role that row level security would not apply to")
    func grantHelperRefusesBypassingRoles() async throws {
        try await withMigratedDatabase { database, owner in
            // The role the tests connect as owns the tables and is a superuser.
            #expect(await owner.sqlStateOfFailure("SELECT trade_lifecycle_grant_tenant_role('\(database.settings.username)')") == "0LP01")
            #expect(await owner.sqlStateOfFailure("SELECT trade_lifecycle_grant_tenant_role('no_such_role_\(randomHex(6))')") == "42704")
        }
    }

    @Test("execution_logs and capital_ledger_events refuse UPDATE, DELETE and TRUNCATE even for the owner")
    func appendOnlyTablesAreImmutable() async throws {
        try await withMigratedDatabase { _, owner in
            try await owner.run("INSERT INTO execution_logs (sequence, profile_id, order_id, action, hash) VALUES (1, 'p1', 'o1', 'SUBMITTED', 'h1')")
            try await owner.run("INSERT INTO capital_ledger_events (profile_id, event_id, sequence, kind, amount) VALUES ('p1', 'e1', 1, 'allocate', 100)")
            for table in ["execution_logs", "capital_ledger_events"] {
                #expect(await owner.sqlStateOfFailure("UPDATE \(table) SET profile_id = 'p2'") == "42501")
                #expect(await owner.sqlStateOfFailure("DELETE FROM \(table)") == "42501")
                #expect(await owner.sqlStateOfFailure("TRUNCATE \(table)") == "42501")
                #expect(try await owner.column("n", "SELECT count(*) AS n FROM \(table) WHERE profile_id = 'p1'") == ["1"])
            }
            // The chain rule: only the first entry of a profile has no previous hash.
            #expect(await owner.sqlStateOfFailure("INSERT INTO execution_logs (sequence, profile_id, action, hash) VALUES (2, 'p1', 'FILLED', 'h2')") == "23514")
            #expect(await owner.sqlStateOfFailure("INSERT INTO execution_logs (sequence, profile_id, action, hash) VALUES (1, 'p1', 'FILLED', 'h2')") == "23505")
            #expect(await owner.sqlStateOfFailure("INSERT INTO capital_ledger_events (profile_id, event_id, sequence, kind) VALUES ('p1', 'e1', 2, 'allocate')") == "23505")
        }
    }

    @Test("fencing tokens come from non-cycling sequences and strictly increase")
    func fencingTokensNeverCycle() async throws {
        try await withMigratedDatabase { _, owner in
            let cycles = try await owner.column(
                "cycle",
                "SELECT cycle FROM pg_sequences WHERE sequencename IN ('entry_locks_fencing_token_seq', 'reconciliation_locks_fencing_token_seq')"
            )
            #expect(cycles == ["f", "f"])

            try await owner.run("INSERT INTO entry_locks (profile_id, symbol, owner_token, acquired_at, expires_at) VALUES ('p1', 'BTC-USD', 'a', now(), now() + interval '1 minute')")
            let first = try await owner.column("fencing_token", "SELECT fencing_token FROM entry_locks")
            try await owner.run("UPDATE entry_locks SET owner_token = 'b', fencing_token = nextval('entry_locks_fencing_token_seq')")
            let second = try await owner.column("fencing_token", "SELECT fencing_token FROM entry_locks")
            let firstToken = try #require(first.first.flatMap { $0 }.flatMap { Int64($0) })
            let secondToken = try #require(second.first.flatMap { $0 }.flatMap { Int64($0) })
            #expect(secondToken > firstToken)

            // At the end of the range nextval fails instead of wrapping to an old token.
            try await owner.run("SELECT setval('entry_locks_fencing_token_seq', 9223372036854775807)")
            #expect(await owner.sqlStateOfFailure("SELECT nextval('entry_locks_fencing_token_seq')") == "2200H")
        }
    }

    @Test("at most one live ENTRY per profile and symbol")
    func oneLiveEntryPerSymbol() async throws {
        try await withMigratedDatabase { _, owner in
            let insert = { (id: String, profile: String, symbol: String, action: String, status: String) in
                "INSERT INTO orders (order_id, profile_id, symbol, trade_id, action, side, status, quantity, price) VALUES ('\(id)', '\(profile)', '\(symbol)', 'TRD-\(id)', '\(action)', 'long', '\(status)', 1, 1)"
            }
            try await owner.run(insert("e1", "p1", "BTC-USD", "ENTRY", "pending"))
            for status in ["pending", "open", "partially_filled"] {
                #expect(await owner.sqlStateOfFailure(insert("e2", "p1", "BTC-USD", "ENTRY", status)) == "23505")
            }
            // Other symbols, other profiles, EXITs and finished ENTRYs are not limited.
            try await owner.run(insert("e3", "p1", "ETH-USD", "ENTRY", "open"))
            try await owner.run(insert("e4", "p2", "BTC-USD", "ENTRY", "open"))
            try await owner.run(insert("x1", "p1", "BTC-USD", "EXIT", "open"))
            try await owner.run(insert("e5", "p1", "BTC-USD", "ENTRY", "filled"))
            try await owner.run("UPDATE orders SET status = 'filled' WHERE order_id = 'e1'")
            try await owner.run(insert("e6", "p1", "BTC-USD", "ENTRY", "open"))
        }
    }

    struct BadRow: Sendable, CustomTestStringConvertible {
        var label: String
        var columns: String
        var values: String
        var testDescription: String { label }
    }

    @Test(arguments: [
        BadRow(label: "blank trade_id", columns: "trade_id, action", values: "'  ', 'ENTRY'"),
        BadRow(label: "malformed trade_id", columns: "trade_id, action", values: "'TRD-a:b', 'ENTRY'"),
        BadRow(label: "trade_id without TRD- prefix", columns: "trade_id, action", values: "'abc', 'ENTRY'"),
        BadRow(label: "trade_id of 125 characters", columns: "trade_id, action", values: "'TRD-' || repeat('a', 121), 'ENTRY'"),
        BadRow(label: "unknown action", columns: "trade_id, action", values: "'TRD-1', 'HOLD'"),
        BadRow(label: "trade_id without action", columns: "trade_id, action", values: "'TRD-1', NULL"),
        BadRow(label: "zero quantity", columns: "quantity", values: "0"),
        BadRow(label: "negative legacy qty", columns: "qty", values: "-1"),
        BadRow(label: "zero price", columns: "price", values: "0"),
        BadRow(label: "filled above quantity", columns: "quantity, filled_quantity", values: "1, 1.000000000000000001"),
        BadRow(label: "negative filled quantity", columns: "filled_quantity", values: "-0.1"),
        BadRow(label: "unknown side", columns: "side", values: "'banana'"),
    ])
    func ordersRejectBadRows(_ row: BadRow) async throws {
        try await withMigratedDatabase { _, owner in
            let sql = "INSERT INTO orders (order_id, profile_id, symbol, status, \(row.columns)) VALUES ('o', 'p1', 'BTC-USD', 'pending', \(row.values))"
            #expect(await owner.sqlStateOfFailure(sql) == "23514")
            // The same row with valid values is accepted, so the check and not the rest refused it.
            try await owner.run("INSERT INTO orders (order_id, profile_id, symbol, status, trade_id, action, side, quantity, qty, filled_quantity, price) VALUES ('ok', 'p1', 'BTC-USD', 'pending', 'TRD-' || repeat('a', 120), 'ENTRY', 'short', 1, 1, 1, 0.000000000000000001)")
        }
    }

    @Test("audit rows: known decisions and reasons, BFILL id on every row but NO_GO")
    func auditRowsAreChecked() async throws {
        try await withMigratedDatabase { _, owner in
            let insert = { (decision: String, reason: String, backfillID: String) in
                "INSERT INTO reconciliation_backfill_audit (batch_id, profile_id, symbol, trade_id, decision, reason, backfill_order_id) VALUES ('b', 'p1', 'BTC-USD', 'TRD-1', '\(decision)', '\(reason)', \(backfillID))"
            }
            try await owner.run(insert("NO_GO", "exchange_not_flat", "NULL"))
            try await owner.run(insert("DRY_RUN", "fill_evidence", "'BFILL-abc'"))
            #expect(await owner.sqlStateOfFailure(insert("MAYBE", "fill_evidence", "'BFILL-abc'")) == "23514")
            #expect(await owner.sqlStateOfFailure(insert("APPLIED", "because", "'BFILL-abc'")) == "23514")
            #expect(await owner.sqlStateOfFailure(insert("APPLIED", "fill_evidence", "NULL")) == "23514")
            #expect(await owner.sqlStateOfFailure(insert("APPLIED", "fill_evidence", "'o-1'")) == "23514")
            #expect(await owner.sqlStateOfFailure(insert("NO_GO", "exchange_not_flat", "'BFILL-abc'")) == "23514")
        }
    }
}
