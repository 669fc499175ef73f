import Testing
import TradeLifecycle
import TradeLifecycleTesting

private typealias F = BackfillFixtures

/// Two ghost lifecycles that a backfill closes completely: TRD-a1 by one fill, TRD-b2 by a fill
/// and a dust remainder; with `unexplained`, a third (TRD-c3) without evidence.
private struct EngineScenario {
    var unexplained = false

    func orders() throws -> [Order] {
        var orders = [
            try F.order("o-a1", trade: "TRD-a1", quantity: "1.5", price: "100", exchangeOrderID: "e1", filledAt: "2026-02-15T10:00:00.000Z"),
            try F.order("o-b2", symbol: "ETH-USD", trade: "TRD-b2", quantity: "1", price: "200", exchangeOrderID: "e2",
                        filledAt: "2026-02-15T10:30:00.000Z"),
        ]
        if unexplained {
            orders.append(try F.order("o-c3", symbol: "SOL-USD", trade: "TRD-c3", quantity: "2", price: "10", filledAt: "2026-02-15T10:45:00.000Z"))
        }
        return orders
    }

    func snapshot() throws -> ExchangeSnapshot {
        ExchangeSnapshot(
            positions: [try F.position("0"), try F.position("0", symbol: "ETH-USD")],
            fills: [
                try F.fill("x9", quantity: "1.5", price: "101", clientOrderID: "EXT-a1", at: "2026-02-15T11:00:00.000Z"),
                try F.fill("x8", symbol: "ETH-USD", quantity: "0.9995", price: "201", at: "2026-02-15T11:15:00.000Z"),
            ])
    }

    /// The candidate rows of the scenario: 3 (a1 evidence, b2 evidence, b2 dust).
    static let candidateCount = 3
}

private func engine(_ store: any Store, dryRun: Bool = false, requirePause: Bool = true, enabled: Bool = true,
                    at time: String = F.nowText) throws -> BackfillEngine {
    BackfillEngine(store: store, clock: ManualWallClock(try F.time(time)),
                   configuration: try F.configuration(enabled: enabled, dryRun: dryRun, requirePause: requirePause))
}

private func allOrders(_ store: any Store, profile: String = "p1") async throws -> [Order] {
    try await store.orders(matching: OrderQuery(profileID: try F.profileID(profile)))
}

private func backfillOrders(_ store: any Store) async throws -> [Order] {
    try await allOrders(store).filter(\.orderID.isBackfill)
}

/// The orders after an uninterrupted apply of `scenario` at the fixtures' `now`.
private func uninterruptedOrders(_ scenario: EngineScenario) async throws -> [Order] {
    let store = try await F.store(orders: try scenario.orders())
    _ = try await engine(store).run(profileID: try F.profileID(), exchange: try scenario.snapshot())
    return try await allOrders(store)
}

@Suite("Backfill engine: run")
struct BackfillEngineRunTests {
    @Test("dry run: DRY_RUN and NO_GO audit rows only, the orders table unchanged")
    func dryRun() async throws {
        let scenario = EngineScenario(unexplained: true)
        let store = try await F.store(orders: try scenario.orders())
        let before = try await allOrders(store)
        let result = try await engine(store, dryRun: true).run(profileID: try F.profileID(), exchange: try scenario.snapshot())
        #expect(result.mode == .dryRun)
        #expect(result.records.map(\.decision) == [.dryRun, .dryRun, .dryRun, .noGo])
        #expect(result.records.map(\.reason) == [.fillEvidence, .fillEvidence, .dustRemainder, .missingFillEvidenceForLargeRemainder])
        #expect(result.records.map(\.rowNumber) == [0, 1, 2, 3])
        #expect(result.records.allSatisfy { $0.batchID == result.batchID && $0.createdAt == (try? F.now()) })
        #expect(try await store.auditRecords(batchID: result.batchID) == result.records)
        #expect(try await allOrders(store) == before)
        #expect(result.count(of: .dryRun) == 3 && result.count(of: .noGo) == 1)
    }

