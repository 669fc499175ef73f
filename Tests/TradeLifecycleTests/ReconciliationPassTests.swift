import Testing
import TradeLifecycle

/// Records what a handler received; optionally holds the first call until opened.
actor RecordingHandler: DiscrepancyHandler {
    private(set) var received: [Discrepancy] = []
    private(set) var active = 0
    private(set) var maximumActive = 0
    private(set) var waiting = 0
    private var holdFirstCall: Bool
    private var gate: CheckedContinuation<Void, Never>?

    init(holdFirstCall: Bool = false) {
        self.holdFirstCall = holdFirstCall
    }

    func handle(_ discrepancy: Discrepancy, context: ReconciliationContext) async throws {
        received.append(discrepancy)
        active += 1
        maximumActive = max(maximumActive, active)
        if holdFirstCall {
            holdFirstCall = false
            waiting += 1
            await withCheckedContinuation { gate = $0 }
            waiting -= 1
        }
        active -= 1
    }

    func open() {
        gate?.resume()
        gate = nil
    }
}

/// Collects emitted mismatch events.
actor EventCollector {
    private(set) var events: [MismatchEvent] = []

    func append(_ event: MismatchEvent) {
        events.append(event)
    }
}

/// Yields until `condition` holds, failing the test after a bounded number of turns.
func eventually(_ description: String, _ condition: () async -> Bool, sourceLocation: SourceLocation = #_sourceLocation) async {
    for _ in 0..<100_000 {
        if await condition() { return }
        await Task.yield()
    }
    Issue.record("timed out waiting until \(description)", sourceLocation: sourceLocation)
}

@Suite("Reconciliation pass")
struct ReconciliationPassTests {
    typealias F = ReconciliationFixtures
    static let window = Timestamp.milliseconds(MismatchThrottle.defaultWindowMilliseconds)

    struct Harness {
        let clock = ManualWallClock(F.start)
        let store = InMemoryStore()
        let exchange: SimulatedExchange
        let handler: RecordingHandler
        let events = EventCollector()
        let lock: InProcessReconciliationLock
        let reconciler: Reconciler

        init(holdFirstCall: Bool = false, policy: InProcessReconciliationLock.ContentionPolicy = .wait,
             throttleMilliseconds: Int64 = MismatchThrottle.defaultWindowMilliseconds) throws {
            exchange = SimulatedExchange(clock: clock)
            handler = RecordingHandler(holdFirstCall: holdFirstCall)
            lock = InProcessReconciliationLock(policy: policy)
            let events = events
            reconciler = try Reconciler(
                orders: store, exchange: exchange, handler: handler, clock: clock, lock: lock,
                configuration: Reconciler.Configuration(mismatchThrottleMilliseconds: throttleMilliseconds),
                onMismatch: { await events.append($0) })
        }
    }

    // MARK: Counting

    @Test func aCleanPassResetsTheMismatchCount() async throws {
        let harness = try Harness()
        let live = try F.order("o1", status: .open, exchangeID: "x-gone")
        _ = try await harness.store.insertOrder(live)
        try await harness.exchange.setPosition(profileID: F.profile, symbol: "ETH-USD", quantity: 2)

        let first = try await harness.reconciler.reconcile(profileID: F.profile)
        #expect(first.discrepancies.map(\.kind) == [.orderMissingOnExchange, .untrackedPosition])
        #expect(first.mismatchCount == 2)
        let second = try await harness.reconciler.reconcile(profileID: F.profile)
        #expect(second.mismatchCount == 4)
        #expect(await harness.reconciler.mismatchCount(profileID: F.profile) == 4)

        _ = try await harness.store.updateOrder(live.orderID, change: .transition(to: .cancelled, filledQuantity: nil, filledAt: nil),
                                                at: F.at(seconds: 1))
        try await harness.exchange.setPosition(profileID: F.profile, symbol: "ETH-USD", quantity: 0)
        let clean = try await harness.reconciler.reconcile(profileID: F.profile)
        #expect(clean.isClean)
        #expect(clean.mismatchCount == 0)
        #expect(await harness.reconciler.mismatchCount(profileID: F.profile) == 0)

        try await harness.exchange.setPosition(profileID: F.profile, symbol: "ETH-USD", quantity: 1)
        let again = try await harness.reconciler.reconcile(profileID: F.profile)
        #expect(again.mismatchCount == 1)
    }

