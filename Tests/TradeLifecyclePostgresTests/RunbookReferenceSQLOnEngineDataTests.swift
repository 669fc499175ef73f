import Testing
import TradeLifecycle
import TradeLifecyclePostgres

/// PostgreSQL's numeric text without trailing fractional zeros ("2.50" and "2.5" are one value).
private func numeric(_ text: String?) -> String? {
    guard var text, text.contains(".") else { return text }
    while text.hasSuffix("0") { text.removeLast() }
    if text.hasSuffix(".") { text.removeLast() }
    return text
}

private func substituted(_ sql: String, profile: String = "p1", batch: String = "") -> String {
    sql.replacing("<<PROFILE_ID>>", with: profile).replacing("<<BATCH_ID>>", with: batch)
}

/// The reference runbooks' SQL, unchanged, against a database that the migrator made and the
/// engine wrote through `PostgresStore`: each query returns what the engine reported.
extension RunbookPostgresTests {
    @Suite(
        "Reference SQL on data the engine wrote",
        .enabled(if: PostgresTestEnvironment.shouldRun, PostgresTestEnvironment.skipNotice)
    )
    struct RunbookReferenceSQLOnEngineDataTests {
        static let now = try! Timestamp("2026-02-15T12:00:00Z")

        static func order(_ id: String, _ symbol: String, _ trade: String, _ action: LifecycleAction, _ status: OrderStatus,
                          quantity: String?, qty: String? = nil, price: String?, at time: String?, exchange: String? = nil) throws -> Order {
            try Order(orderID: OrderID(id), profileID: ProfileID("p1"), symbol: symbol, tradeID: TradeID(trade), action: action,
                      side: .long, status: status, quantity: quantity.map { try ExactDecimal($0) }, legacyQuantity: qty.map { try ExactDecimal($0) },
                      filledQuantity: status.countsTowardLifecycle ? try ExactDecimal(quantity ?? qty ?? "0") : .zero,
                      price: price.map { try ExactDecimal($0) }, exchangeOrderID: exchange,
                      filledAt: try time.map { try Timestamp("2026-02-15T\($0)Z") }, createdAt: Timestamp("2026-02-15T08:00:00Z"))
        }

        /// Open lifecycles of every kind the planner decides: covered by one fill, covered in part
        /// (evidence and a large remainder), covered but for dust, uncovered, blocked, a legacy
        /// `qty` row; and a closed one.
        static func orders() throws -> [Order] {
            [
                try order("a1", "BTC-USD", "TRD-a1", .entry, .filled, quantity: "1.5", price: "100", at: "09:00:00", exchange: "e-a1"),
                try order("a2", "BTC-USD", "TRD-a2", .entry, .filled, quantity: "2", price: "100", at: "09:30:00", exchange: "e-a2"),
                try order("a2x", "BTC-USD", "TRD-a2", .exit, .partiallyFilled, quantity: "0.5", price: "101", at: "10:00:00", exchange: "x-a2x"),
                try order("b1", "ETH-USD", "TRD-b1", .entry, .filled, quantity: "3", price: "10", at: "09:00:00", exchange: "e-b1"),
                try order("c1", "SOL-USD", "TRD-c1", .entry, .filled, quantity: "1", price: "20", at: "09:00:00", exchange: "e-c1"),
                try order("d1", "ADA-USD", "TRD-d1", .entry, .filled, quantity: "1", price: "1", at: "09:00:00", exchange: "e-d1"),
                try order("d1x", "ADA-USD", "TRD-d1", .exit, .pending, quantity: "1", price: nil, at: nil),
                try order("e1", "XRP-USD", "TRD-e1", .entry, .filled, quantity: nil, qty: "2.5", price: "0.5", at: "09:00:00", exchange: "e-e1"),
                try order("f1", "DOT-USD", "TRD-f1", .entry, .filled, quantity: "1", price: "5", at: "09:00:00", exchange: "e-f1"),
                try order("f1x", "DOT-USD", "TRD-f1", .exit, .filled, quantity: "1", price: "6", at: "10:00:00", exchange: "x-f1x"),
            ]
        }

