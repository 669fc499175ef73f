import Testing
import TradeLifecycle
@testable import TradeLifecyclePostgres

extension RunbookPostgresTests {
    @Suite(
        "Runbook: legacy trade id backfill on PostgreSQL",
        .enabled(if: PostgresTestEnvironment.shouldRun, PostgresTestEnvironment.skipNotice)
    )
    struct RunbookLegacyTradeIDTests {
        /// Lifecycle rows without trade id (and a few that must be left alone):
        /// - p1 BTC-USD: X0 EXIT 0.5 at 08:00 (nothing open: orphan); E1 ENTRY 1 at 09:00 opens L1;
        ///   E2 ENTRY 0.5 at 09:30 adds; X1 EXIT 1.5 at 10:00 closes L1; E3 ENTRY 2 (`partially-filled`)
        ///   at 11:00 opens L2; X2 EXIT 3 at 12:00 closes more than open (overclosing, assigned to L2).
        /// - p1 ETH-USD: E4 ENTRY 1 at 09:00 opens L3; E8 ENTRY filled without filled_at, created
        ///   13:00, adds to L3 (walked by created_at).
        /// - p2 BTC-USD: E5 ENTRY with the legacy qty 2 opens L4.
        /// - untouched: E6 has a trade id; E7 is cancelled; M1 has no action.
        static let rows = [
            OrderRowText(orderID: "X0", tradeID: nil, action: "EXIT", quantity: "0.5", filledAt: "2026-02-15T08:00:00Z"),
            OrderRowText(orderID: "E1", tradeID: nil, action: "ENTRY", quantity: "1", price: "100", filledAt: "2026-02-15T09:00:00Z"),
            OrderRowText(orderID: "E2", tradeID: nil, action: "ENTRY", quantity: "0.5", price: "100", filledAt: "2026-02-15T09:30:00Z"),
            OrderRowText(orderID: "X1", tradeID: nil, action: "EXIT", quantity: "1.5", filledAt: "2026-02-15T10:00:00Z"),
            OrderRowText(orderID: "E3", tradeID: nil, action: "ENTRY", status: "partially-filled", quantity: "2", filledAt: "2026-02-15T11:00:00Z"),
            OrderRowText(orderID: "X2", tradeID: nil, action: "EXIT", quantity: "3", filledAt: "2026-02-15T12:00:00Z"),
            OrderRowText(orderID: "E4", symbol: "ETH-USD", tradeID: nil, action: "ENTRY", quantity: "1", filledAt: "2026-02-15T09:00:00Z"),
            OrderRowText(orderID: "E8", symbol: "ETH-USD", tradeID: nil, action: "ENTRY", quantity: "1", filledAt: nil, createdAt: "2026-02-15T13:00:00Z"),
            OrderRowText(orderID: "E5", profileID: "p2", tradeID: nil, action: "ENTRY", qty: "2", filledAt: "2026-02-15T09:00:00Z"),
            OrderRowText(orderID: "E6", tradeID: "TRD-keep", action: "ENTRY", quantity: "1", filledAt: "2026-02-15T09:15:00Z"),
            OrderRowText(orderID: "E7", symbol: "SOL-USD", tradeID: nil, action: "ENTRY", status: "canceled", quantity: "1"),
            OrderRowText(orderID: "M1", tradeID: nil, action: nil, side: nil, quantity: "1", filledAt: "2026-02-15T09:45:00Z"),
        ]

        /// Order id -> the generated trade id expected, computed by PostgreSQL's md5.
        static func expected(_ connection: TestConnection) async throws -> [String: String] {
            let l1 = try await connection.generatedTradeID("p1:BTC-USD:legacy:E1")
            let l2 = try await connection.generatedTradeID("p1:BTC-USD:legacy:E3")
            let l3 = try await connection.generatedTradeID("p1:ETH-USD:legacy:E4")
            let l4 = try await connection.generatedTradeID("p2:BTC-USD:legacy:E5")
            return ["E1": l1, "E2": l1, "X1": l1, "E3": l2, "X2": l2, "E4": l3, "E8": l3, "E5": l4]
        }

        static func tradeIDs(_ connection: TestConnection) async throws -> [String: String?] {
            var result: [String: String?] = [:]
            for row in try await connection.rows("SELECT order_id, trade_id FROM orders") {
                result[(row["order_id"] ?? nil)!] = row["trade_id"] ?? nil
            }
            return result
        }

