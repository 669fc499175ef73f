import PropertyBased
import Testing
import TradeLifecycle
import TradeLifecycleTesting

@Suite("Reconciliation diff")
struct ReconciliationDiffTests {
    typealias F = ReconciliationFixtures

    // MARK: Agreement

    @Test func agreeingViewsHaveNoDiscrepancy() throws {
        let entry = try F.order("o1", status: .filled, quantity: "1.5", filled: "1.5", exchangeID: "x1", clientID: "c1", filledAtSeconds: 10)
        let exit = try F.order("o2", action: .exit, status: .open, quantity: "1.5", exchangeID: "x2", clientID: "c2")
        let snapshot = ExchangeSnapshot(
            openOrders: [try F.openOrder("x2", clientID: "c2", side: .sell, quantity: "1.5")],
            positions: [try F.position("1.5")],
            fills: [try F.fill("x1", clientID: "c1", quantity: "1.5", atSeconds: 10)])
        #expect(try F.diff([entry, exit], snapshot).isEmpty)
    }

    // MARK: Orders missing on one side

    @Test(arguments: [OrderStatus.pending, .open, .partiallyFilled])
    func liveOrderUnknownToTheExchangeIsMissingOnExchange(status: OrderStatus) throws {
        // A manual row (no action): a partially filled one takes no part in lifecycles.
        let order = try F.order("o1", action: nil, status: status, filled: status == .partiallyFilled ? "0.5" : nil, exchangeID: "x1")
        #expect(try F.diff([order], ExchangeSnapshot()) == [.orderMissingOnExchange(order)])
    }

    @Test func liveOrderKnownOnlyByClientOrderIDIsMissingOnExchange() throws {
        let order = try F.order("o1", action: .exit, status: .pending, clientID: "c1")
        let found = try F.diff([order], ExchangeSnapshot())
        #expect(found == [.orderMissingOnExchange(order)])
        #expect(found.first?.clientOrderID?.rawValue == "c1")
        #expect(found.first?.orderID?.rawValue == "o1")
        #expect(found.first?.tradeIDs.map(\.rawValue) == ["TRD-a1"])
    }

    @Test func liveOrderWithoutExchangeOrClientIDIsNotReported() throws {
        let order = try F.order("o1", action: .exit, status: .pending)
        #expect(try F.diff([order], ExchangeSnapshot()).isEmpty)
    }

    @Test(arguments: [OrderStatus.cancelled, .rejected, .expired])
    func terminalOrderAbsentFromTheExchangeIsNotReported(status: OrderStatus) throws {
        let order = try F.order("o1", action: .exit, status: status, exchangeID: "x1", clientID: "c1")
        #expect(try F.diff([order], ExchangeSnapshot()).isEmpty)
    }

    @Test func unknownExchangeOpenOrderIsMissingInDatabase() throws {
        let open = try F.openOrder("x7", clientID: "c7")
        let found = try F.diff([], ExchangeSnapshot(openOrders: [open]))
        #expect(found == [.orderMissingInDatabase(open)])
        #expect(found.first?.exchangeOrderID == "x7")
        #expect(found.first?.profileID == F.profile)
    }

    @Test func recordsOfOtherProfilesAreIgnored() throws {
        let snapshot = ExchangeSnapshot(
            openOrders: [try F.openOrder("x7", profile: F.otherProfile)],
            positions: [try F.position("3", profile: F.otherProfile)],
            fills: [try F.fill("x8", profile: F.otherProfile)])
        #expect(try F.diff([], snapshot).isEmpty)
    }

    // MARK: Status and filled quantity

    @Test func differentStatusOfAListedOrderIsStatusMismatch() throws {
        let order = try F.order("o1", action: .exit, status: .open, exchangeID: "x1", clientID: "c1")
        let open = try F.openOrder("x1", clientID: "c1", side: .sell, status: .partiallyFilled, filled: "0.4")
        let found = try F.diff([order], ExchangeSnapshot(openOrders: [open]))
        let expected = ExchangeOrderEvidence(matchedBy: .clientOrderID, openOrder: open, exchangeOrderID: "x1", status: .partiallyFilled,
                                             filledQuantity: try F.decimal("0.4"), fillCount: 0, lastFilledAt: nil)
        #expect(found == [.orderStatusMismatch(order, exchange: expected)])
    }

