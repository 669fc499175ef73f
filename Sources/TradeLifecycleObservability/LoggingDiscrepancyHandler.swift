public import Logging
public import TradeLifecycle

/// A discrepancy handler that logs every discrepancy with its identifiers as metadata, then
/// hands it to another handler (or to none).
///
/// ```swift
/// let handler = LoggingDiscrepancyHandler(logger: logger, forwardingTo: DiscrepancyRoutes()
///     .routing(.ghostPosition) { discrepancy, _ in await pageOperator(discrepancy) })
/// ```
///
/// The next handler's error is rethrown unchanged, so the pass records it as before.
public struct LoggingDiscrepancyHandler: DiscrepancyHandler {
    private let logger: Logger
    private let level: Logger.Level
    private let next: (any DiscrepancyHandler)?

    /// Creates the handler.
    ///
    /// - Parameters:
    ///   - logger: Where discrepancies are logged.
    ///   - level: Their log level; `warning` by default.
    ///   - next: The handler that repairs or routes them; `nil` to only log.
    public init(logger: Logger, level: Logger.Level = .warning, forwardingTo next: (any DiscrepancyHandler)? = nil) {
        self.logger = logger
        self.level = level
        self.next = next
    }

    /// Logs the discrepancy, then passes it to the next handler.
    ///
    /// - Parameters:
    ///   - discrepancy: The discrepancy.
    ///   - context: The pass.
    /// - Throws: What the next handler throws.
    public func handle(_ discrepancy: Discrepancy, context: ReconciliationContext) async throws {
        var metadata = DiscrepancyMetadata.of(discrepancy)
        metadata["pass_started_at"] = "\(context.startedAt.millisecondText)"
        logger.log(level: level, "\(discrepancy)", metadata: metadata)
        try await next?.handle(discrepancy, context: context)
    }
}

/// The log metadata of a discrepancy: its kind and every identifier it carries.
enum DiscrepancyMetadata {
    static func of(_ discrepancy: Discrepancy) -> Logger.Metadata {
        var metadata: Logger.Metadata = [
            "kind": "\(discrepancy.kind.rawValue)",
            "profile_id": "\(discrepancy.profileID.rawValue)",
        ]
        if let symbol = discrepancy.symbol { metadata["symbol"] = "\(symbol)" }
        if let orderID = discrepancy.orderID { metadata["order_id"] = "\(orderID.rawValue)" }
        if !discrepancy.tradeIDs.isEmpty { metadata["trade_ids"] = .array(discrepancy.tradeIDs.map { "\($0.rawValue)" }) }
        if let exchangeOrderID = discrepancy.exchangeOrderID { metadata["exchange_order_id"] = "\(exchangeOrderID)" }
        if let clientOrderID = discrepancy.clientOrderID { metadata["client_order_id"] = "\(clientOrderID.rawValue)" }
        return metadata
    }
}
