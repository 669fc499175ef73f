import Testing
import TradeLifecycle
import TradeLifecycleTesting

/// Lifecycle recording: the order row, the ledger change and the execution log entry as one unit
/// of work, idempotent on retries, only from exchange confirmations.
@Suite struct ConcurrencyLifecycleRecorderTests {
    typealias C = Coordination

    /// A store with capital and a recorded, pending ENTRY of 2 @ 100.
    func pendingEntry(_ store: any Store = InMemoryStore()) async throws -> (any Store, LedgerBook, EntryTicket) {
        let book = LedgerBook()
        try await C.allocate("1000", store: store, book: book)
        let coordinator = EntryCoordinator(store: store, ledger: book, clock: ManualWallClock(C.t0), owner: try EntryLockOwner("A"))
        let ticket = try await coordinator.beginEntry(try C.entry())
        try await coordinator.finishEntry(ticket)
        return (store, book, ticket)
    }

    func fillEvents(_ store: any Store) async throws -> [LedgerEvent] {
        try await C.ledgerEvents(store).filter { if case .fill = $0.operation.kind { return true } else { return false } }
    }

    @Test func entryFillsUpdateTheOrderLedgerAndLogOnce() async throws {
        let (store, book, ticket) = try await pendingEntry()
        let recorder = LifecycleRecorder(store: store, ledger: book)
        let first = try C.fill(of: ticket.order, execution: "x1", quantity: "0.5", price: "99", cumulative: "0.5", at: 10)
        let partial = try await recorder.recordFill(first, orderID: ticket.order.orderID)
        #expect(partial.order.status == .partiallyFilled && partial.order.filledQuantity == C.decimal("0.5"))
        #expect(partial.ledgerResult == .created && !partial.isRepeat)
        #expect(partial.logEntry.record.action == .filled && partial.logEntry.sequenceNumber == 2)
        let second = try C.fill(of: ticket.order, execution: "x2", quantity: "1.5", price: "100", cumulative: "2", at: 11)
        let filled = try await recorder.recordFill(second, orderID: ticket.order.orderID)
        #expect(filled.order.status == .filled && filled.order.filledQuantity == 2 && filled.order.filledAt == C.time(seconds: 11))
        // Reserved 200; fills cost 0.5 * 99 + 1.5 * 100 = 199.5 and release the whole reservation.
        let balances = await book.ledger.balances(of: C.profile)
        #expect(balances.reservedForOrders == 0 && balances.reservedForPositions == C.decimal("199.5"))
        #expect(balances.available == C.decimal("800.5"))
        // Redelivered reports change nothing.
        for confirmation in [first, second] {
            let again = try await recorder.recordFill(confirmation, orderID: ticket.order.orderID)
            #expect(again.isRepeat && again.ledgerResult == .exists)
        }
        #expect(try await store.order(ticket.order.orderID) == filled.order)
        #expect(try await fillEvents(store).count == 2)
        #expect(try await C.log(store).map(\.record.action) == [.submitted, .filled, .filled])
        #expect(await book.ledger.balances(of: C.profile) == balances)
        let verification = try await ExecutionLogChain.verify(in: store, profileID: C.profile)
        #expect(verification.isIntact && verification.verifiedCount == 3)
    }

    /// Two different fills reported with the same cumulative quantity contradict each other.
    @Test func anotherFillWithTheSameCumulativeQuantityIsAConflict() async throws {
        let (store, book, ticket) = try await pendingEntry()
        let recorder = LifecycleRecorder(store: store, ledger: book)
        _ = try await recorder.recordFill(try C.fill(of: ticket.order, execution: "x1", quantity: "1", price: "100", cumulative: "1"),
                                          orderID: ticket.order.orderID)
        for (quantity, price) in [("1", "101"), ("0.5", "100")] {
            do {
                _ = try await recorder.recordFill(try C.fill(of: ticket.order, execution: "x2", quantity: quantity, price: price, cumulative: "1"),
                                                  orderID: ticket.order.orderID)
                Issue.record("a contradicting fill was taken for a repeat")
            } catch let error as CoordinationError {
                #expect(error.code == .conflict)
            }
        }
        #expect(try await fillEvents(store).count == 1)
        #expect(await book.ledger.balances(of: C.profile).reservedForPositions == 100)
    }