    @Test func countsAreKeptPerProfile() async throws {
        let harness = try Harness()
        try await harness.exchange.setPosition(profileID: F.profile, symbol: "ETH-USD", quantity: 2)
        _ = try await harness.reconciler.reconcile(profileID: F.profile)
        let other = try await harness.reconciler.reconcile(profileID: F.otherProfile)
        #expect(other.isClean)
        #expect(await harness.reconciler.mismatchCount(profileID: F.profile) == 1)
        #expect(await harness.reconciler.mismatchCount(profileID: F.otherProfile) == 0)
    }

    // MARK: Handlers

    @Test func eachDiscrepancyIsRoutedAndAFailingRouteDoesNotStopThePass() async throws {
        struct RouteFailure: Error {}
        let clock = ManualWallClock(F.start)
        let store = InMemoryStore()
        let exchange = SimulatedExchange(clock: clock)
        _ = try await store.insertOrder(try F.order("o1", status: .filled, quantity: "1", exchangeID: "x1", filledAtSeconds: 1))
        try await exchange.setPosition(profileID: F.profile, symbol: "ETH-USD", quantity: 2)
        let untracked = RecordingHandler()
        let routes = DiscrepancyRoutes()
            .routing(.ghostPosition) { _, _ in throw RouteFailure() }
            .routing(.untrackedPosition) { discrepancy, context in try await untracked.handle(discrepancy, context: context) }
        #expect(routes.handles(.ghostPosition))
        #expect(!routes.handles(.orderMissingOnExchange))
        let reconciler = try Reconciler(orders: store, exchange: exchange, handler: routes, clock: clock)
        let report = try await reconciler.reconcile(profileID: F.profile)
        #expect(report.discrepancies.map(\.kind) == [.ghostPosition, .untrackedPosition])
        #expect(report.handlerFailures.map(\.discrepancy.kind) == [.ghostPosition])
        #expect(report.handlerFailures.first?.error is RouteFailure)
        #expect(await untracked.received.map(\.symbol) == ["ETH-USD"])
        #expect(report.mismatchCount == 2)
    }

    @Test func aHandlerCorrectsTheStoreAndTheNextPassIsClean() async throws {
        let clock = ManualWallClock(F.start)
        let store = InMemoryStore()
        let exchange = SimulatedExchange(clock: clock)
        let tradeID = try TradeID("TRD-a1")
        let clientOrderID = ClientOrderID.deterministic(profileID: F.profile, tradeID: tradeID, action: .entry, attempt: 1)
        let submitted = try await exchange.submit(profileID: F.profile, symbol: "BTC-USD", side: .buy, quantity: 1,
                                                  price: 100, clientOrderID: clientOrderID)
        let order = try Order(orderID: OrderID("o1"), profileID: F.profile, symbol: "BTC-USD", tradeID: tradeID, action: .entry,
                              side: .long, status: .open, quantity: 1, price: 100, exchangeOrderID: submitted.exchangeOrderID,
                              clientOrderID: clientOrderID, createdAt: F.start)
        _ = try await store.insertOrder(order)
        try await exchange.fill(exchangeOrderID: submitted.exchangeOrderID, at: F.at(seconds: 5))
        clock.advance(byMicroseconds: Timestamp.seconds(10))

        let repair = DiscrepancyRoutes().routing(.orderStatusMismatch) { discrepancy, context in
            guard case let .orderStatusMismatch(order, evidence) = discrepancy, let status = evidence.status else { return }
            _ = try await store.updateOrder(order.orderID, change: .transition(to: status, filledQuantity: evidence.filledQuantity,
                                                                              filledAt: evidence.lastFilledAt), at: context.startedAt)
        }
        let reconciler = try Reconciler(orders: store, exchange: exchange, handler: repair, clock: clock)
        let first = try await reconciler.reconcile(profileID: F.profile)
        // The order is open here but filled on the exchange, whose position is not yet a lifecycle here.
        #expect(first.discrepancies.map(\.kind) == [.orderStatusMismatch, .untrackedPosition])
        #expect(first.handlerFailures.isEmpty)
        #expect(try await store.order(order.orderID)?.status == .filled)

        let second = try await reconciler.reconcile(profileID: F.profile)
        #expect(second.isClean)
        #expect(second.mismatchCount == 0)
    }

    // MARK: Throttle

