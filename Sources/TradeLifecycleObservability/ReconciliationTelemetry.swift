public import CoreMetrics
public import Logging
public import TradeLifecycle

/// Logs and metrics of reconciliation passes (SPEC section 5), for swift-log and swift-metrics.
///
/// Hand it every pass's outcome, and its ``mismatchEventSink`` to the ``Reconciler``:
///
/// ```swift
/// let telemetry = ReconciliationTelemetry(logger: Logger(label: "reconciliation"))
/// let reconciler = try Reconciler(orders: store, exchange: gateway,
///                                 handler: LoggingDiscrepancyHandler(logger: logger, forwardingTo: routes),
///                                 clock: SystemWallClock(), onMismatch: telemetry.mismatchEventSink)
/// do {
///     telemetry.record(try await reconciler.reconcile(profileID: profileID))
/// } catch {
///     telemetry.recordFailure(error, profileID: profileID)
/// }
/// ```
///
/// Metrics (dimension `profile_id` on all of them; keep the number of profiles per process
/// moderate, as every profile is a time series):
/// - ``passesLabel`` counter, dimension `result`: `clean`, `mismatch` or `failed`;
/// - ``discrepanciesLabel`` counter, dimension `kind` (``DiscrepancyKind`` raw value);
/// - ``handlerFailuresLabel`` counter, dimension `kind`;
/// - ``mismatchCountLabel`` gauge: the profile's mismatch count after the pass;
/// - ``failuresLabel`` counter, dimension `code` (``ReconciliationError/Code`` raw value);
/// - ``mismatchEventsLabel`` and ``suppressedMismatchEventsLabel`` counters, dimension `kind`:
///   the throttled mismatch events emitted, and those the throttle held back before each.
public struct ReconciliationTelemetry: Sendable {
    /// Passes, by result.
    public static let passesLabel = "trade_lifecycle_reconciliation_passes_total"
    /// Discrepancies found, by kind.
    public static let discrepanciesLabel = "trade_lifecycle_reconciliation_discrepancies_total"
    /// Discrepancies whose handler threw, by kind.
    public static let handlerFailuresLabel = "trade_lifecycle_reconciliation_handler_failures_total"
    /// The mismatch count after the last pass.
    public static let mismatchCountLabel = "trade_lifecycle_reconciliation_mismatch_count"
    /// Passes that failed, by error code.
    public static let failuresLabel = "trade_lifecycle_reconciliation_failures_total"
    /// Mismatch events emitted through the throttle, by kind.
    public static let mismatchEventsLabel = "trade_lifecycle_mismatch_events_total"
    /// Mismatch events the throttle suppressed, by kind (counted when the next one is emitted).
    public static let suppressedMismatchEventsLabel = "trade_lifecycle_mismatch_events_suppressed_total"

    private let logger: Logger
    private let factory: any MetricsFactory

    /// Creates the telemetry of reconciliation passes.
    ///
    /// - Parameters:
    ///   - logger: Where passes and events are logged: a clean pass at `debug`, a pass with
    ///     discrepancies and every mismatch event at `warning`, handler failures and failed
    ///     passes at `error`.
    ///   - metricsFactory: Where metrics are recorded; the process's bootstrapped
    ///     `MetricsSystem.factory` by default.
    public init(logger: Logger, metricsFactory: any MetricsFactory = MetricsSystem.factory) {
        self.logger = logger
        self.factory = metricsFactory
    }