        static func exchange() throws -> ExchangeSnapshot {
            func fill(_ symbol: String, _ side: OrderSide, _ id: String, _ quantity: String, _ price: String, _ time: String,
                      client: String? = nil) throws -> ExchangeFill {
                try ExchangeFill(profileID: ProfileID("p1"), symbol: symbol, side: side, exchangeOrderID: id,
                                 clientOrderID: client.map { try ClientOrderID($0) }, quantity: ExactDecimal(quantity),
                                 price: ExactDecimal(price), filledAt: Timestamp("2026-02-15T\(time)Z"))
            }
            return ExchangeSnapshot(fills: [
                try fill("BTC-USD", .sell, "x9", "1.5", "101", "11:00:00.123456"),
                try fill("BTC-USD", .sell, "x10", "1.0", "102", "11:10:00"),
                try fill("ETH-USD", .sell, "y1", "2.9995", "11", "11:20:00", client: "cli-y1"),
                try fill("XRP-USD", .sell, "z1", "2.5", "0.6", "11:30:00"),
                try fill("SOL-USD", .buy, "w1", "1", "21", "11:40:00"),
            ])
        }

        static func configuration(dryRun: Bool) throws -> BackfillConfiguration {
            try BackfillConfiguration(isEnabled: true, isDryRun: dryRun, requiresPause: true)
        }

        /// `symbol trade_id decision reason filled_qty price backfill_order_id` of audit records.
        static func describe(_ records: [BackfillAuditRecord]) -> [String] {
            records.map { record in
                [record.batchID.rawValue, record.symbol, record.tradeID.rawValue, record.decision.rawValue, record.reason.rawValue,
                 record.filledQuantity?.description ?? "NULL", record.backfillOrderID?.rawValue ?? "NULL"].joined(separator: " ")
            }.sorted()
        }

        enum RollbackOrder: String, CaseIterable, Sendable {
            case referenceSQLFirst, engineFirst
        }