    @Test func executionsDeliveredOutOfOrderAreAllRecorded() async throws {
        let (store, book, ticket) = try await pendingEntry()
        let recorder = LifecycleRecorder(store: store, ledger: book)
        let later = try C.fill(of: ticket.order, execution: "x2", quantity: "1.5", price: "100", cumulative: "2", at: 11)
        let earlier = try C.fill(of: ticket.order, execution: "x1", quantity: "0.5", price: "99", cumulative: "0.5", at: 10)
        _ = try await recorder.recordFill(later, orderID: ticket.order.orderID)
        let result = try await recorder.recordFill(earlier, orderID: ticket.order.orderID)
        #expect(result.order.status == .filled && result.order.filledQuantity == 2)
        #expect(await book.ledger.balances(of: C.profile).reservedForPositions == C.decimal("199.5"))
        #expect(try await fillEvents(store).count == 2)
    }

    @Test func exitFillRealizesProfitAndLoss() async throws {
        let (store, book, ticket) = try await pendingEntry()
        let recorder = LifecycleRecorder(store: store, ledger: book)
        _ = try await recorder.recordFill(try C.fill(of: ticket.order, execution: "x1", quantity: "2", price: "100", cumulative: "2"),
                                          orderID: ticket.order.orderID)
        let exitClientID = ClientOrderID.deterministic(profileID: C.profile, tradeID: try TradeID("TRD-a1"), action: .exit, attempt: 0)
        let exit = try Order(orderID: try OrderID(exitClientID.rawValue), profileID: C.profile, symbol: C.symbol,
                             tradeID: try TradeID("TRD-a1"), action: .exit, side: .long, status: .pending, quantity: 2, price: 110,
                             clientOrderID: exitClientID, createdAt: C.time(seconds: 20))
        let submitted = try await recorder.recordExitSubmission(exit)
        #expect(submitted.logEntry.record.action == .submitted && !submitted.isRepeat)
        #expect(try await recorder.recordExitSubmission(exit).isRepeat)
        let closed = try await recorder.recordFill(
            try C.fill(of: exit, execution: "y1", quantity: "2", price: "110", cumulative: "2", at: 30, fee: "1"), orderID: exit.orderID)
        #expect(closed.order.status == .filled)
        // (110 - 100) * 2 - 1 = 19.
        let balances = await book.ledger.balances(of: C.profile)
        #expect(balances.realizedPnL == 19 && balances.reservedForPositions == 0 && balances.available == 1019)
    }

    @Test func mismatchedConfirmationsWriteNothing() async throws {
        let (store, book, ticket) = try await pendingEntry()
        let recorder = LifecycleRecorder(store: store, ledger: book)
        let order = ticket.order
        let other = try ProfileID("p2")
        let wrongSide = try FillConfirmation(executionID: "x1", fill: ExchangeFill(
            profileID: C.profile, symbol: C.symbol, side: .sell, exchangeOrderID: "x", clientOrderID: order.clientOrderID,
            quantity: 1, price: 100, filledAt: C.t0), cumulativeFilledQuantity: 1)
        let wrongProfile = try FillConfirmation(executionID: "x1", fill: ExchangeFill(
            profileID: other, symbol: C.symbol, side: .buy, exchangeOrderID: "x", clientOrderID: order.clientOrderID,
            quantity: 1, price: 100, filledAt: C.t0), cumulativeFilledQuantity: 1)
        let wrongClient = try FillConfirmation(executionID: "x1", fill: ExchangeFill(
            profileID: C.profile, symbol: C.symbol, side: .buy, exchangeOrderID: "x", clientOrderID: try ClientOrderID("ENT-other"),
            quantity: 1, price: 100, filledAt: C.t0), cumulativeFilledQuantity: 1)
        let tooMuch = try C.fill(of: order, execution: "x1", quantity: "1", price: "100", cumulative: "2.5")
        for confirmation in [wrongSide, wrongProfile, wrongClient, tooMuch] {
            do {
                _ = try await recorder.recordFill(confirmation, orderID: order.orderID)
                Issue.record("a mismatched confirmation was recorded")
            } catch {
                #expect(error.code == .confirmationMismatch)
            }
        }
        do {
            _ = try await recorder.recordFill(tooMuch, orderID: try OrderID("absent"))
            Issue.record("a fill of an unknown order was recorded")
        } catch let error as CoordinationError {
            #expect(error.code == .orderNotFound)
        }
        #expect(try await store.order(order.orderID) == order)
        #expect(try await fillEvents(store).isEmpty)
        #expect(try await C.log(store).count == 1)
    }