    @Test func mismatchEventsAreThrottledPerKeyAndReEmittedExactlyAtTheEndOfTheWindow() async throws {
        let harness = try Harness()
        try await harness.exchange.setPosition(profileID: F.profile, symbol: "ETH-USD", quantity: 2)
        _ = try await harness.store.insertOrder(try F.order("o1", status: .open, exchangeID: "x-gone"))

        let first = try await harness.reconciler.reconcile(profileID: F.profile)
        #expect(first.emittedEvents.map(\.key.description) == ["orderMissingOnExchange p1/BTC-USD", "untrackedPosition p1/ETH-USD"])
        #expect(first.emittedEvents.map(\.suppressedSinceLastEmission) == [0, 0])

        harness.clock.advance(byMicroseconds: Self.window - 1)
        let inside = try await harness.reconciler.reconcile(profileID: F.profile)
        #expect(inside.emittedEvents.isEmpty)
        #expect(inside.discrepancies.count == 2)

        harness.clock.advance(byMicroseconds: 1)
        let atEnd = try await harness.reconciler.reconcile(profileID: F.profile)
        #expect(atEnd.emittedEvents.count == 2)
        #expect(atEnd.emittedEvents.map(\.suppressedSinceLastEmission) == [1, 1])
        #expect(atEnd.emittedEvents.map(\.mismatchCount) == [6, 6])
        #expect(atEnd.emittedEvents.map(\.at) == [harness.clock.now(), harness.clock.now()])

        // A new kind in the same symbol has its own window.
        _ = try await harness.store.insertOrder(try F.order("o2", symbol: "ETH-USD", trade: "TRD-e1", status: .filled, quantity: "1",
                                                             exchangeID: "x2", filledAtSeconds: 1))
        harness.clock.advance(byMicroseconds: 1)
        let newKind = try await harness.reconciler.reconcile(profileID: F.profile)
        #expect(newKind.emittedEvents.map(\.key.description) == ["positionQuantityMismatch p1/ETH-USD"])
        #expect(await harness.events.events.count == 5)
    }

    @Test func theThrottleIsNotResetByACleanPass() async throws {
        let harness = try Harness()
        try await harness.exchange.setPosition(profileID: F.profile, symbol: "ETH-USD", quantity: 2)
        #expect(try await harness.reconciler.reconcile(profileID: F.profile).emittedEvents.count == 1)
        try await harness.exchange.setPosition(profileID: F.profile, symbol: "ETH-USD", quantity: 0)
        harness.clock.advance(byMicroseconds: 1)
        #expect(try await harness.reconciler.reconcile(profileID: F.profile).isClean)
        try await harness.exchange.setPosition(profileID: F.profile, symbol: "ETH-USD", quantity: 2)
        harness.clock.advance(byMicroseconds: 1)
        let back = try await harness.reconciler.reconcile(profileID: F.profile)
        #expect(back.emittedEvents.isEmpty)
        #expect(back.mismatchCount == 1)
    }

    @Test(arguments: [
        (elapsed: Int64(0), emits: false),
        (elapsed: window - 1, emits: false),
        (elapsed: window, emits: true),
        (elapsed: window + 1, emits: true),
        (elapsed: Int64(-1), emits: true),
    ])
    func throttleWindowEdges(elapsed: Int64, emits: Bool) throws {
        var throttle = try MismatchThrottle()
        let key = MismatchKey(profileID: F.profile, symbol: "BTC-USD", kind: .ghostPosition)
        #expect(throttle.decide(key, at: F.start) == .emit(suppressedSinceLastEmission: 0))
        let later = try #require(F.start.advanced(byMicroseconds: elapsed))
        #expect(throttle.decide(key, at: later) == (emits ? .emit(suppressedSinceLastEmission: 0) : .suppress))
    }

    @Test func throttleKeysAreIndependentAndEndedWindowsAreForgotten() throws {
        var throttle = try MismatchThrottle(windowMilliseconds: 1000)
        let ghost = MismatchKey(profileID: F.profile, symbol: "BTC-USD", kind: .ghostPosition)
        let otherSymbol = MismatchKey(profileID: F.profile, symbol: "ETH-USD", kind: .ghostPosition)
        let otherProfile = MismatchKey(profileID: F.otherProfile, symbol: "BTC-USD", kind: .ghostPosition)
        for key in [ghost, otherSymbol, otherProfile] {
            #expect(throttle.decide(key, at: F.start) == .emit(suppressedSinceLastEmission: 0))
        }
        #expect(throttle.decide(ghost, at: F.start) == .suppress)
        #expect(throttle.decide(ghost, at: F.start) == .suppress)
        #expect(throttle.rememberedKeyCount == 3)
        let end = try #require(F.start.advanced(byMicroseconds: 1_000_000))
        #expect(throttle.decide(ghost, at: end) == .emit(suppressedSinceLastEmission: 2))
        throttle.forgetEndedWindows(at: end)
        #expect(throttle.rememberedKeyCount == 1)
    }

