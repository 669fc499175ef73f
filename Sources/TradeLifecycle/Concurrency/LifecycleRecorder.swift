/// Records what the exchange confirmed about an order as one unit of work: the order row, the
/// capital ledger change and the execution log entry (`reference/002_*` phase 4).
///
/// - **One unit of work.** Each recording runs in ``Store/withTransaction(_:)``: in a
///   transactional store the three writes commit together or not at all.
/// - **Idempotent on retry.** Every write is keyed by ids derived from the order and the
///   confirmation: the ledger operation and the log entry by (order, cumulative filled quantity)
///   for a fill, by (order, status) for a status; the order row is set to the exchange's
///   cumulative filled quantity, never incremented. A retry after a crash at any step, in a
///   transactional store or not, ends with one order row, one ledger change and one log entry.
///   The log entry is written last: when it exists, the recording is complete.
/// - **Exchange first.** Fill quantities are recorded only from a ``FillConfirmation`` and
///   statuses only from an ``OrderConfirmation``, both made from the exchange's reports.
///
/// Conflicts of concurrent writers (``StoreError/Code/conflict``,
/// ``StoreError/Code/serializationFailure``) are retried up to ``maxAttempts`` times.
public struct LifecycleRecorder: Sendable {
    /// The store.
    public let store: any Store
    /// The capital ledger, persisted in `store`.
    public let ledger: LedgerBook
    /// How many times a unit of work is tried when concurrent writers conflict.
    public let maxAttempts: Int

    /// Creates a recorder.
    ///
    /// - Parameters:
    ///   - store: The store.
    ///   - ledger: The capital ledger, persisted in `store` (load it with
    ///     ``LedgerBook/load(from:)``).
    ///   - maxAttempts: Tries per unit of work when concurrent writers conflict; at least 1.
    public init(store: any Store, ledger: LedgerBook, maxAttempts: Int = 5) {
        self.store = store
        self.ledger = ledger
        self.maxAttempts = max(1, maxAttempts)
    }

    // MARK: Fills

    /// Records an execution of an ENTRY or EXIT order.
    ///
    /// In one unit of work: the ledger records the fill (ENTRY: ``LedgerOperation/Kind/fill(profileID:orderID:quantity:price:)``;
    /// EXIT: ``LedgerOperation/Kind/exit(profileID:symbol:tradeID:quantity:price:fee:)``); the order's
    /// filled quantity becomes the exchange's cumulative filled quantity (partially filled or
    /// filled; a cancelled or expired EXIT is corrected to the exchange's truth and logged
    /// `RECOVERED`); the log gets a `FILLED` entry. A late fill of a cancelled ENTRY is refused by
    /// the ledger (its reservation is void): ``CoordinationError/Code/ledgerRefused``, and nothing
    /// is recorded, for an operator to reconcile. An execution older than the order's recorded
    /// filled quantity (delivered out of order) is recorded in the ledger and the log and leaves
    /// the order row as it is.
    ///
    /// - Parameters:
    ///   - confirmation: The exchange's execution report.
    ///   - orderID: The order.
    /// - Returns: What is recorded, and whether it was recorded before (a retry).
    /// - Throws: ``CoordinationError``: ``CoordinationError/Code/orderNotFound``;
    ///   ``CoordinationError/Code/confirmationMismatch`` (profile, symbol, side, client order id,
    ///   a cumulative quantity above the order's, an order without action or trade id);
    ///   ``CoordinationError/Code/conflict`` (the same cumulative quantity recorded with another
    ///   fill); ``CoordinationError/Code/ledgerRefused``; ``CoordinationError/Code/store``.
    public func recordFill(_ confirmation: FillConfirmation, orderID: OrderID) async throws(CoordinationError) -> LifecycleRecording {
        let context = "recordFill \(orderID) execution \(confirmation.executionID)"
        return try await unitOfWork(context) { tx in
            guard let order = try await tx.order(orderID) else {
                throw CoordinationError(.orderNotFound, context: "\(context): no such order")
            }
            let (action, tradeID) = try Self.check(confirmation, against: order, context: context)
            let fill = confirmation.fill
            let cumulative = confirmation.cumulativeFilledQuantity
            let key = ["fill", orderID.rawValue, cumulative.description]
            let entryID = ExecutionLogEntryID.deterministic(key)
            let kind: LedgerOperation.Kind = action == .entry
                ? .fill(profileID: order.profileID, orderID: orderID, quantity: fill.quantity, price: fill.price)
                : .exit(profileID: order.profileID, symbol: order.symbol, tradeID: tradeID, quantity: fill.quantity,
                        price: fill.price, fee: confirmation.fee)
            // A repeat is checked against the ledger too: another fill reported with the same
            // cumulative quantity is a conflict, not a repeat.
            let change = try await ledger.apply(LedgerOperation(id: .deterministic(key), kind: kind), in: tx)
            try Self.requireApplied(change.result, context: context)
            if let logged = try await tx.executionLogEntry(entryID) {
                return (LifecycleRecording(order: order, ledgerResult: change.result, logEntry: logged, isRepeat: true), change)
            }
            var current = order
            var logAction = ExecutionAction.filled
            let recorded = order.filledQuantity ?? .zero
            if cumulative > recorded {
                let target: OrderStatus = cumulative == order.lifecycleQuantity ? .filled : .partiallyFilled
                if order.status == .cancelled || order.status == .expired {
                    current = try await tx.updateOrder(orderID, change: .correctToExchange(
                        status: target, filledQuantity: cumulative, filledAt: fill.filledAt), at: fill.filledAt)
                    logAction = .recovered
                } else {
                    current = try await tx.updateOrder(orderID, change: .transition(
                        to: target, filledQuantity: cumulative, filledAt: fill.filledAt), at: fill.filledAt)
                }
            }
            let reason = "execution \(confirmation.executionID): \(fill.quantity) @ \(fill.price), cumulative \(cumulative)"
                + (logAction == .recovered ? ", corrected from \(order.status.rawValue) to the exchange's fill" : "")
            let logged = try await tx.appendExecutionLog(ExecutionLogRecord(
                entryID: entryID, profileID: order.profileID, orderID: orderID, action: logAction, reason: reason,
                recordedAt: fill.filledAt))
            return (LifecycleRecording(order: current, ledgerResult: change.result, logEntry: logged.entry, isRepeat: false), change)
        }
    }

