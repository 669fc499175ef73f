/// How a backfill run treats its candidates.
public enum BackfillMode: String, Sendable, Hashable, CaseIterable {
    /// `ENABLE_RECON_EXIT_BACKFILL=false`: nothing is planned or written.
    case disabled
    /// `RECON_EXIT_BACKFILL_DRY_RUN=true`: audit rows only (`DRY_RUN`, `NO_GO`), no order written.
    case dryRun
    /// `RECON_EXIT_BACKFILL_DRY_RUN=false`: candidates are inserted as EXIT orders.
    case apply
}

extension BackfillConfiguration {
    /// The run mode these settings select.
    public var mode: BackfillMode {
        guard isEnabled else { return .disabled }
        return isDryRun ? .dryRun : .apply
    }
}

/// What one backfill run did.
public struct BackfillRunResult: Sendable, Hashable {
    /// The run's batch; every record in ``records`` carries it. Nothing is written under it
    /// when the run is disabled or found nothing to plan.
    public let batchID: BackfillBatchID
    /// The mode of the run.
    public let mode: BackfillMode
    /// The run's time: `now` of the planner, `created_at` of its audit rows and orders.
    public let startedAt: Timestamp
    /// The plan of each profile, in the order run.
    public let plans: [BackfillPlan]
    /// The run's audit records with their final decisions, by row number: `DRY_RUN` and
    /// `NO_GO` in a dry run; `APPLIED`, `SKIP_EXISTING` and `NO_GO` in an apply.
    public let records: [BackfillAuditRecord]
    /// `PENDING_APPLY` records of earlier (interrupted) runs that this apply run finished
    /// first, with their new decisions; they keep their own batch ids.
    public let finishedPendingRecords: [BackfillAuditRecord]

    /// Creates a result.
    ///
    /// - Parameters: The fields of the same names.
    public init(batchID: BackfillBatchID, mode: BackfillMode, startedAt: Timestamp, plans: [BackfillPlan],
                records: [BackfillAuditRecord], finishedPendingRecords: [BackfillAuditRecord]) {
        self.batchID = batchID
        self.mode = mode
        self.startedAt = startedAt
        self.plans = plans
        self.records = records
        self.finishedPendingRecords = finishedPendingRecords
    }

    /// How many of the run's records have `decision`.
    ///
    /// - Parameter decision: The decision to count.
    public func count(of decision: BackfillDecision) -> Int {
        records.reduce(0) { $0 + ($1.decision == decision ? 1 : 0) }
    }
}

/// What a rollback did. Rolling back a batch a second time reports zero cancelled orders and
/// zero newly reverted records.
public struct BackfillRollbackResult: Sendable, Hashable {
    /// The batch rolled back.
    public let batchID: BackfillBatchID
    /// `PENDING_APPLY` records of the batch finished before the rollback (see
    /// ``BackfillEngine/rollback(batchID:)``).
    public let finishedPendingCount: Int
    /// Orders changed from filled to cancelled now.
    public let cancelledOrderCount: Int
    /// Orders of `APPLIED` or `SKIP_EXISTING` records that were already cancelled.
    public let alreadyCancelledOrderCount: Int
    /// `APPLIED` or `SKIP_EXISTING` records whose order does not exist (nothing to cancel).
    public let missingOrderCount: Int
    /// Audit records that got `reverted_at` now.
    public let revertedRecordCount: Int

    /// Creates a result.
    ///
    /// - Parameters: The fields of the same names.
    public init(batchID: BackfillBatchID, finishedPendingCount: Int, cancelledOrderCount: Int,
                alreadyCancelledOrderCount: Int, missingOrderCount: Int, revertedRecordCount: Int) {
        self.batchID = batchID
        self.finishedPendingCount = finishedPendingCount
        self.cancelledOrderCount = cancelledOrderCount
        self.alreadyCancelledOrderCount = alreadyCancelledOrderCount
        self.missingOrderCount = missingOrderCount
        self.revertedRecordCount = revertedRecordCount
    }
}

