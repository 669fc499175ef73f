/// One planned row of an EXIT backfill: a candidate EXIT row (reason `fill_evidence` or
/// `dust_remainder`, with a `BFILL-` id) or a `NO_GO` row (a gate's reason, or
/// `missing_fill_evidence_for_large_remainder`).
///
/// A row becomes an audit record (``auditRecord(batchID:rowNumber:decision:createdAt:)``) and,
/// for candidates applied, an EXIT order (``exitOrder(createdAt:)``).
public struct BackfillPlannedRow: Sendable, Hashable {
    /// `profile_id`.
    public let profileID: ProfileID
    /// `symbol`.
    public let symbol: String
    /// `trade_id`.
    public let tradeID: TradeID
    /// The lifecycle's side (its first ENTRY's side, long when absent); the `side` of the EXIT
    /// row. Not an audit column.
    public let side: PositionSide
    /// `reason`.
    public let reason: BackfillReason
    /// `open_qty`: the lifecycle's open quantity.
    public let openQuantity: ExactDecimal
    /// `filled_qty`: the quantity the candidate closes, or the uncovered remainder of a
    /// large-remainder `NO_GO`; `nil` for gate `NO_GO` rows.
    public let filledQuantity: ExactDecimal?
    /// `price`: the fill's price (evidence), the latest evidence price or average entry price
    /// (dust); `nil` for `NO_GO` rows.
    public let price: ExactDecimal?
    /// `backfill_order_id`: the `BFILL-` id of the EXIT row; `nil` for `NO_GO` rows.
    public let backfillOrderID: OrderID?
    /// `exchange_order_id`: the fill's exchange order id, `DUST` for the dust row, `nil` for
    /// `NO_GO` rows.
    public let exchangeOrderID: String?
    /// `exchange_client_order_id`: the fill's client order id; `nil` for dust and `NO_GO` rows.
    public let exchangeClientOrderID: ClientOrderID?
    /// `filled_at`: the fill's time (evidence) or the trade's latest fill time (dust); `nil` for
    /// `NO_GO` rows.
    public let filledAt: Timestamp?

    /// Creates a row (the planner makes them; tests and adapters may too).
    ///
    /// - Parameters: The fields of the same names.
    public init(profileID: ProfileID, symbol: String, tradeID: TradeID, side: PositionSide, reason: BackfillReason,
                openQuantity: ExactDecimal, filledQuantity: ExactDecimal?, price: ExactDecimal?,
                backfillOrderID: OrderID?, exchangeOrderID: String?, exchangeClientOrderID: ClientOrderID?,
                filledAt: Timestamp?) {
        self.profileID = profileID
        self.symbol = symbol
        self.tradeID = tradeID
        self.side = side
        self.reason = reason
        self.openQuantity = openQuantity
        self.filledQuantity = filledQuantity
        self.price = price
        self.backfillOrderID = backfillOrderID
        self.exchangeOrderID = exchangeOrderID
        self.exchangeClientOrderID = exchangeClientOrderID
        self.filledAt = filledAt
    }

    /// Whether the row is a candidate EXIT row (`fill_evidence` or `dust_remainder`) rather
    /// than a `NO_GO` row.
    public var isCandidate: Bool { reason == .fillEvidence || reason == .dustRemainder }

    /// The decision the row is first recorded with: `NO_GO` for `NO_GO` rows; `DRY_RUN` for
    /// candidates in a dry run, `PENDING_APPLY` for candidates being applied.
    ///
    /// - Parameter isDryRun: Whether the run is a dry run.
    public func initialDecision(isDryRun: Bool) -> BackfillDecision {
        guard isCandidate else { return .noGo }
        return isDryRun ? .dryRun : .pendingApply
    }

    /// The row as an audit record.
    ///
    /// - Parameters:
    ///   - batchID: The run's batch.
    ///   - rowNumber: The row's position in the batch.
    ///   - decision: The decision to record.
    ///   - createdAt: `created_at`.
    public func auditRecord(batchID: BackfillBatchID, rowNumber: Int, decision: BackfillDecision,
                            createdAt: Timestamp) -> BackfillAuditRecord {
        BackfillAuditRecord(
            batchID: batchID, rowNumber: rowNumber, profileID: profileID, symbol: symbol, tradeID: tradeID,
            decision: decision, reason: reason, openQuantity: openQuantity, filledQuantity: filledQuantity,
            price: price, backfillOrderID: backfillOrderID, exchangeOrderID: exchangeOrderID,
            exchangeClientOrderID: exchangeClientOrderID, filledAt: filledAt, createdAt: createdAt)
    }

