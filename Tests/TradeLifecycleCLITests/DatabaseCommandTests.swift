import Foundation
import Testing
import TradeLifecycle
@testable import TradeLifecycleCLI
import TradeLifecyclePostgres

/// Rows of a database that predates the lifecycle constraints: p1 has legacy rows without trade
/// id (L1: ENTRY E1 1 at 09:00, EXIT X1 1 at 10:00; an orphan EXIT X0 at 08:00), an open
/// trade TRD-o, a trade_history row of a trade with no ENTRY (TRD-h).
let legacySeed = [
    """
    INSERT INTO orders (order_id, profile_id, symbol, trade_id, action, side, status, quantity, filled_quantity, price, filled_at) VALUES
      ('X0', 'p1', 'BTC-USD', NULL, 'EXIT', 'long', 'filled', 0.5, 0.5, 101, '2026-02-15T08:00:00Z'),
      ('E1', 'p1', 'BTC-USD', NULL, 'ENTRY', 'long', 'filled', 1, 1, 100, '2026-02-15T09:00:00Z'),
      ('X1', 'p1', 'BTC-USD', NULL, 'EXIT', 'long', 'filled', 1, 1, 101, '2026-02-15T10:00:00Z'),
      ('O1', 'p1', 'ETH-USD', 'TRD-o', 'ENTRY', 'long', 'filled', 2.50, 2.50, 10, '2026-02-15T09:00:00Z')
    """,
    "INSERT INTO trade_history (profile_id, symbol, trade_id) VALUES ('p1', 'BTC-USD', 'TRD-h'), ('p1', 'BTC-USD', NULL)",
]

extension DatabaseCLITests {
    @Suite(
        "trade-lifecycle database commands on PostgreSQL",
        .enabled(if: DatabaseTestEnvironment.shouldRun, DatabaseTestEnvironment.skipNotice)
    )
    struct DatabaseCommandTests {
        @Test("migrate --dry-run prints exactly the migrator's SQL and sends none of it; migrate applies and reads back; again is a no-op")
        func migrate() async throws {
            try await CLITestDatabase.withFresh { database in
                let dryRun = await database.cli(["migrate", "--dry-run"])
                #expect(dryRun.status == 0)
                let script = try await PostgresMigrator(settings: database.settings, logger: DatabaseTestEnvironment.quietLogger).dryRun()
                #expect(dryRun.standardOutput == script.sql)
                #expect(script.steps.count == PostgresMigration.tradeLifecycleSchema.count)
                #expect(try await database.column("t", "SELECT to_regclass('orders')::text AS t") == [nil], "a dry run creates nothing")

                let applied = await database.cli(["migrate", "--json"])
                #expect(applied.status == 0)
                let object = try jsonObject(applied.standardOutput)
                let names = (object["applied"] as? [[String: Any]])?.compactMap { $0["name"] as? String }
                #expect(names == PostgresMigration.tradeLifecycleSchema.map(\.name))
                let recorded = try await database.column("name", "SELECT name FROM schema_migrations ORDER BY version")
                #expect(recorded == PostgresMigration.tradeLifecycleSchema.map(\.name))

                let again = await database.cli(["migrate"])
                #expect(again.status == 0)
                #expect(again.standardOutput.contains("up to date"))
                let nothingPending = await database.cli(["migrate", "--dry-run", "--json"])
                #expect(try jsonObject(nothingPending.standardOutput)["pending"] as? [String] == [])
            }
        }

        @Test("snapshot: the reference counts, as a table and as JSON")
        func snapshot() async throws {
            try await CLITestDatabase.withMigrated(seed: legacySeed) { database in
                let json = await database.cli(["snapshot", "--json"])
                #expect(json.status == 0)
                let object = try jsonObject(json.standardOutput)
                let orders = try await database.sql("SELECT count(*) AS total, count(*) FILTER (WHERE trade_id IS NULL) AS missing FROM orders")
                #expect(object["orders_total"] as? Int == Int(orders[0]["total"]!!))
                #expect(object["orders_missing_trade_id"] as? Int == 3)
                #expect(object["history_total"] as? Int == 2)
                #expect(object["history_missing_trade_id"] as? Int == 1)
                let table = await database.cli(["snapshot"])
                #expect(table.standardOutput.split(separator: "\n").last?.split(separator: " ").map(String.init) == ["4", "3", "2", "1"])
            }
        }