    @Test(arguments: [OrderStatus.filled, .cancelled, .rejected, .expired])
    func terminalOrderTheExchangeListsOpenIsStatusMismatch(status: OrderStatus) throws {
        let order = try F.order("o1", action: nil, status: status, filled: status == .filled ? "1" : nil, exchangeID: "x1")
        let open = try F.openOrder("x1", side: .sell)
        let found = try F.diff([order], ExchangeSnapshot(openOrders: [open]))
        #expect(found.map(\.kind) == [.orderStatusMismatch])
        #expect(found.first?.orderID == order.orderID)
    }

    @Test func liveOrderTheExchangeExecutedInFullIsStatusMismatchToFilled() throws {
        let order = try F.order("o1", action: .exit, status: .open, quantity: "2", exchangeID: "x1", clientID: "c1")
        let early = try F.fill("x1", clientID: "c1", side: .sell, quantity: "1.2", atSeconds: 30)
        let late = try F.fill("x1", clientID: "c1", side: .sell, quantity: "0.8", atSeconds: 90)
        let found = try F.diff([order], ExchangeSnapshot(fills: [late, early]))
        let expected = ExchangeOrderEvidence(matchedBy: .clientOrderID, openOrder: nil, exchangeOrderID: "x1", status: .filled,
                                             filledQuantity: 2, fillCount: 2, lastFilledAt: F.at(seconds: 90))
        #expect(found == [.orderStatusMismatch(order, exchange: expected)])
    }

    @Test func liveOrderTheExchangeClosedAfterAPartialExecutionHasUnknownExchangeStatus() throws {
        let order = try F.order("o1", action: nil, status: .partiallyFilled, quantity: "2", filled: "0.5", exchangeID: "x1")
        let fill = try F.fill("x1", side: .sell, quantity: "0.5")
        let found = try F.diff([order], ExchangeSnapshot(fills: [fill]))
        guard case let .orderStatusMismatch(_, evidence)? = found.first, found.count == 1 else {
            Issue.record("expected one status mismatch, got \(found)")
            return
        }
        #expect(evidence.status == nil)
        #expect(evidence.matchedBy == .exchangeOrderID)
        #expect(evidence.filledQuantity == (try F.decimal("0.5")))
    }

    @Test(arguments: [OrderStatus.cancelled, .expired])
    func orderEndedHereThatTheExchangeExecutedInFullIsStatusMismatch(status: OrderStatus) throws {
        let order = try F.order("o1", action: .exit, status: status, exchangeID: "x1")
        let fill = try F.fill("x1", side: .sell, quantity: "1")
        let found = try F.diff([order], ExchangeSnapshot(fills: [fill]))
        guard case let .orderStatusMismatch(reported, evidence)? = found.first, found.count == 1 else {
            Issue.record("expected one status mismatch, got \(found)")
            return
        }
        #expect(reported == order)
        #expect(evidence.status == .filled)
    }

    @Test func cancelledOrderPartlyExecutedBeyondItsRecordIsFilledQuantityMismatch() throws {
        let order = try F.order("o1", action: .exit, status: .cancelled, quantity: "1", filled: "0.2", exchangeID: "x1")
        let fill = try F.fill("x1", side: .sell, quantity: "0.5")
        let found = try F.diff([order], ExchangeSnapshot(fills: [fill]))
        #expect(found.map(\.kind) == [.filledQuantityMismatch])
    }

    @Test func cancelledOrderWhoseFillsMatchItsRecordIsNotReported() throws {
        let order = try F.order("o1", action: .exit, status: .cancelled, quantity: "1", filled: "0.5", exchangeID: "x1")
        let fill = try F.fill("x1", side: .sell, quantity: "0.5")
        #expect(try F.diff([order], ExchangeSnapshot(fills: [fill])).isEmpty)
    }

