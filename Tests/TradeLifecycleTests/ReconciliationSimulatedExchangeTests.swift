import Testing
import TradeLifecycle

@Suite("Reconciliation simulated exchange")
struct ReconciliationSimulatedExchangeTests {
    typealias F = ReconciliationFixtures

    @Test func submitFillAndCancelMoveOrdersAndPositions() async throws {
        let clock = ManualWallClock(F.start)
        let exchange = SimulatedExchange(clock: clock)
        let buy = try await exchange.submit(profileID: F.profile, symbol: "BTC-USD", side: .buy, quantity: 2, price: 100,
                                            clientOrderID: try ClientOrderID("c1"))
        #expect(buy.exchangeOrderID == "SIM-00000001")
        #expect(buy.status == .open)
        let sell = try await exchange.submit(profileID: F.profile, symbol: "BTC-USD", side: .sell, quantity: 1, price: 110)
        #expect(sell.exchangeOrderID == "SIM-00000002")

        let partial = try await exchange.fill(exchangeOrderID: buy.exchangeOrderID, quantity: F.decimal("0.5"))
        #expect(partial.filledAt == F.start)
        #expect(partial.price == 100)
        #expect(partial.clientOrderID?.rawValue == "c1")
        #expect(await exchange.order(exchangeOrderID: buy.exchangeOrderID)?.status == .partiallyFilled)
        clock.advance(byMicroseconds: Timestamp.seconds(1))
        let rest = try await exchange.fill(exchangeOrderID: buy.exchangeOrderID, price: 99)
        #expect(rest.quantity == (try F.decimal("1.5")))
        #expect(rest.price == 99)
        let cancelled = try await exchange.cancel(exchangeOrderID: sell.exchangeOrderID)
        #expect(cancelled.status == .cancelled)

        let snapshot = try await exchange.snapshot(profileID: F.profile, fillsSince: .min)
        #expect(snapshot.openOrders.isEmpty)
        #expect(snapshot.positions == [try F.position("2")])
        #expect(snapshot.fills.map(\.quantity) == [try F.decimal("0.5"), try F.decimal("1.5")])
        let filled = await exchange.order(exchangeOrderID: buy.exchangeOrderID)
        #expect(filled?.status == .filled)
        #expect(filled?.filledQuantity == 2)
    }

    @Test func aKnownClientOrderIDReturnsTheExistingOrder() async throws {
        let exchange = SimulatedExchange(clock: ManualWallClock(F.start))
        let client = try ClientOrderID("ENT-1")
        let first = try await exchange.submit(profileID: F.profile, symbol: "BTC-USD", side: .buy, quantity: 1, price: 100, clientOrderID: client)
        let retry = try await exchange.submit(profileID: F.profile, symbol: "BTC-USD", side: .buy, quantity: 1, price: 100, clientOrderID: client)
        #expect(retry == first)
        let otherProfile = try await exchange.submit(profileID: F.otherProfile, symbol: "BTC-USD", side: .buy, quantity: 1, price: 100,
                                                     clientOrderID: client)
        #expect(otherProfile.exchangeOrderID == "SIM-00000002")
        #expect(try await exchange.snapshot(profileID: F.profile, fillsSince: .min).openOrders == [first])
    }

    @Test func invalidOperationsAreRefusedWithoutChangingAnything() async throws {
        let exchange = SimulatedExchange(clock: ManualWallClock(F.start))
        let order = try await exchange.submit(profileID: F.profile, symbol: "BTC-USD", side: .buy, quantity: 1)
        let cases: [(SimulatedExchangeError.Code, @Sendable () async throws -> Void)] = [
            (.unknownOrder, { _ = try await exchange.fill(exchangeOrderID: "nope", price: 1) }),
            (.invalidInput, { _ = try await exchange.fill(exchangeOrderID: order.exchangeOrderID) }),  // no price
            (.invalidInput, { _ = try await exchange.fill(exchangeOrderID: order.exchangeOrderID, quantity: 2, price: 1) }),
            (.invalidInput, { _ = try await exchange.fill(exchangeOrderID: order.exchangeOrderID, quantity: 0, price: 1) }),
            (.invalidInput, { _ = try await exchange.submit(profileID: F.profile, symbol: " ", side: .buy, quantity: 1) }),
            (.invalidInput, { try await exchange.setPosition(profileID: F.profile, symbol: "", quantity: 1) }),
        ]
        for (code, operation) in cases {
            let error = await #expect(throws: SimulatedExchangeError.self) { try await operation() }
            #expect(error?.code == code)
        }
        let snapshot = try await exchange.snapshot(profileID: F.profile, fillsSince: .min)
        #expect(snapshot.openOrders == [order])
        #expect(snapshot.positions.isEmpty)
        #expect(snapshot.fills.isEmpty)

        try await exchange.cancel(exchangeOrderID: order.exchangeOrderID)
        let again = await #expect(throws: SimulatedExchangeError.self) { try await exchange.cancel(exchangeOrderID: order.exchangeOrderID) }
        #expect(again?.code == .orderNotOpen)
    }

    @Test func snapshotsAreScopedToTheProfileAndTheFillWindow() async throws {
        let exchange = SimulatedExchange(clock: ManualWallClock(F.start))
        for (seconds, id) in [(Int64(30), "x3"), (10, "x1"), (20, "x2"), (20, "x0")] {
            try await exchange.recordFill(profileID: F.profile, symbol: "BTC-USD", side: .sell, exchangeOrderID: id, quantity: 1,
                                          price: 100, at: F.at(seconds: seconds))
        }
        try await exchange.recordFill(profileID: F.otherProfile, symbol: "BTC-USD", side: .buy, exchangeOrderID: "y1", quantity: 1,
                                      price: 100, at: F.at(seconds: 20))
        try await exchange.setPosition(profileID: F.profile, symbol: "ADA-USD", quantity: 5)
        let snapshot = try await exchange.snapshot(profileID: F.profile, fillsSince: F.at(seconds: 20))
        #expect(snapshot.fills.map(\.exchangeOrderID) == ["x0", "x2", "x3"])
        #expect(snapshot.positions == [try F.position("5", symbol: "ADA-USD"), try F.position("-4")])

        await exchange.failNextSnapshots(1)
        await #expect(throws: SimulatedExchangeError.self) { _ = try await exchange.snapshot(profileID: F.profile, fillsSince: .min) }
        #expect(try await exchange.snapshot(profileID: F.profile, fillsSince: .min).fills.count == 4)
    }
}
