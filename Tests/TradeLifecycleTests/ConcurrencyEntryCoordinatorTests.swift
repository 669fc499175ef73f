import Synchronization
import Testing
import TradeLifecycle

/// Entry coordination: one ENTRY per profile and symbol, the same client order id on every retry,
/// the lock's fencing check at the write, capital reserved with the pending order.
@Suite struct ConcurrencyEntryCoordinatorTests {
    typealias C = Coordination
    static let ttl = Timestamp.seconds(30)

    func setUp(capital: String = "1000") async throws -> (InMemoryStore, LedgerBook, ManualWallClock) {
        let store = InMemoryStore()
        let book = LedgerBook()
        try await C.allocate(capital, store: store, book: book)
        return (store, book, ManualWallClock(C.t0))
    }

    func coordinator(_ store: any Store, _ book: LedgerBook, _ clock: any WallClock, owner: String) throws -> EntryCoordinator {
        EntryCoordinator(store: store, ledger: book, clock: clock, owner: try EntryLockOwner(owner), lockTTLMicroseconds: Self.ttl)
    }

    @Test func beginEntryRecordsAPendingOrderWithItsReservationAndLog() async throws {
        let (store, book, clock) = try await setUp()
        let request = try C.entry()
        let ticket = try await coordinator(store, book, clock, owner: "A").beginEntry(request)
        let expectedClientID = ClientOrderID.deterministic(profileID: C.profile, tradeID: try TradeID("TRD-a1"), action: .entry, attempt: 0)
        #expect(ticket.clientOrderID == expectedClientID)
        #expect(ticket.order.orderID.rawValue == expectedClientID.rawValue)
        #expect(ticket.order.clientOrderID == expectedClientID)
        #expect(ticket.order.status == .pending && ticket.order.action == .entry && ticket.order.createdAt == C.t0)
        #expect(ticket.needsSubmission && !ticket.isRetry)
        #expect(try await store.order(ticket.order.orderID) == ticket.order)
        // 2 @ 100 reserved out of 1000.
        let balances = await book.ledger.balances(of: C.profile)
        #expect(balances.reservedForOrders == 200 && balances.available == 800)
        #expect(try await C.ledgerEvents(store).count == 2)
        let log = try await C.log(store)
        #expect(log.map(\.record.action) == [.submitted] && log.first?.record.orderID == ticket.order.orderID)
        #expect(try await store.entryLock(profileID: C.profile, symbol: C.symbol) == ticket.lease)
        try await coordinator(store, book, clock, owner: "A").finishEntry(ticket)
        #expect(try await store.entryLock(profileID: C.profile, symbol: C.symbol) == nil)
    }

    /// A crash after the order was recorded: the lock expires, a new process retries the same
    /// attempt and gets the same order and client order id; nothing is written twice.
    @Test func crashAndRetryReusesTheClientOrderID() async throws {
        let (store, book, clock) = try await setUp()
        let request = try C.entry()
        let first = try await coordinator(store, book, clock, owner: "A").beginEntry(request)
        // Process A crashes holding the lock. Process B starts with the ledger from the store.
        let bookB = try await LedgerBook.load(from: store)
        let b = try coordinator(store, bookB, clock, owner: "B")
        await #expect(throws: CoordinationError.self) { try await b.beginEntry(request) }
        do {
            _ = try await b.beginEntry(request)
        } catch {
            #expect(error.code == .lockContended)
        }
        clock.advance(byMicroseconds: Self.ttl)
        let retry = try await b.beginEntry(request)
        #expect(retry.isRetry && retry.needsSubmission)
        #expect(retry.clientOrderID == first.clientOrderID && retry.order == first.order)
        #expect(retry.lease.fencingToken > first.lease.fencingToken)
        #expect(try await store.orders(matching: OrderQuery(profileID: C.profile)).count == 1)
        #expect(try await C.ledgerEvents(store).count == 2)
        #expect(try await C.log(store).count == 1)
        #expect(await bookB.ledger.balances(of: C.profile).reservedForOrders == 200)
        // The old holder's lease is gone.
        let a = try coordinator(store, book, clock, owner: "A")
        await #expect(throws: CoordinationError.self) { try await a.renew(first) }
        await #expect(throws: CoordinationError.self) { try await a.finishEntry(first) }
    }

