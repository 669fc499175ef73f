/// An ENTRY the service wants to submit: one attempt to open (or add to) a position.
public struct EntryRequest: Sendable, Hashable {
    /// The profile.
    public let profileID: ProfileID
    /// The symbol.
    public let symbol: String
    /// The trade the ENTRY opens.
    public let tradeID: TradeID
    /// The position side.
    public let side: PositionSide
    /// The order quantity.
    public let quantity: ExactDecimal
    /// The limit price; the ledger reserves `quantity * limitPrice`.
    public let limitPrice: ExactDecimal
    /// The attempt number: a retry of the same submission keeps it, a new submission (after the
    /// previous one was rejected, cancelled or refused for capital) increments it.
    public let attempt: Int

    /// Creates a request.
    ///
    /// - Throws: ``InputError`` naming the field and `entry <trade id>`: ``InputError/Code/blank``
    ///   for a blank symbol, ``InputError/Code/outOfRange`` for a quantity or limit price that is
    ///   not positive or a negative attempt.
    public init(profileID: ProfileID, symbol: String, tradeID: TradeID, side: PositionSide, quantity: ExactDecimal,
                limitPrice: ExactDecimal, attempt: Int) throws(InputError) {
        let record = "entry \(tradeID.rawValue)"
        guard !ProfileID.isBlank(symbol) else {
            throw InputError(.blank, field: "symbol", value: symbol, record: record, detail: "the symbol must not be blank")
        }
        guard quantity.isPositive else {
            throw InputError(.outOfRange, field: "quantity", value: quantity.description, record: record, detail: "the quantity must be greater than zero")
        }
        guard limitPrice.isPositive else {
            throw InputError(.outOfRange, field: "limit_price", value: limitPrice.description, record: record, detail: "the limit price must be greater than zero")
        }
        guard attempt >= 0 else {
            throw InputError(.outOfRange, field: "attempt", value: String(attempt), record: record, detail: "the attempt number must not be negative")
        }
        self.profileID = profileID
        self.symbol = symbol
        self.tradeID = tradeID
        self.side = side
        self.quantity = quantity
        self.limitPrice = limitPrice
        self.attempt = attempt
    }

    /// The client order id the attempt is submitted with:
    /// ``ClientOrderID/deterministic(profileID:tradeID:action:attempt:)`` of the ENTRY.
    public var clientOrderID: ClientOrderID {
        .deterministic(profileID: profileID, tradeID: tradeID, action: .entry, attempt: attempt)
    }

    /// The order id of the attempt's row: the client order id's text, so that a retry finds it.
    public var orderID: OrderID { OrderID(uncheckedRawValue: clientOrderID.rawValue) }
}

/// An ENTRY recorded and ready to be sent: submit ``order`` with ``clientOrderID`` while
/// holding ``lease``, then call ``EntryCoordinator/finishEntry(_:)``.
public struct EntryTicket: Sendable, Hashable {
    /// The pending order as stored (or, for a retry, as it is now).
    public let order: Order
    /// The id to submit with; the same for every retry of the attempt.
    public let clientOrderID: ClientOrderID
    /// The entry lock held for the submission.
    public let lease: EntryLease
    /// Whether the attempt was recorded before (a retry after a crash or an ambiguous
    /// submission): submit again with the same client order id, and the exchange (or
    /// reconciliation) recognises it.
    public let isRetry: Bool

    /// Whether the order still has to reach the exchange (it is pending).
    public var needsSubmission: Bool { order.status == .pending }
}

/// Coordinates ENTRY orders across processes (`reference/002_*` phase 6): at most one ENTRY per
/// profile and symbol proceeds at a time, and a crash or a retry never creates a second one.
///
/// ``beginEntry(_:)``:
/// 1. takes the profile and symbol's entry lock (TTL, owner token, fencing token);
/// 2. derives the attempt's deterministic client order id;
/// 3. in one unit of work guarded by the lock's fencing check: refuses when another ENTRY of the
///    profile and symbol is live, reserves `quantity * limitPrice` in the ledger, records the
///    order as pending and logs `SUBMITTED`. A retry of the same attempt finds the recorded order
///    and returns it with the same client order id.
///
/// The service then submits the order and records the exchange's answer with
/// ``LifecycleRecorder``. An ambiguous answer (a timeout, a lost connection) changes nothing:
/// the order stays pending until the exchange's view resolves it
/// (``LifecycleRecorder/resolvePendingSubmission(_:snapshot:now:gracePeriodMicroseconds:)``), and
/// a retry resubmits with the same client order id. Finally ``finishEntry(_:)`` releases the
/// lock (a crashed holder's lock expires after its TTL).
public struct EntryCoordinator: Sendable {
    /// The store.
    public let store: any Store
    /// The capital ledger, persisted in `store`.
    public let ledger: LedgerBook
    /// Where `now` comes from for leases and fencing checks.
    public let clock: any WallClock
    /// This coordinator's owner token.
    public let owner: EntryLockOwner
    /// How long a lease lasts unless renewed.
    public let lockTTLMicroseconds: Int64