    @Test("apply: every candidate inserted as a filled EXIT and audited APPLIED; post-fix validation is empty")
    func apply() async throws {
        let scenario = EngineScenario()
        let store = try await F.store(orders: try scenario.orders())
        let backfill = try engine(store)
        #expect(try await backfill.validate(profileID: try F.profileID()).map(\.key.tradeID.rawValue) == ["TRD-a1", "TRD-b2"])
        let result = try await backfill.run(profileID: try F.profileID(), exchange: try scenario.snapshot())
        #expect(result.mode == .apply)
        #expect(result.records.map(\.decision) == [.applied, .applied, .applied])
        #expect(try await store.auditRecords(batchID: result.batchID) == result.records)
        #expect(try await store.auditRecords(profileID: try F.profileID(), decision: .pendingApply).isEmpty)

        let inserted = try await backfillOrders(store)
        #expect(Set(inserted.map(\.orderID)) == Set(result.records.compactMap(\.backfillOrderID)))
        #expect(inserted.allSatisfy { $0.action == .exit && $0.status == .filled && $0.filledQuantity == $0.quantity })
        let a1 = try #require(inserted.first { $0.tradeID?.rawValue == "TRD-a1" })
        #expect(a1.quantity == (try F.decimal("1.5")))
        #expect(a1.price == (try F.decimal("101")))
        #expect(a1.exchangeOrderID == "x9" && a1.clientOrderID?.rawValue == "EXT-a1" && a1.side == .long && a1.symbol == "BTC-USD")
        #expect(a1.filledAt == (try F.time("2026-02-15T11:00:00.000Z")))
        #expect(a1.createdAt == (try F.now()))
        let dust = try #require(inserted.first { $0.tradeID?.rawValue == "TRD-b2" && $0.quantity == (try? F.decimal("0.0005")) })
        #expect(dust.price == (try F.decimal("201")) && dust.exchangeOrderID == nil && dust.clientOrderID == nil)
        #expect(dust.filledAt == (try F.time("2026-02-15T11:15:00.000Z")))

        #expect(try await backfill.validate(profileID: try F.profileID()).isEmpty)
    }

    @Test("apply twice: the second run finds nothing open and changes nothing")
    func idempotentRerun() async throws {
        let scenario = EngineScenario()
        let store = try await F.store(orders: try scenario.orders())
        _ = try await engine(store).run(profileID: try F.profileID(), exchange: try scenario.snapshot())
        let after = try await allOrders(store)
        let second = try await engine(store, at: "2026-02-15T12:05:00.000Z").run(profileID: try F.profileID(), exchange: try scenario.snapshot())
        #expect(second.records.isEmpty)
        #expect(second.plans.map(\.openLifecycleCount) == [0])
        #expect(try await allOrders(store) == after)
    }

    @Test("apply with pause required and the profile not paused: gate NO_GO rows only", arguments: [Bool?.some(false), nil])
    func applyNotPaused(paused: Bool?) async throws {
        let scenario = EngineScenario()
        let store = try await F.store(orders: try scenario.orders(), paused: paused)
        let before = try await allOrders(store)
        let result = try await engine(store).run(profileID: try F.profileID(), exchange: try scenario.snapshot())
        #expect(result.records.map(\.decision) == [.noGo, .noGo])
        #expect(result.records.allSatisfy { $0.reason == .profileNotPaused && $0.filledQuantity == nil })
        #expect(try await allOrders(store) == before)
        // Without the pause requirement the same store is repaired.
        let repaired = try await engine(store, requirePause: false).run(profileID: try F.profileID(), exchange: try scenario.snapshot())
        #expect(repaired.count(of: .applied) == EngineScenario.candidateCount)
    }

    @Test("disabled: nothing planned, nothing written")
    func disabled() async throws {
        let scenario = EngineScenario()
        let store = try await F.store(orders: try scenario.orders())
        let before = try await allOrders(store)
        let result = try await engine(store, enabled: false).run(profileID: try F.profileID(), exchange: try scenario.snapshot())
        #expect(result.mode == .disabled && result.records.isEmpty && result.plans.isEmpty)
        #expect(try await store.auditRecords(batchID: result.batchID).isEmpty)
        #expect(try await allOrders(store) == before)
    }