    /// While an attempt is pending (an ambiguous submission), no other ENTRY of the profile and
    /// symbol is recorded, even by a new owner after a takeover.
    @Test func liveEntryBlocksAnotherAttempt() async throws {
        let (store, book, clock) = try await setUp()
        _ = try await coordinator(store, book, clock, owner: "A").beginEntry(try C.entry())
        clock.advance(byMicroseconds: Self.ttl)
        let b = try coordinator(store, book, clock, owner: "B")
        for request in [try C.entry(attempt: 1), try C.entry(trade: "TRD-b2")] {
            do {
                _ = try await b.beginEntry(request)
                Issue.record("a second live ENTRY was recorded")
            } catch {
                #expect(error.code == .liveEntryExists)
            }
        }
        #expect(try await store.orders(matching: OrderQuery(profileID: C.profile)).count == 1)
        #expect(try await C.ledgerEvents(store).count == 2)
        #expect(try await C.log(store).count == 1)
        // The refused attempts released the lock they took.
        #expect(try await store.entryLock(profileID: C.profile, symbol: C.symbol) == nil)
    }

    @Test func insufficientCapitalRecordsNoOrder() async throws {
        let (store, book, clock) = try await setUp(capital: "150")
        let a = try coordinator(store, book, clock, owner: "A")
        for _ in 0..<2 {
            do {
                _ = try await a.beginEntry(try C.entry())
                Issue.record("an ENTRY beyond the available capital was recorded")
            } catch let error as CoordinationError {
                #expect(error.code == .insufficientCapital)
            }
        }
        #expect(try await store.orders(matching: OrderQuery(profileID: C.profile)).isEmpty)
        #expect(try await C.log(store).isEmpty)
        #expect(try await store.entryLock(profileID: C.profile, symbol: C.symbol) == nil)
        // The refusal is recorded once, under the attempt's id; the balances are untouched.
        #expect(try await C.ledgerEvents(store).count == 2)
        #expect(await book.ledger.balances(of: C.profile).available == 150)
        try await C.allocate("100", store: store, book: book, id: 2)
        let ticket = try await a.beginEntry(try C.entry(attempt: 1))
        #expect(ticket.order.status == .pending)
        #expect(await book.ledger.balances(of: C.profile).available == 50)
    }

    /// A holder whose lease expires between taking the lock and writing is refused at the write
    /// by the fencing check, and nothing is recorded.
    @Test func leaseExpiringBeforeTheWriteIsRefusedByTheFence() async throws {
        let (store, book, _) = try await setUp()
        // Every reading of this clock is one TTL later than the one before.
        let clock = SteppingClock(start: C.t0, stepMicroseconds: Self.ttl)
        do {
            _ = try await coordinator(store, book, clock, owner: "A").beginEntry(try C.entry())
            Issue.record("a write with an expired lease was accepted")
        } catch let error as CoordinationError {
            #expect(error.code == .lockLost)
            #expect((error.underlying as? StoreError)?.code == .staleFencingToken)
        }
        #expect(try await store.orders(matching: OrderQuery(profileID: C.profile)).isEmpty)
        #expect(try await C.ledgerEvents(store).count == 1)
        #expect(try await C.log(store).isEmpty)
    }

    @Test func renewalKeepsTheLockUntilTheNewExpiry() async throws {
        let (store, book, clock) = try await setUp()
        let a = try coordinator(store, book, clock, owner: "A"), b = try coordinator(store, book, clock, owner: "B")
        let ticket = try await a.beginEntry(try C.entry())
        clock.advance(byMicroseconds: Timestamp.seconds(20))
        let renewed = try await a.renew(ticket)
        #expect(renewed.lease.expiresAt == C.time(seconds: 50) && renewed.lease.fencingToken == ticket.lease.fencingToken)
        clock.advance(byMicroseconds: Timestamp.seconds(20))
        do {
            _ = try await b.beginEntry(try C.entry(trade: "TRD-b2"))
            Issue.record("B took a renewed lock")
        } catch let error as CoordinationError {
            #expect(error.code == .lockContended)
        }
        clock.advance(byMicroseconds: Timestamp.seconds(10))
        do {
            _ = try await a.renew(renewed)
            Issue.record("a lease was renewed at its expiry")
        } catch {
            #expect(error.code == .lockLost)
        }
    }

