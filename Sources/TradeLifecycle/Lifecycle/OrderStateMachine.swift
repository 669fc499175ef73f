/// The order status transition table of SPEC section 3, and the rules every status change of
/// an ``Order`` obeys.
///
/// The table lists the allowed changes; every pair it does not list is rejected with
/// ``LifecycleError/Code/forbiddenTransition``:
///
/// | from | to |
/// |---|---|
/// | pending | open, partiallyFilled, filled, cancelled, rejected, expired |
/// | open | partiallyFilled, filled, cancelled, expired |
/// | partiallyFilled | partiallyFilled, filled, cancelled, expired |
/// | filled, cancelled, rejected, expired | (terminal) |
///
/// A status never changes to itself except partiallyFilled -> partiallyFilled (a further
/// partial fill). Two exceptions leave a terminal status, each only through its own operation:
/// ``Order/revertingBackfill(at:)`` (a `BFILL-` order, filled -> cancelled) and
/// ``Order/correctedToExchange(status:filledQuantity:filledAt:at:)`` (cancelled or expired here,
/// filled or partially filled on the exchange). The caller records each exception in the
/// execution log (`RECOVERED` for a correction).
///
/// Filled quantity rules, checked on every change (the order quantity is `quantity ?? qty`;
/// where an order has neither, only the sign and monotonicity are checked):
/// - it never decreases and is never negative;
/// - it never exceeds the order quantity;
/// - it agrees with the target status: zero for pending, open and rejected; strictly between
///   zero and the order quantity for partiallyFilled; equal to the order quantity for filled;
///   anything from zero to the order quantity for cancelled and expired.
///
/// When a change gives no filled quantity, the order keeps its current one, except that a
/// change to filled sets it to the order quantity. When the filled quantity grows and no fill
/// time is given, the fill time becomes the time of the change.
public enum OrderStateMachine {
    /// The statuses the table allows `status` to change to, in declaration order.
    ///
    /// - Parameter status: The current status.
    /// - Returns: The allowed targets; empty for a terminal status.
    public static func allowedTargets(from status: OrderStatus) -> [OrderStatus] {
        switch status {
        case .pending: return [.open, .partiallyFilled, .filled, .cancelled, .rejected, .expired]
        case .open: return [.partiallyFilled, .filled, .cancelled, .expired]
        case .partiallyFilled: return [.partiallyFilled, .filled, .cancelled, .expired]
        case .filled, .cancelled, .rejected, .expired: return []
        }
    }

    /// Whether the table allows a change from `from` to `to` through an ordinary transition.
    ///
    /// - Parameters:
    ///   - from: The current status.
    ///   - to: The requested status.
    public static func allows(from: OrderStatus, to: OrderStatus) -> Bool {
        switch (from, to) {
        case (.pending, .open), (.pending, .partiallyFilled), (.pending, .filled),
             (.pending, .cancelled), (.pending, .rejected), (.pending, .expired):
            return true
        case (.open, .partiallyFilled), (.open, .filled), (.open, .cancelled), (.open, .expired):
            return true
        case (.partiallyFilled, .partiallyFilled), (.partiallyFilled, .filled),
             (.partiallyFilled, .cancelled), (.partiallyFilled, .expired):
            return true
        default:
            return false
        }
    }

    /// Whether `from` -> `to` is a reconciliation correction to the exchange's truth:
    /// cancelled or expired here, filled or partially filled on the exchange.
    ///
    /// - Parameters:
    ///   - from: The status in the database.
    ///   - to: The status the exchange reports.
    public static func isCorrection(from: OrderStatus, to: OrderStatus) -> Bool {
        (from == .cancelled || from == .expired) && (to == .filled || to == .partiallyFilled)
    }

    /// Applies the filled quantity rules and builds the changed order. Status checks are the
    /// caller's.
    static func apply(
        _ order: Order, to target: OrderStatus, filledQuantity: ExactDecimal?, filledAt: Timestamp?, at time: Timestamp
    ) throws(LifecycleError) -> Order {
        let from = order.status
        let limit = order.quantity ?? order.legacyQuantity
        let previous = order.filledQuantity ?? .zero
        var newFilled: ExactDecimal?
        if let filledQuantity {
            newFilled = filledQuantity
        } else if target == .filled, let limit {
            newFilled = limit
        } else {
            newFilled = order.filledQuantity
        }
        if let value = newFilled {
            if value.isNegative {
                throw LifecycleError(.filledQuantityNegative, orderID: order.orderID, from: from, to: target,
                                     detail: "the filled quantity \(value) is negative")
            }
            if value < previous {
                throw LifecycleError(.filledQuantityDecreased, orderID: order.orderID, from: from, to: target,
                                     detail: "the filled quantity would decrease from \(previous) to \(value)")
            }
            if let limit, value > limit {
                throw LifecycleError(.filledQuantityAboveQuantity, orderID: order.orderID, from: from, to: target,
                                     detail: "the filled quantity \(value) exceeds the order quantity \(limit)")
            }
        }
        let shown = newFilled?.description ?? "null"
        let limitShown = limit?.description ?? "null"
        switch target {
        case .pending, .open, .rejected:
            if let value = newFilled, !value.isZero {
                throw LifecycleError(.filledQuantityInconsistentWithStatus, orderID: order.orderID, from: from, to: target,
                                     detail: "a \(target.rawValue) order has no filled quantity, got \(shown)")
            }
        case .partiallyFilled:
            if let value = newFilled {
                if value.isZero || (limit.map { value >= $0 } ?? false) {
                    throw LifecycleError(.filledQuantityInconsistentWithStatus, orderID: order.orderID, from: from, to: target,
                                         detail: "a partially filled order's filled quantity must be above 0 and below the order quantity \(limitShown), got \(shown)")
                }
            }
        case .filled:
            if let limit, newFilled != limit {
                throw LifecycleError(.filledQuantityInconsistentWithStatus, orderID: order.orderID, from: from, to: target,
                                     detail: "a filled order's filled quantity must equal the order quantity \(limitShown), got \(shown)")
            }
            if limit == nil, let value = newFilled, value.isZero {
                throw LifecycleError(.filledQuantityInconsistentWithStatus, orderID: order.orderID, from: from, to: target,
                                     detail: "a filled order's filled quantity must be above 0, got \(shown)")
            }
        case .cancelled, .expired:
            break
        }
        var changed = order
        changed.status = target
        changed.filledQuantity = newFilled
        if let filledAt {
            changed.filledAt = filledAt
        } else if let value = newFilled, value > previous {
            changed.filledAt = time
        }
        changed.updatedAt = time
        return changed
    }
}