    @Test("several profiles in one batch: rows numbered in profile order")
    func severalProfiles() async throws {
        let store = try await F.store(orders: [
            try F.order("o1", trade: "TRD-a1"),
            try F.order("o2", profile: "p2", trade: "TRD-z1"),
        ])
        try await store.saveProfile(try F.pausedProfile(true, profile: "p2"))
        let snapshot = ExchangeSnapshot(fills: [try F.fill("x1"), try F.fill("x2", profile: "p2")])
        let result = try await engine(store).run(profileIDs: [try F.profileID("p2"), try F.profileID("p1"), try F.profileID("p2")],
                                                 exchange: snapshot)
        #expect(result.records.map { "\($0.rowNumber) \($0.profileID) \($0.exchangeOrderID ?? "-") \($0.decision.rawValue)" }
            == ["0 p1 x1 APPLIED", "1 p2 x2 APPLIED"])
    }

    @Test("a gateway supplies the snapshot with the fills since now - lookback; its failure writes nothing")
    func gateway() async throws {
        let scenario = EngineScenario()
        let store = try await F.store(orders: try scenario.orders())
        let gateway = RecordingGateway(snapshot: try scenario.snapshot())
        let result = try await engine(store).run(profileID: try F.profileID(), gateway: gateway)
        #expect(result.count(of: .applied) == EngineScenario.candidateCount)
        #expect(gateway.requests() == ["p1 since 2026-02-12T12:00:00.000Z"])

        let other = try await F.store(orders: try scenario.orders())
        let failing = RecordingGateway(snapshot: nil)
        let error = await backfillError { _ = try await engine(other).run(profileID: try F.profileID(), gateway: failing) }
        #expect(error?.code == .exchangeUnavailable)
        #expect(try await backfillOrders(other).isEmpty)
        #expect(try await other.auditRecords(profileID: try F.profileID(), decision: .noGo).isEmpty)
    }
}

@Suite("Backfill engine: failures and recovery")
struct BackfillEngineRecoveryTests {
    @Test("audit write failure: typed error, no order inserted", arguments: [true, false])
    func auditWriteFailure(transactional: Bool) async throws {
        let scenario = EngineScenario()
        let base = try await F.store(orders: try scenario.orders())
        let store = FaultInjectingStore(wrapping: base, isTransactional: transactional)
        store.inject(.failCall(number: 1, of: .insertAuditRecords))
        let error = await backfillError { _ = try await engine(store).run(profileID: try F.profileID(), exchange: try scenario.snapshot()) }
        #expect(error?.code == .auditWriteFailed)
        #expect((error?.underlying as? StoreError)?.code == .injectedFailure)
        #expect(try await backfillOrders(base).isEmpty)
        #expect(store.callCount(of: .insertOrder) == 0)
    }

    @Test("a failed audit write of the second lifecycle keeps the first lifecycle's work and inserts nothing of the second")
    func secondLifecycleAuditFailure() async throws {
        let scenario = EngineScenario()
        let base = try await F.store(orders: try scenario.orders())
        let store = FaultInjectingStore(wrapping: base, isTransactional: false)
        store.inject(.failCall(number: 2, of: .insertAuditRecords))
        let error = await backfillError { _ = try await engine(store).run(profileID: try F.profileID(), exchange: try scenario.snapshot()) }
        #expect(error?.code == .auditWriteFailed)
        #expect(try await backfillOrders(base).map { $0.tradeID?.rawValue } == ["TRD-a1"])
    }

    @Test("crash between PENDING_APPLY and APPLIED (no transactions): the rerun finishes it with the rows of an uninterrupted run",
          arguments: [(FaultInjectingStore.Operation.insertOrder, 1), (.updateAuditDecision, 1), (.insertOrder, 2),
                      (.updateAuditDecision, 2), (.updateAuditDecision, 3)])
    func crashRecovery(operation: FaultInjectingStore.Operation, call: Int) async throws {
        let scenario = EngineScenario()
        let base = try await F.store(orders: try scenario.orders())
        let store = FaultInjectingStore(wrapping: base, isTransactional: false)
        store.inject(.crash(atCall: call, of: operation))
        let error = await backfillError { _ = try await engine(store).run(profileID: try F.profileID(), exchange: try scenario.snapshot()) }
        #expect(error?.code == (operation == .insertOrder ? .orderWriteFailed : .auditWriteFailed))
        let pending = try await base.auditRecords(profileID: try F.profileID(), decision: .pendingApply)
        #expect(!pending.isEmpty, "the crash left PENDING_APPLY rows")

        store.removeFaults()
        let rerun = try await engine(store).run(profileID: try F.profileID(), exchange: try scenario.snapshot())
        #expect(rerun.finishedPendingRecords.map(\.key) == pending.map(\.key))
        // An order inserted just before the crash is found existing.
        let expectedFirst: BackfillDecision = operation == .updateAuditDecision ? .skipExisting : .applied
        #expect(rerun.finishedPendingRecords.first?.decision == expectedFirst)
        #expect(try await base.auditRecords(profileID: try F.profileID(), decision: .pendingApply).isEmpty)
        #expect(try await allOrders(base) == (try await uninterruptedOrders(scenario)))
        #expect(try await engine(base).validate(profileID: try F.profileID()).isEmpty)
    }