    @Test func rejectedOrderWithAFillIsStatusMismatch() throws {
        let order = try F.order("o1", action: .exit, status: .rejected, quantity: "1", exchangeID: "x1")
        let fill = try F.fill("x1", side: .sell, quantity: "0.1")
        #expect(try F.diff([order], ExchangeSnapshot(fills: [fill])).map(\.kind) == [.orderStatusMismatch])
    }

    @Test func filledOrderWithFewerFillsInTheSnapshotIsNotReported() throws {
        // Older fills may lie outside the snapshot's window.
        let order = try F.order("o1", status: .filled, quantity: "1", exchangeID: "x1", filledAtSeconds: 10)
        let fill = try F.fill("x1", quantity: "0.4")
        #expect(try F.diff([order], ExchangeSnapshot(positions: [try F.position("1")], fills: [fill])).isEmpty)
    }

    @Test func filledOrderOverExecutedIsFilledQuantityMismatch() throws {
        let order = try F.order("o1", status: .filled, quantity: "1", exchangeID: "x1", filledAtSeconds: 10)
        let fills = [try F.fill("x1", quantity: "1", atSeconds: 10), try F.fill("x1", quantity: "0.5", atSeconds: 20)]
        let found = try F.diff([order], ExchangeSnapshot(positions: [try F.position("1")], fills: fills))
        guard case let .filledQuantityMismatch(_, evidence)? = found.first, found.count == 1 else {
            Issue.record("expected one filled quantity mismatch, got \(found)")
            return
        }
        #expect(evidence.filledQuantity == (try F.decimal("1.5")))
        #expect(evidence.status == .filled)
    }

    @Test func sameStatusWithDifferentFilledQuantityIsFilledQuantityMismatch() throws {
        let order = try F.order("o1", action: nil, status: .partiallyFilled, quantity: "1", filled: "0.3", exchangeID: "x1")
        let open = try F.openOrder("x1", side: .sell, status: .partiallyFilled, filled: "0.6")
        let found = try F.diff([order], ExchangeSnapshot(openOrders: [open]))
        let expected = ExchangeOrderEvidence(matchedBy: .exchangeOrderID, openOrder: open, exchangeOrderID: "x1",
                                             status: .partiallyFilled, filledQuantity: try F.decimal("0.6"), fillCount: 0, lastFilledAt: nil)
        #expect(found == [.filledQuantityMismatch(order, exchange: expected)])
    }

    // MARK: Matching

    @Test func clientOrderIDIsMatchedBeforeExchangeOrderID() throws {
        let byClient = try F.order("o-a", action: .exit, status: .open, exchangeID: "x1", clientID: "c1")
        let byExchange = try F.order("o-b", trade: "TRD-b1", action: .exit, status: .open, exchangeID: "x2")
        // Its client order id names o-a, its exchange order id o-b: the client order id wins.
        let open = try F.openOrder("x2", clientID: "c1", side: .sell)
        let found = try F.diff([byClient, byExchange], ExchangeSnapshot(openOrders: [open]))
        #expect(found == [.orderMissingOnExchange(byExchange)])
    }

    @Test func exchangeOrderIDMatchesWhenTheClientOrderIDMatchesNothing() throws {
        let order = try F.order("o1", action: .exit, status: .open, exchangeID: "x1", clientID: "c1")
        let open = try F.openOrder("x1", clientID: "c-other", side: .sell, status: .partiallyFilled, filled: "0.5")
        let found = try F.diff([order], ExchangeSnapshot(openOrders: [open]))
        guard case let .orderStatusMismatch(_, evidence)? = found.first, found.count == 1 else {
            Issue.record("expected one status mismatch, got \(found)")
            return
        }
        #expect(evidence.matchedBy == .exchangeOrderID)
        #expect(found.first?.clientOrderID?.rawValue == "c1")
    }