extension Order {
    /// The order after an ordinary status change allowed by ``OrderStateMachine``'s table.
    ///
    /// - Parameters:
    ///   - status: The new status.
    ///   - filledQuantity: The new filled quantity; `nil` keeps the current one, except that a
    ///     change to filled sets it to the order quantity (`quantity ?? qty`).
    ///   - filledAt: The fill time; `nil` keeps the current one, or uses `time` when the filled
    ///     quantity grows.
    ///   - time: When the change happens; becomes `updated_at`.
    /// - Returns: The changed order; `self` is unchanged.
    /// - Throws: ``LifecycleError`` with code ``LifecycleError/Code/forbiddenTransition`` when the
    ///   table does not list the change, or ``LifecycleError/Code/filledQuantityNegative``,
    ///   ``LifecycleError/Code/filledQuantityDecreased``,
    ///   ``LifecycleError/Code/filledQuantityAboveQuantity``,
    ///   ``LifecycleError/Code/filledQuantityInconsistentWithStatus`` when the filled quantity
    ///   breaks a rule.
    public func transitioned(
        to status: OrderStatus, filledQuantity: ExactDecimal? = nil, filledAt: Timestamp? = nil, at time: Timestamp
    ) throws(LifecycleError) -> Order {
        guard OrderStateMachine.allows(from: self.status, to: status) else {
            let detail = self.status.isTerminal
                ? "\(self.status.rawValue) is terminal"
                : "allowed from \(self.status.rawValue): \(OrderStateMachine.allowedTargets(from: self.status).map(\.rawValue).joined(separator: ", "))"
            throw LifecycleError(.forbiddenTransition, orderID: orderID, from: self.status, to: status, detail: detail)
        }
        return try OrderStateMachine.apply(self, to: status, filledQuantity: filledQuantity, filledAt: filledAt, at: time)
    }

    /// The order after the rollback of an EXIT backfill: a `BFILL-` order that is filled
    /// becomes cancelled (status only; quantities and times are kept). Rolling back an
    /// already cancelled `BFILL-` order returns it unchanged, so a second rollback changes
    /// nothing.
    ///
    /// - Parameter time: When the rollback happens; becomes `updated_at`.
    /// - Returns: The cancelled order.
    /// - Throws: ``LifecycleError`` with code ``LifecycleError/Code/notABackfillOrder`` when the
    ///   order id does not start with `BFILL-`, ``LifecycleError/Code/forbiddenTransition`` when
    ///   the order is neither filled nor cancelled.
    public func revertingBackfill(at time: Timestamp) throws(LifecycleError) -> Order {
        guard orderID.isBackfill else {
            throw LifecycleError(.notABackfillOrder, orderID: orderID, from: status, to: .cancelled,
                                 detail: "only orders with a BFILL- id are reverted by a backfill rollback")
        }
        switch status {
        case .cancelled:
            return self
        case .filled:
            var changed = self
            changed.status = .cancelled
            changed.updatedAt = time
            return changed
        case .pending, .open, .partiallyFilled, .rejected, .expired:
            throw LifecycleError(.forbiddenTransition, orderID: orderID, from: status, to: .cancelled,
                                 detail: "a backfill rollback reverts filled BFILL- orders only")
        }
    }

    /// The order after a reconciliation correction to the exchange's truth: an order cancelled
    /// or expired here that the exchange reports filled or partially filled. The caller records
    /// it as `RECOVERED` in the execution log.
    ///
    /// - Parameters:
    ///   - status: The exchange's status: filled or partially filled.
    ///   - filledQuantity: The exchange's filled quantity; `nil` keeps the current one, except
    ///     that filled sets it to the order quantity.
    ///   - filledAt: The fill time; `nil` keeps the current one, or uses `time` when the filled
    ///     quantity grows.
    ///   - time: When the correction happens; becomes `updated_at`.
    /// - Returns: The corrected order.
    /// - Throws: ``LifecycleError`` with code ``LifecycleError/Code/notCorrectable`` when the
    ///   order is not cancelled or expired or `status` is not filled or partially filled, or a
    ///   filled quantity code as for ``transitioned(to:filledQuantity:filledAt:at:)``.
    public func correctedToExchange(
        status: OrderStatus, filledQuantity: ExactDecimal? = nil, filledAt: Timestamp? = nil, at time: Timestamp
    ) throws(LifecycleError) -> Order {
        guard OrderStateMachine.isCorrection(from: self.status, to: status) else {
            throw LifecycleError(.notCorrectable, orderID: orderID, from: self.status, to: status,
                                 detail: "a correction changes a cancelled or expired order to filled or partially filled only")
        }
        return try OrderStateMachine.apply(self, to: status, filledQuantity: filledQuantity, filledAt: filledAt, at: time)
    }
}