        @Test("001 and 000 SQL, unchanged, return what the engine planned, audited, inserted, validated and rolled back",
              arguments: RollbackOrder.allCases)
        func referenceSQLMatchesTheEngine(rollbackOrder: RollbackOrder) async throws {
            typealias Runbook = ReferenceRunbookSQL.BackfillRunbook
            typealias Plan = ReferenceRunbookSQL.IntegrityPlan
            try await TestDatabase.withMigrated { database in
                let clock = ManualWallClock(Self.now)
                try await PostgresStore.withStore(settings: database.settings, configuration: .init(maximumConnections: 2), logger: PostgresTestEnvironment.quietLogger) { store in
                    try await store.saveProfile(TradingProfile(profileID: ProfileID("p1"), isPaused: true, updatedAt: Self.now))
                    for order in try Self.orders() {
                        #expect(try await store.insertOrder(order) == .inserted)
                    }
                    let exchange = try Self.exchange()
                    let dryRunEngine = BackfillEngine(store: store, clock: clock, configuration: try Self.configuration(dryRun: true))
                    let plan = try await dryRunEngine.plan(profileID: ProfileID("p1"), exchange: exchange)

                    try await database.connect { sql in
                        // 1. Detection: the open lifecycles the engine planned, with its open quantities.
                        let detected = try await sql.rows(substituted(Runbook.detectAffectedTradeIDs))
                        var planned: [String] = []
                        var seen = Set<String>()
                        for row in plan.rows where seen.insert(row.symbol + row.tradeID.rawValue).inserted {
                            planned.append("\(row.symbol) \(row.tradeID) \(row.openQuantity)")
                        }
                        #expect(detected.map { "\($0["symbol"]!!) \($0["trade_id"]!!) \(numeric($0["open_qty"] ?? nil)!)" } == planned)
                        #expect(detected.count == plan.openLifecycleCount)
                        #expect(plan.openLifecycleCount == 6)
                    }

                    // 5. Dry run: audit rows only.
                    let dryRun = try await dryRunEngine.run(profileID: ProfileID("p1"), exchange: exchange)
                    #expect(dryRun.mode == .dryRun)
                    try await database.connect { sql in
                        let audit = try await sql.rows(substituted(Runbook.reviewAudit))
                        let fromSQL = audit.map { row in
                            [row["batch_id"]!!, row["symbol"]!!, row["trade_id"]!!, row["decision"]!!, row["reason"]!!,
                             numeric(row["filled_qty"] ?? nil) ?? "NULL", (row["backfill_order_id"] ?? nil) ?? "NULL"].joined(separator: " ")
                        }.sorted()
                        #expect(fromSQL == Self.describe(dryRun.records))
                        #expect(try await sql.column("dry_run_backfill_rows", substituted(Runbook.countDryRunBackfillRows)) == ["0"])
                        // Every BFILL id the engine wrote is PostgreSQL's md5 expression of SPEC section 2.
                        let mismatched = try await sql.rows("""
                            SELECT backfill_order_id FROM reconciliation_backfill_audit
                            WHERE backfill_order_id IS NOT NULL AND backfill_order_id <> 'BFILL-' || md5(profile_id || ':' || trade_id || ':' ||
                                exchange_order_id || ':' || to_char(filled_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'))
                            """)
                        #expect(mismatched.isEmpty)
                        #expect(try await sql.column("n", "SELECT count(*) AS n FROM reconciliation_backfill_audit WHERE backfill_order_id IS NOT NULL") == ["5"])
                    }

                    // 7. Apply (NO_GO rows stay NO_GO; candidates are inserted).
                    clock.set(Timestamp(microsecondsSinceEpoch: Self.now.microsecondsSinceEpoch + 60_000_000))
                    let applyEngine = BackfillEngine(store: store, clock: clock, configuration: try Self.configuration(dryRun: false))
                    let applied = try await applyEngine.run(profileID: ProfileID("p1"), exchange: exchange)
                    let appliedRecords = applied.records.filter { $0.decision == .applied }
                    #expect(appliedRecords.count == 5)
                    let batch = applied.batchID.rawValue
                    try await database.connect { sql in
                        let inserted = try await sql.rows(substituted(Runbook.validateInsertedRows))
                        #expect(inserted.compactMap { $0["order_id"] ?? nil }.sorted() == appliedRecords.compactMap { $0.backfillOrderID?.rawValue }.sorted())
                        for row in inserted {
                            let record = try #require(appliedRecords.first { $0.backfillOrderID?.rawValue == row["order_id"] ?? nil })
                            #expect(row["trade_id"] == record.tradeID.rawValue)
                            #expect(row["symbol"] == record.symbol)
                            #expect(row["action"] == "EXIT")
                            #expect(row["status"] == "filled")
                            #expect(numeric(row["price"] ?? nil) == record.price?.description)
                            #expect(numeric(row["qty"] ?? nil) == record.filledQuantity?.description,
                                    "the runbook's query reads the legacy qty column: the engine's EXIT rows write it too")
                        }
                        // Their quantities, through the lifecycle sums of the detection query.
                        let quantities = try await sql.rows("SELECT order_id, quantity::text AS q FROM orders WHERE order_id LIKE 'BFILL-%'")
                        for row in quantities {
                            let record = try #require(appliedRecords.first { $0.backfillOrderID?.rawValue == row["order_id"] ?? nil })
                            #expect(numeric(row["q"] ?? nil) == record.filledQuantity?.description)
                        }

                        // 8. Post-fix validation: exactly the lifecycles the engine's validation keeps open.
                        let stillOpen = try await applyEngine.validate(profileID: ProfileID("p1"))
                        let validation = try await sql.rows(substituted(Runbook.postFixValidation))
                        #expect(validation.map { "\($0["symbol"]!!) \($0["trade_id"]!!) \(numeric($0["entry_qty"] ?? nil)!) \(numeric($0["exit_qty"] ?? nil)!)" }
                            == stillOpen.map { "\($0.key.symbol) \($0.key.tradeID) \($0.entryQuantity) \($0.exitQuantity)" })
                        #expect(stillOpen.map(\.key.tradeID.rawValue) == ["TRD-d1", "TRD-a2", "TRD-c1"])

                        // Mismatch noise check: the decisions of both batches.
                        let decisions = try await sql.rows(substituted(Runbook.countDecisions))
                        var counts: [String: Int] = [:]
                        for record in dryRun.records + applied.records {
                            counts[record.decision.rawValue, default: 0] += 1
                        }
                        #expect(decisions.map { "\($0["decision"]!!) \($0["rows"]!!)" } == counts.keys.sorted().map { "\($0) \(counts[$0]!)" })

                        // 000 phase B: the trade id indexes are there.
                    let indexes = try await sql.column("indexname", Plan.verifyIndexes).compactMap { $0 }.sorted()
                    #expect(indexes == ["idx_orders_profile_status_trade_id", "idx_orders_profile_trade_id", "idx_trade_history_profile_trade_id"])

                    // 000: the snapshot counts every order the store holds, the engine's included.
                        let snapshot = try await sql.rows(Plan.snapshotOrders)
                        #expect(snapshot.first?["orders_total"] == String(try Self.orders().count + appliedRecords.count))
                        #expect(snapshot.first?["orders_missing_trade_id"] == "0")
                    }

                    // 9. Rollback, by the runbook's SQL and by the engine: the same effect, and the
                    // second finds nothing left to do.
                    let detectedBefore = try await database.connect { try await $0.rows(substituted(Runbook.detectAffectedTradeIDs)) }
                    switch rollbackOrder {
                    case .referenceSQLFirst:
                        try await database.connect { sql in
                            try await sql.run(substituted(Runbook.rollbackOrders, batch: batch))
                            try await sql.run(substituted(Runbook.recordRollbackMarker, batch: batch))
                        }
                        let result = try await applyEngine.rollback(batchID: applied.batchID)
                        #expect(result.cancelledOrderCount == 0)
                        #expect(result.alreadyCancelledOrderCount == appliedRecords.count)
                        #expect(result.revertedRecordCount == 0)
                    case .engineFirst:
                        let result = try await applyEngine.rollback(batchID: applied.batchID)
                        #expect(result.cancelledOrderCount == appliedRecords.count)
                        #expect(result.revertedRecordCount == applied.records.count)
                    }
                    for record in appliedRecords {
                        #expect(try await store.order(try #require(record.backfillOrderID))?.status == .cancelled)
                    }
                    try await database.connect { sql in
                        #expect(try await sql.column("status", "SELECT DISTINCT status FROM orders WHERE order_id LIKE 'BFILL-%'") == ["canceled"])
                        #expect(try await sql.column("n", "SELECT count(*) AS n FROM orders") == [String(try Self.orders().count + appliedRecords.count)],
                                "rollback never deletes")
                        let reverted = try await sql.rows("SELECT batch_id, bool_and(reverted_at IS NOT NULL) AS all_reverted, bool_or(reverted_at IS NOT NULL) AS any_reverted FROM reconciliation_backfill_audit GROUP BY batch_id ORDER BY batch_id")
                        for row in reverted {
                            let isApplyBatch = row["batch_id"] == batch
                            #expect(row[isApplyBatch ? "all_reverted" : "any_reverted"] == (isApplyBatch ? "t" : "f"))
                        }
                        // The lifecycles the apply closed are open again, as before the apply.
                        let detectedAfter = try await sql.rows(substituted(Runbook.detectAffectedTradeIDs))
                        #expect(detectedAfter.count == plan.openLifecycleCount)
                        #expect(detectedAfter.count > detectedBefore.count)

                        // 000 phase D on the engine's data: every constraint validates; then the rollback plan.
                        for statement in Plan.validateConstraints {
                            try await sql.run(statement)
                        }
                        #expect(try await sql.rows(Plan.verifyConstraints).map { $0["convalidated"] ?? nil } == Array(repeating: "t", count: 5))
                        for statement in Plan.dropConstraints {
                            try await sql.run(statement)
                        }
                        #expect(try await sql.rows(Plan.verifyConstraints).isEmpty)
                    }
                }
            }
        }
    }
}