    @Test func fillsMatchByClientOrderIDBeforeExchangeOrderID() throws {
        let byClient = try F.order("o-a", action: .exit, status: .open, exchangeID: "x1", clientID: "c1")
        let byExchange = try F.order("o-b", trade: "TRD-b1", action: .exit, status: .open, exchangeID: "x2")
        let fill = try F.fill("x2", clientID: "c1", side: .sell, quantity: "1")
        let found = try F.diff([byClient, byExchange], ExchangeSnapshot(fills: [fill]))
        #expect(found.map(\.kind) == [.orderMissingOnExchange, .orderStatusMismatch])
        #expect(found.map(\.orderID?.rawValue) == ["o-b", "o-a"])
    }

    @Test func aSharedIDBelongsToTheLiveOrder() throws {
        let ended = try F.order("o-a", action: .exit, status: .cancelled, clientID: "c1")
        let live = try F.order("o-b", action: .exit, status: .open, clientID: "c1")
        let open = try F.openOrder("x1", clientID: "c1", side: .sell)
        #expect(try F.diff([ended, live], ExchangeSnapshot(openOrders: [open])).isEmpty)
        #expect(try F.diff([live, ended], ExchangeSnapshot(openOrders: [open])).isEmpty)
    }

    @Test func aSecondOpenOrderForTheSameDatabaseOrderIsMissingInDatabase() throws {
        let order = try F.order("o1", action: .exit, status: .open, exchangeID: "x1", clientID: "c1")
        let first = try F.openOrder("x1", clientID: "c1", side: .sell)
        let second = try F.openOrder("x9", clientID: "c1", side: .sell)
        #expect(try F.diff([order], ExchangeSnapshot(openOrders: [first, second])) == [.orderMissingInDatabase(second)])
    }

    @Test func backfillRowsTakeNoPartInOrderMatching() throws {
        let entry = try F.order("o1", status: .filled, quantity: "1", exchangeID: "x1", filledAtSeconds: 10)
        let backfill = try F.order("BFILL-0123456789abcdef0123456789abcdef", action: .exit, status: .filled, quantity: "1",
                                   exchangeID: "x9", filledAtSeconds: 20)
        let open = try F.openOrder("x9", side: .sell)
        let fill = try F.fill("x9", side: .sell, quantity: "5", atSeconds: 20)
        let found = try F.diff([entry, backfill], ExchangeSnapshot(openOrders: [open], fills: [fill]))
        #expect(found == [.orderMissingInDatabase(open)])
    }

    // MARK: Positions

    @Test func openLifecycleWithTheExchangeFlatIsGhostPosition() throws {
        let entry = try F.order("o1", status: .filled, quantity: "1.5", exchangeID: "x1", filledAtSeconds: 10)
        for snapshot in [ExchangeSnapshot(), ExchangeSnapshot(positions: [try F.position("0")])] {
            let found = try F.diff([entry], snapshot)
            let expected = PositionComparison(profileID: F.profile, symbol: "BTC-USD", tradeIDs: [try TradeID("TRD-a1")],
                                              databaseQuantity: try F.decimal("1.5"), exchangeQuantity: 0)
            #expect(found == [.ghostPosition(expected)])
        }
    }

    @Test func exchangePositionWithoutOpenLifecycleIsUntrackedPosition() throws {
        let found = try F.diff([], ExchangeSnapshot(positions: [try F.position("-2", symbol: "ETH-USD")]))
        let expected = PositionComparison(profileID: F.profile, symbol: "ETH-USD", tradeIDs: [], databaseQuantity: 0, exchangeQuantity: -2)
        #expect(found == [.untrackedPosition(expected)])
    }