    /// Creates a coordinator.
    ///
    /// - Parameters:
    ///   - store: The store.
    ///   - ledger: The capital ledger, persisted in `store`.
    ///   - clock: The clock every coordinator of the store reads (see
    ///     `Documentation/DistributedSafety.md`).
    ///   - owner: This process's owner token; a random one by default.
    ///   - lockTTLMicroseconds: The lease's time to live; longer than a submission takes.
    public init(store: any Store, ledger: LedgerBook, clock: any WallClock, owner: EntryLockOwner = .random(),
                lockTTLMicroseconds: Int64 = Timestamp.seconds(30)) {
        self.store = store
        self.ledger = ledger
        self.clock = clock
        self.owner = owner
        self.lockTTLMicroseconds = lockTTLMicroseconds
    }

    /// Takes the entry lock and records the attempt as a pending ENTRY (see the type's
    /// description).
    ///
    /// - Parameter request: The attempt.
    /// - Returns: The ticket to submit with; the lock is held.
    /// - Throws: ``CoordinationError``: ``CoordinationError/Code/lockContended`` (another owner
    ///   holds the lock); ``CoordinationError/Code/lockLost`` (the lease expired or was taken
    ///   before the write); ``CoordinationError/Code/liveEntryExists``;
    ///   ``CoordinationError/Code/insufficientCapital``; ``CoordinationError/Code/conflict``
    ///   (the attempt's order exists with other figures); ``CoordinationError/Code/store``. On
    ///   any error the lock is released.
    public func beginEntry(_ request: EntryRequest) async throws(CoordinationError) -> EntryTicket {
        let context = "beginEntry \(request.profileID)/\(request.symbol) trade \(request.tradeID) attempt \(request.attempt)"
        let acquisition: EntryLockAcquisition
        do {
            acquisition = try await store.acquireEntryLock(profileID: request.profileID, symbol: request.symbol, owner: owner,
                                                           ttlMicroseconds: lockTTLMicroseconds, now: clock.now())
        } catch {
            throw CoordinationError.wrapping(error, context)
        }
        let lease: EntryLease
        switch acquisition {
        case .acquired(let acquired):
            lease = acquired
        case .contended(let holder, let expiresAt):
            throw CoordinationError(.lockContended, context: "\(context): the entry lock is held by \(holder) until \(expiresAt)")
        }
        let result = await recordAttempt(request, lease: lease, context: context)
        switch result {
        case .success(let ticket):
            return ticket
        case .failure(let error):
            try? await store.releaseEntryLock(lease, now: clock.now())
            throw error
        }
    }

    /// Runs the guarded unit of work of ``beginEntry(_:)`` and turns its outcome into a ticket.
    private func recordAttempt(_ request: EntryRequest, lease: EntryLease, context: String) async -> Result<EntryTicket, CoordinationError> {
        let recorder = LifecycleRecorder(store: store, ledger: ledger)
        let clock = clock, ledger = ledger
        let outcome: AttemptOutcome
        do {
            outcome = try await recorder.unitOfWork(context) { tx in
                try await Self.recordAttempt(request, lease: lease, clock: clock, ledger: ledger, in: tx, context: context)
            }
        } catch {
            return .failure(error)
        }
        switch outcome {
        case .recorded(let order, let isRetry):
            return .success(EntryTicket(order: order, clientOrderID: request.clientOrderID, lease: lease, isRetry: isRetry))
        case .refused(let result):
            return .failure(CoordinationError(.insufficientCapital, context: "\(context): the ledger refused the reservation: \(result)"))
        }
    }