    // MARK: Statuses

    /// Records a status the exchange reported without a new fill: accepted (open, logged
    /// `EXECUTED`), cancelled or expired (logged `CANCELLED`), rejected (logged `REJECTED`).
    ///
    /// A cancelled, expired or rejected ENTRY also releases what is left of its reservation
    /// (``LedgerOperation/Kind/cancel(profileID:orderID:)``). An order already in the reported
    /// status is left as it is; the entry is still logged once.
    ///
    /// - Parameters:
    ///   - confirmation: The exchange's report.
    ///   - orderID: The order.
    /// - Returns: What is recorded, and whether it was recorded before.
    /// - Throws: ``CoordinationError``: ``CoordinationError/Code/orderNotFound``;
    ///   ``CoordinationError/Code/confirmationMismatch`` (profile, symbol, client order id, or a
    ///   status the order cannot take from its current one);
    ///   ``CoordinationError/Code/fillsNotRecorded`` (the exchange's filled quantity is above the
    ///   recorded one); ``CoordinationError/Code/ledgerRefused``; ``CoordinationError/Code/store``.
    public func recordOrderStatus(_ confirmation: OrderConfirmation, orderID: OrderID) async throws(CoordinationError) -> LifecycleRecording {
        let context = "recordOrderStatus \(orderID) \(confirmation.status.rawValue)"
        return try await unitOfWork(context) { tx in
            guard let order = try await tx.order(orderID) else {
                throw CoordinationError(.orderNotFound, context: "\(context): no such order")
            }
            guard confirmation.profileID == order.profileID, confirmation.symbol == order.symbol,
                  confirmation.clientOrderID == nil || order.clientOrderID == nil || confirmation.clientOrderID == order.clientOrderID else {
                throw CoordinationError(.confirmationMismatch, context:
                    "\(context): the report is for \(confirmation.profileID)/\(confirmation.symbol) client order id \(confirmation.clientOrderID?.rawValue ?? "-"), the order is \(order.profileID)/\(order.symbol) client order id \(order.clientOrderID?.rawValue ?? "-")")
            }
            let key = ["status", orderID.rawValue, confirmation.status.rawValue]
            let entryID = ExecutionLogEntryID.deterministic(key)
            if let logged = try await tx.executionLogEntry(entryID) {
                return (LifecycleRecording(order: order, ledgerResult: nil, logEntry: logged, isRepeat: true), nil)
            }
            let recorded = order.filledQuantity ?? .zero
            guard confirmation.filledQuantity <= recorded else {
                throw CoordinationError(.fillsNotRecorded, context:
                    "\(context): the exchange reports \(confirmation.filledQuantity) filled, \(recorded) is recorded")
            }
            var current = order
            let logAction: ExecutionAction
            switch confirmation.status {
            case .open:
                logAction = .executed
                switch order.status {
                case .pending:
                    current = try await tx.updateOrder(orderID, change: .transition(to: .open, filledQuantity: nil, filledAt: nil),
                                                       at: confirmation.confirmedAt)
                case .open, .partiallyFilled, .filled:
                    break
                case .cancelled, .rejected, .expired:
                    throw CoordinationError(.confirmationMismatch, context: "\(context): the order is \(order.status.rawValue) here")
                }
            case .cancelled, .expired, .rejected:
                logAction = confirmation.status == .rejected ? .rejected : .cancelled
                if order.status != confirmation.status {
                    guard order.status.isLive else {
                        throw CoordinationError(.confirmationMismatch, context: "\(context): the order is \(order.status.rawValue) here")
                    }
                    current = try await tx.updateOrder(orderID, change: .transition(
                        to: confirmation.status, filledQuantity: nil, filledAt: nil), at: confirmation.confirmedAt)
                }
            case .pending, .partiallyFilled, .filled:
                throw CoordinationError(.invalidRequest, context: "\(context): not a status confirmation")
            }
            var change: LedgerBook.Change?
            if order.action == .entry, confirmation.status != .open {
                let applied = try await ledger.apply(LedgerOperation(
                    id: .deterministic(["cancel", orderID.rawValue]), kind: .cancel(profileID: order.profileID, orderID: orderID)), in: tx)
                try Self.requireApplied(applied.result, context: context)
                change = applied
            }
            let logged = try await tx.appendExecutionLog(ExecutionLogRecord(
                entryID: entryID, profileID: order.profileID, orderID: orderID, action: logAction, reason: confirmation.reason,
                recordedAt: confirmation.confirmedAt))
            return (LifecycleRecording(order: current, ledgerResult: change?.result, logEntry: logged.entry, isRepeat: false), change)
        }
    }

