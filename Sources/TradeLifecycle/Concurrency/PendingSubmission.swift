/// Resolution of ambiguous submissions: an order sent to the exchange whose answer never
/// arrived (a timeout, a lost connection) stays pending, never failed or rejected, until the
/// exchange's own view settles it by the order's client order id (`reference/002_*` phase 6).
public enum PendingSubmission {
    /// Decides what the exchange's view says about a pending order. Pure: no clock, no I/O.
    ///
    /// - The order is looked up by its client order id (and profile) among the snapshot's
    ///   orders and fills. Found: adopt the exchange's status and fills.
    /// - Not found before `created_at + gracePeriodMicroseconds`: keep waiting (the submission may
    ///   still be in flight, or the snapshot may lag).
    /// - Not found at or after that deadline: the exchange never took the order; cancel it.
    /// - Contradictory evidence (two exchange orders with the client order id, fills of another
    ///   exchange order or symbol, more filled than the order's quantity): leave it for a person.
    ///
    /// - Parameters:
    ///   - order: The order as stored.
    ///   - snapshot: The exchange's view of the profile.
    ///   - now: The time of the decision.
    ///   - gracePeriodMicroseconds: How long after `created_at` an unknown order may still appear;
    ///     negative counts as zero.
    /// - Returns: The resolution.
    public static func resolve(_ order: Order, snapshot: ExchangeSnapshot, now: Timestamp,
                               gracePeriodMicroseconds: Int64) -> PendingSubmissionResolution {
        guard order.status == .pending else { return .notPending(order.status) }
        guard let clientOrderID = order.clientOrderID else { return .noClientOrderID }
        let exchangeOrders = snapshot.openOrders.filter { $0.clientOrderID == clientOrderID && $0.profileID == order.profileID }
        let fills = snapshot.fills
            .filter { $0.clientOrderID == clientOrderID && $0.profileID == order.profileID }
            .sorted { ($0.filledAt, $0.exchangeOrderID) < ($1.filledAt, $1.exchangeOrderID) }
        if exchangeOrders.count > 1 {
            return .conflicting("\(exchangeOrders.count) exchange orders carry client order id \(clientOrderID)")
        }
        let exchangeOrder = exchangeOrders.first
        if let exchangeOrder, exchangeOrder.symbol != order.symbol {
            return .conflicting("exchange order \(exchangeOrder.exchangeOrderID) is for \(exchangeOrder.symbol), the order for \(order.symbol)")
        }
        if let stray = fills.first(where: { $0.symbol != order.symbol }) {
            return .conflicting("fill of \(stray.exchangeOrderID) is for \(stray.symbol), the order for \(order.symbol)")
        }
        if let exchangeOrder, let stray = fills.first(where: { $0.exchangeOrderID != exchangeOrder.exchangeOrderID }) {
            return .conflicting("fill of exchange order \(stray.exchangeOrderID) carries the client order id of exchange order \(exchangeOrder.exchangeOrderID)")
        }
        var total = ExactDecimal.zero
        for fill in fills {
            let (sum, overflow) = total.addingReportingOverflow(fill.quantity)
            guard !overflow else { return .conflicting("the fills' quantities overflow") }
            total = sum
        }
        if total > order.lifecycleQuantity {
            return .conflicting("the exchange reports \(total) filled for an order of \(order.lifecycleQuantity)")
        }
        if exchangeOrder != nil || !fills.isEmpty {
            return .found(exchangeOrder: exchangeOrder, fills: fills)
        }
        let deadline = order.createdAt.advanced(byMicroseconds: max(0, gracePeriodMicroseconds)) ?? Timestamp.max
        return now < deadline ? .waiting(until: deadline) : .absent(deadline: deadline)
    }
}

/// What the exchange's view says about a pending order (see ``PendingSubmission``).
public enum PendingSubmissionResolution: Sendable, Hashable {
    /// The order is not pending: nothing to resolve.
    case notPending(OrderStatus)
    /// The order has no client order id to look for; it cannot be resolved automatically.
    case noClientOrderID
    /// The exchange knows the order: adopt its status and these fills (in fill order).
    case found(exchangeOrder: ExchangeOrder?, fills: [ExchangeFill])
    /// Not on the exchange yet, within the grace period: keep the order pending until `until`.
    case waiting(until: Timestamp)
    /// Not on the exchange after the grace period (which ended at `deadline`): cancel the order.
    case absent(deadline: Timestamp)
    /// The exchange's view contradicts itself or the order; nothing is changed.
    case conflicting(String)
}