    @Test func positionQuantityIsTheSignedSumOfOpenLifecycles() throws {
        let long = try F.order("o1", trade: "TRD-a1", side: .long, status: .filled, quantity: "1.5", exchangeID: "x1", filledAtSeconds: 10)
        let short = try F.order("o2", trade: "TRD-b1", side: .short, status: .filled, quantity: "0.5", exchangeID: "x2", filledAtSeconds: 20)
        // 1.5 long and 0.5 short net to 1 long.
        #expect(try F.diff([long, short], ExchangeSnapshot(positions: [try F.position("1")])).isEmpty)
        let found = try F.diff([long, short], ExchangeSnapshot(positions: [try F.position("1.5")]))
        let expected = PositionComparison(profileID: F.profile, symbol: "BTC-USD",
                                          tradeIDs: [try TradeID("TRD-a1"), try TradeID("TRD-b1")],
                                          databaseQuantity: 1, exchangeQuantity: try F.decimal("1.5"))
        #expect(found == [.positionQuantityMismatch(expected)])
    }

    @Test func shortLifecycleMatchesANegativePosition() throws {
        let short = try F.order("o1", side: .short, status: .filled, quantity: "0.5", exchangeID: "x1", filledAtSeconds: 10)
        #expect(try F.diff([short], ExchangeSnapshot(positions: [try F.position("-0.5")])).isEmpty)
        #expect(try F.diff([short], ExchangeSnapshot(positions: [try F.position("0.5")])).map(\.kind) == [.positionQuantityMismatch])
    }

    @Test func partlyClosedLifecycleCountsItsOpenQuantity() throws {
        let entry = try F.order("o1", status: .filled, quantity: "2", exchangeID: "x1", filledAtSeconds: 10)
        let exit = try F.order("o2", action: .exit, status: .filled, quantity: "0.75", exchangeID: "x2", filledAtSeconds: 20)
        #expect(try F.diff([entry, exit], ExchangeSnapshot(positions: [try F.position("1.25")])).isEmpty)
    }

    @Test func positionsOfOneSymbolAreNetted() throws {
        let entry = try F.order("o1", status: .filled, quantity: "1.5", exchangeID: "x1", filledAtSeconds: 10)
        let legs = [try F.position("2"), try F.position("-0.5")]
        #expect(try F.diff([entry], ExchangeSnapshot(positions: legs)).isEmpty)
    }

    @Test func flatToleranceAppliesToPositionsAndDifferences() throws {
        let dust = ExchangeSnapshot(positions: [try F.position("0.0005")])
        #expect(try F.diff([], dust).map(\.kind) == [.untrackedPosition])
        #expect(try F.diff([], dust, flatTolerance: F.decimal("0.001")).isEmpty)
        let entry = try F.order("o1", status: .filled, quantity: "1", exchangeID: "x1", filledAtSeconds: 10)
        let close = ExchangeSnapshot(positions: [try F.position("1.001")])
        #expect(try F.diff([entry], close, flatTolerance: F.decimal("0.001")).isEmpty)
        #expect(try F.diff([entry], close, flatTolerance: F.decimal("0.0009")).map(\.kind) == [.positionQuantityMismatch])
    }