    /// The EXIT order a candidate row inserts; `nil` for a `NO_GO` row.
    ///
    /// `order_id` = the `BFILL-` id, action EXIT, status filled, `quantity` = legacy `qty` =
    /// `filled_quantity` = the row's quantity (the runbook's inserted-row check reads `qty`; the
    /// lifecycle sums read `COALESCE(quantity, qty, 0)`, so both give the same), the row's price and `filled_at`, the lifecycle's trade id, symbol
    /// and side, and the fill's exchange order id and client order id. The dust row has no
    /// fill: both are `nil` on its order (the audit row keeps `DUST`).
    ///
    /// - Parameter createdAt: `created_at` of the order.
    /// - Throws: ``BackfillError`` with code ``BackfillError/Code/invalidRow`` when the row
    ///   lacks a quantity or time, or the order's validation refuses it.
    public func exitOrder(createdAt: Timestamp) throws(BackfillError) -> Order? {
        guard isCandidate, let orderID = backfillOrderID else { return nil }
        return try Self.exitOrder(
            orderID: orderID, profileID: profileID, symbol: symbol, tradeID: tradeID, side: side, reason: reason,
            quantity: filledQuantity, price: price, exchangeOrderID: exchangeOrderID,
            clientOrderID: exchangeClientOrderID, filledAt: filledAt, createdAt: createdAt)
    }

    /// Builds the EXIT order of a candidate (also used to finish `PENDING_APPLY` audit rows).
    static func exitOrder(orderID: OrderID, profileID: ProfileID, symbol: String, tradeID: TradeID, side: PositionSide,
                          reason: BackfillReason, quantity: ExactDecimal?, price: ExactDecimal?,
                          exchangeOrderID: String?, clientOrderID: ClientOrderID?, filledAt: Timestamp?,
                          createdAt: Timestamp) throws(BackfillError) -> Order {
        guard let quantity, let filledAt else {
            throw BackfillError(.invalidRow, context: "backfill row \(orderID) of trade \(tradeID): no quantity or filled_at")
        }
        let isDust = reason == .dustRemainder
        do {
            return try Order(
                orderID: orderID, profileID: profileID, symbol: symbol, tradeID: tradeID, action: .exit, side: side,
                status: .filled, quantity: quantity, legacyQuantity: quantity, filledQuantity: quantity, price: price,
                exchangeOrderID: isDust ? nil : exchangeOrderID, clientOrderID: isDust ? nil : clientOrderID,
                filledAt: filledAt, createdAt: createdAt)
        } catch {
            throw BackfillError(.invalidRow, context: "backfill row \(orderID) of trade \(tradeID)", underlying: error)
        }
    }
}

/// What the planner decided for one profile: the rows in the order of SPEC section 9.
///
/// Rows are grouped by lifecycle in (symbol, trade_id) order (UTF-8 byte order); within a
/// lifecycle, evidence rows by `filled_at` then exchange order id, then the dust or `NO_GO`
/// row. A gated lifecycle has exactly one row.
public struct BackfillPlan: Sendable, Hashable {
    /// The profile planned.
    public let profileID: ProfileID
    /// The planning time (`now`): the end of the evidence window.
    public let plannedAt: Timestamp
    /// The configuration planned with.
    public let configuration: BackfillConfiguration
    /// How many open lifecycles the profile has (0 when the backfill is disabled, because
    /// nothing is looked at then).
    public let openLifecycleCount: Int
    /// The planned rows.
    public let rows: [BackfillPlannedRow]

    /// Creates a plan.
    ///
    /// - Parameters: The fields of the same names.
    public init(profileID: ProfileID, plannedAt: Timestamp, configuration: BackfillConfiguration,
                openLifecycleCount: Int, rows: [BackfillPlannedRow]) {
        self.profileID = profileID
        self.plannedAt = plannedAt
        self.configuration = configuration
        self.openLifecycleCount = openLifecycleCount
        self.rows = rows
    }

    /// The candidate rows (those with a `BFILL-` id).
    public var candidates: [BackfillPlannedRow] { rows.filter(\.isCandidate) }

    /// The rows grouped by lifecycle, in plan order: the unit of work of an apply.
    public var rowsByLifecycle: [ArraySlice<BackfillPlannedRow>] {
        var groups: [ArraySlice<BackfillPlannedRow>] = []
        var start = rows.startIndex
        while start < rows.endIndex {
            var end = start + 1
            while end < rows.endIndex, rows[end].symbol == rows[start].symbol, rows[end].tradeID == rows[start].tradeID {
                end += 1
            }
            groups.append(rows[start..<end])
            start = end
        }
        return groups
    }
}
