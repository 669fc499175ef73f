import PropertyBased
import Testing
import TradeLifecycle
import TradeLifecycleTesting

/// The transition table of SPEC section 3, written out independently of the implementation.
private let specAllowed: Set<String> = [
    "pending>open", "pending>partiallyFilled", "pending>filled", "pending>cancelled", "pending>rejected", "pending>expired",
    "open>partiallyFilled", "open>filled", "open>cancelled", "open>expired",
    "partiallyFilled>partiallyFilled", "partiallyFilled>filled", "partiallyFilled>cancelled", "partiallyFilled>expired",
]

private let allStatuses: [OrderStatus] = [.pending, .open, .partiallyFilled, .filled, .cancelled, .rejected, .expired]

private func name(_ status: OrderStatus) -> String {
    switch status {
    case .pending: "pending"
    case .open: "open"
    case .partiallyFilled: "partiallyFilled"
    case .filled: "filled"
    case .cancelled: "cancelled"
    case .rejected: "rejected"
    case .expired: "expired"
    }
}

private let allPairs: [(OrderStatus, OrderStatus)] = allStatuses.flatMap { from in allStatuses.map { (from, $0) } }

/// An order of quantity 10 in `status`, with a filled quantity consistent with it.
private func order(in status: OrderStatus, id: String = "o1") throws -> Order {
    let filled: String? = switch status {
    case .pending, .open, .rejected: "0"
    case .partiallyFilled: "2"
    case .filled: "10"
    case .cancelled, .expired: "3"
    }
    return try LifecycleFixtures.order(id, status: status, quantity: "10", filled: filled, filledAt: status == .pending ? nil : 5)
}

/// A filled quantity that suits `target` from an order built by `order(in:)` (never decreasing).
private func filledQuantity(for target: OrderStatus) throws -> ExactDecimal? {
    switch target {
    case .partiallyFilled: try ExactDecimal("4.5")
    case .filled, .cancelled, .expired, .pending, .open, .rejected: nil
    }
}

@Suite("Order state machine")
struct OrderStateMachineTests {
    @Test("the table has exactly the 14 transitions of the specification")
    func tableMatchesSpecification() {
        var listed = Set<String>()
        for (from, to) in allPairs where OrderStateMachine.allows(from: from, to: to) {
            listed.insert("\(name(from))>\(name(to))")
        }
        #expect(listed == specAllowed)
        for from in allStatuses {
            let targets = Set(OrderStateMachine.allowedTargets(from: from).map { "\(name(from))>\(name($0))" })
            #expect(targets == specAllowed.filter { $0.hasPrefix(name(from) + ">") })
            #expect(targets.isEmpty == from.isTerminal)
        }
    }

    @Test("every one of the 49 pairs is allowed or rejected as the table says", arguments: allPairs)
    func transitionPair(from: OrderStatus, to: OrderStatus) throws {
        let before = try order(in: from)
        let at = LifecycleFixtures.time(60)
        let expectedAllowed = specAllowed.contains("\(name(from))>\(name(to))")
        let filled = try filledQuantity(for: to)
        do throws(LifecycleError) {
            let after = try before.transitioned(to: to, filledQuantity: filled, at: at)
            #expect(expectedAllowed, "\(from) -> \(to) should be rejected")
            #expect(after.status == to)
            #expect(after.updatedAt == at)
            #expect(after.orderID == before.orderID && after.quantity == before.quantity)
        } catch {
            #expect(!expectedAllowed, "\(from) -> \(to) should be allowed, got \(error)")
            #expect(error.code == .forbiddenTransition)
            #expect(error.orderID == before.orderID)
            #expect(error.from == from && error.to == to)
            #expect(error.description.contains("order o1"))
            #expect(error.description.contains("\(from.rawValue) -> \(to.rawValue)"))
        }
    }

    @Test("a correction is possible only from cancelled or expired to filled or partially filled", arguments: allPairs)
    func correctionPair(from: OrderStatus, to: OrderStatus) throws {
        let before = try order(in: from)
        let allowed = (from == .cancelled || from == .expired) && (to == .filled || to == .partiallyFilled)
        #expect(OrderStateMachine.isCorrection(from: from, to: to) == allowed)
        let filled = try filledQuantity(for: to)
        do throws(LifecycleError) {
            let after = try before.correctedToExchange(status: to, filledQuantity: filled, at: LifecycleFixtures.time(60))
            #expect(allowed, "\(from) -> \(to) is not a correction")
            #expect(after.status == to)
        } catch {
            #expect(!allowed, "\(from) -> \(to) should be a correction, got \(error)")
            #expect(error.code == .notCorrectable)
            #expect(error.from == from && error.to == to && error.orderID == before.orderID)
        }
    }