/// Runs the EXIT backfill of `reference/001_*` against a ``Store``: plan (with
/// ``BackfillPlanner``), audit, apply, roll back and validate.
///
/// **Apply protocol.** An apply run first finishes the `PENDING_APPLY` rows an interrupted run
/// left (``finishPendingApply(profileID:)``), then plans, then writes each lifecycle's rows as
/// one unit of work (``Store/withTransaction(_:)``): the audit rows first (candidates as
/// `PENDING_APPLY`), then each candidate's EXIT order with `ON CONFLICT (order_id) DO NOTHING`
/// semantics, then each candidate's decision is set to `APPLIED` (inserted) or `SKIP_EXISTING`
/// (the order id existed) by compare-and-set. If the audit rows cannot be written, the
/// lifecycle's orders are not inserted and the run fails with
/// ``BackfillError/Code/auditWriteFailed``. In a store without atomic transactions a crash can
/// leave `PENDING_APPLY` rows with or without their order; the next apply run (or a rollback
/// of that batch) finishes them, so the orders end up exactly as after an uninterrupted run.
///
/// When pause is required and the profile is not paused, an apply run writes only the gate's
/// `NO_GO` rows: it neither finishes pending rows nor inserts orders.
///
/// Run one engine per profile at a time (the runbook's paused, operator-driven procedure); the
/// engine holds no lock of its own.
public struct BackfillEngine: Sendable {
    /// The store read and written.
    public let store: any Store
    /// The clock giving `now` (evidence window, `created_at`, `reverted_at`).
    public let clock: any WallClock
    /// The settings.
    public let configuration: BackfillConfiguration

    /// How many audit records a dry run writes per call.
    static let auditChunkSize = 1_000

    /// Creates an engine.
    ///
    /// - Parameters:
    ///   - store: The store.
    ///   - clock: The clock.
    ///   - configuration: The settings (``BackfillConfiguration/init(environment:)``).
    public init(store: any Store, clock: any WallClock, configuration: BackfillConfiguration) {
        self.store = store
        self.clock = clock
        self.configuration = configuration
    }

    // MARK: Plan

    /// Plans one profile from the store's current orders and profile state, writing nothing.
    ///
    /// - Parameters:
    ///   - profileID: The profile.
    ///   - exchange: The exchange's snapshot.
    ///   - now: The planning time; the clock's time when `nil`.
    /// - Returns: The plan (no rows when disabled).
    /// - Throws: ``BackfillError``: ``BackfillError/Code/storeReadFailed`` or a planning error of
    ///   ``BackfillPlanner/plan(profileID:orders:profile:exchange:configuration:now:)``.
    public func plan(profileID: ProfileID, exchange: ExchangeSnapshot, now: Timestamp? = nil) async throws(BackfillError) -> BackfillPlan {
        let now = now ?? clock.now()
        guard configuration.isEnabled else {
            return try BackfillPlanner.plan(profileID: profileID, orders: [], profile: nil, exchange: exchange,
                                            configuration: configuration, now: now)
        }
        let profile = try await readProfile(profileID)
        let orders = try await readOrders(profileID)
        return try BackfillPlanner.plan(profileID: profileID, orders: orders, profile: profile, exchange: exchange,
                                        configuration: configuration, now: now)
    }

    // MARK: Run

    /// Runs the backfill for one profile in the configured mode.
    ///
    /// - Parameters:
    ///   - profileID: The profile.
    ///   - exchange: The exchange's snapshot of the profile (positions and recent fills).
    /// - Returns: The batch id and the audit records written.
    /// - Throws: ``BackfillError`` (see ``run(profileIDs:exchange:)``).
    public func run(profileID: ProfileID, exchange: ExchangeSnapshot) async throws(BackfillError) -> BackfillRunResult {
        try await run(profileIDs: [profileID], exchange: exchange)
    }