    @Test("crash inside a transaction of a transactional store: the lifecycle's unit of work is rolled back, the rerun completes it")
    func crashTransactional() async throws {
        let scenario = EngineScenario()
        let base = try await F.store(orders: try scenario.orders())
        let store = FaultInjectingStore(wrapping: base)
        #expect(store.isTransactional)
        store.inject(.crash(atCall: 1, of: .updateAuditDecision))
        let error = await backfillError { _ = try await engine(store).run(profileID: try F.profileID(), exchange: try scenario.snapshot()) }
        #expect(error?.code == .auditWriteFailed)
        #expect(try await base.auditRecords(profileID: try F.profileID(), decision: .pendingApply).isEmpty)
        #expect(try await backfillOrders(base).isEmpty)
        store.removeFaults()
        let rerun = try await engine(store).run(profileID: try F.profileID(), exchange: try scenario.snapshot())
        #expect(rerun.finishedPendingRecords.isEmpty)
        #expect(try await allOrders(base) == (try await uninterruptedOrders(scenario)))
    }

    @Test("PENDING_APPLY rows are not finished while the profile is not paused")
    func noRecoveryWhenNotPaused() async throws {
        let scenario = EngineScenario()
        let base = try await F.store(orders: try scenario.orders())
        let store = FaultInjectingStore(wrapping: base, isTransactional: false)
        store.inject(.crash(atCall: 1, of: .insertOrder))
        _ = await backfillError { _ = try await engine(store).run(profileID: try F.profileID(), exchange: try scenario.snapshot()) }
        store.removeFaults()
        try await base.saveProfile(try F.pausedProfile(false))
        let result = try await engine(store).run(profileID: try F.profileID(), exchange: try scenario.snapshot())
        #expect(result.finishedPendingRecords.isEmpty)
        #expect(result.records.allSatisfy { $0.reason == .profileNotPaused })
        #expect(try await backfillOrders(base).isEmpty)
        #expect(try await base.auditRecords(profileID: try F.profileID(), decision: .pendingApply).count == 1)
    }

    @Test("finishPendingApply finishes an interrupted run without planning a new one")
    func finishDirectly() async throws {
        let scenario = EngineScenario()
        let base = try await F.store(orders: try scenario.orders())
        let store = FaultInjectingStore(wrapping: base, isTransactional: false)
        store.inject(.crash(atCall: 1, of: .insertOrder))
        _ = await backfillError { _ = try await engine(store).run(profileID: try F.profileID(), exchange: try scenario.snapshot()) }
        let finished = try await engine(base).finishPendingApply(profileID: try F.profileID())
        #expect(finished.map(\.decision) == [.applied])
        #expect(try await backfillOrders(base).map { $0.tradeID?.rawValue } == ["TRD-a1"])
    }
}