    @Test("a filled order's filled quantity becomes the order quantity, or the legacy qty")
    func filledDefaultsToOrderQuantity() throws {
        let open = try LifecycleFixtures.order("o1", status: .open, quantity: "2.5")
        let filled = try open.transitioned(to: .filled, at: LifecycleFixtures.time(9))
        #expect(filled.filledQuantity == (try ExactDecimal("2.5")))
        #expect(filled.filledAt == LifecycleFixtures.time(9), "a fill without a fill time takes the change's time")

        let legacy = try LifecycleFixtures.order("o2", status: .pending, quantity: nil, qty: "7")
        #expect(try legacy.transitioned(to: .filled, at: LifecycleFixtures.time(1)).filledQuantity == 7)

        let given = try open.transitioned(to: .filled, filledQuantity: try ExactDecimal("2.5"), filledAt: LifecycleFixtures.time(3), at: LifecycleFixtures.time(9))
        #expect(given.filledAt == LifecycleFixtures.time(3))
    }

    @Test("a filled order with a filled quantity other than the order quantity is rejected")
    func filledRequiresWholeQuantity() throws {
        let open = try LifecycleFixtures.order("o1", status: .open, quantity: "2.5")
        let error = LifecycleFixtures.lifecycleError { _ = try open.transitioned(to: .filled, filledQuantity: 2, at: LifecycleFixtures.time(1)) }
        #expect(error?.code == .filledQuantityInconsistentWithStatus)
        #expect(error?.description.contains("2.5") == true)
        #expect(error?.description.contains("order o1") == true)
    }

    @Test("the filled quantity never decreases, never goes negative and never exceeds the quantity")
    func filledQuantityRules() throws {
        let partial = try LifecycleFixtures.order("o9", status: .partiallyFilled, quantity: "10", filled: "5")
        let at = LifecycleFixtures.time(2)
        for (value, code) in [("4.999", LifecycleError.Code.filledQuantityDecreased), ("10.000000000000000001", .filledQuantityAboveQuantity),
                              ("-1", .filledQuantityNegative)] {
            let amount = try ExactDecimal(value)
            let error = LifecycleFixtures.lifecycleError { _ = try partial.transitioned(to: .partiallyFilled, filledQuantity: amount, at: at) }
            #expect(error?.code == code)
            #expect(error?.orderID?.rawValue == "o9")
            #expect(error?.description.contains(value) == true, "the message names the value: \(String(describing: error))")
            #expect(LifecycleFixtures.lifecycleError { _ = try partial.transitioned(to: .cancelled, filledQuantity: amount, at: at) }?.code == code)
        }
        // Same value again (a repeated event) and growth are fine; cancel keeps the executed part.
        #expect(try partial.transitioned(to: .partiallyFilled, filledQuantity: 5, at: at).filledQuantity == 5)
        #expect(try partial.transitioned(to: .partiallyFilled, filledQuantity: 6, at: at).filledQuantity == 6)
        let cancelled = try partial.transitioned(to: .cancelled, at: at)
        #expect(cancelled.filledQuantity == 5)
        #expect(cancelled.filledAt == partial.filledAt, "no growth, so the fill time is kept")
        #expect(try partial.transitioned(to: .expired, filledQuantity: 10, at: at).filledQuantity == 10)
    }

