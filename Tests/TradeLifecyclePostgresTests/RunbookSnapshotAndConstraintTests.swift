import Testing
import TradeLifecycle
@testable import TradeLifecyclePostgres

@Suite("Runbook: the reference SQL it sends")
struct RunbookSQLCopyTests {
    @Test("the runbook's copies of the reference statements equal the verbatim copies checked against the document")
    func statementsAreTheReferenceOnes() {
        typealias Plan = ReferenceRunbookSQL.IntegrityPlan
        #expect(RunbookSQL.snapshotOrders == Plan.snapshotOrders)
        #expect(RunbookSQL.snapshotTradeHistory == Plan.snapshotTradeHistory)
        #expect(RunbookSQL.listIndexes == Plan.verifyIndexes)
        #expect(RunbookSQL.listConstraints == Plan.verifyConstraints)
        #expect(RunbookSQL.validateConstraints == Plan.validateConstraints)
        #expect(RunbookSQL.dropConstraints == Plan.dropConstraints)
    }

    @Test("the additional constraints are exactly the other NOT VALID ones of migration 0005")
    func additionalConstraintsMatchTheMigration() throws {
        let migration = try #require(PostgresMigration.tradeLifecycleSchema.first { $0.version == 5 })
        let added = migration.upSQL.split(separator: "\n")
            .filter { $0.hasPrefix("ALTER TABLE ") && $0.contains(" ADD CONSTRAINT ") }
            .map { line -> String in
                let words = line.split(separator: " ")
                return "\(words[2]) \(words[5])"
            }
        let reference = ["orders chk_orders_action_lifecycle", "orders chk_orders_trade_id_not_blank", "orders chk_orders_trade_id_format",
                         "trade_history chk_trade_history_trade_id_not_blank", "trade_history chk_trade_history_trade_id_format"]
        #expect(added == reference + RunbookSQL.additionalConstraints.map { "\($0.table) \($0.name)" })
    }
}

extension RunbookPostgresTests {
    @Suite(
        "Runbook: snapshot and constraints on PostgreSQL",
        .enabled(if: PostgresTestEnvironment.shouldRun, PostgresTestEnvironment.skipNotice)
    )
    struct RunbookSnapshotAndConstraintTests {
        @Test("snapshot counts every row, NULL and blank trade ids as missing")
        func snapshotCounts() async throws {
            let rows = [
                OrderRowText(orderID: "o1", tradeID: "TRD-a", action: "ENTRY"),
                OrderRowText(orderID: "o2", tradeID: nil, action: nil),
                OrderRowText(orderID: "o3", profileID: "p2", tradeID: "  ", action: nil),
                OrderRowText(orderID: "o4", profileID: "p2", tradeID: "", action: nil),
                OrderRowText(orderID: "o5", tradeID: "TRD-b", action: "EXIT", status: "canceled"),
            ]
            try await TestDatabase.withMigrated(seed: [
                try #require(OrderRowText.insert(rows)),
                "INSERT INTO trade_history (profile_id, symbol, trade_id) VALUES ('p1', 'BTC-USD', 'TRD-a'), ('p1', 'BTC-USD', NULL), ('p2', 'ETH-USD', ' ')",
            ]) { database in
                let snapshot = try await database.runbook.snapshot()
                #expect(snapshot == RunbookSnapshot(ordersTotal: 5, ordersMissingTradeID: 3, historyTotal: 3, historyMissingTradeID: 2))
            }
        }

        @Test("snapshot of an empty database is all zeros")
        func emptySnapshot() async throws {
            try await TestDatabase.withMigrated { database in
                let snapshot = try await database.runbook.snapshot()
                #expect(snapshot == RunbookSnapshot(ordersTotal: 0, ordersMissingTradeID: 0, historyTotal: 0, historyMissingTradeID: 0))
            }
        }

        @Test("a database that is not migrated is a query failure naming the SQLSTATE")
        func unmigratedDatabase() async throws {
            try await TestDatabase.withFresh { database in
                let error = await #expect(throws: PostgresRunbookError.self) { try await database.runbook.snapshot() }
                #expect(error?.code == .queryFailed)
                #expect(error?.sqlState == "42P01")
            }
        }

        @Test("an unreachable server is a connection failure")
        func unreachableServer() async throws {
            var settings = try PostgresTestEnvironment.adminSettings()
            settings.port = 1
            let error = await #expect(throws: PostgresRunbookError.self) {
                try await PostgresRunbook(settings: settings, logger: PostgresTestEnvironment.quietLogger).snapshot()
            }
            #expect(error?.code == .connectionFailed)
        }

        static let referenceNames = ["chk_orders_action_lifecycle", "chk_orders_trade_id_format", "chk_orders_trade_id_not_blank",
                                     "chk_trade_history_trade_id_format", "chk_trade_history_trade_id_not_blank"]
        static let additionalNames = ["chk_orders_filled_quantity_not_negative", "chk_orders_filled_quantity_within_quantity",
                                      "chk_orders_price_positive", "chk_orders_qty_positive", "chk_orders_quantity_positive",
                                      "chk_orders_side", "chk_trade_history_side"]