        @Test("trade-ids backfill: a dry run writes nothing, --apply fills the NULLs with PostgreSQL's md5 of the legacy key")
        func tradeIDs() async throws {
            try await CLITestDatabase.withMigrated(seed: legacySeed) { database in
                let expected = try await database.column("id", "SELECT 'TRD-' || md5('p1:BTC-USD:legacy:E1') AS id").first ?? nil
                let dryRun = await database.cli(["trade-ids", "backfill", "--json"])
                #expect(dryRun.status == 0)
                #expect(dryRun.standardError.contains("dry run"))
                let plan = try jsonObject(dryRun.standardOutput)
                let assignments = plan["assignments"] as? [[String: Any]] ?? []
                #expect(assignments.compactMap { $0["orderId"] as? String } == ["E1", "X1"])
                #expect(Set(assignments.compactMap { $0["tradeId"] as? String }) == [expected])
                #expect(plan["orphanExits"] as? [String] == ["X0"])
                #expect(try await database.column("n", "SELECT count(*) AS n FROM orders WHERE trade_id IS NULL") == ["3"])

                let applied = await database.cli(["trade-ids", "backfill", "--apply"])
                #expect(applied.status == 0)
                #expect(applied.standardOutput.contains("updated 2 row(s); 2 read back"))
                let rows = try await database.sql("SELECT order_id, trade_id FROM orders WHERE order_id IN ('E1', 'X1', 'X0', 'O1') ORDER BY order_id")
                #expect(rows.map { $0["trade_id"] ?? nil } == [expected, "TRD-o", nil, expected])
            }
        }

        @Test("trade-ids backfill --apply is refused (exit code 3) on a blank trade id, and writes nothing")
        func tradeIDsRefused() async throws {
            let seed = legacySeed + ["INSERT INTO orders (order_id, profile_id, symbol, trade_id, action, status, quantity, filled_at) VALUES ('B1', 'p1', 'SOL-USD', ' ', 'ENTRY', 'filled', 1, '2026-02-15T09:00:00Z')"]
            try await CLITestDatabase.withMigrated(seed: seed) { database in
                let result = await database.cli(["trade-ids", "backfill", "--apply"])
                #expect(result.status == 3)
                #expect(result.standardError.contains("B1"))
                let stillNull = try await database.column("n", "SELECT count(*) AS n FROM orders WHERE trade_id IS NULL")
                #expect(stillNull == ["3"])
            }
        }

        @Test("report --profile: open lifecycles and anomalies of the core's analysis")
        func report() async throws {
            try await CLITestDatabase.withMigrated(seed: legacySeed) { database in
                let result = await database.cli(["report", "--profile", "p1", "--json"])
                #expect(result.status == 0)
                let object = try jsonObject(result.standardOutput)
                let open = object["openLifecycles"] as? [[String: Any]] ?? []
                #expect(open.compactMap { $0["tradeId"] as? String } == ["TRD-o"])
                #expect(open.first?["openQty"] as? String == "2.5")
                let anomalies = object["anomalies"] as? [[String: Any]] ?? []
                #expect(Set(anomalies.compactMap { $0["kind"] as? String }) == ["missing_entry_order", "missing_trade_id"])
                let missing = anomalies.filter { $0["kind"] as? String == "missing_trade_id" }.compactMap { $0["orderId"] as? String }.sorted()
                #expect(missing == ["E1", "X0", "X1"])
                let table = await database.cli(["report", "--profile", "p1"])
                #expect(table.standardOutput.hasPrefix("profile p1: 4 orders, 1 lifecycles, 1 open, 4 anomalies"))
            }
        }

