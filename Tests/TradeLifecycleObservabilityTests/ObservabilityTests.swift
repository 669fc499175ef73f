import InMemoryLogging
import Logging
import MetricsTestKit
import Testing
import TradeLifecycle
import TradeLifecycleObservability

/// A logger that keeps its entries, at every level.
private func capturingLogger() -> (Logger, InMemoryLogHandler) {
    let handler = InMemoryLogHandler()
    var logger = Logger(label: "trade-lifecycle.test", factory: { _ in handler })
    logger.logLevel = .trace
    return (logger, handler)
}

private let p1 = try! ProfileID("p1")
private let start = try! Timestamp("2026-02-15T12:00:00Z")

private func order(_ id: String, symbol: String = "BTC-USD", trade: String = "TRD-a1", action: LifecycleAction,
                   quantity: ExactDecimal, price: ExactDecimal, exchangeID: String, at: Timestamp) throws -> Order {
    try Order(orderID: OrderID(id), profileID: p1, symbol: symbol, tradeID: TradeID(trade), action: action, side: .long,
              status: .filled, quantity: quantity, price: price, exchangeOrderID: exchangeID, filledAt: at, createdAt: at)
}

/// The mismatch events the reconciler emitted, next to the telemetry's own count of them.
private actor EventRecorder {
    var events: [MismatchEvent] = []
    func add(_ event: MismatchEvent) { events.append(event) }
}