        @Test("listing after migration: every constraint NOT VALID, the trade id indexes of both tables")
        func listingAfterMigration() async throws {
            try await TestDatabase.withMigrated { database in
                let listing = try await database.runbook.listConstraints()
                #expect(listing.referenceConstraints == Self.referenceNames.map { RunbookConstraintState(name: $0, isValidated: false) })
                #expect(listing.additionalConstraints == Self.additionalNames.map { RunbookConstraintState(name: $0, isValidated: false) })
                #expect(listing.indexes == ["idx_orders_profile_status_trade_id", "idx_orders_profile_trade_id", "idx_trade_history_profile_trade_id"])
            }
        }

        @Test("validate on clean data validates all twelve, each statement sent as the plan writes it; rollback drops the five, twice")
        func validateThenRollback() async throws {
            let rows = [
                OrderRowText(orderID: "e1", tradeID: "TRD-a", action: "ENTRY", quantity: "1", filledQuantity: "1", price: "10", filledAt: "2026-02-15T09:00:00Z"),
                OrderRowText(orderID: "x1", tradeID: "TRD-a", action: "EXIT", quantity: "1", filledQuantity: "1", price: "11", filledAt: "2026-02-15T10:00:00Z"),
                OrderRowText(orderID: "m1", tradeID: nil, action: nil, side: nil, status: "canceled"),
            ]
            try await TestDatabase.withMigrated(seed: [try #require(OrderRowText.insert(rows))]) { database in
                let outcomes = try await database.runbook.validateConstraints()
                #expect(outcomes.count == 12)
                #expect(outcomes.allSatisfy { $0.succeeded })
                #expect(Array(outcomes.prefix(5).map(\.statement)) == ReferenceRunbookSQL.IntegrityPlan.validateConstraints)
                let listing = try await database.runbook.listConstraints()
                #expect((listing.referenceConstraints + listing.additionalConstraints).allSatisfy { $0.isValidated })
                #expect(listing.referenceConstraints.count == 5)
                for _ in 1...2 {
                    let after = try await database.runbook.rollbackConstraints()
                    #expect(after.referenceConstraints.isEmpty)
                    #expect(after.additionalConstraints.map(\.name) == Self.additionalNames)
                    #expect(after.indexes.count == 3, "the plan keeps the indexes")
                }
                // Validating after the rollback: the five are missing (42704), the others are fine.
                let again = try await database.runbook.validateConstraints()
                #expect(again.prefix(5).map(\.failureSQLState) == Array(repeating: "42704", count: 5))
                #expect(again.dropFirst(5).allSatisfy { $0.succeeded })
            }
        }

        @Test("validate is refused while any profile has an anomaly, and nothing is validated")
        func validateRefusedOnAnomalies() async throws {
            let rows = [
                // p1 is clean; p2 has an orphan EXIT and a filled ENTRY without trade id.
                OrderRowText(orderID: "e1", tradeID: "TRD-a", action: "ENTRY", quantity: "1", filledAt: "2026-02-15T09:00:00Z"),
                OrderRowText(orderID: "x9", profileID: "p2", tradeID: "TRD-z", action: "EXIT", quantity: "2", filledAt: "2026-02-15T09:00:00Z"),
                OrderRowText(orderID: "e9", profileID: "p2", symbol: "ETH-USD", tradeID: nil, action: "ENTRY", quantity: "3", filledAt: "2026-02-15T09:00:00Z"),
            ]
            try await TestDatabase.withMigrated(seed: [try #require(OrderRowText.insert(rows))]) { database in
                let error = await #expect(throws: PostgresRunbookError.self) { try await database.runbook.validateConstraints() }
                #expect(error?.code == .anomaliesPresent)
                #expect(Set(error?.anomalies.map(\.kind) ?? []) == ["orphan_exit", "missing_trade_id"])
                #expect(error?.anomalies.allSatisfy { $0.profileID.rawValue == "p2" } == true)
                #expect(error?.description.contains("p2") == true)
                let listing = try await database.runbook.listConstraints()
                #expect((listing.referenceConstraints + listing.additionalConstraints).allSatisfy { !$0.isValidated })
            }
        }

        @Test("a legacy row that breaks a constraint fails that statement only; the others are validated")
        func validateReportsTheFailingConstraint() async throws {
            try await TestDatabase.withFresh { database in
                let beforeConstraints = PostgresMigration.tradeLifecycleSchema.filter { $0.version <= 4 }
                _ = try await database.migrator(beforeConstraints).migrate()
                try await database.connect { connection in
                    // 'LONG' reads as long for the core (no anomaly) but breaks chk_orders_side.
                    try await connection.insert([
                        OrderRowText(orderID: "e1", tradeID: "TRD-a", action: "ENTRY", side: "LONG", quantity: "1", filledQuantity: "1", filledAt: "2026-02-15T09:00:00Z"),
                    ])
                }
                _ = try await database.migrator().migrate()
                let outcomes = try await database.runbook.validateConstraints()
                #expect(outcomes.filter { !$0.succeeded }.map(\.name) == ["chk_orders_side"])
                #expect(outcomes.first { $0.name == "chk_orders_side" }?.failureSQLState == "23514")
                let listing = try await database.runbook.listConstraints()
                #expect(listing.additionalConstraints.filter { !$0.isValidated }.map(\.name) == ["chk_orders_side"])
                #expect(listing.referenceConstraints.allSatisfy { $0.isValidated })
            }
        }
    }
}
