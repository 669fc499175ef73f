import Foundation
import Testing
import TradeLifecycle
@testable import TradeLifecycleCLI

/// p1 (paused): TRD-a1 BTC-USD ENTRY 1.5 (the SPEC example), TRD-b1 ETH-USD ENTRY 2 with no
/// evidence (NO_GO). p2 is not paused.
let backfillSeed = [
    "INSERT INTO trade_profiles (profile_id, paused) VALUES ('p1', true), ('p2', false)",
    """
    INSERT INTO orders (order_id, profile_id, symbol, trade_id, action, side, status, quantity, filled_quantity, price, exchange_order_id, filled_at) VALUES
      ('o1', 'p1', 'BTC-USD', 'TRD-a1', 'ENTRY', 'long', 'filled', 1.5, 1.5, 100, 'x1', '2026-02-15T10:00:00Z'),
      ('o2', 'p1', 'ETH-USD', 'TRD-b1', 'ENTRY', 'long', 'filled', 2, 2, 10, 'x2', '2026-02-15T10:00:00Z'),
      ('q1', 'p2', 'BTC-USD', 'TRD-q1', 'ENTRY', 'long', 'filled', 1, 1, 100, 'y1', '2026-02-15T10:00:00Z')
    """,
]

/// The exchange snapshot: flat BTC-USD, the SPEC example's fill for p1 and one for p2.
let exchangeFile = """
    { "positions": [ { "profileId": "p1", "symbol": "BTC-USD", "quantity": "0" } ],
      "fills": [ { "profileId": "p1", "symbol": "BTC-USD", "side": "sell", "exchangeOrderId": "x9", "clientOrderId": null,
                   "quantity": "1.5", "price": "101", "filledAt": "2026-02-15T11:00:00.000Z" },
                 { "profileId": "p2", "symbol": "BTC-USD", "side": "sell", "exchangeOrderId": "y9", "clientOrderId": null,
                   "quantity": "1", "price": "101", "filledAt": "2026-02-15T11:00:00.000Z" } ],
      "openOrders": [ { "profileId": "p1", "symbol": "SOL-USD", "side": "buy", "exchangeOrderId": "z1", "clientOrderId": "ENT-1",
                        "status": "open", "quantity": "1", "filledQuantity": null, "price": "20" } ] }
    """

private let enabled = ["ENABLE_RECON_EXIT_BACKFILL": "true"]
private let applying = ["ENABLE_RECON_EXIT_BACKFILL": "true", "RECON_EXIT_BACKFILL_DRY_RUN": "false"]

/// The SPEC section 9 keys, in order.
private let rowKeys = ["profileId", "symbol", "tradeId", "decision", "reason", "openQty", "filledQty", "price", "backfillOrderId",
                       "exchangeOrderId", "exchangeClientOrderId", "filledAt"]

extension DatabaseCLITests {
    @Suite(
        "trade-lifecycle backfill commands on PostgreSQL",
        .enabled(if: DatabaseTestEnvironment.shouldRun, DatabaseTestEnvironment.skipNotice)
    )
    struct DatabaseBackfillCommandTests {
        private func withDatabase(_ body: (CLITestDatabase, String) async throws -> Void) async throws {
            let file = try temporaryFile(exchangeFile)
            defer { try? FileManager.default.removeItem(at: file) }
            try await CLITestDatabase.withMigrated(seed: backfillSeed) { database in
                try await body(database, file.path)
            }
        }

        private func rowCounts(_ database: CLITestDatabase) async throws -> [String?] {
            try await database.column("n", "SELECT (SELECT count(*) FROM orders)::text || '/' || (SELECT count(*) FROM reconciliation_backfill_audit)::text AS n")
        }

