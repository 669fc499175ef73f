import Foundation
import Testing
import TradeLifecyclePostgres

/// PostgreSQL's numeric text without trailing fractional zeros, so "2.00" and "2" compare equal.
private func canonical(_ text: String?) -> String? {
    guard var text, text.contains(".") else { return text }
    while text.hasSuffix("0") { text.removeLast() }
    if text.hasSuffix(".") { text.removeLast() }
    return text
}

private func substituted(_ sql: String, profile: String = "p1", batch: String = "b1") -> String {
    sql.replacing("<<PROFILE_ID>>", with: profile).replacing("<<BATCH_ID>>", with: batch)
}

private let referenceDirectory = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent()
    .appendingPathComponent("../../../shared/reference")
    .standardizedFileURL

@Suite("Reference runbook SQL copies")
struct ReferenceRunbookSQLCopyTests {
    @Test(
        "every embedded block appears verbatim in its reference document",
        .enabled(
            if: FileManager.default.fileExists(atPath: referenceDirectory.path),
            "the reference documents (shared/reference beside the repository) are not present"
        )
    )
    func blocksAreVerbatim() throws {
        let documents: [(String, [String])] = [
            (ReferenceRunbookSQL.IntegrityPlan.document, ReferenceRunbookSQL.IntegrityPlan.all),
            (ReferenceRunbookSQL.BackfillRunbook.document, ReferenceRunbookSQL.BackfillRunbook.all),
        ]
        for (document, blocks) in documents {
            let text = try String(contentsOf: referenceDirectory.appendingPathComponent(document), encoding: .utf8)
            for block in blocks {
                #expect(text.contains(block), "not found verbatim in \(document): \(block.prefix(60))")
            }
        }
    }
}

@Suite(
    "Reference runbook SQL runs unchanged on the migrated schema",
    .enabled(if: PostgresTestEnvironment.shouldRun, PostgresTestEnvironment.skipNotice)
)
struct ReferenceRunbookSQLTests {
    /// Orders of profile p1 (and one of p2, which no p1 query may count):
    /// - TRD-a1: ENTRY 1.5 filled, closed by the backfill EXIT BFILL-…a1 1.5 → closed;
    /// - TRD-a2: ENTRY with legacy `qty` 2 (quantity NULL), EXITs 0.5 `partially_filled` and
    ///   0.25 `partially-filled` → open 2 - 0.75 = 1.25;
    /// - TRD-b1: ENTRY still open (not filled) → not a lifecycle yet;
    /// - m1: a manual row without trade_id.
    static let seed = [
        "INSERT INTO trade_profiles (profile_id, paused) VALUES ('p1', true), ('p2', false)",
        """
        INSERT INTO orders (order_id, profile_id, symbol, trade_id, action, side, status, quantity, qty,
                            filled_quantity, price, exchange_order_id, client_order_id, filled_at, created_at) VALUES
          ('o1', 'p1', 'BTC-USD', 'TRD-a1', 'ENTRY', 'long', 'filled', 1.5, NULL, 1.5, 100, 'x1', 'ENT-1', '2026-02-15T09:00:00Z', '2026-02-15T09:00:00Z'),
          ('o2', 'p1', 'BTC-USD', 'TRD-a2', 'ENTRY', 'long', 'filled', NULL, 2, 0, 100, 'x2', NULL, '2026-02-15T09:30:00Z', '2026-02-15T09:30:00Z'),
          ('o3', 'p1', 'BTC-USD', 'TRD-a2', 'EXIT', 'long', 'partially_filled', 0.5, NULL, 0.25, 101, 'x3', NULL, '2026-02-15T10:00:00Z', '2026-02-15T10:00:00Z'),
          ('o5', 'p1', 'BTC-USD', 'TRD-a2', 'EXIT', 'long', 'partially-filled', 0.25, NULL, 0.25, 101, 'x5', NULL, '2026-02-15T10:05:00Z', '2026-02-15T10:05:00Z'),
          ('o4', 'p1', 'ETH-USD', 'TRD-b1', 'ENTRY', 'long', 'open', 3, NULL, 0, 10, 'x4', NULL, NULL, '2026-02-15T10:10:00Z'),
          ('m1', 'p1', 'BTC-USD', NULL, NULL, NULL, 'filled', 1, NULL, 1, 100, NULL, NULL, '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z'),
          ('BFILL-0000000000000000000000000000a1a1', 'p1', 'BTC-USD', 'TRD-a1', 'EXIT', 'long', 'filled', 1.5, NULL, 1.5, 101, 'x9', 'EXT-9', '2026-02-15T11:00:00Z', '2026-02-15T12:00:00Z'),
          ('q1', 'p2', 'BTC-USD', 'TRD-z1', 'ENTRY', 'short', 'filled', 7, NULL, 7, 100, 'y1', NULL, '2026-02-15T09:00:00Z', '2026-02-15T09:00:00Z')
        """,
        """
        INSERT INTO trade_history (profile_id, symbol, trade_id, side, quantity) VALUES
          ('p1', 'BTC-USD', 'TRD-a1', 'long', 1.5),
          ('p1', 'BTC-USD', NULL, NULL, 1)
        """,
        """
        INSERT INTO reconciliation_backfill_audit (batch_id, profile_id, symbol, trade_id, decision, reason, open_qty,
                                                   filled_qty, price, backfill_order_id, exchange_order_id,
                                                   exchange_client_order_id, filled_at, created_at) VALUES
          ('b0', 'p1', 'BTC-USD', 'TRD-a1', 'DRY_RUN', 'fill_evidence', 1.5, 1.5, 101, 'BFILL-0000000000000000000000000000a1a1', 'x9', 'EXT-9', '2026-02-15T11:00:00Z', '2026-02-15T11:30:00Z'),
          ('b1', 'p1', 'BTC-USD', 'TRD-a1', 'APPLIED', 'fill_evidence', 1.5, 1.5, 101, 'BFILL-0000000000000000000000000000a1a1', 'x9', 'EXT-9', '2026-02-15T11:00:00Z', '2026-02-15T12:00:00Z'),
          ('b1', 'p1', 'BTC-USD', 'TRD-a2', 'NO_GO', 'missing_fill_evidence_for_large_remainder', 1.25, 1.25, NULL, NULL, NULL, NULL, NULL, '2026-02-15T12:00:01Z')
        """,
    ]