    @Test func negativeToleranceIsRejected() throws {
        let error = #expect(throws: ReconciliationError.self) {
            _ = try F.diff([], ExchangeSnapshot(), flatTolerance: F.decimal("-0.1"))
        }
        #expect(error?.code == .invalidConfiguration)
    }

    // MARK: Lifecycle anomalies

    @Test func lifecycleAnomaliesAreDiscrepancies() throws {
        let orphan = try F.order("o1", trade: "TRD-x", action: .exit, status: .filled, quantity: "1", exchangeID: "x1", filledAtSeconds: 10)
        let entry = try F.order("o2", trade: "TRD-y", status: .filled, quantity: "1", exchangeID: "x2", filledAtSeconds: 20)
        let overExit = try F.order("o3", trade: "TRD-y", action: .exit, status: .filled, quantity: "2", exchangeID: "x3", filledAtSeconds: 30)
        let untagged = try F.order("o4", trade: nil, status: .filled, quantity: "1", exchangeID: "x4", filledAtSeconds: 40)
        let reference = TradeReference(profileID: F.profile, symbol: nil, tradeID: try TradeID("TRD-z"), source: .tradeHistory)
        let found = try F.diff([orphan, entry, overExit, untagged], ExchangeSnapshot(), references: [reference])
        #expect(found.map(\.kind) == [.missingEntryOrder, .orphanExit, .overclosed, .missingTradeID])
        #expect(found.map(\.kind.rawValue) == ["missing_entry_order", "orphan_exit", "overclosed", "missing_trade_id"])
        #expect(found.map { $0.tradeIDs.map(\.rawValue) } == [["TRD-z"], ["TRD-x"], ["TRD-y"], []])
        #expect(found.last?.orderID?.rawValue == "o4")
        #expect(found.first?.symbol == nil)
    }

    // MARK: Input checks

    @Test func viewRejectsAnOrderOfAnotherProfile() throws {
        let foreign = try F.order("o1", profile: F.otherProfile, status: .open)
        let error = #expect(throws: ReconciliationError.self) {
            _ = try ReconciliationDatabaseView(profileID: F.profile, orders: [foreign])
        }
        #expect(error?.code == .inconsistentInput)
        #expect(error?.description.contains("order o1") == true)
    }

    @Test func viewRejectsADuplicateOrderID() throws {
        let order = try F.order("o1", status: .open)
        let error = #expect(throws: ReconciliationError.self) {
            _ = try ReconciliationDatabaseView(profileID: F.profile, orders: [order, order])
        }
        #expect(error?.code == .inconsistentInput)
    }

    @Test func aFillSumOutOfRangeIsAnOverflowError() throws {
        let order = try F.order("o1", action: .exit, status: .open, exchangeID: "x1")
        let huge = ExactDecimal.max
        let fill = try ExchangeFill(profileID: F.profile, symbol: "BTC-USD", side: .sell, exchangeOrderID: "x1", clientOrderID: nil,
                                    quantity: huge, price: 1, filledAt: F.start)
        let error = #expect(throws: ReconciliationError.self) {
            _ = try F.diff([order], ExchangeSnapshot(fills: [fill, fill]))
        }
        #expect(error?.code == .overflow)
    }

    // MARK: Order of the output

    @Test func outputIsOrderedBySymbolThenKindThenID() throws {
        let orders = [
            try F.order("o9", symbol: "ETH-USD", trade: "TRD-e", action: .exit, status: .open, exchangeID: "x9"),
            try F.order("o2", symbol: "BTC-USD", trade: "TRD-b", action: .exit, status: .open, exchangeID: "x2"),
            try F.order("o1", symbol: "BTC-USD", trade: "TRD-a", action: .exit, status: .pending, clientID: "c1"),
        ]
        let snapshot = ExchangeSnapshot(
            openOrders: [try F.openOrder("x5", symbol: "ETH-USD"), try F.openOrder("x4", symbol: "BTC-USD")],
            positions: [try F.position("1", symbol: "ADA-USD")])
        let found = try F.diff(orders, snapshot)
        let described = found.map { "\($0.symbol ?? "-") \($0.kind.rawValue) \($0.orderID?.rawValue ?? $0.exchangeOrderID ?? "")" }
        #expect(described == [
            "ADA-USD untrackedPosition ",
            "BTC-USD orderMissingOnExchange o1",
            "BTC-USD orderMissingOnExchange o2",
            "BTC-USD orderMissingInDatabase x4",
            "ETH-USD orderMissingOnExchange o9",
            "ETH-USD orderMissingInDatabase x5",
        ])
    }

    @Test func outputDoesNotDependOnTheOrderOfTheInput() async throws {
        let orders = [
            try F.order("o1", status: .filled, quantity: "1", exchangeID: "x1", clientID: "c1", filledAtSeconds: 10),
            try F.order("o2", action: .exit, status: .open, exchangeID: "x2", clientID: "c2"),
            try F.order("o3", symbol: "ETH-USD", trade: "TRD-b", status: .open, exchangeID: "x3"),
            try F.order("o4", symbol: "ETH-USD", trade: "TRD-c", action: .exit, status: .cancelled, quantity: "2", exchangeID: "x4"),
            try F.order("o5", trade: "TRD-d", action: .exit, status: .filled, quantity: "1", filledAtSeconds: 50),
        ]
        let snapshot = ExchangeSnapshot(
            openOrders: [try F.openOrder("x2", clientID: "c2", status: .partiallyFilled, filled: "0.5"), try F.openOrder("x8"),
                         try F.openOrder("x7", symbol: "ETH-USD")],
            positions: [try F.position("3", symbol: "SOL-USD"), try F.position("0.5")],
            fills: [try F.fill("x4", symbol: "ETH-USD", quantity: "2"), try F.fill("x1", clientID: "c1")])
        let expected = try F.diff(orders, snapshot)
        #expect(expected.count == 8)
        await propertyCheck(count: 50, input: Gen.uint64()) { seed in
            var generator = SplitMix64(seed: seed)
            let shuffled = ExchangeSnapshot(openOrders: snapshot.openOrders.shuffled(using: &generator),
                                            positions: snapshot.positions.shuffled(using: &generator),
                                            fills: snapshot.fills.shuffled(using: &generator))
            let found = try F.diff(orders.shuffled(using: &generator), shuffled)
            #expect(found == expected)
        }
    }

    // MARK: Properties

    enum Perturbation: CaseIterable, Sendable {
        case dropFromExchange, changeExchangeStatus, changeExchangeFilledQuantity, dropFromDatabase
    }

    @Test func oneChangeToAgreeingViewsGivesExactlyOneDiscrepancy() async {
        await propertyCheck(count: 100, input: Gen.int(in: 1...40), Gen.int(in: 0...1000), Gen<Perturbation>.case) { count, pick, perturbation in
            let target = pick % count
            var orders: [Order] = []
            var open: [ExchangeOrder] = []
            for index in 0..<count {
                let byClient = index % 2 == 0
                let order = try F.order("o\(index)", trade: "TRD-\(index)", action: .exit, status: .open, quantity: "4",
                                        exchangeID: "x\(index)", clientID: byClient ? "c\(index)" : nil)
                let exchangeOrder = try F.openOrder("x\(index)", clientID: byClient ? "c\(index)" : nil, side: .sell, quantity: "4")
                if index == target {
                    switch perturbation {
                    case .dropFromExchange:
                        orders.append(order)
                    case .changeExchangeStatus:
                        orders.append(order)
                        open.append(try F.openOrder("x\(index)", side: .sell, status: .partiallyFilled, quantity: "4", filled: "1"))
                    case .changeExchangeFilledQuantity:
                        orders.append(try F.order("o\(index)", trade: "TRD-\(index)", action: nil, status: .partiallyFilled,
                                                  quantity: "4", filled: "1", exchangeID: "x\(index)"))
                        open.append(try F.openOrder("x\(index)", side: .sell, status: .partiallyFilled, quantity: "4", filled: "2"))
                    case .dropFromDatabase:
                        open.append(exchangeOrder)
                    }
                } else {
                    orders.append(order)
                    open.append(exchangeOrder)
                }
            }
            let found = try F.diff(orders, ExchangeSnapshot(openOrders: open))
            let expectedKind: DiscrepancyKind = switch perturbation {
            case .dropFromExchange: .orderMissingOnExchange
            case .changeExchangeStatus: .orderStatusMismatch
            case .changeExchangeFilledQuantity: .filledQuantityMismatch
            case .dropFromDatabase: .orderMissingInDatabase
            }
            #expect(found.map(\.kind) == [expectedKind])
            #expect(found.first?.exchangeOrderID == "x\(target)")
        }
    }
}

