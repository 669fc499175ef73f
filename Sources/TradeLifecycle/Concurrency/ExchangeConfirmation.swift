/// An execution the exchange reported for an order: the only input from which
/// ``LifecycleRecorder`` records fill data, so lifecycle quantities appear only after the
/// exchange confirmed them (`reference/002_*` phase 4).
///
/// It is made from the exchange's own values: the fill, the exchange's id of the execution and
/// the order's cumulative filled quantity after it (exchanges send both with every execution
/// report). Recording is keyed by (order, execution id), so a redelivered report is recognised.
public struct FillConfirmation: Sendable, Hashable {
    /// The exchange's id of this execution (trade id, execution id).
    public let executionID: String
    /// The execution.
    public let fill: ExchangeFill
    /// The order's total filled quantity after this execution, as the exchange reports it.
    public let cumulativeFilledQuantity: ExactDecimal
    /// The fee charged for the execution, in the quote currency.
    public let fee: ExactDecimal

    /// Creates a confirmation from an execution report.
    ///
    /// - Parameters:
    ///   - executionID: The exchange's id of the execution; not blank.
    ///   - fill: The execution.
    ///   - cumulativeFilledQuantity: The order's filled quantity after it; at least the fill's.
    ///   - fee: The fee; not negative.
    /// - Throws: ``InputError`` naming the field and `execution <id>`: ``InputError/Code/blank``
    ///   for a blank execution id, ``InputError/Code/outOfRange`` for a cumulative quantity below
    ///   the fill's quantity or a negative fee.
    public init(executionID: String, fill: ExchangeFill, cumulativeFilledQuantity: ExactDecimal,
                fee: ExactDecimal = .zero) throws(InputError) {
        let record = "execution \(executionID)"
        guard !ProfileID.isBlank(executionID) else {
            throw InputError(.blank, field: "executionId", value: executionID, record: "fill \(fill.exchangeOrderID)",
                             detail: "an execution needs the exchange's execution id")
        }
        guard cumulativeFilledQuantity >= fill.quantity else {
            throw InputError(.outOfRange, field: "cumulativeFilledQuantity", value: cumulativeFilledQuantity.description, record: record,
                             detail: "the cumulative filled quantity must be at least the fill quantity \(fill.quantity)")
        }
        guard !fee.isNegative else {
            throw InputError(.outOfRange, field: "fee", value: fee.description, record: record, detail: "the fee must not be negative")
        }
        self.executionID = executionID
        self.fill = fill
        self.cumulativeFilledQuantity = cumulativeFilledQuantity
        self.fee = fee
    }
}

/// A status the exchange reported for an order without a new fill: accepted (open), cancelled,
/// expired or rejected; or, from reconciliation, the order's absence from the exchange after
/// the grace period of an ambiguous submission.
public struct OrderConfirmation: Sendable, Hashable {
    /// The status to record: open, cancelled, expired or rejected.
    public let status: OrderStatus
    /// The exchange's filled quantity of the order (zero when absent).
    public let filledQuantity: ExactDecimal
    /// The exchange's order id, when the exchange knows the order.
    public let exchangeOrderID: String?
    /// The client order id the exchange reported, or the one looked for.
    public let clientOrderID: ClientOrderID?
    /// The profile.
    public let profileID: ProfileID
    /// The symbol.
    public let symbol: String
    /// Why, in words, for the execution log.
    public let reason: String
    /// When the exchange reported it (or reconciliation decided).
    public let confirmedAt: Timestamp

    /// Creates a confirmation from the exchange's report of an order.
    ///
    /// - Parameters:
    ///   - order: The order as the exchange reports it; its status must be open, cancelled,
    ///     expired or rejected (fills are recorded with ``FillConfirmation``).
    ///   - confirmedAt: When the exchange reported it.
    ///   - reason: The exchange's message, if any.
    /// - Throws: ``InputError`` with code ``InputError/Code/outOfRange`` (field `status`) for
    ///   another status.
    public init(order: ExchangeOrder, confirmedAt: Timestamp, reason: String? = nil) throws(InputError) {
        switch order.status {
        case .open, .cancelled, .expired, .rejected: break
        case .pending, .partiallyFilled, .filled:
            throw InputError(.outOfRange, field: "status", value: order.status.rawValue, record: "exchange order \(order.exchangeOrderID)",
                             detail: "an order confirmation records open, cancelled, expired or rejected; record fills with FillConfirmation")
        }
        self.status = order.status
        self.filledQuantity = order.filledQuantity
        self.exchangeOrderID = order.exchangeOrderID
        self.clientOrderID = order.clientOrderID
        self.profileID = order.profileID
        self.symbol = order.symbol
        self.reason = reason ?? "exchange reports \(order.status.rawValue) for \(order.exchangeOrderID)"
        self.confirmedAt = confirmedAt
    }

    /// The exchange's acceptance of an order it reports with any status past pending (it is or
    /// was working), recorded before its fills.
    init(acceptanceOf order: ExchangeOrder, confirmedAt: Timestamp) {
        self.status = .open
        self.filledQuantity = .zero
        self.exchangeOrderID = order.exchangeOrderID
        self.clientOrderID = order.clientOrderID
        self.profileID = order.profileID
        self.symbol = order.symbol
        self.reason = "resolved by client order id: exchange order \(order.exchangeOrderID) is \(order.status.rawValue)"
        self.confirmedAt = confirmedAt
    }

    /// The cancellation of a pending order that the exchange does not know after the grace
    /// period (see ``PendingSubmission``).
    init(absentOrder order: Order, decidedAt: Timestamp, gracePeriodMicroseconds: Int64) {
        self.status = .cancelled
        self.filledQuantity = .zero
        self.exchangeOrderID = nil
        self.clientOrderID = order.clientOrderID
        self.profileID = order.profileID
        self.symbol = order.symbol
        self.reason = "not found on the exchange by client order id \(order.clientOrderID?.rawValue ?? "-") "
            + "\(gracePeriodMicroseconds) microseconds after submission"
        self.confirmedAt = decidedAt
    }
}