        @Test("dry run: the core's walk per profile and symbol, orphans and overclosing EXITs reported, nothing written")
        func dryRun() async throws {
            try await TestDatabase.withMigrated(seed: [try #require(OrderRowText.insert(Self.rows))]) { database in
                let expected = try await database.connect { try await Self.expected($0) }
                let before = try await database.connect { try await Self.tradeIDs($0) }
                let dryRun = try await database.runbook.planLegacyTradeIDs()
                #expect(dryRun.rowsRead == 9)
                #expect(dryRun.blankTradeIDOrders.isEmpty)
                var planned: [String: String] = [:]
                for assignment in dryRun.plan.assignments {
                    planned[assignment.orderID.rawValue] = assignment.tradeID.rawValue
                }
                #expect(planned == expected)
                #expect(dryRun.plan.orphanExits.map(\.rawValue) == ["X0"])
                #expect(dryRun.plan.overclosingExits.map(\.orderID.rawValue) == ["X2"])
                #expect(dryRun.plan.overclosingExits.first?.openQuantity == ExactDecimal(2))
                #expect(try await database.connect { try await Self.tradeIDs($0) } == before)
            }
        }

        @Test("apply fills exactly the planned NULLs in one transaction, reads them back, and a second run finds nothing")
        func apply() async throws {
            try await TestDatabase.withMigrated(seed: [try #require(OrderRowText.insert(Self.rows))]) { database in
                let expected = try await database.connect { try await Self.expected($0) }
                let result = try await database.runbook.applyLegacyTradeIDs()
                #expect(result.updatedCount == expected.count)
                #expect(result.verifiedCount == expected.count)
                let after = try await database.connect { try await Self.tradeIDs($0) }
                for (orderID, tradeID) in after {
                    if let assigned = expected[orderID] {
                        #expect(tradeID == assigned, "order \(orderID)")
                    } else if orderID == "E6" {
                        #expect(tradeID == "TRD-keep", "an existing trade id is never overwritten")
                    } else {
                        #expect(tradeID == nil, "order \(orderID) stays NULL")
                    }
                }
                let again = try await database.runbook.applyLegacyTradeIDs()
                #expect(again.plan.assignments.isEmpty)
                #expect(again.updatedCount == 0)
                #expect(again.plan.orphanExits.map(\.rawValue) == ["X0"])
                #expect(try await database.connect { try await Self.tradeIDs($0) } == after)
                // The lifecycles the backfill formed read back closed, open and overclosed as planned.
                let report = try await database.runbook.lifecycleReport(profileID: ProfileID("p1"))
                #expect(report.openLifecycles.map(\.key.tradeID.rawValue) == ["TRD-keep", expected["E4"]!])
                #expect(Set(report.anomalies.map(\.kind)) == ["overclosed", "missing_trade_id"])
            }
        }

        @Test("a blank (not NULL) trade id on a row to assign: the dry run names it, apply is refused and writes nothing")
        func blankTradeIDsRefuseApply() async throws {
            var rows = Self.rows
            rows.append(OrderRowText(orderID: "B1", symbol: "ADA-USD", tradeID: "  ", action: "ENTRY", quantity: "1", filledAt: "2026-02-15T09:00:00Z"))
            // A blank trade id on an orphan EXIT is not assigned, so it does not block.
            rows.append(OrderRowText(orderID: "B2", symbol: "DOT-USD", tradeID: "\t", action: "EXIT", quantity: "1", filledAt: "2026-02-15T09:00:00Z"))
            try await TestDatabase.withMigrated(seed: [try #require(OrderRowText.insert(rows))]) { database in
                let dryRun = try await database.runbook.planLegacyTradeIDs()
                #expect(dryRun.blankTradeIDOrders.map(\.rawValue) == ["B1"])
                #expect(dryRun.plan.orphanExits.map(\.rawValue).sorted() == ["B2", "X0"])
                let before = try await database.connect { try await Self.tradeIDs($0) }
                let error = await #expect(throws: PostgresRunbookError.self) { try await database.runbook.applyLegacyTradeIDs() }
                #expect(error?.code == .blankTradeIDs)
                #expect(error?.orderIDs.map(\.rawValue) == ["B1"])
                #expect(try await database.connect { try await Self.tradeIDs($0) } == before)
            }
        }

        @Test("a row the core cannot read stops the dry run, naming the order and field")
        func invalidRow() async throws {
            try await TestDatabase.withFresh { database in
                // Before migration 0005, a non-positive quantity can be written.
                _ = try await database.migrator(PostgresMigration.tradeLifecycleSchema.filter { $0.version <= 4 }).migrate()
                try await database.connect { connection in
                    try await connection.insert([OrderRowText(orderID: "bad1", tradeID: nil, action: "ENTRY", quantity: "-1", filledAt: "2026-02-15T09:00:00Z")])
                }
                let error = await #expect(throws: PostgresRunbookError.self) { try await database.runbook.planLegacyTradeIDs() }
                #expect(error?.code == .invalidRow)
                #expect(error?.description.contains("order bad1") == true)
                #expect(error?.description.contains("quantity") == true)
            }
        }
    }
}