@Suite("Reconciliation telemetry")
struct ReconciliationTelemetryTests {
    @Test("passes, discrepancies by kind, handler failures, the mismatch gauge and throttled events are recorded")
    func passesAreRecorded() async throws {
        struct RouteFailure: Error {}
        let metrics = TestMetrics()
        let (logger, logs) = capturingLogger()
        let telemetry = ReconciliationTelemetry(logger: logger, metricsFactory: metrics)
        let clock = ManualWallClock(start)
        let store = InMemoryStore()
        let exchange = SimulatedExchange(clock: clock)
        // An open BTC lifecycle the exchange does not hold (ghost) and an ETH position the
        // database does not know (untracked).
        _ = try await store.insertOrder(try order("o1", action: .entry, quantity: 1, price: 100, exchangeID: "x1",
                                                  at: start.advanced(byMicroseconds: -60_000_000)!))
        try await exchange.setPosition(profileID: p1, symbol: "ETH-USD", quantity: 2)
        let routes = DiscrepancyRoutes().routing(.ghostPosition) { _, _ in throw RouteFailure() }
        let recorder = EventRecorder()
        let reconciler = try Reconciler(
            orders: store, exchange: exchange, handler: LoggingDiscrepancyHandler(logger: logger, forwardingTo: routes),
            clock: clock, onMismatch: { event in
                await recorder.add(event)
                await telemetry.mismatchEventSink(event)
            })

        let first = try await reconciler.reconcile(profileID: p1)
        telemetry.record(first)
        #expect(first.discrepancies.map(\.kind) == [.ghostPosition, .untrackedPosition])
        #expect(first.handlerFailures.count == 1, "the logging handler passes the route's error on")
        #expect(metrics.counterTotal(label: ReconciliationTelemetry.passesLabel,
                                     dimensions: [("profile_id", "p1"), ("result", "mismatch")]) == 1)
        for kind in [DiscrepancyKind.ghostPosition, .untrackedPosition] {
            #expect(metrics.counterTotal(label: ReconciliationTelemetry.discrepanciesLabel,
                                         dimensions: [("profile_id", "p1"), ("kind", kind.rawValue)]) == 1)
        }
        #expect(metrics.counterTotal(label: ReconciliationTelemetry.handlerFailuresLabel,
                                     dimensions: [("profile_id", "p1"), ("kind", "ghostPosition")]) == 1)
        #expect(metrics.counterTotal(label: ReconciliationTelemetry.handlerFailuresLabel,
                                     dimensions: [("profile_id", "p1"), ("kind", "untrackedPosition")]) == 0)
        #expect(try metrics.expectGauge(ReconciliationTelemetry.mismatchCountLabel, [("profile_id", "p1")]).lastValue == 2)

        // What was logged: each discrepancy by the handler with its identifiers, the pass's
        // summary, the route's failure.
        let handled = logs.entries.filter { $0.metadata["pass_started_at"] != nil }
        #expect(handled.map { $0.metadata["kind"]?.description } == ["ghostPosition", "untrackedPosition"])
        #expect(handled.allSatisfy { $0.level == .warning && $0.metadata["profile_id"] == "p1" })
        #expect(handled.first?.metadata["symbol"] == "BTC-USD")
        #expect(logs.entries.contains { $0.level == .warning && $0.message.description == "reconciliation pass found 2 discrepancies"
                && $0.metadata["discrepancies"] == "ghostPosition=1,untrackedPosition=1" })
        #expect(logs.entries.contains { $0.level == .error && $0.metadata["kind"] == "ghostPosition"
                && $0.message.description.hasPrefix("reconciliation handler failed") })

        // A second pass inside the throttle window emits nothing; one a window later emits
        // again and carries what was held back.
        telemetry.record(try await reconciler.reconcile(profileID: p1))
        clock.advance(byMicroseconds: 300_000_000)
        telemetry.record(try await reconciler.reconcile(profileID: p1))
        let events = await recorder.events
        #expect(events.count == 4, "one per (symbol, kind) on the first pass and again a window later")
        #expect(metrics.counterTotal(label: ReconciliationTelemetry.mismatchEventsLabel) == Int64(events.count))
        #expect(metrics.counterTotal(label: ReconciliationTelemetry.suppressedMismatchEventsLabel)
                == Int64(events.reduce(0) { $0 + $1.suppressedSinceLastEmission }))
        #expect(metrics.counterTotal(label: ReconciliationTelemetry.suppressedMismatchEventsLabel,
                                     dimensions: [("profile_id", "p1"), ("kind", "ghostPosition")]) == 1)
        #expect(logs.entries.filter { $0.message.description == "exchange state mismatch" }.count == events.count)
        #expect(try metrics.expectGauge(ReconciliationTelemetry.mismatchCountLabel, [("profile_id", "p1")]).lastValue == 6)

        // Close the lifecycle and flatten the exchange: a clean pass resets the gauge.
        _ = try await store.insertOrder(try order("o2", action: .exit, quantity: 1, price: 101, exchangeID: "x2",
                                                  at: start.advanced(byMicroseconds: -30_000_000)!))
        try await exchange.setPosition(profileID: p1, symbol: "ETH-USD", quantity: 0)
        let clean = try await reconciler.reconcile(profileID: p1)
        telemetry.record(clean)
        #expect(clean.isClean)
        #expect(metrics.counterTotal(label: ReconciliationTelemetry.passesLabel,
                                     dimensions: [("profile_id", "p1"), ("result", "clean")]) == 1)
        #expect(try metrics.expectGauge(ReconciliationTelemetry.mismatchCountLabel, [("profile_id", "p1")]).lastValue == 0)
        #expect(logs.entries.last?.level == .debug && logs.entries.last?.message.description == "reconciliation pass clean")
    }

    @Test("a failed pass is counted by error code and logged as an error")
    func failedPass() async throws {
        let metrics = TestMetrics()
        let (logger, logs) = capturingLogger()
        let telemetry = ReconciliationTelemetry(logger: logger, metricsFactory: metrics)
        let clock = ManualWallClock(start)
        let exchange = SimulatedExchange(clock: clock)
        await exchange.failNextSnapshots(1)
        let reconciler = try Reconciler(orders: InMemoryStore(), exchange: exchange,
                                        handler: LoggingDiscrepancyHandler(logger: logger), clock: clock)
        // As the documentation writes it: the pass's typed error goes straight to the telemetry.
        var caught: ReconciliationError?
        do {
            telemetry.record(try await reconciler.reconcile(profileID: p1))
        } catch {
            telemetry.recordFailure(error, profileID: p1)
            caught = error
        }
        let failure = try #require(caught, "the exchange's snapshot failed, so the pass fails")
        #expect(metrics.counterTotal(label: ReconciliationTelemetry.passesLabel,
                                     dimensions: [("profile_id", "p1"), ("result", "failed")]) == 1)
        #expect(metrics.counterTotal(label: ReconciliationTelemetry.failuresLabel,
                                     dimensions: [("profile_id", "p1"), ("code", failure.code.rawValue)]) == 1)
        #expect(failure.code == .exchangeUnavailable)
        #expect(logs.entries.map(\.level) == [.error])
        #expect(logs.entries.first?.metadata["code"] == "exchangeUnavailable")
    }
}