    @Test func acceptanceCancellationAndRejection() async throws {
        let (store, book, ticket) = try await pendingEntry()
        let recorder = LifecycleRecorder(store: store, ledger: book)
        let order = ticket.order
        func report(_ status: OrderStatus, filled: String = "0") throws -> OrderConfirmation {
            try OrderConfirmation(order: ExchangeOrder(profileID: C.profile, symbol: C.symbol, exchangeOrderID: "x-1",
                                                       clientOrderID: order.clientOrderID, side: .buy, status: status, quantity: 2,
                                                       filledQuantity: C.decimal(filled), price: 100),
                                  confirmedAt: C.time(seconds: 5))
        }
        let accepted = try await recorder.recordOrderStatus(try report(.open), orderID: order.orderID)
        #expect(accepted.order.status == .open && accepted.logEntry.record.action == .executed && accepted.ledgerResult == nil)
        _ = try await recorder.recordFill(try C.fill(of: order, execution: "x1", quantity: "0.5", price: "100", cumulative: "0.5"),
                                          orderID: order.orderID)
        // The exchange reports more filled than recorded: the fills come first.
        do {
            _ = try await recorder.recordOrderStatus(try report(.cancelled, filled: "1"), orderID: order.orderID)
            Issue.record("a cancellation hiding unrecorded fills was recorded")
        } catch let error as CoordinationError {
            #expect(error.code == .fillsNotRecorded)
        }
        let cancelled = try await recorder.recordOrderStatus(try report(.cancelled, filled: "0.5"), orderID: order.orderID)
        #expect(cancelled.order.status == .cancelled && cancelled.order.filledQuantity == C.decimal("0.5"))
        #expect(cancelled.logEntry.record.action == .cancelled && cancelled.ledgerResult == .created)
        // The unfilled 1.5 of the 200 reservation is released; 50 sits in the position.
        let balances = await book.ledger.balances(of: C.profile)
        #expect(balances.reservedForOrders == 0 && balances.reservedForPositions == 50 && balances.available == 950)
        #expect(try await recorder.recordOrderStatus(try report(.cancelled, filled: "0.5"), orderID: order.orderID).isRepeat)
        // A late fill of the cancelled ENTRY: its reservation is void, the ledger refuses it and
        // nothing is recorded, for an operator to reconcile.
        do {
            _ = try await recorder.recordFill(try C.fill(of: order, execution: "x2", quantity: "0.25", price: "100", cumulative: "0.75"),
                                              orderID: order.orderID)
            Issue.record("a fill of a cancelled ENTRY was recorded")
        } catch let error as CoordinationError {
            #expect(error.code == .ledgerRefused)
        }
        #expect(try await store.order(order.orderID) == cancelled.order)
        #expect(try await C.log(store).map(\.record.action) == [.submitted, .executed, .filled, .cancelled])
    }

    /// A late fill of a cancelled EXIT is a correction to the exchange's truth: RECOVERED.
    @Test func lateFillOfACancelledExitIsRecovered() async throws {
        let (store, book, ticket) = try await pendingEntry()
        let recorder = LifecycleRecorder(store: store, ledger: book)
        _ = try await recorder.recordFill(try C.fill(of: ticket.order, execution: "x1", quantity: "2", price: "100", cumulative: "2"),
                                          orderID: ticket.order.orderID)
        let exit = try Order(orderID: try OrderID("exit-1"), profileID: C.profile, symbol: C.symbol, tradeID: try TradeID("TRD-a1"),
                             action: .exit, side: .long, status: .pending, quantity: 2, price: 110,
                             clientOrderID: try ClientOrderID("EXT-1"), createdAt: C.time(seconds: 20))
        _ = try await recorder.recordExitSubmission(exit)
        _ = try await recorder.recordOrderStatus(try OrderConfirmation(
            order: ExchangeOrder(profileID: C.profile, symbol: C.symbol, exchangeOrderID: "y-1", clientOrderID: exit.clientOrderID,
                                 side: .sell, status: .cancelled, quantity: 2), confirmedAt: C.time(seconds: 21)), orderID: exit.orderID)
        let late = try await recorder.recordFill(try C.fill(of: exit, execution: "y1", quantity: "2", price: "105", cumulative: "2", at: 22),
                                                 orderID: exit.orderID)
        #expect(late.order.status == .filled && late.logEntry.record.action == .recovered)
        // (105 - 100) * 2 = 10.
        #expect(await book.ledger.balances(of: C.profile).realizedPnL == 10)
        #expect(try await C.log(store).map(\.record.action) == [.submitted, .filled, .submitted, .cancelled, .recovered])
    }