@Suite("Backfill engine: rollback")
struct BackfillEngineRollbackTests {
    @Test("rollback cancels the batch's orders (never deletes) and marks the batch; a second rollback changes nothing")
    func rollbackTwice() async throws {
        let scenario = EngineScenario()
        let store = try await F.store(orders: try scenario.orders())
        let backfill = try engine(store)
        let result = try await backfill.run(profileID: try F.profileID(), exchange: try scenario.snapshot())
        let applied = Set(result.records.compactMap(\.backfillOrderID))

        let rollback = try await engine(store, at: "2026-02-15T13:00:00.000Z").rollback(batchID: result.batchID)
        #expect(rollback.cancelledOrderCount == 3 && rollback.alreadyCancelledOrderCount == 0 && rollback.missingOrderCount == 0)
        #expect(rollback.revertedRecordCount == 3 && rollback.finishedPendingCount == 0)
        let cancelled = try await backfillOrders(store)
        #expect(Set(cancelled.map(\.orderID)) == applied, "rows are kept")
        #expect(cancelled.allSatisfy { $0.status == .cancelled && $0.status.rawValue == "canceled" })
        #expect(cancelled.allSatisfy { $0.updatedAt == (try? F.time("2026-02-15T13:00:00.000Z")) })
        let audit = try await store.auditRecords(batchID: result.batchID)
        #expect(audit.allSatisfy { $0.revertedAt == (try? F.time("2026-02-15T13:00:00.000Z")) })
        #expect(audit.map(\.decision) == [.applied, .applied, .applied], "decisions are kept")
        #expect(try await backfill.validate(profileID: try F.profileID()).count == 2, "the lifecycles are open again")

        let ordersAfterFirst = try await allOrders(store)
        let again = try await engine(store, at: "2026-02-15T14:00:00.000Z").rollback(batchID: result.batchID)
        #expect(again.cancelledOrderCount == 0 && again.alreadyCancelledOrderCount == 3 && again.revertedRecordCount == 0)
        #expect(try await allOrders(store) == ordersAfterFirst)
        #expect(try await store.auditRecords(batchID: result.batchID) == audit)
    }

    @Test("rollback then re-apply: the BFILL orders exist (cancelled), so the rows are SKIP_EXISTING and nothing changes")
    func reapplyAfterRollback() async throws {
        let scenario = EngineScenario()
        let store = try await F.store(orders: try scenario.orders())
        let first = try await engine(store).run(profileID: try F.profileID(), exchange: try scenario.snapshot())
        _ = try await engine(store).rollback(batchID: first.batchID)
        let before = try await allOrders(store)
        let second = try await engine(store, at: "2026-02-15T12:30:00.000Z").run(profileID: try F.profileID(), exchange: try scenario.snapshot())
        #expect(second.records.map(\.decision) == [.skipExisting, .skipExisting, .skipExisting])
        #expect(second.records.map(\.backfillOrderID) == first.records.map(\.backfillOrderID))
        #expect(try await allOrders(store) == before)
        // Rolling back the re-apply cancels nothing more: the orders are cancelled already.
        let rollback = try await engine(store).rollback(batchID: second.batchID)
        #expect(rollback.cancelledOrderCount == 0 && rollback.alreadyCancelledOrderCount == 3)
    }

    @Test("rollback of a crashed batch finishes its PENDING_APPLY rows and cancels their orders")
    func rollbackCrashedBatch() async throws {
        let scenario = EngineScenario()
        let base = try await F.store(orders: try scenario.orders())
        let store = FaultInjectingStore(wrapping: base, isTransactional: false)
        store.inject(.crash(atCall: 1, of: .updateAuditDecision))
        _ = await backfillError { _ = try await engine(store).run(profileID: try F.profileID(), exchange: try scenario.snapshot()) }
        store.removeFaults()
        let pending = try await base.auditRecords(profileID: try F.profileID(), decision: .pendingApply)
        let batchID = try #require(pending.first?.batchID)
        let rollback = try await engine(store).rollback(batchID: batchID)
        #expect(rollback.finishedPendingCount == 1 && rollback.cancelledOrderCount == 1)
        #expect(try await base.auditRecords(profileID: try F.profileID(), decision: .pendingApply).isEmpty)
        #expect(try await backfillOrders(base).allSatisfy { $0.status == .cancelled })
    }

    @Test("rollback of an unknown batch is an error")
    func unknownBatch() async throws {
        let error = await backfillError { _ = try await engine(InMemoryStore()).rollback(batchID: try BackfillBatchID("bf-none")) }
        #expect(error?.code == .batchNotFound)
    }
}

/// A gateway that returns a fixed snapshot (or fails when it has none) and records requests.
private final class RecordingGateway: ExchangeGateway {
    struct Unavailable: Error {}
    let snapshot: ExchangeSnapshot?
    private let log = BackfillRequestLog()

    init(snapshot: ExchangeSnapshot?) {
        self.snapshot = snapshot
    }

    func snapshot(profileID: ProfileID, fillsSince since: Timestamp) async throws -> ExchangeSnapshot {
        log.append("\(profileID) since \(since.millisecondText)")
        guard let snapshot else { throw Unavailable() }
        return snapshot
    }

    func requests() -> [String] { log.entries() }
}
