public import CoreMetrics
public import Logging
public import TradeLifecycle

/// Logs and metrics of EXIT backfill runs and rollbacks (SPEC section 6), for swift-log and
/// swift-metrics.
///
/// ```swift
/// let telemetry = BackfillTelemetry(logger: Logger(label: "backfill"))
/// do {
///     telemetry.record(try await engine.run(profileID: profileID, exchange: snapshot))
/// } catch {
///     telemetry.recordFailure(error)
/// }
/// ```
///
/// Metrics:
/// - ``runsLabel`` counter, dimension `mode`: `disabled`, `dry_run` or `apply`;
/// - ``rowsLabel`` counter, dimensions `profile_id`, `decision` and `reason` (the audit's
///   text, e.g. `NO_GO` / `missing_fill_evidence_for_large_remainder`);
/// - ``recoveredRowsLabel`` counter, dimensions `profile_id` and `decision`: `PENDING_APPLY`
///   rows of an interrupted run that this run finished;
/// - ``failuresLabel`` counter, dimension `code` (``BackfillError/Code`` raw value);
/// - ``rollbacksLabel`` counter and ``rolledBackOrdersLabel`` counter (EXIT orders cancelled).
///
/// Logs: a run's summary at `info`, every `NO_GO` row at `warning` with its reason and
/// trade, every inserted (`APPLIED`) row at `notice`, rollbacks at `notice`, failures at
/// `error`.
public struct BackfillTelemetry: Sendable {
    /// Runs, by mode.
    public static let runsLabel = "trade_lifecycle_backfill_runs_total"
    /// Audit rows written, by profile, decision and reason.
    public static let rowsLabel = "trade_lifecycle_backfill_rows_total"
    /// `PENDING_APPLY` rows of earlier runs finished, by profile and final decision.
    public static let recoveredRowsLabel = "trade_lifecycle_backfill_recovered_rows_total"
    /// Runs or rollbacks that failed, by error code.
    public static let failuresLabel = "trade_lifecycle_backfill_failures_total"
    /// Batches rolled back.
    public static let rollbacksLabel = "trade_lifecycle_backfill_rollbacks_total"
    /// EXIT orders cancelled by rollbacks.
    public static let rolledBackOrdersLabel = "trade_lifecycle_backfill_rolled_back_orders_total"

    private let logger: Logger
    private let factory: any MetricsFactory

    /// Creates the telemetry of backfill runs.
    ///
    /// - Parameters:
    ///   - logger: Where runs, rows and rollbacks are logged.
    ///   - metricsFactory: Where metrics are recorded; the process's bootstrapped
    ///     `MetricsSystem.factory` by default.
    public init(logger: Logger, metricsFactory: any MetricsFactory = MetricsSystem.factory) {
        self.logger = logger
        self.factory = metricsFactory
    }