    // MARK: Submissions

    /// Records an EXIT order before it is sent: the pending row and a `SUBMITTED` entry, in one
    /// unit of work. Recording the same order again changes nothing. (ENTRY orders go through
    /// ``EntryCoordinator``, which also takes the entry lock and reserves capital.)
    ///
    /// - Parameter order: A pending EXIT order; give it a deterministic client order id
    ///   (``ClientOrderID/deterministic(profileID:tradeID:action:attempt:)``) so that a retried
    ///   submission is recognised.
    /// - Returns: What is recorded.
    /// - Throws: ``CoordinationError``: ``CoordinationError/Code/invalidRequest`` for an order
    ///   that is not a pending EXIT; ``CoordinationError/Code/conflict`` when the order id exists
    ///   with other content; ``CoordinationError/Code/store``.
    public func recordExitSubmission(_ order: Order) async throws(CoordinationError) -> LifecycleRecording {
        let context = "recordExitSubmission \(order.orderID)"
        guard order.action == .exit, order.status == .pending else {
            throw CoordinationError(.invalidRequest, context: "\(context): only pending EXIT orders are recorded here")
        }
        return try await unitOfWork(context) { tx in
            let entryID = ExecutionLogEntryID.deterministic(["submitted", order.orderID.rawValue])
            var stored = order
            if try await tx.insertOrder(order) == .alreadyExists {
                stored = try await tx.order(order.orderID) ?? order
                guard Self.sameSubmission(stored, order) else {
                    throw CoordinationError(.conflict, context: "\(context): the order id exists with other content")
                }
            }
            let logged = try await tx.appendExecutionLog(ExecutionLogRecord(
                entryID: entryID, profileID: order.profileID, orderID: order.orderID, action: .submitted,
                reason: "EXIT \(order.lifecycleQuantity)\(order.price.map { " @ \($0)" } ?? ""), client order id \(order.clientOrderID?.rawValue ?? "-")",
                recordedAt: stored.createdAt))
            return (LifecycleRecording(order: stored, ledgerResult: nil, logEntry: logged.entry, isRepeat: logged.outcome == .alreadyExists), nil)
        }
    }