    /// Runs the backfill for one profile, reading the snapshot from the exchange: positions and
    /// the fills since `now - lookback`.
    ///
    /// - Parameters:
    ///   - profileID: The profile.
    ///   - gateway: The exchange connection.
    /// - Returns: The batch id and the audit records written.
    /// - Throws: ``BackfillError`` with code ``BackfillError/Code/exchangeUnavailable`` when the
    ///   snapshot cannot be read (nothing is written then), or as ``run(profileIDs:exchange:)``.
    public func run(profileID: ProfileID, gateway: any ExchangeGateway) async throws(BackfillError) -> BackfillRunResult {
        let now = clock.now()
        let since = now.advanced(byMicroseconds: -configuration.lookbackMicroseconds) ?? Timestamp.min
        let snapshot: ExchangeSnapshot
        do {
            snapshot = try await gateway.snapshot(profileID: profileID, fillsSince: since)
        } catch {
            throw BackfillError(.exchangeUnavailable, context: "snapshot of profile \(profileID)")
        }
        return try await run(profileIDs: [profileID], exchange: snapshot, now: now)
    }

    /// Runs the backfill for several profiles as one batch: rows numbered in the order of
    /// profile (UTF-8 byte order, duplicates removed), symbol and trade id.
    ///
    /// - Parameters:
    ///   - profileIDs: The profiles.
    ///   - exchange: The exchange's snapshot of these profiles.
    /// - Returns: The batch id and the audit records written.
    /// - Throws: ``BackfillError``: ``BackfillError/Code/storeReadFailed``,
    ///   ``BackfillError/Code/auditWriteFailed``, ``BackfillError/Code/orderWriteFailed``, or a
    ///   planning error. Lifecycles written before the failure stay written (each is its own
    ///   unit of work, audited); a rerun plans what is still open.
    public func run(profileIDs: [ProfileID], exchange: ExchangeSnapshot) async throws(BackfillError) -> BackfillRunResult {
        try await run(profileIDs: profileIDs, exchange: exchange, now: clock.now())
    }

    private func run(profileIDs: [ProfileID], exchange: ExchangeSnapshot, now: Timestamp) async throws(BackfillError) -> BackfillRunResult {
        let batchID = BackfillBatchID.make(at: now)
        let mode = configuration.mode
        guard mode != .disabled else {
            return BackfillRunResult(batchID: batchID, mode: mode, startedAt: now, plans: [], records: [],
                                     finishedPendingRecords: [])
        }
        var plans: [BackfillPlan] = []
        var records: [BackfillAuditRecord] = []
        var finished: [BackfillAuditRecord] = []
        for profileID in Set(profileIDs).sorted() {
            let profile = try await readProfile(profileID)
            let pauseSatisfied = !configuration.requiresPause || (profile?.isPaused ?? false)
            if mode == .apply, pauseSatisfied {
                finished += try await finishPendingApply(profileID: profileID)
            }
            let orders = try await readOrders(profileID)
            let plan = try BackfillPlanner.plan(profileID: profileID, orders: orders, profile: profile, exchange: exchange,
                                                configuration: configuration, now: now)
            plans.append(plan)
            let firstRow = records.count
            let planned = plan.rows.enumerated().map { offset, row in
                row.auditRecord(batchID: batchID, rowNumber: firstRow + offset,
                                decision: row.initialDecision(isDryRun: mode == .dryRun), createdAt: now)
            }
            if mode == .dryRun {
                try await writeAudit(planned)
                records += planned
            } else {
                var offset = 0
                for group in plan.rowsByLifecycle {
                    let groupRecords = Array(planned[offset..<(offset + group.count)])
                    offset += group.count
                    var groupOrders: [Order?] = []
                    for row in group { groupOrders.append(try row.exitOrder(createdAt: now)) }
                    records += try await apply(groupRecords, orders: groupOrders)
                }
            }
        }
        return BackfillRunResult(batchID: batchID, mode: mode, startedAt: now, plans: plans, records: records,
                                 finishedPendingRecords: finished)
    }