    /// Records a finished run: its mode, every audit row it wrote, and the rows of interrupted
    /// runs it finished.
    ///
    /// - Parameter result: The run's result.
    public func record(_ result: BackfillRunResult) {
        let mode = Self.modeText(result.mode)
        Counter(label: Self.runsLabel, dimensions: [("mode", mode)], factory: factory).increment()
        struct RowKey: Hashable {
            let profileID: ProfileID
            let decision: BackfillDecision
            let reason: BackfillReason
        }
        var counts: [BackfillDecision: Int] = [:]
        var rowCounts: [RowKey: Int] = [:]
        for record in result.records {
            counts[record.decision, default: 0] += 1
            rowCounts[RowKey(profileID: record.profileID, decision: record.decision, reason: record.reason), default: 0] += 1
            switch record.decision {
            case .noGo:
                logger.warning("backfill NO_GO: \(record.reason.rawValue)", metadata: Self.metadata(of: record))
            case .applied:
                logger.notice("backfill inserted \(record.backfillOrderID?.rawValue ?? "-")", metadata: Self.metadata(of: record))
            case .dryRun, .pendingApply, .skipExisting:
                logger.debug("backfill \(record.decision.rawValue): \(record.reason.rawValue)", metadata: Self.metadata(of: record))
            }
        }
        // One counter per (profile, decision, reason), not one per row.
        for (key, count) in rowCounts {
            Counter(label: Self.rowsLabel, dimensions: [("profile_id", key.profileID.rawValue),
                                                        ("decision", key.decision.rawValue),
                                                        ("reason", key.reason.rawValue)], factory: factory)
                .increment(by: Int64(count))
        }
        for record in result.finishedPendingRecords {
            Counter(label: Self.recoveredRowsLabel, dimensions: [("profile_id", record.profileID.rawValue),
                                                                 ("decision", record.decision.rawValue)], factory: factory).increment()
            logger.notice("backfill finished an interrupted row: \(record.decision.rawValue)", metadata: Self.metadata(of: record))
        }
        let summary = BackfillDecision.allCases.compactMap { decision in counts[decision].map { "\(decision.rawValue)=\($0)" } }
        logger.info("backfill run \(result.batchID.rawValue) (\(mode)): \(summary.isEmpty ? "no rows" : summary.joined(separator: ", "))",
                    metadata: ["batch_id": "\(result.batchID.rawValue)", "mode": "\(mode)",
                               "lifecycles": "\(result.plans.reduce(0) { $0 + $1.openLifecycleCount })",
                               "recovered": "\(result.finishedPendingRecords.count)"])
    }

    /// Records a finished rollback.
    ///
    /// - Parameter rollback: The rollback's result.
    public func record(_ rollback: BackfillRollbackResult) {
        Counter(label: Self.rollbacksLabel, factory: factory).increment()
        Counter(label: Self.rolledBackOrdersLabel, factory: factory).increment(by: Int64(rollback.cancelledOrderCount))
        logger.notice("backfill batch \(rollback.batchID.rawValue) rolled back", metadata: [
            "batch_id": "\(rollback.batchID.rawValue)",
            "cancelled_orders": "\(rollback.cancelledOrderCount)",
            "already_cancelled_orders": "\(rollback.alreadyCancelledOrderCount)",
            "missing_orders": "\(rollback.missingOrderCount)",
            "reverted_records": "\(rollback.revertedRecordCount)",
            "finished_pending": "\(rollback.finishedPendingCount)",
        ])
    }

    /// Records a run or rollback that failed.
    ///
    /// - Parameter error: The error.
    public func recordFailure(_ error: BackfillError) {
        Counter(label: Self.failuresLabel, dimensions: [("code", error.code.rawValue)], factory: factory).increment()
        logger.error("backfill failed: \(error)", metadata: ["code": "\(error.code.rawValue)"])
    }

    static func modeText(_ mode: BackfillMode) -> String {
        switch mode {
        case .disabled: "disabled"
        case .dryRun: "dry_run"
        case .apply: "apply"
        }
    }

    static func metadata(of record: BackfillAuditRecord) -> Logger.Metadata {
        var metadata: Logger.Metadata = [
            "batch_id": "\(record.batchID.rawValue)",
            "row": "\(record.rowNumber)",
            "profile_id": "\(record.profileID.rawValue)",
            "symbol": "\(record.symbol)",
            "trade_id": "\(record.tradeID.rawValue)",
            "decision": "\(record.decision.rawValue)",
            "reason": "\(record.reason.rawValue)",
            "open_qty": "\(record.openQuantity)",
        ]
        if let filled = record.filledQuantity { metadata["filled_qty"] = "\(filled)" }
        if let price = record.price { metadata["price"] = "\(price)" }
        if let orderID = record.backfillOrderID { metadata["backfill_order_id"] = "\(orderID.rawValue)" }
        if let exchangeOrderID = record.exchangeOrderID { metadata["exchange_order_id"] = "\(exchangeOrderID)" }
        if let filledAt = record.filledAt { metadata["filled_at"] = "\(filledAt.millisecondText)" }
        return metadata
    }
}