    // MARK: Ambiguous submissions

    /// Resolves a pending order whose submission was ambiguous, from the exchange's view
    /// (``PendingSubmission/resolve(_:snapshot:now:gracePeriodMicroseconds:)``), and records the
    /// result: found — its acceptance (`EXECUTED`), its fills (``recordFill(_:orderID:)``,
    /// cumulative quantities in fill order) and a final cancelled, expired or rejected status
    /// (``recordOrderStatus(_:orderID:)``); absent after the grace period — cancelled. Waiting
    /// and conflicting resolutions change nothing. An order the exchange reports only through
    /// fills that do not fill it stays partially filled for reconciliation.
    ///
    /// Fills found this way have no execution id of the exchange; they are keyed, like every
    /// fill, by (order, cumulative filled quantity), so the same execution reported later by the
    /// exchange is recognised as long as both sum the fills in the same order.
    ///
    /// - Parameters:
    ///   - orderID: The pending order.
    ///   - snapshot: The exchange's view of the order's profile.
    ///   - now: The time of the decision.
    ///   - gracePeriodMicroseconds: How long after submission an unknown order may still appear.
    /// - Returns: The resolution that was applied.
    /// - Throws: ``CoordinationError`` from the recordings; ``CoordinationError/Code/fillsNotRecorded``
    ///   when the exchange reports more filled than the snapshot's fills show.
    public func resolvePendingSubmission(_ orderID: OrderID, snapshot: ExchangeSnapshot, now: Timestamp,
                                         gracePeriodMicroseconds: Int64) async throws(CoordinationError) -> PendingSubmissionResolution {
        let context = "resolvePendingSubmission \(orderID)"
        let order: Order
        do {
            guard let found = try await store.order(orderID) else {
                throw CoordinationError(.orderNotFound, context: "\(context): no such order")
            }
            order = found
        } catch {
            throw CoordinationError.wrapping(error, context)
        }
        let resolution = PendingSubmission.resolve(order, snapshot: snapshot, now: now, gracePeriodMicroseconds: gracePeriodMicroseconds)
        switch resolution {
        case .notPending, .noClientOrderID, .waiting, .conflicting:
            return resolution
        case .absent:
            _ = try await recordOrderStatus(OrderConfirmation(absentOrder: order, decidedAt: now,
                                                              gracePeriodMicroseconds: gracePeriodMicroseconds), orderID: orderID)
            return resolution
        case .found(let exchangeOrder, let fills):
            // The exchange took the order: its acceptance comes first (a rejection has no fills).
            if let exchangeOrder, exchangeOrder.status != .pending, exchangeOrder.status != .rejected {
                _ = try await recordOrderStatus(OrderConfirmation(acceptanceOf: exchangeOrder, confirmedAt: now), orderID: orderID)
            }
            var cumulative = ExactDecimal.zero
            for fill in fills {
                cumulative = cumulative.addingReportingOverflow(fill.quantity).partialValue
                let confirmation: FillConfirmation
                do {
                    confirmation = try FillConfirmation(
                        executionID: "reconciled:\(fill.exchangeOrderID):\(fill.filledAt)", fill: fill, cumulativeFilledQuantity: cumulative)
                } catch {
                    throw CoordinationError(.confirmationMismatch, context: "\(context): \(error)")
                }
                _ = try await recordFill(confirmation, orderID: orderID)
            }
            if let exchangeOrder {
                if exchangeOrder.filledQuantity > cumulative {
                    throw CoordinationError(.fillsNotRecorded, context:
                        "\(context): the exchange reports \(exchangeOrder.filledQuantity) filled, the snapshot's fills \(cumulative)")
                }
                switch exchangeOrder.status {
                case .cancelled, .expired, .rejected:
                    let confirmation: OrderConfirmation
                    do {
                        confirmation = try OrderConfirmation(order: exchangeOrder, confirmedAt: now,
                                                             reason: "resolved by client order id: exchange reports \(exchangeOrder.status.rawValue) for \(exchangeOrder.exchangeOrderID)")
                    } catch {
                        throw CoordinationError(.confirmationMismatch, context: "\(context): \(error)")
                    }
                    _ = try await recordOrderStatus(confirmation, orderID: orderID)
                case .pending, .open, .partiallyFilled, .filled:
                    break
                }
            }
            return resolution
        }
    }