    /// Writes one lifecycle's records and orders as one unit of work.
    ///
    /// - Returns: The records with their final decisions.
    private func apply(_ records: [BackfillAuditRecord], orders: [Order?]) async throws(BackfillError) -> [BackfillAuditRecord] {
        let context = records.first.map { "lifecycle \($0.profileID)/\($0.symbol)/\($0.tradeID) in batch \($0.batchID)" } ?? "empty lifecycle"
        do {
            return try await store.withTransaction { transaction in
                do {
                    try await transaction.insertAuditRecords(records)
                } catch {
                    throw BackfillError(.auditWriteFailed, context: "writing the audit rows of \(context)", underlying: error)
                }
                var result = records
                for index in records.indices where records[index].decision == .pendingApply {
                    guard let order = orders[index] else { continue }
                    result[index] = try await Self.insert(order, finishing: records[index], in: transaction)
                }
                return result
            }
        } catch let error as BackfillError {
            throw error
        } catch {
            throw BackfillError(.auditWriteFailed, context: "committing \(context)", underlying: error)
        }
    }

    /// Inserts a `PENDING_APPLY` record's order and sets the record's decision.
    private static func insert(_ order: Order, finishing record: BackfillAuditRecord,
                               in transaction: any StoreTransaction) async throws(BackfillError) -> BackfillAuditRecord {
        let outcome: InsertOutcome
        do {
            outcome = try await transaction.insertOrder(order)
        } catch {
            throw BackfillError(.orderWriteFailed, context: "inserting \(order.orderID) (batch \(record.batchID) row \(record.rowNumber))",
                                underlying: error)
        }
        do {
            return try await transaction.updateAuditDecision(record.key, from: .pendingApply,
                                                             to: outcome == .inserted ? .applied : .skipExisting)
        } catch {
            throw BackfillError(.auditWriteFailed, context: "recording \(outcome.rawValue) of \(order.orderID) (batch \(record.batchID) row \(record.rowNumber))",
                                underlying: error)
        }
    }

    /// Writes dry-run records in chunks.
    private func writeAudit(_ records: [BackfillAuditRecord]) async throws(BackfillError) {
        var start = 0
        while start < records.count {
            let end = Swift.min(start + Self.auditChunkSize, records.count)
            do {
                try await store.insertAuditRecords(Array(records[start..<end]))
            } catch {
                throw BackfillError(.auditWriteFailed, context: "writing dry-run audit rows \(start)..<\(end) of batch \(records[start].batchID)",
                                    underlying: error)
            }
            start = end
        }
    }

    // MARK: Recovery

    /// Finishes the `PENDING_APPLY` records of a profile left by interrupted apply runs: each
    /// record's EXIT order is inserted unless its order id exists, and the record becomes
    /// `APPLIED` or `SKIP_EXISTING` (an order inserted just before the interruption is found
    /// existing: `SKIP_EXISTING`; rollback treats both alike). The order is rebuilt from the
    /// audit record (the side from the trade's lifecycle) with the record's `created_at`, so it
    /// equals the order the interrupted run would have inserted. A record of a batch already
    /// rolled back gets its order cancelled as well.
    ///
    /// ``run(profileID:exchange:)`` calls this first in apply mode; call it directly to finish
    /// an interrupted run without planning a new one. It runs whatever the mode.
    ///
    /// - Parameter profileID: The profile.
    /// - Returns: The finished records with their new decisions, oldest first.
    /// - Throws: ``BackfillError``: ``BackfillError/Code/storeReadFailed``,
    ///   ``BackfillError/Code/invalidRow`` (a pending record without `BFILL-` id or quantity),
    ///   ``BackfillError/Code/orderWriteFailed``, ``BackfillError/Code/auditWriteFailed``.
    public func finishPendingApply(profileID: ProfileID) async throws(BackfillError) -> [BackfillAuditRecord] {
        let pending: [BackfillAuditRecord]
        do {
            pending = try await store.auditRecords(profileID: profileID, decision: .pendingApply)
        } catch {
            throw BackfillError(.storeReadFailed, context: "reading PENDING_APPLY audit rows of profile \(profileID)", underlying: error)
        }
        return try await finish(pending, profileID: profileID)
    }