    private func migratedAndSeeded(_ body: (TestConnection) async throws -> Void) async throws {
        try await TestDatabase.withFresh { database in
            _ = try await database.migrator().migrate()
            try await database.connect { connection in
                for statement in Self.seed {
                    try await connection.run(statement)
                }
                try await body(connection)
            }
        }
    }

    @Test("000: snapshot counts, index and constraint listings, VALIDATE, and the DROP rollback")
    func integrityPlan() async throws {
        typealias Plan = ReferenceRunbookSQL.IntegrityPlan
        try await migratedAndSeeded { connection in
            let orders = try await connection.rows(Plan.snapshotOrders)
            #expect(orders.map { $0["orders_total"] ?? nil } == ["8"])
            #expect(orders.map { $0["orders_missing_trade_id"] ?? nil } == ["1"])
            let history = try await connection.rows(Plan.snapshotTradeHistory)
            #expect(history.map { $0["history_total"] ?? nil } == ["2"])
            #expect(history.map { $0["history_missing_trade_id"] ?? nil } == ["1"])

            let indexes = try await connection.column("indexname", Plan.verifyIndexes).compactMap { $0 }
            #expect(!indexes.isEmpty)
            let indexTables = try await connection.column(
                "tablename",
                "SELECT DISTINCT tablename FROM pg_indexes WHERE indexname IN (\(indexes.map { "'\($0)'" }.joined(separator: ", "))) ORDER BY 1"
            )
            #expect(indexTables == ["orders", "trade_history"])

            let expectedConstraints: Set<String> = [
                "chk_orders_action_lifecycle", "chk_orders_trade_id_not_blank", "chk_orders_trade_id_format",
                "chk_trade_history_trade_id_not_blank", "chk_trade_history_trade_id_format",
            ]
            var constraints = try await connection.rows(Plan.verifyConstraints)
            #expect(Set(constraints.compactMap { $0["conname"] ?? nil }) == expectedConstraints)
            #expect(constraints.allSatisfy { $0["convalidated"] == "f" }, "added NOT VALID")

            for statement in Plan.validateConstraints {
                try await connection.run(statement)
            }
            constraints = try await connection.rows(Plan.verifyConstraints)
            #expect(constraints.count == 5)
            #expect(constraints.allSatisfy { $0["convalidated"] == "t" })

            for statement in Plan.dropConstraints {
                try await connection.run(statement)
            }
            #expect(try await connection.rows(Plan.verifyConstraints).isEmpty)
            // The rollback plan's IF EXISTS makes a second run harmless.
            for statement in Plan.dropConstraints {
                try await connection.run(statement)
            }
        }
    }