    /// Records a finished pass: its result, its discrepancies by kind, its handler failures
    /// and the profile's mismatch count.
    ///
    /// - Parameter report: The pass's report.
    public func record(_ report: ReconciliationReport) {
        let profile = report.profileID.rawValue
        Counter(label: Self.passesLabel, dimensions: [("profile_id", profile), ("result", report.isClean ? "clean" : "mismatch")],
                factory: factory).increment()
        Gauge(label: Self.mismatchCountLabel, dimensions: [("profile_id", profile)], factory: factory)
            .record(Int64(report.mismatchCount))
        let counts = Self.countsByKind(report.discrepancies)
        for (kind, count) in counts {
            Counter(label: Self.discrepanciesLabel, dimensions: [("profile_id", profile), ("kind", kind.rawValue)],
                    factory: factory).increment(by: Int64(count))
        }
        var metadata: Logger.Metadata = [
            "profile_id": "\(profile)",
            "started_at": "\(report.startedAt.millisecondText)",
            "mismatch_count": "\(report.mismatchCount)",
        ]
        if report.isClean {
            logger.debug("reconciliation pass clean", metadata: metadata)
        } else {
            metadata["discrepancies"] = "\(counts.map { "\($0.kind.rawValue)=\($0.count)" }.joined(separator: ","))"
            logger.warning("reconciliation pass found \(report.discrepancies.count) discrepancies", metadata: metadata)
        }
        for failure in report.handlerFailures {
            Counter(label: Self.handlerFailuresLabel,
                    dimensions: [("profile_id", profile), ("kind", failure.discrepancy.kind.rawValue)], factory: factory).increment()
            logger.error("reconciliation handler failed: \(failure.error)",
                         metadata: DiscrepancyMetadata.of(failure.discrepancy))
        }
    }

    /// Records a pass that failed before it compared anything (lock refused, store or exchange
    /// unreadable, inconsistent input).
    ///
    /// - Parameters:
    ///   - error: The pass's error.
    ///   - profileID: The profile of the pass.
    public func recordFailure(_ error: ReconciliationError, profileID: ProfileID) {
        Counter(label: Self.passesLabel, dimensions: [("profile_id", profileID.rawValue), ("result", "failed")],
                factory: factory).increment()
        Counter(label: Self.failuresLabel, dimensions: [("profile_id", profileID.rawValue), ("code", error.code.rawValue)],
                factory: factory).increment()
        logger.error("reconciliation pass failed: \(error)",
                     metadata: ["profile_id": "\(profileID.rawValue)", "code": "\(error.code.rawValue)"])
    }

    /// Records a mismatch event the reconciler emitted (after its throttle).
    ///
    /// - Parameter event: The event.
    public func record(_ event: MismatchEvent) {
        let dimensions = [("profile_id", event.key.profileID.rawValue), ("kind", event.key.kind.rawValue)]
        Counter(label: Self.mismatchEventsLabel, dimensions: dimensions, factory: factory).increment()
        if event.suppressedSinceLastEmission > 0 {
            Counter(label: Self.suppressedMismatchEventsLabel, dimensions: dimensions, factory: factory)
                .increment(by: Int64(event.suppressedSinceLastEmission))
        }
        var metadata: Logger.Metadata = [
            "profile_id": "\(event.key.profileID.rawValue)",
            "kind": "\(event.key.kind.rawValue)",
            "discrepancy_count": "\(event.discrepancyCount)",
            "suppressed": "\(event.suppressedSinceLastEmission)",
            "mismatch_count": "\(event.mismatchCount)",
            "at": "\(event.at.millisecondText)",
        ]
        if let symbol = event.key.symbol { metadata["symbol"] = "\(symbol)" }
        logger.warning("exchange state mismatch", metadata: metadata)
    }

    /// ``record(_:)-(MismatchEvent)`` as the `onMismatch` sink of a ``Reconciler``.
    public var mismatchEventSink: Reconciler.MismatchEventSink {
        let telemetry = self
        return { event in telemetry.record(event) }
    }

    /// The discrepancies' counts per kind, in ``DiscrepancyKind`` declaration order.
    static func countsByKind(_ discrepancies: [Discrepancy]) -> [(kind: DiscrepancyKind, count: Int)] {
        var counts: [DiscrepancyKind: Int] = [:]
        for discrepancy in discrepancies { counts[discrepancy.kind, default: 0] += 1 }
        return DiscrepancyKind.allCases.compactMap { kind in counts[kind].map { (kind, $0) } }
    }
}
