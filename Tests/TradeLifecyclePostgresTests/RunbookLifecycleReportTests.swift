import Testing
import TradeLifecycle
@testable import TradeLifecyclePostgres

extension RunbookPostgresTests {
    @Suite(
        "Runbook: lifecycle report on PostgreSQL",
        .enabled(if: PostgresTestEnvironment.shouldRun, PostgresTestEnvironment.skipNotice)
    )
    struct RunbookLifecycleReportTests {
        static let rows = [
            OrderRowText(orderID: "o1", tradeID: "TRD-o", action: "EXIT", quantity: "1", filledAt: "2026-02-15T09:00:00Z"),
            OrderRowText(orderID: "c1", tradeID: "TRD-c", action: "ENTRY", quantity: "1", filledAt: "2026-02-15T09:00:00Z"),
            OrderRowText(orderID: "c2", tradeID: "TRD-c", action: "EXIT", quantity: "2", filledAt: "2026-02-15T10:00:00Z"),
            OrderRowText(orderID: "n1", symbol: "ETH-USD", tradeID: nil, action: "ENTRY", quantity: "1", filledAt: "2026-02-15T09:00:00Z"),
            OrderRowText(orderID: "k1", tradeID: "TRD-ok", action: "ENTRY", quantity: "1", filledAt: "2026-02-15T09:00:00Z"),
            OrderRowText(orderID: "k2", tradeID: "TRD-ok", action: "EXIT", status: "FILLED", quantity: "1", filledAt: "2026-02-15T10:00:00Z"),
            OrderRowText(orderID: "p1e", symbol: "SOL-USD", tradeID: "TRD-open", action: "ENTRY", qty: "2", filledAt: "2026-02-15T09:00:00Z"),
            OrderRowText(orderID: "p1x", symbol: "SOL-USD", tradeID: "TRD-open", action: "EXIT", status: "partially_filled", quantity: "0.5", filledAt: "2026-02-15T10:00:00Z"),
            OrderRowText(orderID: "w1", symbol: "SOL-USD", tradeID: "TRD-w", action: "ENTRY", status: "open", quantity: "4"),
            OrderRowText(orderID: "q1", profileID: "p2", tradeID: "TRD-q", action: "ENTRY", quantity: "1", filledAt: "2026-02-15T09:00:00Z"),
        ]

        static let history = """
            INSERT INTO trade_history (profile_id, symbol, trade_id) VALUES
              ('p1', 'BTC-USD', 'TRD-h'), ('p1', 'BTC-USD', 'TRD-c'), ('p1', 'BTC-USD', NULL), ('p1', 'BTC-USD', '  '),
              ('p2', 'BTC-USD', 'TRD-ok'), ('p2', 'BTC-USD', 'TRD-q')
            """

        @Test("anomalies of the core's analysis over the profile's orders and its trade_history references")
        func reportOfOneProfile() async throws {
            try await TestDatabase.withMigrated(seed: [try #require(OrderRowText.insert(Self.rows)), Self.history]) { database in
                let report = try await database.runbook.lifecycleReport(profileID: ProfileID("p1"))
                #expect(report.orderCount == 9)
                #expect(report.historyReferenceCount == 2)
                #expect(report.lifecycleCount == 4, "TRD-o, TRD-c, TRD-ok, TRD-open; TRD-w has no filled order")
                let described = Set(report.anomalies.map { "\($0.kind) \($0.tradeID?.rawValue ?? "-")" })
                #expect(described == ["orphan_exit TRD-o", "overclosed TRD-c", "missing_entry_order TRD-h", "missing_trade_id -"])
                #expect(report.openLifecycles.map(\.key.tradeID.rawValue) == ["TRD-open"])
                #expect(report.openLifecycles.first?.openQuantity == (try ExactDecimal("1.5")))
                #expect(!report.isClean)
            }
        }

        @Test("references are scoped to their profile; every profile with orders or history gets a report")
        func reportsOfEveryProfile() async throws {
            try await TestDatabase.withMigrated(seed: [try #require(OrderRowText.insert(Self.rows)), Self.history,
                                                       "INSERT INTO trade_history (profile_id, symbol, trade_id) VALUES ('p3', 'BTC-USD', NULL)"]) { database in
                let reports = try await database.runbook.lifecycleReports()
                #expect(reports.map(\.profileID.rawValue) == ["p1", "p2", "p3"])
                let p2 = try #require(reports.first { $0.profileID.rawValue == "p2" })
                #expect(p2.anomalies.map { "\($0.kind) \($0.tradeID?.rawValue ?? "-")" } == ["missing_entry_order TRD-ok"])
                #expect(reports.last?.isClean == true)
                #expect(reports.last?.orderCount == 0)
            }
        }

        @Test("an unknown status stops the report, naming the order and the value")
        func unknownStatus() async throws {
            var rows = Self.rows
            rows.append(OrderRowText(orderID: "z1", tradeID: "TRD-z", action: "ENTRY", status: "done", quantity: "1"))
            try await TestDatabase.withMigrated(seed: [try #require(OrderRowText.insert(rows))]) { database in
                let error = await #expect(throws: PostgresRunbookError.self) { try await database.runbook.lifecycleReport(profileID: ProfileID("p1")) }
                #expect(error?.code == .invalidRow)
                #expect(error?.description.contains("order z1") == true)
                #expect(error?.description.contains("'done'") == true)
            }
        }
    }
}