@Suite("Reconciliation matching against a direct evaluation")
struct ReconciliationMatchingOracleTests {
    typealias F = ReconciliationFixtures

    struct Case: Sendable, CustomStringConvertible {
        /// (client id index or nil, exchange id index or nil, status) per database order.
        let database: [(Int?, Int?, OrderStatus)]
        /// (client id index or nil, exchange id index) per exchange open order.
        let exchange: [(Int?, Int)]
        var description: String { "database \(database), exchange \(exchange)" }
    }

    static let statuses: [OrderStatus] = [.pending, .open, .filled, .cancelled]

    static let cases = Gen.int(in: 0...5).optional.array(of: 1...24).map { values -> Case in
        // Consume the generated numbers as ids (0...5, 5 meaning none for database ids) and statuses.
        var database: [(Int?, Int?, OrderStatus)] = []
        var exchange: [(Int?, Int)] = []
        for (offset, value) in values.enumerated() {
            let number = value ?? 5
            if offset % 3 == 2 {
                exchange.append((value.map { $0 % 6 }, number % 6))
            } else {
                database.append((value.map { $0 % 4 }, number < 4 ? number : nil, Self.statuses[(number + offset) % 4]))
            }
        }
        return Case(database: database, exchange: exchange)
    }

    @Test func matchingAgreesWithADirectEvaluationOfTheRules() async {
        await propertyCheck(count: 300, input: Self.cases) { testCase in
            var orders: [Order] = []
            for (index, entry) in testCase.database.enumerated() {
                orders.append(try F.order("o\(index)", trade: nil, action: nil, status: entry.2,
                                          filled: entry.2 == .filled ? "1" : nil,
                                          exchangeID: entry.1.map { "x\($0)" }, clientID: entry.0.map { "c\($0)" }))
            }
            var open: [ExchangeOrder] = []
            for (index, entry) in testCase.exchange.enumerated() {
                // Exchange ids are unique per open order unless drawn from the shared pool.
                let exchangeID = entry.1 < 4 ? "x\(entry.1)" : "y\(index)"
                // Partially filled: a status no database order has, so every match is reported.
                open.append(try F.openOrder(exchangeID, clientID: entry.0.map { "c\($0)" }, status: .partiallyFilled, filled: "0.5"))
            }

            // The rules, evaluated directly: an id belongs to the best-ranked order carrying it.
            func rank(_ order: Order) -> (Int, String) {
                (order.status.isLive ? 0 : order.status == .filled ? 1 : 2, order.orderID.rawValue)
            }
            func holder(_ carries: (Order) -> Bool) -> Order? {
                orders.filter(carries).min { rank($0) < rank($1) }
            }
            var taken = Set<OrderID>()
            var expected: [String] = []
            for exchangeOrder in open {
                let byClient = exchangeOrder.clientOrderID.flatMap { client in holder { $0.clientOrderID == client } }
                let byExchange = holder { $0.exchangeOrderID == exchangeOrder.exchangeOrderID }
                guard let order = byClient ?? byExchange, !taken.contains(order.orderID) else {
                    expected.append("missingInDatabase \(exchangeOrder.exchangeOrderID)")
                    continue
                }
                taken.insert(order.orderID)
                expected.append("statusMismatch \(order.orderID.rawValue) \(exchangeOrder.exchangeOrderID) \(byClient != nil)")
            }
            for order in orders where order.status.isLive && !taken.contains(order.orderID)
                && (order.clientOrderID != nil || order.exchangeOrderID != nil) {
                expected.append("missingOnExchange \(order.orderID.rawValue)")
            }

            let found = try F.diff(orders, ExchangeSnapshot(openOrders: open)).map { discrepancy -> String in
                switch discrepancy {
                case .orderMissingInDatabase(let exchangeOrder): return "missingInDatabase \(exchangeOrder.exchangeOrderID)"
                case let .orderStatusMismatch(order, evidence):
                    return "statusMismatch \(order.orderID.rawValue) \(evidence.exchangeOrderID) \(evidence.matchedBy == .clientOrderID)"
                case .orderMissingOnExchange(let order): return "missingOnExchange \(order.orderID.rawValue)"
                default: return "unexpected \(discrepancy)"
                }
            }
            #expect(found.sorted() == expected.sorted())
        }
    }
}