    // MARK: Rules

    static func check(_ confirmation: FillConfirmation, against order: Order, context: String) throws(CoordinationError)
        -> (LifecycleAction, TradeID) {
        let fill = confirmation.fill
        guard let action = order.action, let tradeID = order.tradeID else {
            throw CoordinationError(.confirmationMismatch, context: "\(context): the order has no action or trade id; only lifecycle orders are recorded")
        }
        var problems: [String] = []
        if fill.profileID != order.profileID { problems.append("profile \(fill.profileID), the order's \(order.profileID)") }
        if fill.symbol != order.symbol { problems.append("symbol \(fill.symbol), the order's \(order.symbol)") }
        let side = action == .entry ? order.effectiveSide.openingSide : order.effectiveSide.closingSide
        if fill.side != side { problems.append("side \(fill.side.rawValue), the order's \(side.rawValue)") }
        if let fillClient = fill.clientOrderID, let orderClient = order.clientOrderID, fillClient != orderClient {
            problems.append("client order id \(fillClient), the order's \(orderClient)")
        }
        if confirmation.cumulativeFilledQuantity > order.lifecycleQuantity {
            problems.append("cumulative filled \(confirmation.cumulativeFilledQuantity) above the order quantity \(order.lifecycleQuantity)")
        }
        guard problems.isEmpty else {
            throw CoordinationError(.confirmationMismatch, context: "\(context): \(problems.joined(separator: "; "))")
        }
        return (action, tradeID)
    }

    static func requireApplied(_ result: LedgerResult, context: String) throws(CoordinationError) {
        switch result {
        case .created, .violation, .exists:
            return
        case .insufficientAvailable:
            throw CoordinationError(.insufficientCapital, context: "\(context): the ledger refused the operation: \(result)")
        default:
            throw CoordinationError(.conflict, context: "\(context): the ledger has the operation id with other content: \(result)")
        }
    }

    static func sameSubmission(_ stored: Order, _ order: Order) -> Bool {
        stored.profileID == order.profileID && stored.symbol == order.symbol && stored.tradeID == order.tradeID
            && stored.action == order.action && stored.side == order.side && stored.quantity == order.quantity
            && stored.legacyQuantity == order.legacyQuantity && stored.price == order.price
            && stored.clientOrderID == order.clientOrderID
    }

    /// Runs `body` as one unit of work, retrying when concurrent writers conflict, and adopts the
    /// ledger change once the unit has committed.
    func unitOfWork<Value: Sendable>(
        _ context: String,
        _ body: @escaping @Sendable (any StoreTransaction) async throws -> (Value, LedgerBook.Change?)
    ) async throws(CoordinationError) -> Value {
        var attempt = 0
        while true {
            attempt += 1
            do {
                let (value, change) = try await store.withTransaction(body)
                if let change { await ledger.adopt(change) }
                return value
            } catch let error as StoreError where error.code == .conflict || error.code == .serializationFailure {
                if attempt >= maxAttempts { throw CoordinationError.wrapping(error, context) }
            } catch {
                throw CoordinationError.wrapping(error, context)
            }
        }
    }
}

/// What a ``LifecycleRecorder`` recorded.
public struct LifecycleRecording: Sendable, Hashable {
    /// The order as stored afterwards.
    public let order: Order
    /// The ledger's answer, when the recording changes the ledger (``LedgerResult/exists`` for a
    /// repeat); `nil` when it does not (an EXIT order's status, an acceptance, a submission).
    public let ledgerResult: LedgerResult?
    /// The execution log entry.
    public let logEntry: ExecutionLogEntry
    /// Whether everything was recorded before (a retry of a completed recording).
    public let isRepeat: Bool

    /// Creates a recording.
    public init(order: Order, ledgerResult: LedgerResult?, logEntry: ExecutionLogEntry, isRepeat: Bool) {
        self.order = order
        self.ledgerResult = ledgerResult
        self.logEntry = logEntry
        self.isRepeat = isRepeat
    }
}