        @Test("backfill plan: SPEC section 9 JSON, keys in order, the BFILL id PostgreSQL computes; nothing written")
        func plan() async throws {
            try await withDatabase { database, file in
                let result = await database.cli(["backfill", "plan", "--profile", "p1", "--exchange", file, "--json"], environment: enabled)
                #expect(result.status == 0, "\(result.standardError)")
                let object = try jsonObject(result.standardOutput)
                #expect((object["batchId"] as? String)?.hasPrefix("bf-") == true)
                let rows = object["rows"] as? [[String: Any]] ?? []
                #expect(rows.map { $0["decision"] as? String } == ["DRY_RUN", "NO_GO"])
                #expect(rows.map { $0["tradeId"] as? String } == ["TRD-a1", "TRD-b1"])
                let expectedID = try await database.column("id", """
                    SELECT 'BFILL-' || md5('p1' || ':' || 'TRD-a1' || ':' || 'x9' || ':' ||
                        to_char(timestamptz '2026-02-15T11:00:00Z' AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')) AS id
                    """).first ?? nil
                #expect(rows.first?["backfillOrderId"] as? String == expectedID)
                #expect(rows.last?["reason"] as? String == "missing_fill_evidence_for_large_remainder")
                // Keys in the documented order, each row on one line.
                for line in result.standardOutput.split(separator: "\n") where line.contains("\"profileId\"") {
                    let positions = rowKeys.map { line.range(of: "\"\($0)\":")?.lowerBound }
                    #expect(positions.allSatisfy { $0 != nil })
                    #expect(positions.compactMap { $0 } == positions.compactMap { $0 }.sorted())
                }
                #expect(try await rowCounts(database) == ["3/0"])
                // --now moves the evidence window: 80 hours later the fill is out of it.
                let later = await database.cli(["backfill", "plan", "--profile", "p1", "--exchange", file, "--json", "--now", "2026-02-18T20:00:00Z"],
                                               environment: enabled)
                #expect((try jsonObject(later.standardOutput)["rows"] as? [[String: Any]])?.map { $0["decision"] as? String } == ["NO_GO", "NO_GO"])
            }
        }

        @Test("backfill apply without --apply previews and writes nothing, saying what would be refused")
        func preview() async throws {
            try await withDatabase { database, file in
                let result = await database.cli(["backfill", "apply", "--profile", "p1", "--exchange", file], environment: applying)
                #expect(result.status == 0)
                #expect(result.standardOutput.contains("PENDING_APPLY"))
                #expect(result.standardError.contains("--apply would be refused: the plan has 1 NO_GO row(s)"))
                let notPaused = await database.cli(["backfill", "apply", "--profile", "p2", "--exchange", file], environment: enabled)
                #expect(notPaused.status == 0)
                #expect(notPaused.standardError.contains("not paused"))
                let written = try await rowCounts(database)
                #expect(written == ["3/0"])
            }
        }

        @Test("backfill apply is refused (exit code 3), writing nothing, for a profile that is not paused or unknown")
        func refusedWhenNotPaused() async throws {
            try await withDatabase { database, file in
                for profile in ["p2", "p9"] {
                    let result = await database.cli(["backfill", "apply", "--profile", profile, "--exchange", file, "--apply"], environment: applying)
                    #expect(result.status == 3)
                    #expect(result.standardError.contains(profile == "p2" ? "not paused" : "unknown"))
                }
                // Without the pause requirement the gate is open (and the engine writes its rows).
                var noPause = applying
                noPause["RECON_EXIT_BACKFILL_REQUIRE_PAUSE"] = "false"
                let result = await database.cli(["backfill", "apply", "--profile", "p2", "--exchange", file, "--apply"], environment: noPause)
                #expect(result.status == 0, "\(result.standardError)")
                let written = try await rowCounts(database)
                #expect(written == ["4/1"])
            }
        }