    @Test("the filled quantity must agree with the target status")
    func filledQuantityAgreesWithStatus() throws {
        let pending = try LifecycleFixtures.order("o1", status: .pending, quantity: "10")
        let at = LifecycleFixtures.time(1)
        let cases: [(OrderStatus, String)] = [(.open, "1"), (.rejected, "0.1"), (.partiallyFilled, "0"), (.partiallyFilled, "10")]
        for (target, value) in cases {
            let amount = try ExactDecimal(value)
            #expect(LifecycleFixtures.lifecycleError { _ = try pending.transitioned(to: target, filledQuantity: amount, at: at) }?.code
                    == .filledQuantityInconsistentWithStatus, "\(target) with \(value)")
        }
        #expect(try pending.transitioned(to: .open, filledQuantity: 0, at: at).status == .open)
        #expect(try pending.transitioned(to: .partiallyFilled, filledQuantity: try ExactDecimal("9.99"), at: at).status == .partiallyFilled)
        #expect(try pending.transitioned(to: .rejected, at: at).filledQuantity == nil)
    }

    @Test("an order without quantity or qty is checked for sign and monotonicity only")
    func orderWithoutQuantity() throws {
        let pending = try LifecycleFixtures.order("o1", status: .pending, quantity: nil)
        let partial = try pending.transitioned(to: .partiallyFilled, filledQuantity: 3, at: LifecycleFixtures.time(1))
        #expect(partial.filledQuantity == 3)
        #expect(try partial.transitioned(to: .filled, at: LifecycleFixtures.time(2)).filledQuantity == 3)
        #expect(LifecycleFixtures.lifecycleError { _ = try partial.transitioned(to: .filled, filledQuantity: 2, at: LifecycleFixtures.time(2)) }?.code
                == .filledQuantityDecreased)
    }

    @Test("a BFILL order is reverted from filled to cancelled, once; nothing else is")
    func revertingBackfill() throws {
        let bfill = try LifecycleFixtures.order("BFILL-0123456789abcdef0123456789abcdef", action: .exit, status: .filled,
                                                quantity: "1", filled: "1", filledAt: 5)
        let at = LifecycleFixtures.time(100)
        let reverted = try bfill.revertingBackfill(at: at)
        #expect(reverted.status == .cancelled)
        #expect(reverted.filledQuantity == bfill.filledQuantity && reverted.filledAt == bfill.filledAt)
        #expect(reverted.updatedAt == at)
        #expect(try reverted.revertingBackfill(at: LifecycleFixtures.time(200)) == reverted, "a second rollback changes nothing")

        #expect(LifecycleFixtures.lifecycleError { _ = try bfill.transitioned(to: .cancelled, at: at) }?.code == .forbiddenTransition)

        let ordinary = try LifecycleFixtures.order("o1", action: .exit, status: .filled, filled: "1")
        let error = LifecycleFixtures.lifecycleError { _ = try ordinary.revertingBackfill(at: at) }
        #expect(error?.code == .notABackfillOrder)
        #expect(error?.description.contains("order o1") == true)
        for status in [OrderStatus.pending, .open, .partiallyFilled, .rejected, .expired] {
            let other = try LifecycleFixtures.order("BFILL-x", action: .exit, status: status, quantity: "2",
                                                    filled: status == .partiallyFilled ? "1" : nil)
            #expect(LifecycleFixtures.lifecycleError { _ = try other.revertingBackfill(at: at) }?.code == .forbiddenTransition)
        }
    }

    @Test("a correction to the exchange's truth obeys the filled quantity rules")
    func correctionQuantities() throws {
        let cancelled = try LifecycleFixtures.order("o1", status: .cancelled, quantity: "10", filled: "3", filledAt: 5)
        let at = LifecycleFixtures.time(50)
        let filled = try cancelled.correctedToExchange(status: .filled, at: at)
        #expect(filled.status == .filled && filled.filledQuantity == 10 && filled.filledAt == at)
        let partial = try cancelled.correctedToExchange(status: .partiallyFilled, filledQuantity: 4, filledAt: LifecycleFixtures.time(7), at: at)
        #expect(partial.filledQuantity == 4 && partial.filledAt == LifecycleFixtures.time(7))
        #expect(LifecycleFixtures.lifecycleError { _ = try cancelled.correctedToExchange(status: .partiallyFilled, filledQuantity: 2, at: at) }?.code
                == .filledQuantityDecreased)
        #expect(LifecycleFixtures.lifecycleError { _ = try cancelled.correctedToExchange(status: .filled, filledQuantity: 11, at: at) }?.code
                == .filledQuantityAboveQuantity)
        // An ordinary transition cannot do what the correction does.
        #expect(LifecycleFixtures.lifecycleError { _ = try cancelled.transitioned(to: .filled, at: at) }?.code == .forbiddenTransition)
    }

    @Test("random walks through the machine keep every invariant")
    func randomWalksKeepInvariants() async {
        await propertyCheck(count: 200, input: Gen.int(in: 0...Int.max)) { seed in
            var random = SplitMix64(seed: UInt64(seed))
            let quantity = ExactDecimal(units: Int128(Int.random(in: 1...1_000, using: &random)) * 1_000_000_000_000_000)
            var current = try Order(orderID: OrderID("o"), profileID: ProfileID("p"), symbol: "S", tradeID: nil, action: .entry,
                                    side: nil, status: .pending, quantity: quantity, price: nil,
                                    createdAt: LifecycleFixtures.time(0))
            for step in 1...12 {
                let target = allStatuses.randomElement(using: &random)!
                let units = Int128(Int.random(in: -10...1_100, using: &random)) * 1_000_000_000_000_000
                let given: ExactDecimal? = Bool.random(using: &random) ? ExactDecimal(units: units) : nil
                let before = current
                do {
                    current = try current.transitioned(to: target, filledQuantity: given, at: LifecycleFixtures.time(Int64(step)))
                    #expect(specAllowed.contains("\(name(before.status))>\(name(target))"))
                    let previous = before.filledQuantity ?? .zero
                    #expect((current.filledQuantity ?? .zero) >= previous)
                    #expect((current.filledQuantity ?? .zero) <= quantity)
                    if current.status == .filled { #expect(current.filledQuantity == quantity) }
                } catch {
                    #expect(current == before, "a rejected change leaves the order as it was")
                }
            }
        }
    }
}