@Suite("Backfill telemetry")
struct BackfillTelemetryTests {
    @Test("runs count their audit rows by decision and reason; NO_GO and inserted rows are logged; rollbacks and failures too")
    func runsAreRecorded() async throws {
        let metrics = TestMetrics()
        let (logger, logs) = capturingLogger()
        let telemetry = BackfillTelemetry(logger: logger, metricsFactory: metrics)
        let clock = ManualWallClock(start)
        let store = InMemoryStore()
        try await store.saveProfile(TradingProfile(profileID: p1, isPaused: true, updatedAt: start))
        let entryAt = try Timestamp("2026-02-15T10:00:00Z")
        // TRD-a1 is closed by a fill on the exchange; TRD-a2 has no evidence for its 2 units.
        _ = try await store.insertOrder(try order("o1", action: .entry, quantity: 1, price: 100, exchangeID: "x1", at: entryAt))
        _ = try await store.insertOrder(try order("o2", symbol: "ETH-USD", trade: "TRD-a2", action: .entry, quantity: 2,
                                                  price: 10, exchangeID: "x2", at: entryAt))
        let exchange = ExchangeSnapshot(fills: [try ExchangeFill(profileID: p1, symbol: "BTC-USD", side: .sell,
            exchangeOrderID: "x9", clientOrderID: nil, quantity: 1, price: 101, filledAt: try Timestamp("2026-02-15T11:00:00Z"))])

        var results: [BackfillRunResult] = []
        for dryRun in [true, false] {
            let engine = BackfillEngine(store: store, clock: clock, configuration: try BackfillConfiguration(isEnabled: true, isDryRun: dryRun))
            let result = try await engine.run(profileID: p1, exchange: exchange)
            telemetry.record(result)
            results.append(result)
        }
        #expect(metrics.counterTotal(label: BackfillTelemetry.runsLabel, dimensions: [("mode", "dry_run")]) == 1)
        #expect(metrics.counterTotal(label: BackfillTelemetry.runsLabel, dimensions: [("mode", "apply")]) == 1)
        let records = results.flatMap(\.records)
        for record in records {
            let dimensions = [("profile_id", "p1"), ("decision", record.decision.rawValue), ("reason", record.reason.rawValue)]
            #expect(metrics.counterTotal(label: BackfillTelemetry.rowsLabel, dimensions: dimensions)
                    == Int64(records.filter { $0.decision == record.decision && $0.reason == record.reason }.count))
        }
        #expect(metrics.counterTotal(label: BackfillTelemetry.rowsLabel) == Int64(records.count))
        #expect(Set(records.map(\.decision)) == [.dryRun, .noGo, .applied])

        let applied = try #require(records.first { $0.decision == .applied })
        let inserted = logs.entries.filter { $0.level == .notice }
        #expect(inserted.map(\.message.description) == ["backfill inserted \(applied.backfillOrderID!.rawValue)"])
        #expect(inserted.first?.metadata["trade_id"] == "TRD-a1" && inserted.first?.metadata["filled_qty"] == "1")
        let refused = logs.entries.filter { $0.level == .warning }
        #expect(refused.count == 2, "the NO_GO row of each run")
        #expect(refused.allSatisfy { $0.metadata["trade_id"] == "TRD-a2"
                && $0.message.description == "backfill NO_GO: missing_fill_evidence_for_large_remainder" })
        #expect(logs.entries.filter { $0.level == .info }.map(\.message.description).last
                == "backfill run \(results[1].batchID.rawValue) (apply): APPLIED=1, NO_GO=1")

        let engine = BackfillEngine(store: store, clock: clock, configuration: try BackfillConfiguration(isEnabled: true, isDryRun: false))
        let rollback = try await engine.rollback(batchID: results[1].batchID)
        telemetry.record(rollback)
        #expect(rollback.cancelledOrderCount == 1)
        #expect(metrics.counterTotal(label: BackfillTelemetry.rollbacksLabel) == 1)
        #expect(metrics.counterTotal(label: BackfillTelemetry.rolledBackOrdersLabel) == 1)
        #expect(logs.entries.last?.metadata["cancelled_orders"] == "1")

        let unknown = try BackfillBatchID("no-such-batch")
        let error = await #expect(throws: BackfillError.self) { try await engine.rollback(batchID: unknown) }
        telemetry.recordFailure(try #require(error))
        #expect(metrics.counterTotal(label: BackfillTelemetry.failuresLabel, dimensions: [("code", "batchNotFound")]) == 1)
        #expect(logs.entries.last?.level == .error)
        #expect(logs.entries.last?.message.description.contains("no-such-batch") == true)
    }
}