    private func finish(_ pending: [BackfillAuditRecord], profileID: ProfileID) async throws(BackfillError) -> [BackfillAuditRecord] {
        guard !pending.isEmpty else { return [] }
        let orders = try await readOrders(profileID)
        let analysis: LifecycleAnalysis
        do {
            analysis = try LifecycleAnalysis(orders: orders)
        } catch {
            throw BackfillError(.lifecycleAnalysisFailed, context: "finishing PENDING_APPLY rows of profile \(profileID)",
                                underlying: error)
        }
        let now = clock.now()
        var finished: [BackfillAuditRecord] = []
        for record in pending {
            guard let orderID = record.backfillOrderID else {
                throw BackfillError(.invalidRow, context: "PENDING_APPLY row \(record.rowNumber) of batch \(record.batchID) has no backfill_order_id")
            }
            let key = LifecycleKey(profileID: record.profileID, symbol: record.symbol, tradeID: record.tradeID)
            let order = try BackfillPlannedRow.exitOrder(
                orderID: orderID, profileID: record.profileID, symbol: record.symbol, tradeID: record.tradeID,
                side: analysis.summary(for: key)?.side ?? .long, reason: record.reason, quantity: record.filledQuantity,
                price: record.price, exchangeOrderID: record.exchangeOrderID, clientOrderID: record.exchangeClientOrderID,
                filledAt: record.filledAt, createdAt: record.createdAt)
            let isReverted = record.revertedAt != nil
            do {
                finished.append(try await store.withTransaction { transaction in
                    let updated = try await Self.insert(order, finishing: record, in: transaction)
                    if isReverted { _ = try await Self.cancel(orderID, in: transaction, at: now) }
                    return updated
                })
            } catch let error as BackfillError {
                throw error
            } catch {
                throw BackfillError(.auditWriteFailed, context: "committing PENDING_APPLY row \(record.rowNumber) of batch \(record.batchID)",
                                    underlying: error)
            }
        }
        return finished
    }

    // MARK: Rollback

    private enum CancelOutcome {
        case cancelled, alreadyCancelled, missing
    }

    private static func cancel(_ orderID: OrderID, in transaction: any StoreTransaction,
                               at now: Timestamp) async throws(BackfillError) -> CancelOutcome {
        let order: Order?
        do {
            order = try await transaction.order(orderID)
        } catch {
            throw BackfillError(.storeReadFailed, context: "reading \(orderID) to roll it back", underlying: error)
        }
        guard let order else { return .missing }
        guard order.status != .cancelled else { return .alreadyCancelled }
        do {
            _ = try await transaction.updateOrder(orderID, change: .revertBackfill, at: now)
        } catch {
            throw BackfillError(.orderWriteFailed, context: "cancelling \(orderID)", underlying: error)
        }
        return .cancelled
    }