        @Test("constraints: list, validate refused on anomalies (3), validate and roll back once clean")
        func constraints() async throws {
            try await CLITestDatabase.withMigrated(seed: legacySeed) { database in
                let list = await database.cli(["constraints", "list", "--json"])
                let listing = try jsonObject(list.standardOutput)
                let reference = listing["referenceConstraints"] as? [[String: Any]] ?? []
                #expect(reference.count == 5)
                #expect(reference.allSatisfy { $0["convalidated"] as? Bool == false })

                let preview = await database.cli(["constraints", "validate"])
                #expect(preview.status == 0)
                #expect(preview.standardOutput.hasPrefix(ReferenceStatements.validateFirst))
                #expect(preview.standardError.contains("would be refused"))

                let refused = await database.cli(["constraints", "validate", "--apply"])
                #expect(refused.status == 3)
                #expect(refused.standardOutput.contains("missing_entry_order"))
                #expect(try await database.column("v", "SELECT bool_or(convalidated)::text AS v FROM pg_constraint WHERE conname LIKE 'chk_orders_%' OR conname LIKE 'chk_trade_history_%'") == ["false"])

                // Resolve: fill the legacy trade ids, remove the orphan EXIT and the dangling history row.
                #expect(await database.cli(["trade-ids", "backfill", "--apply"]).status == 0)
                try await database.sql("DELETE FROM orders WHERE order_id = 'X0'")
                try await database.sql("DELETE FROM trade_history WHERE trade_id = 'TRD-h'")
                // The legacy trade ids are TRD- ids of the format; the rows are valid.
                let validated = await database.cli(["constraints", "validate", "--apply", "--json"])
                #expect(validated.status == 0, "\(validated.standardError)")
                let outcomes = try jsonObject(validated.standardOutput)["validations"] as? [[String: Any]] ?? []
                #expect(outcomes.count == 12)
                #expect(outcomes.allSatisfy { $0["validated"] as? Bool == true })
                #expect(outcomes.prefix(5).compactMap { $0["statement"] as? String } == ReferenceStatements.validate)

                let rollbackPreview = await database.cli(["constraints", "rollback"])
                #expect(rollbackPreview.standardOutput == ReferenceStatements.drop.joined(separator: "\n") + "\n")
                #expect(try await database.column("n", "SELECT count(*) AS n FROM pg_constraint WHERE conname = 'chk_orders_action_lifecycle'") == ["1"])
                let rolledBack = await database.cli(["constraints", "rollback", "--apply", "--json"])
                #expect(rolledBack.status == 0)
                #expect((try jsonObject(rolledBack.standardOutput)["referenceConstraints"] as? [Any])?.isEmpty == true)
                #expect(try await database.column("n", "SELECT count(*) AS n FROM pg_constraint WHERE conname = 'chk_orders_action_lifecycle'") == ["0"])
            }
        }

        @Test("validate --apply reports a constraint the data breaks with exit code 1; the others are validated")
        func validateFailure() async throws {
            let seed = ["INSERT INTO orders (order_id, profile_id, symbol, trade_id, action, side, status, quantity, filled_at) VALUES ('e1', 'p1', 'BTC-USD', 'TRD-a', 'ENTRY', 'LONG', 'filled', 1, '2026-02-15T09:00:00Z')"]
            try await CLITestDatabase.withMigrated(seed: seed) { database in
                let result = await database.cli(["constraints", "validate", "--apply"])
                #expect(result.status == 1)
                #expect(result.standardError.contains("chk_orders_side (SQLSTATE 23514)"))
                #expect(result.standardOutput.contains("chk_orders_action_lifecycle"))
            }
        }
    }
}

/// The statements of reference 000, as the document prints them.
enum ReferenceStatements {
    static let validate = [
        "ALTER TABLE orders VALIDATE CONSTRAINT chk_orders_action_lifecycle;",
        "ALTER TABLE orders VALIDATE CONSTRAINT chk_orders_trade_id_not_blank;",
        "ALTER TABLE orders VALIDATE CONSTRAINT chk_orders_trade_id_format;",
        "ALTER TABLE trade_history VALIDATE CONSTRAINT chk_trade_history_trade_id_not_blank;",
        "ALTER TABLE trade_history VALIDATE CONSTRAINT chk_trade_history_trade_id_format;",
    ]
    static let validateFirst = validate[0]
    static let drop = [
        "ALTER TABLE orders DROP CONSTRAINT IF EXISTS chk_orders_action_lifecycle;",
        "ALTER TABLE orders DROP CONSTRAINT IF EXISTS chk_orders_trade_id_not_blank;",
        "ALTER TABLE orders DROP CONSTRAINT IF EXISTS chk_orders_trade_id_format;",
        "ALTER TABLE trade_history DROP CONSTRAINT IF EXISTS chk_trade_history_trade_id_not_blank;",
        "ALTER TABLE trade_history DROP CONSTRAINT IF EXISTS chk_trade_history_trade_id_format;",
    ]
}