    /// Extends the ticket's lease by the TTL.
    ///
    /// - Parameter ticket: The ticket.
    /// - Returns: The ticket with the renewed lease.
    /// - Throws: ``CoordinationError/Code/lockLost`` when the lease expired or was taken over
    ///   (stop: another process may be entering), ``CoordinationError/Code/store``.
    public func renew(_ ticket: EntryTicket) async throws(CoordinationError) -> EntryTicket {
        do {
            let lease = try await store.renewEntryLock(ticket.lease, ttlMicroseconds: lockTTLMicroseconds, now: clock.now())
            return EntryTicket(order: ticket.order, clientOrderID: ticket.clientOrderID, lease: lease, isRetry: ticket.isRetry)
        } catch {
            throw CoordinationError(error.code == .lockNotHeld ? .lockLost : .store, context: "renew \(ticket.lease)", underlying: error)
        }
    }

    /// Releases the ticket's entry lock once the submission is done (or abandoned).
    ///
    /// - Parameter ticket: The ticket.
    /// - Throws: ``CoordinationError/Code/lockLost`` when the lease had already expired and been
    ///   taken or released (nothing to release), ``CoordinationError/Code/store``.
    public func finishEntry(_ ticket: EntryTicket) async throws(CoordinationError) {
        do {
            try await store.releaseEntryLock(ticket.lease, now: clock.now())
        } catch {
            throw CoordinationError(error.code == .lockNotHeld ? .lockLost : .store, context: "finishEntry \(ticket.lease)", underlying: error)
        }
    }

    enum AttemptOutcome: Sendable {
        case recorded(Order, isRetry: Bool)
        case refused(LedgerResult)
    }

    /// The guarded unit of work of ``beginEntry(_:)``. Every step is idempotent, so a retry after
    /// a crash between steps (in a store without transactions) completes the attempt.
    static func recordAttempt(_ request: EntryRequest, lease: EntryLease, clock: any WallClock, ledger: LedgerBook,
                              in tx: any StoreTransaction, context: String) async throws -> (AttemptOutcome, LedgerBook.Change?) {
        let now = clock.now()
        try await tx.checkEntryLockFence(lease, now: now)
        let orderID = request.orderID
        let existing = try await tx.order(orderID)
        if let existing {
            guard existing.profileID == request.profileID, existing.symbol == request.symbol, existing.tradeID == request.tradeID,
                  existing.action == .entry, existing.effectiveSide == request.side, existing.quantity == request.quantity,
                  existing.price == request.limitPrice else {
                throw CoordinationError(.conflict, context: "\(context): order \(orderID) exists with other figures")
            }
        } else {
            let live = try await tx.orders(matching: OrderQuery(profileID: request.profileID, symbol: request.symbol,
                                                                statuses: [.pending, .open, .partiallyFilled]))
            if let other = live.first(where: { $0.action == .entry }) {
                throw CoordinationError(.liveEntryExists, context:
                    "\(context): ENTRY \(other.orderID) of \(request.profileID)/\(request.symbol) is \(other.status.rawValue)")
            }
        }
        let reservation = LedgerOperation(
            id: .deterministic(["reserve", orderID.rawValue]),
            kind: .reserveEntry(profileID: request.profileID, orderID: orderID, symbol: request.symbol, tradeID: request.tradeID,
                                side: request.side, quantity: request.quantity, limitPrice: request.limitPrice))
        let change = try await ledger.apply(reservation, in: tx)
        switch change.result {
        case .created, .violation, .exists:
            break
        case .insufficientAvailable:
            // The refusal is recorded under the attempt's id: commit it, then report it.
            return (.refused(change.result), change)
        default:
            throw CoordinationError(.conflict, context: "\(context): the ledger has the reservation id with other content: \(change.result)")
        }
        let order: Order
        if let existing {
            order = existing
        } else {
            order = try Order(orderID: orderID, profileID: request.profileID, symbol: request.symbol, tradeID: request.tradeID,
                              action: .entry, side: request.side, status: .pending, quantity: request.quantity,
                              price: request.limitPrice, clientOrderID: request.clientOrderID, createdAt: now)
            do {
                _ = try await tx.insertOrder(order)
            } catch {
                // (An exhaustive catch: a partial `catch where` here crashes the 6.3 compiler.)
                guard error.code == .uniqueViolation else { throw error }
                throw CoordinationError(.liveEntryExists, context: "\(context): \(error.context)", underlying: error)
            }
        }
        _ = try await tx.appendExecutionLog(ExecutionLogRecord(
            entryID: .deterministic(["submitted", orderID.rawValue]), profileID: request.profileID, orderID: orderID,
            action: .submitted,
            reason: "ENTRY attempt \(request.attempt): \(request.quantity) @ \(request.limitPrice), client order id \(request.clientOrderID)",
            recordedAt: order.createdAt))
        return (.recorded(order, isRetry: existing != nil), change)
    }
}