    /// Rolls back a batch (runbook step 9): the orders of its `APPLIED` and `SKIP_EXISTING`
    /// rows get status cancelled (``OrderChange/revertBackfill``; never deleted; orders already
    /// cancelled are left alone), then every row of the batch gets `reverted_at`.
    ///
    /// `PENDING_APPLY` rows of the batch (an interrupted apply) are finished first, so their
    /// orders, inserted or not before the interruption, are cancelled like the others. Like
    /// the runbook's SQL, a `SKIP_EXISTING` row cancels the order it found, which an earlier
    /// batch may have inserted. Rolling back twice changes nothing the second time. Rollback
    /// does not depend on the configuration (it runs when the backfill is disabled).
    ///
    /// - Parameter batchID: The batch.
    /// - Returns: The counts of what changed.
    /// - Throws: ``BackfillError``: ``BackfillError/Code/batchNotFound``,
    ///   ``BackfillError/Code/storeReadFailed``, ``BackfillError/Code/orderWriteFailed`` (an
    ///   order is neither filled nor cancelled, so the state machine refuses the change),
    ///   ``BackfillError/Code/auditWriteFailed``.
    public func rollback(batchID: BackfillBatchID) async throws(BackfillError) -> BackfillRollbackResult {
        var records = try await readBatch(batchID)
        guard !records.isEmpty else {
            throw BackfillError(.batchNotFound, context: "rollback of batch \(batchID): no audit rows")
        }
        let pending = records.filter { $0.decision == .pendingApply }
        var finishedCount = 0
        if !pending.isEmpty {
            for profileID in Set(pending.map(\.profileID)).sorted() {
                finishedCount += try await finish(pending.filter { $0.profileID == profileID }, profileID: profileID).count
            }
            records = try await readBatch(batchID)
        }
        let orderIDs = records.compactMap { record in
            record.decision == .applied || record.decision == .skipExisting ? record.backfillOrderID : nil
        }
        let now = clock.now()
        let finishedPendingCount = finishedCount
        do {
            return try await store.withTransaction { transaction in
                var cancelled = 0
                var alreadyCancelled = 0
                var missing = 0
                for orderID in orderIDs {
                    switch try await Self.cancel(orderID, in: transaction, at: now) {
                    case .cancelled: cancelled += 1
                    case .alreadyCancelled: alreadyCancelled += 1
                    case .missing: missing += 1
                    }
                }
                let reverted: Int
                do {
                    reverted = try await transaction.markBatchReverted(batchID, at: now)
                } catch {
                    throw BackfillError(.auditWriteFailed, context: "marking batch \(batchID) reverted", underlying: error)
                }
                return BackfillRollbackResult(
                    batchID: batchID, finishedPendingCount: finishedPendingCount, cancelledOrderCount: cancelled,
                    alreadyCancelledOrderCount: alreadyCancelled, missingOrderCount: missing, revertedRecordCount: reverted)
            }
        } catch let error as BackfillError {
            throw error
        } catch {
            throw BackfillError(.auditWriteFailed, context: "committing the rollback of batch \(batchID)",
                                underlying: error)
        }
    }

    // MARK: Validation

    /// Post-fix validation (runbook step 8): the lifecycles of the profile with
    /// `open_qty > 0.000001`. Empty after a complete backfill.
    ///
    /// - Parameter profileID: The profile.
    /// - Returns: The lifecycles still open beyond the tolerance, by (symbol, trade_id).
    /// - Throws: ``BackfillError`` with code ``BackfillError/Code/storeReadFailed`` or
    ///   ``BackfillError/Code/lifecycleAnalysisFailed``.
    public func validate(profileID: ProfileID) async throws(BackfillError) -> [LifecycleSummary] {
        let orders = try await readOrders(profileID)
        let analysis: LifecycleAnalysis
        do {
            analysis = try LifecycleAnalysis(orders: orders)
        } catch {
            throw BackfillError(.lifecycleAnalysisFailed, context: "validating profile \(profileID)", underlying: error)
        }
        return analysis.summaries(profileID: profileID).filter { $0.openQuantity > Self.validationTolerance }
    }

    /// The post-fix validation tolerance of the runbook: 0.000001.
    public static let validationTolerance = ExactDecimal(units: 1_000_000_000_000)

    // MARK: Reads

    private func readProfile(_ profileID: ProfileID) async throws(BackfillError) -> TradingProfile? {
        do {
            return try await store.profile(profileID)
        } catch {
            throw BackfillError(.storeReadFailed, context: "reading profile \(profileID)", underlying: error)
        }
    }

    private func readOrders(_ profileID: ProfileID) async throws(BackfillError) -> [Order] {
        do {
            return try await store.orders(matching: OrderQuery(profileID: profileID))
        } catch {
            throw BackfillError(.storeReadFailed, context: "reading the orders of profile \(profileID)", underlying: error)
        }
    }

    private func readBatch(_ batchID: BackfillBatchID) async throws(BackfillError) -> [BackfillAuditRecord] {
        do {
            return try await store.auditRecords(batchID: batchID)
        } catch {
            throw BackfillError(.storeReadFailed, context: "reading the audit rows of batch \(batchID)", underlying: error)
        }
    }
}