        @Test("backfill apply with NO_GO rows is refused for an apply; with --allow-no-go it inserts and audits, as the runbook's SQL reads back")
        func apply() async throws {
            try await withDatabase { database, file in
                let refused = await database.cli(["backfill", "apply", "--profile", "p1", "--exchange", file, "--apply"], environment: applying)
                #expect(refused.status == 3)
                #expect(refused.standardError.contains("TRD-b1: missing_fill_evidence_for_large_remainder"))
                #expect(try await rowCounts(database) == ["3/0"])

                // The runbook's dry run (step 5): audit rows only.
                let dryRun = await database.cli(["backfill", "apply", "--profile", "p1", "--exchange", file, "--apply", "--json"], environment: enabled)
                #expect(dryRun.status == 0, "\(dryRun.standardError)")
                let dryRows = try jsonObject(dryRun.standardOutput)["rows"] as? [[String: Any]] ?? []
                #expect(dryRows.map { $0["decision"] as? String } == ["DRY_RUN", "NO_GO"])
                #expect(try await rowCounts(database) == ["3/2"])

                // The apply (step 7), NO_GO reviewed.
                let applied = await database.cli(["backfill", "apply", "--profile", "p1", "--exchange", file, "--apply", "--allow-no-go", "--json"],
                                                 environment: applying)
                #expect(applied.status == 0, "\(applied.standardError)")
                let object = try jsonObject(applied.standardOutput)
                let batch = try #require(object["batchId"] as? String)
                let rows = object["rows"] as? [[String: Any]] ?? []
                #expect(rows.map { $0["decision"] as? String } == ["APPLIED", "NO_GO"])
                let audit = try await database.sql("SELECT trade_id, decision, reason, filled_qty::text AS q, backfill_order_id FROM reconciliation_backfill_audit WHERE batch_id = \(literal(batch)) ORDER BY trade_id")
                #expect(audit.map { $0["decision"] ?? nil } == rows.map { $0["decision"] as? String })
                #expect(audit.map { canonicalNumeric($0["q"] ?? nil) } == rows.map { $0["filledQty"] as? String })
                #expect(audit.map { $0["backfill_order_id"] ?? nil } == rows.map { $0["backfillOrderId"] as? String })
                let inserted = try await database.sql("SELECT order_id, action, status, quantity::text AS q FROM orders WHERE order_id LIKE 'BFILL-%'")
                #expect(inserted.map { $0["order_id"] ?? nil } == [rows.first?["backfillOrderId"] as? String])
                #expect(inserted.first?["status"] == "filled")
                #expect(canonicalNumeric(inserted.first?["q"] ?? nil) == "1.5")

                // Rollback: a preview, then --apply, then again (nothing left), then an unknown batch.
                let rollbackPreview = await database.cli(["backfill", "rollback", "--batch", batch])
                #expect(rollbackPreview.status == 0)
                #expect(rollbackPreview.standardOutput.contains("APPLIED   filled"))
                #expect(try await database.column("status", "SELECT status FROM orders WHERE order_id LIKE 'BFILL-%'") == ["filled"])
                let rolledBack = await database.cli(["backfill", "rollback", "--batch", batch, "--apply", "--json"])
                #expect(rolledBack.status == 0)
                let counts = try jsonObject(rolledBack.standardOutput)
                #expect(counts["cancelledOrders"] as? Int == 1)
                #expect(counts["revertedRows"] as? Int == 2)
                #expect(try await database.column("status", "SELECT status FROM orders WHERE order_id LIKE 'BFILL-%'") == ["canceled"])
                let again = await database.cli(["backfill", "rollback", "--batch", batch, "--apply", "--json"])
                #expect(try jsonObject(again.standardOutput)["cancelledOrders"] as? Int == 0)
                #expect(try jsonObject(again.standardOutput)["alreadyCancelledOrders"] as? Int == 1)
                let unknown = await database.cli(["backfill", "rollback", "--batch", "bf-none"])
                #expect(unknown.status == 2)
                #expect(unknown.standardError.contains("bf-none"))
            }
        }
    }
}