    @Test func aZeroWindowEmitsEveryTime() throws {
        var throttle = try MismatchThrottle(windowMilliseconds: 0)
        let key = MismatchKey(profileID: F.profile, symbol: nil, kind: .missingEntryOrder)
        for _ in 0..<3 {
            #expect(throttle.decide(key, at: F.start) == .emit(suppressedSinceLastEmission: 0))
        }
    }

    @Test(arguments: [Int64(-1), MismatchThrottle.maximumWindowMilliseconds + 1])
    func aThrottleWindowOutOfRangeIsRejected(milliseconds: Int64) {
        let error = #expect(throws: ReconciliationError.self) { _ = try MismatchThrottle(windowMilliseconds: milliseconds) }
        #expect(error?.code == .invalidConfiguration)
        #expect(error?.description.contains("EXCHANGE_STATE_MISMATCH_THROTTLE_MS") == true)
    }

    @Test func settingsComeFromTheBackfillEnvironment() throws {
        let backfill = try BackfillConfiguration(environment: ["EXCHANGE_STATE_MISMATCH_THROTTLE_MS": "1500",
                                                               "RECON_EXIT_BACKFILL_LOOKBACK_HOURS": "12"])
        let configuration = Reconciler.Configuration(backfill)
        #expect(configuration.mismatchThrottleMilliseconds == 1500)
        #expect(configuration.fillLookbackHours == 12)
        #expect(Reconciler.Configuration(.default).mismatchThrottleMilliseconds == 300_000)
    }