    @Test func rejectionReleasesTheReservation() async throws {
        let (store, book, ticket) = try await pendingEntry()
        let recorder = LifecycleRecorder(store: store, ledger: book)
        let rejected = try await recorder.recordOrderStatus(try OrderConfirmation(
            order: ExchangeOrder(profileID: C.profile, symbol: C.symbol, exchangeOrderID: "x-1", clientOrderID: ticket.order.clientOrderID,
                                 side: .buy, status: .rejected, quantity: 2), confirmedAt: C.time(seconds: 1), reason: "insufficient margin"),
            orderID: ticket.order.orderID)
        #expect(rejected.order.status == .rejected && rejected.logEntry.record.action == .rejected)
        #expect(rejected.logEntry.record.reason == "insufficient margin")
        #expect(await book.ledger.balances(of: C.profile).available == 1000)
        #expect(try await store.order(ticket.order.orderID)?.status == .rejected)
    }

    /// The recording of an ENTRY attempt and of its fill fails at every write in turn, before or
    /// after the write, in a store with and without transactions; a retry then completes it, with
    /// exactly one order, one reservation and one fill in the ledger, and one log entry of each.
    @Test(arguments: [true, false], FailurePhase.allCases)
    func crashAtEveryStepThenRetryRecordsEverythingOnce(transactional: Bool, phase: FailurePhase) async throws {
        // How many writes each unit makes, counted on a run without failures.
        let probe = HookedStore(transactional: transactional)
        let (_, probeBook, probeTicket) = try await pendingEntry(probe)
        let beginWrites = probe.writes.withLock { $0 }.drop { $0 != "acquireEntryLock" }.prefix { $0 != "releaseEntryLock" }.count
        let before = probe.writes.withLock { $0.count }
        _ = try await LifecycleRecorder(store: probe, ledger: probeBook).recordFill(
            try C.fill(of: probeTicket.order, execution: "x1", quantity: "2", price: "100", cumulative: "2"), orderID: probeTicket.order.orderID)
        let fillWrites = probe.writes.withLock { $0.count } - before
        #expect(beginWrites == 4)  // lock, reservation, order, log
        #expect(fillWrites == 3)   // ledger fill, order, log

        for failing in 1...beginWrites {
            let store = HookedStore(transactional: transactional)
            let book = LedgerBook()
            try await C.allocate("1000", store: store, book: book)
            let clock = ManualWallClock(C.t0)
            let coordinator = EntryCoordinator(store: store, ledger: book, clock: clock, owner: try EntryLockOwner("A"))
            store.failWrite(failing, phase)
            await #expect(throws: CoordinationError.self, "begin, write \(failing) \(phase)") {
                _ = try await coordinator.beginEntry(try C.entry())
            }
            store.clearFailure()
            // A restarted process: a new owner once the old lease expired, the ledger from the store.
            clock.advance(byMicroseconds: Timestamp.seconds(60))
            let restarted = EntryCoordinator(store: store, ledger: try await LedgerBook.load(from: store), clock: clock,
                                             owner: try EntryLockOwner("B"))
            let ticket = try await restarted.beginEntry(try C.entry())
            try await expectOnce(store, orders: 1, reservations: 1, fills: 0, actions: [.submitted], "begin, write \(failing) \(phase)")
            #expect(ticket.order.status == .pending)
        }