    @Test func retryWithOtherFiguresIsAConflict() async throws {
        let (store, book, clock) = try await setUp()
        let a = try coordinator(store, book, clock, owner: "A")
        let ticket = try await a.beginEntry(try C.entry())
        try await a.finishEntry(ticket)
        do {
            _ = try await a.beginEntry(try C.entry(quantity: "3"))
            Issue.record("the attempt was recorded again with another quantity")
        } catch let error as CoordinationError {
            #expect(error.code == .conflict)
        }
        #expect(try await store.order(ticket.order.orderID) == ticket.order)
    }

    /// 64 coordinators, each trying entries of its own trades on one profile and symbol: at no
    /// time two live ENTRY orders, every recorded ENTRY filled through the recorder, the ledger
    /// balanced.
    @Test func sixtyFourCoordinatorsNeverRecordTwoLiveEntries() async throws {
        let (store, book, clock) = try await setUp(capital: "1000000")
        let recorder = LifecycleRecorder(store: store, ledger: book)
        let tickets = TicketLog()
        try await withThrowingTaskGroup(of: Void.self) { group in
            for task in 0..<64 {
                group.addTask {
                    let coordinator = try coordinator(store, book, clock, owner: "T\(task)")
                    for attempt in 0..<25 {
                        clock.advance(byMicroseconds: 1)
                        let request = try C.entry(trade: "TRD-t\(task)-\(attempt)", quantity: "1", price: "10")
                        let ticket: EntryTicket
                        do {
                            ticket = try await coordinator.beginEntry(request)
                        } catch let error as CoordinationError {
                            #expect(error.code == .lockContended || error.code == .liveEntryExists, "\(error)")
                            continue
                        }
                        let live = try await store.orders(matching: OrderQuery(profileID: C.profile, statuses: [.pending, .open, .partiallyFilled]))
                        #expect(live.count == 1, "live ENTRY orders while holding the lock: \(live.map(\.orderID))")
                        tickets.tickets.withLock { $0.append(ticket) }
                        _ = try await recorder.recordFill(try C.fill(of: ticket.order, execution: "e-\(task)-\(attempt)", quantity: "1",
                                                                     price: "10", cumulative: "1"), orderID: ticket.order.orderID)
                        try await coordinator.finishEntry(ticket)
                    }
                }
            }
            try await group.waitForAll()
        }
        let recorded = tickets.tickets.withLock { $0 }
        #expect(recorded.count > 1)
        let orders = try await store.orders(matching: OrderQuery(profileID: C.profile))
        #expect(orders.count == recorded.count && orders.allSatisfy { $0.status == .filled })
        #expect(Set(recorded.map(\.lease.fencingToken)).count == recorded.count)
        let balances = try await book.refresh(from: store).balances(of: C.profile)
        #expect(balances.reservedForOrders == 0)
        #expect(balances.reservedForPositions == ExactDecimal(10 * recorded.count))
    }
}

/// Tickets collected by concurrent tasks.
final class TicketLog: Sendable {
    let tickets = Mutex<[EntryTicket]>([])
}

/// A clock whose every reading is a fixed step later than the one before.
final class SteppingClock: WallClock {
    let next: Mutex<Timestamp>
    let stepMicroseconds: Int64

    init(start: Timestamp, stepMicroseconds: Int64) {
        next = Mutex(start)
        self.stepMicroseconds = stepMicroseconds
    }

    func now() -> Timestamp {
        next.withLock { current in
            let reading = current
            current = current.advanced(byMicroseconds: stepMicroseconds) ?? current
            return reading
        }
    }
}