    @Test func invalidReconcilerSettingsAreRejected() async throws {
        let clock = ManualWallClock(F.start)
        let settings = [
            Reconciler.Configuration(mismatchThrottleMilliseconds: -5),
            Reconciler.Configuration(fillLookbackHours: -1),
            Reconciler.Configuration(flatTolerance: -1),
        ]
        for configuration in settings {
            let error = #expect(throws: ReconciliationError.self) {
                _ = try Reconciler(orders: InMemoryStore(), exchange: SimulatedExchange(clock: clock), handler: DiscrepancyRoutes(),
                                   clock: clock, configuration: configuration)
            }
            #expect(error?.code == .invalidConfiguration)
        }
    }

    // MARK: Lock

    @Test func concurrentPassesOfOneProfileAreSerialised() async throws {
        let harness = try Harness(holdFirstCall: true)
        try await harness.exchange.setPosition(profileID: F.profile, symbol: "ETH-USD", quantity: 2)
        let reconciler = harness.reconciler
        let first = Task { try await reconciler.reconcile(profileID: F.profile) }
        await eventually("the first pass is in its handler") { await harness.handler.waiting == 1 }
        let second = Task { try await reconciler.reconcile(profileID: F.profile) }
        await eventually("the second pass waits for the lock") { harness.lock.waiterCount(profileID: F.profile) == 1 }
        #expect(await harness.handler.received.count == 1)

        // Another profile is not held up.
        let other = try await reconciler.reconcile(profileID: F.otherProfile)
        #expect(other.isClean)

        await harness.handler.open()
        let reports = [try await first.value, try await second.value]
        #expect(reports.map(\.mismatchCount) == [1, 2])
        #expect(await harness.handler.received.count == 2)
        #expect(await harness.handler.maximumActive == 1)
        #expect(!harness.lock.isLocked(profileID: F.profile))
    }

    @Test func aRefusingLockTurnsAwayASecondPass() async throws {
        let harness = try Harness(holdFirstCall: true, policy: .refuse)
        try await harness.exchange.setPosition(profileID: F.profile, symbol: "ETH-USD", quantity: 2)
        let reconciler = harness.reconciler
        let first = Task { try await reconciler.reconcile(profileID: F.profile) }
        await eventually("the first pass is in its handler") { await harness.handler.waiting == 1 }
        let error = await #expect(throws: ReconciliationError.self) { _ = try await reconciler.reconcile(profileID: F.profile) }
        #expect(error?.code == .lockUnavailable)
        await harness.handler.open()
        #expect(try await first.value.mismatchCount == 1)
        // The refused pass changed nothing; the next one runs.
        #expect(try await reconciler.reconcile(profileID: F.profile).mismatchCount == 2)
    }

    @Test func aCancelledWaitingPassLeavesTheQueue() async throws {
        let harness = try Harness(holdFirstCall: true)
        try await harness.exchange.setPosition(profileID: F.profile, symbol: "ETH-USD", quantity: 2)
        let reconciler = harness.reconciler
        let first = Task { try await reconciler.reconcile(profileID: F.profile) }
        await eventually("the first pass is in its handler") { await harness.handler.waiting == 1 }
        let waiting = Task { try await reconciler.reconcile(profileID: F.profile) }
        await eventually("the second pass waits for the lock") { harness.lock.waiterCount(profileID: F.profile) == 1 }
        waiting.cancel()
        let error = await #expect(throws: ReconciliationError.self) { _ = try await waiting.value }
        #expect(error?.code == .cancelled)
        #expect(harness.lock.waiterCount(profileID: F.profile) == 0)
        await harness.handler.open()
        #expect(try await first.value.mismatchCount == 1)
        #expect(try await reconciler.reconcile(profileID: F.profile).mismatchCount == 2)
        #expect(!harness.lock.isLocked(profileID: F.profile))
    }

    @Test func theLockIsReleasedWhenThePassFails() async throws {
        let harness = try Harness()
        try await harness.exchange.setPosition(profileID: F.profile, symbol: "ETH-USD", quantity: 2)
        _ = try await harness.reconciler.reconcile(profileID: F.profile)
        await harness.exchange.failNextSnapshots(1)
        let error = await #expect(throws: ReconciliationError.self) { _ = try await harness.reconciler.reconcile(profileID: F.profile) }
        #expect(error?.code == .exchangeUnavailable)
        #expect(error?.underlying is SimulatedExchangeError)
        #expect(!harness.lock.isLocked(profileID: F.profile))
        // The failed pass changed neither the count nor called the handler.
        #expect(await harness.reconciler.mismatchCount(profileID: F.profile) == 1)
        #expect(await harness.handler.received.count == 1)
        #expect(try await harness.reconciler.reconcile(profileID: F.profile).mismatchCount == 2)
    }

    @Test func tradeReferencesFeedMissingEntryOrder() async throws {
        let clock = ManualWallClock(F.start)
        let reference = TradeReference(profileID: F.profile, symbol: "BTC-USD", tradeID: try TradeID("TRD-z"), source: .tradeHistory)
        let reconciler = try Reconciler(orders: InMemoryStore(), exchange: SimulatedExchange(clock: clock), handler: DiscrepancyRoutes(),
                                        clock: clock, tradeReferences: { _ in [reference] })
        let report = try await reconciler.reconcile(profileID: F.profile)
        #expect(report.discrepancies == [.lifecycleAnomaly(.missingEntryOrder(profileID: F.profile, symbol: "BTC-USD",
                                                                             tradeID: reference.tradeID, source: .tradeHistory))])
    }

    @Test func fillsAreReadFromTheLookbackWindow() async throws {
        let clock = ManualWallClock(F.start)
        let exchange = SimulatedExchange(clock: clock)
        let store = InMemoryStore()
        // A cancelled order here that the exchange filled 2 hours ago; with a 1 hour lookback the
        // pass does not see the fill.
        _ = try await store.insertOrder(try F.order("o1", action: nil, status: .cancelled, exchangeID: "x1"))
        try await exchange.recordFill(profileID: F.profile, symbol: "BTC-USD", side: .buy, exchangeOrderID: "x1", quantity: 1, price: 100,
                                      at: F.start)
        try await exchange.setPosition(profileID: F.profile, symbol: "BTC-USD", quantity: 0)
        clock.advance(byMicroseconds: Timestamp.hours(2))
        let narrow = try Reconciler(orders: store, exchange: exchange, handler: DiscrepancyRoutes(), clock: clock,
                                    configuration: Reconciler.Configuration(fillLookbackHours: 1))
        #expect(try await narrow.reconcile(profileID: F.profile).isClean)
        let wide = try Reconciler(orders: store, exchange: exchange, handler: DiscrepancyRoutes(), clock: clock,
                                  configuration: Reconciler.Configuration(fillLookbackHours: 2))
        #expect(try await wide.reconcile(profileID: F.profile).discrepancies.map(\.kind) == [.orderStatusMismatch])
    }
}