    @Test("000: VALIDATE fails on a legacy row that breaks a constraint added NOT VALID")
    func validateCatchesLegacyRows() async throws {
        try await TestDatabase.withFresh { database in
            // A row written before the constraints existed (migrations up to 0004).
            let beforeConstraints = PostgresMigration.tradeLifecycleSchema.filter { $0.version <= 4 }
            _ = try await database.migrator(beforeConstraints).migrate()
            try await database.connect { connection in
                try await connection.run("INSERT INTO orders (order_id, profile_id, symbol, trade_id, action, status) VALUES ('legacy', 'p1', 'BTC-USD', '   ', 'ENTRY', 'filled')")
            }
            _ = try await database.migrator().migrate()
            try await database.connect { connection in
                let validateNotBlank = ReferenceRunbookSQL.IntegrityPlan.validateConstraints[1]
                #expect(validateNotBlank.contains("chk_orders_trade_id_not_blank"))
                #expect(await connection.sqlStateOfFailure(validateNotBlank) == "23514")
                // New rows are checked already.
                #expect(await connection.sqlStateOfFailure(
                    "INSERT INTO orders (order_id, profile_id, symbol, trade_id, action, status) VALUES ('new', 'p1', 'BTC-USD', '   ', 'ENTRY', 'filled')"
                ) == "23514")
            }
        }
    }

    @Test("001: detection, audit review, apply validation, post-fix validation and status-only rollback")
    func backfillRunbook() async throws {
        typealias Runbook = ReferenceRunbookSQL.BackfillRunbook
        try await migratedAndSeeded { connection in
            let detected = try await connection.rows(substituted(Runbook.detectAffectedTradeIDs))
            #expect(detected.count == 1)
            #expect(detected.first?["trade_id"] == "TRD-a2")
            #expect(canonical(detected.first?["entry_qty"] ?? nil) == "2")
            #expect(canonical(detected.first?["exit_qty"] ?? nil) == "0.75")
            #expect(canonical(detected.first?["open_qty"] ?? nil) == "1.25")

            let audit = try await connection.rows(substituted(Runbook.reviewAudit))
            #expect(audit.map { $0["decision"] ?? nil } == ["NO_GO", "APPLIED", "DRY_RUN"], "newest first")

            #expect(try await connection.column("dry_run_backfill_rows", substituted(Runbook.countDryRunBackfillRows)) == ["1"])

            let inserted = try await connection.rows(substituted(Runbook.validateInsertedRows))
            #expect(inserted.count == 1)
            #expect(inserted.first?["order_id"] == "BFILL-0000000000000000000000000000a1a1")
            #expect(inserted.first?["action"] == "EXIT")
            #expect(inserted.first?["status"] == "filled")
            #expect(inserted.first?["qty"] == .some(nil), "the legacy column is NULL on new rows")

            // TRD-a2 is still open; once its remainder is backfilled, the validation comes clean.
            #expect(try await connection.column("trade_id", substituted(Runbook.postFixValidation)) == ["TRD-a2"])
            try await connection.run("""
                INSERT INTO orders (order_id, profile_id, symbol, trade_id, action, side, status, quantity, filled_quantity, price, filled_at, created_at)
                VALUES ('BFILL-0000000000000000000000000000a2a2', 'p1', 'BTC-USD', 'TRD-a2', 'EXIT', 'long', 'filled', 1.25, 1.25, 101, '2026-02-15T11:05:00Z', '2026-02-15T12:10:00Z')
                ON CONFLICT (order_id) DO NOTHING
                """)
            try await connection.run("""
                INSERT INTO reconciliation_backfill_audit (batch_id, profile_id, symbol, trade_id, decision, reason, open_qty, filled_qty, price, backfill_order_id, exchange_order_id, filled_at, created_at)
                VALUES ('b1', 'p1', 'BTC-USD', 'TRD-a2', 'APPLIED', 'dust_remainder', 1.25, 1.25, 101, 'BFILL-0000000000000000000000000000a2a2', 'DUST', '2026-02-15T11:05:00Z', '2026-02-15T12:10:00Z')
                """)
            #expect(try await connection.rows(substituted(Runbook.postFixValidation)).isEmpty)

            let decisions = try await connection.rows(substituted(Runbook.countDecisions))
            #expect(decisions.map { $0["decision"] ?? nil } == ["APPLIED", "DRY_RUN", "NO_GO"])
            #expect(decisions.map { $0["rows"] ?? nil } == ["2", "1", "1"])

            // Rollback of batch b1, twice: status only, audit marked, nothing deleted.
            for _ in 1...2 {
                try await connection.run(substituted(Runbook.rollbackOrders))
                try await connection.run(substituted(Runbook.recordRollbackMarker))
            }
            let statuses = try await connection.rows("SELECT order_id, status FROM orders WHERE order_id LIKE 'BFILL-%' ORDER BY order_id")
            #expect(statuses.map { $0["status"] ?? nil } == ["canceled", "canceled"])
            #expect(try await connection.column("n", "SELECT count(*) AS n FROM orders") == ["9"])
            let reverted = try await connection.rows("SELECT batch_id, reverted_at IS NOT NULL AS reverted FROM reconciliation_backfill_audit ORDER BY id")
            #expect(reverted.map { $0["batch_id"] ?? nil } == ["b0", "b1", "b1", "b1"])
            #expect(reverted.map { $0["reverted"] ?? nil } == ["f", "t", "t", "t"])
            // With the backfill rows cancelled, both lifecycles show open again.
            #expect(try await connection.column("trade_id", substituted(Runbook.detectAffectedTradeIDs)) == ["TRD-a1", "TRD-a2"])
        }
    }
}