        for failing in 1...fillWrites {
            let store = HookedStore(transactional: transactional)
            let (_, book, ticket) = try await pendingEntry(store)
            let recorder = LifecycleRecorder(store: store, ledger: book)
            let confirmation = try C.fill(of: ticket.order, execution: "x1", quantity: "2", price: "100", cumulative: "2")
            store.failWrite(failing, phase)
            await #expect(throws: CoordinationError.self, "fill, write \(failing) \(phase)") {
                _ = try await recorder.recordFill(confirmation, orderID: ticket.order.orderID)
            }
            store.clearFailure()
            let retried = try await LifecycleRecorder(store: store, ledger: try await LedgerBook.load(from: store))
                .recordFill(confirmation, orderID: ticket.order.orderID)
            #expect(retried.order.status == .filled)
            try await expectOnce(store, orders: 1, reservations: 1, fills: 1, actions: [.submitted, .filled], "fill, write \(failing) \(phase)")
            let rebuilt = try await LedgerBook.load(from: store).ledger.balances(of: C.profile)
            #expect(rebuilt.reservedForOrders == 0 && rebuilt.reservedForPositions == 200 && rebuilt.available == 800,
                    "fill, write \(failing) \(phase): \(rebuilt)")
        }
    }

    /// The same with the shared fault-injecting store: a crash at each write of a fill's recording
    /// (nothing more is written after it), a restart, a retry.
    @Test(arguments: [FaultInjectingStore.Operation.appendLedgerEvent, .updateOrder, .appendExecutionLog], [true, false])
    func crashOfTheFaultInjectingStoreThenRetry(_ operation: FaultInjectingStore.Operation, transactional: Bool) async throws {
        let store = FaultInjectingStore(wrapping: InMemoryStore(), isTransactional: transactional)
        let (_, book, ticket) = try await pendingEntry(store)
        let confirmation = try C.fill(of: ticket.order, execution: "x1", quantity: "2", price: "100", cumulative: "2")
        store.inject(.crash(atCall: 1, of: operation))
        await #expect(throws: CoordinationError.self) {
            _ = try await LifecycleRecorder(store: store, ledger: book).recordFill(confirmation, orderID: ticket.order.orderID)
        }
        #expect(store.isCrashed)
        store.removeFaults()
        let retried = try await LifecycleRecorder(store: store, ledger: try await LedgerBook.load(from: store))
            .recordFill(confirmation, orderID: ticket.order.orderID)
        #expect(retried.order.status == .filled && !retried.isRepeat)
        try await expectOnce(store, orders: 1, reservations: 1, fills: 1, actions: [.submitted, .filled], "crash at \(operation)")
    }

    func expectOnce(_ store: any Store, orders: Int, reservations: Int, fills: Int, actions: [ExecutionAction],
                    _ what: String) async throws {
        #expect(try await store.orders(matching: OrderQuery(profileID: C.profile)).count == orders, "\(what): orders")
        let events = try await C.ledgerEvents(store)
        let reserved = events.filter { if case .reserveEntry = $0.operation.kind { return true } else { return false } }
        #expect(reserved.count == reservations, "\(what): reservations")
        #expect(try await fillEvents(store).count == fills, "\(what): fills")
        let log = try await C.log(store)
        #expect(log.map(\.record.action) == actions, "\(what): log")
        #expect(ExecutionLogChain.verify(log, profileID: C.profile).isIntact, "\(what): chain")
    }

    // MARK: Ambiguous submissions

    func snapshot(orders: [ExchangeOrder] = [], fills: [ExchangeFill] = []) -> ExchangeSnapshot {
        ExchangeSnapshot(openOrders: orders, positions: [], fills: fills)
    }

    @Test func pendingOrderAbsentFromTheExchangeIsCancelledOnlyAfterTheGracePeriod() async throws {
        let (store, book, ticket) = try await pendingEntry()
        let recorder = LifecycleRecorder(store: store, ledger: book)
        let grace = Timestamp.seconds(120)
        let waiting = try await recorder.resolvePendingSubmission(ticket.order.orderID, snapshot: snapshot(),
                                                                  now: C.time(seconds: 119), gracePeriodMicroseconds: grace)
        #expect(waiting == .waiting(until: C.time(seconds: 120)))
        #expect(try await store.order(ticket.order.orderID)?.status == .pending)
        let absent = try await recorder.resolvePendingSubmission(ticket.order.orderID, snapshot: snapshot(),
                                                                 now: C.time(seconds: 120), gracePeriodMicroseconds: grace)
        #expect(absent == .absent(deadline: C.time(seconds: 120)))
        #expect(try await store.order(ticket.order.orderID)?.status == .cancelled)
        #expect(await book.ledger.balances(of: C.profile).available == 1000)
        #expect(try await C.log(store).last?.record.action == .cancelled)
    }

    @Test func pendingOrderFoundOnTheExchangeAdoptsItsStatusAndFills() async throws {
        let (store, book, ticket) = try await pendingEntry()
        let recorder = LifecycleRecorder(store: store, ledger: book)
        let order = ticket.order
        let exchangeOrder = try ExchangeOrder(profileID: C.profile, symbol: C.symbol, exchangeOrderID: "x-9", clientOrderID: order.clientOrderID,
                                              side: .buy, status: .open, quantity: 2, filledQuantity: C.decimal("1.5"), price: 100)
        let fills = [
            try ExchangeFill(profileID: C.profile, symbol: C.symbol, side: .buy, exchangeOrderID: "x-9", clientOrderID: order.clientOrderID,
                             quantity: 1, price: 99, filledAt: C.time(seconds: 3)),
            try ExchangeFill(profileID: C.profile, symbol: C.symbol, side: .buy, exchangeOrderID: "x-9", clientOrderID: order.clientOrderID,
                             quantity: C.decimal("0.5"), price: 100, filledAt: C.time(seconds: 4)),
            // Another client order id: not this order's.
            try ExchangeFill(profileID: C.profile, symbol: C.symbol, side: .buy, exchangeOrderID: "x-7", clientOrderID: try ClientOrderID("ENT-x"),
                             quantity: 7, price: 100, filledAt: C.time(seconds: 4)),
        ]
        let resolution = try await recorder.resolvePendingSubmission(order.orderID, snapshot: snapshot(orders: [exchangeOrder], fills: fills.reversed()),
                                                                     now: C.time(seconds: 5), gracePeriodMicroseconds: Timestamp.seconds(120))
        #expect(resolution == .found(exchangeOrder: exchangeOrder, fills: Array(fills.prefix(2))))
        let stored = try #require(try await store.order(order.orderID))
        #expect(stored.status == .partiallyFilled && stored.filledQuantity == C.decimal("1.5"))
        #expect(await book.ledger.balances(of: C.profile).reservedForPositions == C.decimal("149"))
        #expect(try await C.log(store).map(\.record.action) == [.submitted, .executed, .filled, .filled])
        // The same snapshot again changes nothing: the order is no longer pending.
        let again = try await recorder.resolvePendingSubmission(order.orderID, snapshot: snapshot(orders: [exchangeOrder], fills: fills),
                                                                now: C.time(seconds: 6), gracePeriodMicroseconds: Timestamp.seconds(120))
        #expect(again == .notPending(.partiallyFilled))
    }

    @Test func contradictoryEvidenceChangesNothing() async throws {
        let (_, _, ticket) = try await pendingEntry()
        let order = ticket.order
        func exchangeOrder(_ id: String, symbol: String = C.symbol) throws -> ExchangeOrder {
            try ExchangeOrder(profileID: C.profile, symbol: symbol, exchangeOrderID: id, clientOrderID: order.clientOrderID,
                              side: .buy, status: .open, quantity: 2)
        }
        let tooMuch = try ExchangeFill(profileID: C.profile, symbol: C.symbol, side: .buy, exchangeOrderID: "x-1",
                                       clientOrderID: order.clientOrderID, quantity: 3, price: 100, filledAt: C.t0)
        let cases = [
            snapshot(orders: [try exchangeOrder("x-1"), try exchangeOrder("x-2")]),
            snapshot(orders: [try exchangeOrder("x-1", symbol: "ETH-USD")]),
            snapshot(fills: [tooMuch]),
        ]
        for evidence in cases {
            let resolution = PendingSubmission.resolve(order, snapshot: evidence, now: C.t0, gracePeriodMicroseconds: 0)
            guard case .conflicting = resolution else {
                Issue.record("expected conflicting, got \(resolution)")
                continue
            }
        }
        #expect(PendingSubmission.resolve(order, snapshot: snapshot(), now: C.t0, gracePeriodMicroseconds: -5) == .absent(deadline: C.t0))
    }
}
