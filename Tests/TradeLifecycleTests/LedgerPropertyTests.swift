import PropertyBased
import Testing
import TradeLifecycle
import TradeLifecycleTesting

/// Property tests over random operation sequences: 200 sequences of 500 operations
/// (100,000 operations per run), each step checked against the ledger's rules, plus rebuild at
/// random prefixes (five per sequence, and the whole history) and, separately, rebuild after
/// every prefix of 20 shorter sequences.
@Suite struct LedgerPropertyTests {
    @Test func randomSequencesKeepTheRules() async {
        var tally = LedgerTally()
        await propertyCheck(count: 200, input: Gen.uint64().array(of: 500)) { choices throws in
            var simulation = LedgerSimulation()
            var checkpoints: [Int: (historyCount: Int, ledger: CapitalLedger)] = [:]
            let chosen = Set((0..<5).map { Int((choices[0] >> UInt64($0 * 12)) % UInt64(choices.count)) })
            for (index, choice) in choices.enumerated() where simulation.failures == 0 {
                simulation.step(choice)
                if index % 50 == 49 { simulation.checkSums() }
                if chosen.contains(index) {
                    checkpoints[index] = (simulation.ledger.history.count, simulation.ledger)
                }
            }
            simulation.checkSums()
            guard simulation.failures == 0 else { return }
            let ledger = simulation.ledger
            // Rebuild: the whole history, in any order, and the chosen prefixes.
            #expect(try CapitalLedger.rebuild(from: ledger.history) == ledger)
            #expect(try CapitalLedger.rebuild(from: ledger.history.reversed()) == ledger)
            for (index, checkpoint) in checkpoints {
                let prefix = Array(ledger.history.prefix(checkpoint.historyCount))
                #expect(try CapitalLedger.rebuild(from: prefix) == checkpoint.ledger, "prefix after step \(index)")
            }
            // Replaying any earlier operation is a no-op.
            simulation.replayEveryRecordedOperation(stride: 7)
            tally.merge(simulation.tally)
        }
        // The generator reaches every kind of outcome (otherwise the properties prove little).
        for code: LedgerResult.Code in [.created, .violation, .insufficientAvailable, .exists, .existsWithDifferentKind,
                                        .existsWithDifferentProfile, .existsWithDifferentOrder, .existsWithDifferentSymbol,
                                        .existsWithDifferentSide, .existsWithDifferentAmount,
                                        .existsWithDifferentQuantity, .existsWithDifferentPrice, .existsWithDifferentFee] {
            #expect(tally.results[code, default: 0] > 0, "never produced \(code)")
        }
        for code: LedgerError.Code in [.zeroOperationID, .nonPositiveAmount, .nonPositiveQuantity, .nonPositivePrice,
                                       .negativeFee, .blankSymbol, .orderExists, .orderNotFound, .orderAlreadyFilled,
                                       .orderAlreadyCancelled, .fillExceedsRemainingQuantity,
                                       .exitExceedsPositionQuantity, .sideMismatch] {
            #expect(tally.errors[code, default: 0] > 0, "never raised \(code)")
        }
        #expect(tally.operations >= 100_000)
        #expect(tally.closedPositions > 1_000, "positions were opened and fully closed")
        // Both ways the ledger finds an id: above every recorded id, and below one.
        #expect(tally.idsBelowNewest > 5_000, "\(tally.idsBelowNewest) new ids below a recorded one")
        #expect(tally.idsAboveNewest > 5_000, "\(tally.idsAboveNewest) new ids above every recorded one")
    }

    @Test func rebuildEqualsTheLedgerAfterEveryPrefix() async {
        await propertyCheck(count: 20, input: Gen.uint64().array(of: 100)) { choices throws in
            var simulation = LedgerSimulation()
            for choice in choices where simulation.failures == 0 {
                simulation.step(choice)
                #expect(try CapitalLedger.rebuild(from: simulation.ledger.history) == simulation.ledger)
            }
        }
    }
}

// MARK: - Simulation

/// Counts of what a simulation produced.
struct LedgerTally {
    var results: [LedgerResult.Code: Int] = [:]
    var errors: [LedgerError.Code: Int] = [:]
    var operations = 0
    var closedPositions = 0
    /// Recorded new ids smaller than an id recorded before them, and the others.
    var idsBelowNewest = 0
    var idsAboveNewest = 0

    mutating func merge(_ other: LedgerTally) {
        results.merge(other.results, uniquingKeysWith: +)
        errors.merge(other.errors, uniquingKeysWith: +)
        operations += other.operations
        closedPositions += other.closedPositions
        idsBelowNewest += other.idsBelowNewest
        idsAboveNewest += other.idsAboveNewest
    }
}

/// The numbers one step needs, from one generated choice (the generator's seed).
extension SplitMix64 {
    mutating func below(_ bound: Int) -> Int { Int(next() % UInt64(bound)) }
    mutating func percent(_ chance: Int) -> Bool { below(100) < chance }
    /// A decimal `k * 10^-digits` with `k` in `range`.
    mutating func decimal(_ range: ClosedRange<Int>, digits: Int) -> ExactDecimal {
        let k = range.lowerBound + below(range.count)
        var scale: Int128 = 1
        for _ in 0..<(18 - digits) { scale *= 10 }
        return ExactDecimal(units: Int128(k) * scale)
    }
}

/// What the step meant to do, and so what the ledger must answer.
enum StepIntent {
    /// A new operation under a new id: recorded, or refused by validation.
    case fresh
    /// A recorded operation sent again: `exists` or the recorded refusal; nothing changes.
    case replay(LedgerEvent)
    /// A recorded id with changed content: exactly this conflict; nothing changes.
    case conflict(LedgerResult)
    /// Content that validation refuses with exactly this code.
    case invalid(LedgerError.Code)
}

/// Sums kept for a position from when it opens until it is flat again.
struct LifecycleSums {
    var costs = ExactDecimal.zero
    var released = ExactDecimal.zero
    var proceeds = ExactDecimal.zero
    var fees = ExactDecimal.zero
    var pnl = ExactDecimal.zero
}

struct PositionRef {
    let profileID: ProfileID
    let symbol: String
    let tradeID: TradeID
    var key: String { "\(profileID)|\(symbol)|\(tradeID)" }
}

/// Drives a ledger with random operations and checks every rule after every step.
struct LedgerSimulation {
    var ledger = CapitalLedger()
    var tally = LedgerTally()
    /// Failed checks so far; a sequence stops at its first failing step, and only the first
    /// few failures are reported, so a broken rule yields a readable report, not thousands.
    private(set) var failures = 0
    /// The operation of the current step, described only when a check fails.
    private var current: LedgerOperation?
    private var nextID: UInt64 = 1
    private var nextOrder = 1
    private let profiles = ["p1", "p2", "p3"].map(L.profile)
    private let symbols = ["BTC-USD", "ETH-USD"]
    private var orders: [(ProfileID, OrderID)] = []
    private var positionRefs: [String: PositionRef] = [:]
    private var positionKeys: [String] = []
    private var releasedByOrder: [String: ExactDecimal] = [:]
    private var lifecycles: [String: LifecycleSums] = [:]

    private var usedIDs: Set<UInt64> = []
    /// The greatest id recorded so far.
    private var newestRecordedID: UInt128 = 0

    /// A new id: growing on the whole, but often smaller than one already recorded (ids of
    /// nearby steps overlap), so that both ways the ledger finds ids are taken.
    private mutating func freshID() -> LedgerOperationID {
        defer { nextID += 1 }
        var generator = SplitMix64(seed: nextID)
        var id = nextID * 8 + generator.next() % 24 + 1
        while !usedIDs.insert(id).inserted { id += 1 }
        return LedgerOperationID(UInt128(id))
    }

    // MARK: Steps

    mutating func step(_ choice: UInt64) {
        var random = SplitMix64(seed: choice)
        let (operation, intent) = makeOperation(&random)
        current = operation
        check(operation, intent)
    }

    mutating func expect(_ condition: Bool, _ message: @autoclosure () -> String = "",
                         sourceLocation: SourceLocation = #_sourceLocation) {
        if !condition { fail(message(), sourceLocation: sourceLocation) }
    }

    mutating func fail(_ message: String, sourceLocation: SourceLocation = #_sourceLocation) {
        failures += 1
        if failures <= 3 {
            let step = current.map { "step \(tally.operations): \($0)" } ?? "end of sequence"
            Issue.record("\(message) [\(step)]", sourceLocation: sourceLocation)
        }
    }

    private mutating func makeOperation(_ r: inout SplitMix64) -> (LedgerOperation, StepIntent) {
        let action = r.below(100)
        let profile = profiles[r.below(profiles.count)]
        switch action {
        case 0..<8:
            return (LedgerOperation(id: freshID(), kind: .allocate(profileID: profile, amount: r.decimal(1...10_000_000, digits: 2))), .fresh)
        case 8..<12:
            return (LedgerOperation(id: freshID(), kind: .deallocate(profileID: profile, amount: r.decimal(1...5_000_000, digits: 2))), .fresh)
        case 12..<32:
            return (makeReserve(&r, profile), .fresh)
        case 32..<52:
            return (makeFill(&r), .fresh)
        case 52..<58:
            let (orderProfile, order) = pickOrder(&r)
            return (LedgerOperation(id: freshID(), kind: .cancel(profileID: orderProfile, orderID: order)), .fresh)
        case 58..<78:
            return (makeExit(&r), .fresh)
        case 78..<86:
            guard let event = pickEvent(&r) else { return makeOperation(&r) }
            return (event.operation, .replay(event))
        case 86..<94:
            guard let event = pickEvent(&r) else { return makeOperation(&r) }
            return makeConflict(&r, event)
        default:
            return makeInvalid(&r, profile)
        }
    }

    private mutating func makeReserve(_ r: inout SplitMix64, _ profile: ProfileID) -> LedgerOperation {
        let symbol = symbols[r.below(symbols.count)]
        let tradeNumber = r.below(3)
        let trade = L.trade("TRD-\(profile)-\(symbol)-\(tradeNumber)")
        var side: PositionSide = tradeNumber % 2 == 0 ? .long : .short
        if r.percent(15) { side = side == .long ? .short : .long }
        let order: OrderID
        if r.percent(4), let existing = orders.randomElement(using: &r) {
            order = existing.1   // usually a duplicate: order_exists
        } else {
            order = L.order("o\(nextOrder)")
            nextOrder += 1
        }
        return LedgerOperation(id: freshID(), kind: .reserveEntry(
            profileID: profile, orderID: order, symbol: symbol, tradeID: trade, side: side,
            quantity: r.decimal(1...5_000, digits: 3), limitPrice: r.decimal(100...200_000, digits: 2)))
    }

    private mutating func makeFill(_ r: inout SplitMix64) -> LedgerOperation {
        let (profile, order) = pickOrder(&r)
        var quantity = ExactDecimal(units: 1_000_000_000_000_000)   // 0.001
        var price = r.decimal(100...200_000, digits: 2)
        if let reservation = ledger.reservation(of: order, in: profile), reservation.status == .pending {
            let unfilled = reservation.unfilledQuantity
            switch r.below(10) {
            case 0..<5:
                quantity = unfilled
            case 5..<9:
                let share = (try? unfilled.multiplied(by: r.decimal(1...999, digits: 3))) ?? .zero
                quantity = share.isPositive ? share : unfilled
            default:
                quantity = (try? unfilled.adding(r.decimal(1...1_000, digits: 3))) ?? unfilled
            }
            // Around the limit price; sometimes far above it, which can break the invariant.
            let factor = r.percent(5) ? r.decimal(2_000...50_000, digits: 3) : r.decimal(900...1_100, digits: 3)
            price = (try? reservation.limitPrice.multiplied(by: factor)) ?? reservation.limitPrice
        }
        return LedgerOperation(id: freshID(), kind: .fill(profileID: profile, orderID: order, quantity: quantity, price: price))
    }

    private mutating func makeExit(_ r: inout SplitMix64) -> LedgerOperation {
        guard !positionKeys.isEmpty else {
            return LedgerOperation(id: freshID(), kind: .exit(
                profileID: profiles[0], symbol: "BTC-USD", tradeID: L.trade("TRD-none"), quantity: 1, price: 1, fee: .zero))
        }
        // Mostly positions that are open, sometimes any (flat ones refuse the exit).
        let open = positionKeys.filter {
            let ref = positionRefs[$0]!
            return ledger.position(symbol: ref.symbol, tradeID: ref.tradeID, in: ref.profileID)?.isFlat == false
        }
        let keys = open.isEmpty || r.percent(10) ? positionKeys : open
        let ref = positionRefs[keys[r.below(keys.count)]]!
        var quantity = ExactDecimal(units: 1_000_000_000_000_000)
        var price = r.decimal(100...200_000, digits: 2)
        var fee = ExactDecimal.zero
        if let position = ledger.position(symbol: ref.symbol, tradeID: ref.tradeID, in: ref.profileID), !position.isFlat {
            switch r.below(10) {
            case 0..<5:
                quantity = position.quantity
            case 5..<9:
                let share = (try? position.quantity.multiplied(by: r.decimal(1...999, digits: 3))) ?? .zero
                quantity = share.isPositive ? share : position.quantity
            default:
                quantity = (try? position.quantity.adding(r.decimal(1...1_000, digits: 3))) ?? position.quantity
            }
            let average = ((try? position.averageEntryPrice()) ?? nil) ?? price
            let factor = r.percent(8) ? r.decimal(2_000...6_000, digits: 3) : r.decimal(500...1_500, digits: 3)
            price = (try? average.multiplied(by: factor)) ?? average
            if !price.isPositive { price = ExactDecimal.leastNonzeroMagnitude }
            if r.percent(70) {
                fee = (try? quantity.multiplied(by: price).multiplied(by: r.decimal(0...20, digits: 4))) ?? .zero
            }
        }
        return LedgerOperation(id: freshID(), kind: .exit(
            profileID: ref.profileID, symbol: ref.symbol, tradeID: ref.tradeID, quantity: quantity, price: price, fee: fee))
    }

    private mutating func pickOrder(_ r: inout SplitMix64) -> (ProfileID, OrderID) {
        if orders.isEmpty || r.percent(4) {
            return (profiles[r.below(profiles.count)], L.order("o-unknown"))
        }
        // Mostly recent orders, so that fills and cancels find pending ones.
        let recent = max(0, orders.count - 12)
        return r.percent(80) ? orders[recent + r.below(orders.count - recent)] : orders[r.below(orders.count)]
    }

    private func pickEvent(_ r: inout SplitMix64) -> LedgerEvent? {
        ledger.history.isEmpty ? nil : ledger.history[r.below(ledger.history.count)]
    }

    private func makeConflict(_ r: inout SplitMix64, _ event: LedgerEvent) -> (LedgerOperation, StepIntent) {
        let id = event.id
        let other = profiles.first { $0 != event.operation.kind.profileID }!
        let bump = ExactDecimal(units: 10_000_000_000_000_000)   // 0.01
        func changed(_ kind: LedgerOperation.Kind, _ expected: LedgerResult) -> (LedgerOperation, StepIntent) {
            (LedgerOperation(id: id, kind: kind), .conflict(expected))
        }
        switch event.operation.kind {
        case .allocate(let profile, let amount):
            switch r.below(3) {
            case 0: return changed(.deallocate(profileID: profile, amount: amount), .existsWithDifferentKind)
            case 1: return changed(.allocate(profileID: other, amount: amount), .existsWithDifferentProfile)
            default: return changed(.allocate(profileID: profile, amount: try! amount.adding(bump)), .existsWithDifferentAmount)
            }
        case .deallocate(let profile, let amount):
            return changed(.deallocate(profileID: profile, amount: try! amount.adding(bump)), .existsWithDifferentAmount)
        case .reserveEntry(let profile, let order, let symbol, let trade, let side, let quantity, let limitPrice):
            switch r.below(4) {
            case 0: return changed(.reserveEntry(profileID: profile, orderID: order, symbol: symbol == "X" ? "Y" : "X", tradeID: trade,
                                                 side: side, quantity: quantity, limitPrice: limitPrice), .existsWithDifferentSymbol)
            case 1: return changed(.reserveEntry(profileID: profile, orderID: order, symbol: symbol, tradeID: trade,
                                                 side: side == .long ? .short : .long, quantity: quantity, limitPrice: limitPrice),
                                   .existsWithDifferentSide)
            case 2: return changed(.reserveEntry(profileID: profile, orderID: order, symbol: symbol, tradeID: trade, side: side,
                                                 quantity: try! quantity.adding(bump), limitPrice: limitPrice), .existsWithDifferentQuantity)
            default: return changed(.cancel(profileID: profile, orderID: order), .existsWithDifferentKind)
            }
        case .fill(let profile, let order, let quantity, let price):
            switch r.below(3) {
            case 0: return changed(.fill(profileID: profile, orderID: L.order("o-other"), quantity: quantity, price: price), .existsWithDifferentOrder)
            case 1: return changed(.fill(profileID: profile, orderID: order, quantity: quantity, price: try! price.adding(bump)), .existsWithDifferentPrice)
            default: return changed(.fill(profileID: other, orderID: order, quantity: try! quantity.adding(bump), price: price), .existsWithDifferentProfile)
            }
        case .cancel(let profile, _):
            return changed(.cancel(profileID: profile, orderID: L.order("o-other")), .existsWithDifferentOrder)
        case .exit(let profile, let symbol, let trade, let quantity, let price, let fee):
            switch r.below(3) {
            case 0: return changed(.exit(profileID: profile, symbol: symbol, tradeID: trade, quantity: quantity, price: price,
                                         fee: try! fee.adding(bump)), .existsWithDifferentFee)
            case 1: return changed(.exit(profileID: profile, symbol: symbol, tradeID: trade, quantity: try! quantity.adding(bump),
                                         price: try! price.adding(bump), fee: fee), .existsWithDifferentQuantity)
            default: return changed(.exit(profileID: profile, symbol: symbol, tradeID: L.trade("TRD-other"), quantity: quantity,
                                          price: price, fee: fee), .existsWithDifferentTradeID)
            }
        }
    }

    private mutating func makeInvalid(_ r: inout SplitMix64, _ profile: ProfileID) -> (LedgerOperation, StepIntent) {
        let trade = L.trade("TRD-\(profile)-BTC-USD-0")
        let order = orders.last?.1 ?? L.order("o-unknown")
        switch r.below(6) {
        case 0:
            return (LedgerOperation(id: 0, kind: .allocate(profileID: profile, amount: 1)), .invalid(.zeroOperationID))
        case 1:
            return (LedgerOperation(id: freshID(), kind: .deallocate(profileID: profile, amount: r.decimal(-100...0, digits: 2))),
                    .invalid(.nonPositiveAmount))
        case 2:
            return (LedgerOperation(id: freshID(), kind: .reserveEntry(
                profileID: profile, orderID: L.order("o-invalid"), symbol: "BTC-USD", tradeID: trade, side: .long,
                quantity: r.decimal(-100...0, digits: 3), limitPrice: 1)), .invalid(.nonPositiveQuantity))
        case 3:
            return (LedgerOperation(id: freshID(), kind: .fill(profileID: profile, orderID: order, quantity: 1, price: r.decimal(-100...0, digits: 2))),
                    .invalid(.nonPositivePrice))
        case 4:
            return (LedgerOperation(id: freshID(), kind: .exit(
                profileID: profile, symbol: "BTC-USD", tradeID: trade, quantity: 1, price: 1, fee: r.decimal(-100 ... -1, digits: 4))),
                    .invalid(.negativeFee))
        default:
            return (LedgerOperation(id: freshID(), kind: .reserveEntry(
                profileID: profile, orderID: L.order("o-invalid"), symbol: "  ", tradeID: trade, side: .long, quantity: 1, limitPrice: 1)),
                    .invalid(.blankSymbol))
        }
    }

    // MARK: Checks

    private mutating func check(_ operation: LedgerOperation, _ intent: StepIntent) {
        tally.operations += 1
        let before = ledger
        let balancesBefore = profiles.map { before.balances(of: $0) }
        let result: LedgerResult
        do {
            result = try ledger.apply(operation)
        } catch {
            tally.errors[error.code, default: 0] += 1
            expect(ledger == before, "\(operation): an error changes nothing")
            switch intent {
            case .invalid(let expected):
                expect(error.code == expected, "\(operation)")
            case .fresh:
                expect(ledger.event(for: operation.id) == nil, "an error does not take the id")
                expect(!Self.contentCodes.contains(error.code), "\(operation): valid content refused: \(error)")
                checkJustified(error.code, operation, before)
            case .replay, .conflict:
                fail("\(operation): an answer from the id table must not throw: \(error)")
            }
            return
        }
        tally.results[result.code, default: 0] += 1
        if case .fresh = intent {
            expect(before.event(for: operation.id) == nil, "\(operation): a new id is free before it is recorded")
            if operation.id.value < newestRecordedID { tally.idsBelowNewest += 1 } else { tally.idsAboveNewest += 1 }
            newestRecordedID = max(newestRecordedID, operation.id.value)
        }
        switch intent {
        case .replay(let event):
            let expected: LedgerResult = if case .insufficientAvailable = event.result { event.result } else { .exists }
            expect(result == expected, "\(operation)")
            expect(ledger == before, "a replay changes nothing")
            return
        case .conflict(let expected):
            expect(result == expected, "\(operation)")
            expect(ledger == before, "a conflict changes nothing")
            return
        case .invalid(let expected):
            fail("\(operation): expected \(expected), got \(result)")
            return
        case .fresh:
            break
        }
        // A new id: the result is recorded, as the last event.
        expect(result.isRecorded, "\(operation): \(result)")
        expect(ledger.history.count == before.history.count + 1)
        expect(ledger.history.last == LedgerEvent(sequence: UInt64(before.history.count + 1), operation: operation, result: result))
        expect(ledger.event(for: operation.id)?.result == result)

        let profile = operation.kind.profileID
        let index = profiles.firstIndex(of: profile)!
        let b0 = balancesBefore[index]
        let b1 = ledger.balances(of: profile)
        for (other, balances) in zip(profiles, balancesBefore) where other != profile {
            expect(ledger.balances(of: other) == balances, "\(operation) changed another profile")
        }
        checkIdentity(b1, operation)

        let violationsBefore = before.violationCount
        if operation.kind.isRequest {
            expect(ledger.violationCount == violationsBefore)
            checkRequest(operation, result, b0, b1, before)
        } else {
            // A fact: applied; a violation exactly when available ends below zero, with that figure.
            if b1.available.isNegative {
                expect(result == .violation(available: b1.available), "\(operation)")
                expect(ledger.violationCount == violationsBefore + 1)
                expect(ledger.violationCount(of: profile) == before.violationCount(of: profile) + 1)
            } else {
                expect(result == .created, "\(operation)")
                expect(ledger.violationCount == violationsBefore)
            }
            checkFact(operation, b0, b1, before)
        }
        // Replaying any earlier operation is a no-op (one random earlier event per step).
        if !before.history.isEmpty {
            let earlier = before.history[Int(operation.id.value % UInt128(before.history.count))]
            let snapshot = ledger
            let replayed = try? ledger.apply(earlier.operation)
            let expected: LedgerResult = if case .insufficientAvailable = earlier.result { earlier.result } else { .exists }
            expect(replayed == expected)
            expect(ledger == snapshot)
        }
    }

    /// `available = allocated - reservedForOrders - reservedForPositions + realizedPnL`, and the
    /// reserved balances are never negative.
    private mutating func checkIdentity(_ balances: CapitalBalances, _ operation: LedgerOperation) {
        let recomputed = try? balances.allocated.subtracting(balances.reservedForOrders)
            .subtracting(balances.reservedForPositions).adding(balances.realizedPnL)
        expect(recomputed == balances.available, "\(operation): \(balances)")
        expect(!balances.reservedForOrders.isNegative && !balances.reservedForPositions.isNegative, "\(operation): \(balances)")
    }

    private mutating func checkRequest(
        _ operation: LedgerOperation, _ result: LedgerResult, _ b0: CapitalBalances, _ b1: CapitalBalances, _ before: CapitalLedger
    ) {
        switch (operation.kind, result) {
        case (.allocate(_, let amount), .created):
            expect(b1.allocated == (try? b0.allocated.adding(amount)))
            expect(b1.available == (try? b0.available.adding(amount)))
            expect(same(b0, b1, except: [\.allocated, \.available]))
        case (.deallocate(_, let amount), .created):
            expect(!b1.available.isNegative, "a request never leaves available below zero")
            expect(b1.allocated == (try? b0.allocated.subtracting(amount)))
            expect(b1.available == (try? b0.available.subtracting(amount)))
            expect(same(b0, b1, except: [\.allocated, \.available]))
        case (.deallocate(_, let amount), .insufficientAvailable(let available, let required)):
            expect(available == b0.available && required == amount && amount > b0.available)
            expect(b1 == b0)
        case (.reserveEntry(let profile, let order, let symbol, let trade, let side, let quantity, let limitPrice), _):
            let required = try? quantity.multiplied(by: limitPrice)
            if case .insufficientAvailable(let available, let needed) = result {
                expect(available == b0.available && needed == required)
                expect((try? b0.available.subtracting(needed))?.isNegative == true)
                expect(b1 == b0)
                expect(ledger.reservation(of: order, in: profile) == before.reservation(of: order, in: profile))
                return
            }
            expect(result == .created, "\(operation): \(result)")
            expect(!b1.available.isNegative, "a request never leaves available below zero")
            expect(b1.reservedForOrders == (try? b0.reservedForOrders.adding(required!)))
            expect(b1.available == (try? b0.available.subtracting(required!)))
            expect(same(b0, b1, except: [\.reservedForOrders, \.available]))
            let reservation = ledger.reservation(of: order, in: profile)
            expect(reservation?.status == .pending && reservation?.reservedAmount == required
                    && reservation?.remainingAmount == required && reservation?.filledQuantity == .zero
                    && reservation?.symbol == symbol && reservation?.tradeID == trade && reservation?.side == side)
            expect(ledger.position(symbol: symbol, tradeID: trade, in: profile)?.side == side)
            orders.append((profile, order))
            releasedByOrder["\(profile)|\(order)"] = .zero
            let ref = PositionRef(profileID: profile, symbol: symbol, tradeID: trade)
            if positionRefs[ref.key] == nil {
                positionRefs[ref.key] = ref
                positionKeys.append(ref.key)
            }
        default:
            fail("\(operation): unexpected result \(result) for a request")
        }
    }

    private mutating func checkFact(_ operation: LedgerOperation, _ b0: CapitalBalances, _ b1: CapitalBalances, _ before: CapitalLedger) {
        switch operation.kind {
        case .fill(let profile, let order, let quantity, let price):
            guard let r0 = before.reservation(of: order, in: profile), let r1 = ledger.reservation(of: order, in: profile),
                  let p0 = before.position(symbol: r0.symbol, tradeID: r0.tradeID, in: profile),
                  let p1 = ledger.position(symbol: r0.symbol, tradeID: r0.tradeID, in: profile),
                  let cost = try? quantity.multiplied(by: price),
                  let release = try? b0.reservedForOrders.subtracting(b1.reservedForOrders) else {
                fail("\(operation): missing records")
                return
            }
            expect(!release.isNegative && release <= r0.remainingAmount, "\(operation): release \(release)")
            expect(r1.remainingAmount == (try? r0.remainingAmount.subtracting(release)))
            expect(r1.filledQuantity == (try? r0.filledQuantity.adding(quantity)))
            if r1.filledQuantity == r1.quantity {
                expect(r1.status == .posted && r1.remainingAmount == .zero, "the last fill releases what is left")
            } else {
                expect(r1.status == .pending)
                // One rounding from reserved * quantity / orderQuantity: |release * Q - R * q| <= Q (units).
                expect(productsDiffer(atMost: r0.quantity.units.magnitude, release, r0.quantity, r0.reservedAmount, quantity),
                        "\(operation): release \(release) of \(r0.reservedAmount)")
            }
            expect(b1.reservedForPositions == (try? b0.reservedForPositions.adding(cost)))
            expect(b1.available == (try? b0.available.adding(release).subtracting(cost)))
            expect(same(b0, b1, except: [\.reservedForOrders, \.reservedForPositions, \.available]))
            expect(p1.quantity == (try? p0.quantity.adding(quantity)) && p1.costBasis == (try? p0.costBasis.adding(cost)))
            let key = "\(profile)|\(order)"
            releasedByOrder[key] = try? releasedByOrder[key, default: .zero].adding(release)
            if r1.status == .posted {
                expect(releasedByOrder[key] == r0.reservedAmount, "an order releases exactly its reservation")
            }
            let position = PositionRef(profileID: profile, symbol: r0.symbol, tradeID: r0.tradeID).key
            lifecycles[position, default: LifecycleSums()].costs = try! lifecycles[position, default: LifecycleSums()].costs.adding(cost)
        case .cancel(let profile, let order):
            guard let r0 = before.reservation(of: order, in: profile), let r1 = ledger.reservation(of: order, in: profile) else {
                fail("\(operation): missing records")
                return
            }
            expect(r1.status == .voided && r1.remainingAmount == .zero && r1.filledQuantity == r0.filledQuantity)
            expect(b1.reservedForOrders == (try? b0.reservedForOrders.subtracting(r0.remainingAmount)))
            expect(b1.available == (try? b0.available.adding(r0.remainingAmount)))
            expect(same(b0, b1, except: [\.reservedForOrders, \.available]))
            let key = "\(profile)|\(order)"
            releasedByOrder[key] = try? releasedByOrder[key, default: .zero].adding(r0.remainingAmount)
            expect(releasedByOrder[key] == r0.reservedAmount, "an order releases exactly its reservation")
        case .exit(let profile, let symbol, let trade, let quantity, let price, let fee):
            guard let p0 = before.position(symbol: symbol, tradeID: trade, in: profile),
                  let p1 = ledger.position(symbol: symbol, tradeID: trade, in: profile),
                  let proceeds = try? quantity.multiplied(by: price),
                  let released = try? b0.reservedForPositions.subtracting(b1.reservedForPositions) else {
                fail("\(operation): missing records")
                return
            }
            expect(!released.isNegative && released <= p0.costBasis, "\(operation): released \(released)")
            expect(p1.quantity == (try? p0.quantity.subtracting(quantity)))
            expect(p1.costBasis == (try? p0.costBasis.subtracting(released)))
            if p1.isFlat {
                expect(p1.costBasis == .zero, "the last exit releases what is left")
            } else {
                // One rounding from costBasis * quantity / positionQuantity.
                expect(productsDiffer(atMost: p0.quantity.units.magnitude, released, p0.quantity, p0.costBasis, quantity),
                        "\(operation): released \(released) of \(p0.costBasis)")
            }
            let gross = p0.side == .long ? try? proceeds.subtracting(released) : try? released.subtracting(proceeds)
            let pnl = try? gross?.subtracting(fee)
            expect(b1.realizedPnL == (try? b0.realizedPnL.adding(pnl!)), "\(operation)")
            expect(b1.available == (try? b0.available.adding(released).adding(pnl!)))
            expect(same(b0, b1, except: [\.reservedForPositions, \.realizedPnL, \.available]))
            let key = PositionRef(profileID: profile, symbol: symbol, tradeID: trade).key
            var sums = lifecycles[key, default: LifecycleSums()]
            sums.released = try! sums.released.adding(released)
            sums.proceeds = try! sums.proceeds.adding(proceeds)
            sums.fees = try! sums.fees.adding(fee)
            sums.pnl = try! sums.pnl.adding(pnl!)
            lifecycles[key] = sums
            if p1.isFlat {
                // Closed: everything that went into the position came out, and its PnL is
                // proceeds against costs less fees, to the last digit.
                expect(sums.released == sums.costs, "\(key): released \(sums.released), costs \(sums.costs)")
                let expected = p0.side == .long
                    ? try! sums.proceeds.subtracting(sums.costs).subtracting(sums.fees)
                    : try! sums.costs.subtracting(sums.proceeds).subtracting(sums.fees)
                expect(sums.pnl == expected, "\(key)")
                lifecycles[key] = nil
                tally.closedPositions += 1
            }
        default:
            fail("\(operation) is not a fact")
        }
    }

    /// Every profile's reserved balances equal the sums over its reservations and positions, and
    /// no reservation or cost basis is negative.
    mutating func checkSums() {
        for profile in profiles {
            let balances = ledger.balances(of: profile)
            var reserved = ExactDecimal.zero
            for reservation in ledger.reservations(in: profile) {
                expect(!reservation.remainingAmount.isNegative && reservation.remainingAmount <= reservation.reservedAmount)
                expect(reservation.filledQuantity <= reservation.quantity)
                expect(reservation.status == .pending || reservation.remainingAmount == .zero)
                reserved = try! reserved.adding(reservation.remainingAmount)
            }
            var held = ExactDecimal.zero
            for position in ledger.positions(in: profile) {
                expect(!position.costBasis.isNegative && !position.quantity.isNegative)
                held = try! held.adding(position.costBasis)
            }
            expect(balances.reservedForOrders == reserved, "\(profile)")
            expect(balances.reservedForPositions == held, "\(profile)")
        }
    }

    /// Sends every `stride`-th recorded operation again: each is a no-op.
    mutating func replayEveryRecordedOperation(stride: Int) {
        let snapshot = ledger
        for event in Swift.stride(from: 0, to: snapshot.history.count, by: stride).map({ snapshot.history[$0] }) {
            let expected: LedgerResult = if case .insufficientAvailable = event.result { event.result } else { .exists }
            expect((try? ledger.apply(event.operation)) == expected)
        }
        expect(ledger == snapshot)
    }

    /// A state error of a valid operation must be what the ledger's state before it says.
    private mutating func checkJustified(_ code: LedgerError.Code, _ operation: LedgerOperation, _ before: CapitalLedger) {
        switch (code, operation.kind) {
        case (.orderExists, .reserveEntry(let profile, let order, _, _, _, _, _)):
            expect(before.reservation(of: order, in: profile) != nil, "order_exists without a reservation")
        case (.sideMismatch, .reserveEntry(let profile, _, let symbol, let trade, let side, _, _)):
            let position = before.position(symbol: symbol, tradeID: trade, in: profile)
            let pending = before.reservations(in: profile).contains {
                $0.symbol == symbol && $0.tradeID == trade && $0.status == .pending
            }
            expect(position != nil && position?.side != side && (position?.isFlat == false || pending),
                   "side_mismatch without an open position or pending order on the other side: \(String(describing: position))")
        case (.orderNotFound, .fill(let profile, let order, _, _)), (.orderNotFound, .cancel(let profile, let order)):
            expect(before.reservation(of: order, in: profile) == nil, "order_not_found for a known order")
        case (.orderAlreadyFilled, .fill(let profile, let order, _, _)), (.orderAlreadyFilled, .cancel(let profile, let order)):
            expect(before.reservation(of: order, in: profile)?.status == .posted, "order_already_filled for an order not posted")
        case (.orderAlreadyCancelled, .fill(let profile, let order, _, _)), (.orderAlreadyCancelled, .cancel(let profile, let order)):
            expect(before.reservation(of: order, in: profile)?.status == .voided, "order_already_cancelled for an order not voided")
        case (.fillExceedsRemainingQuantity, .fill(let profile, let order, let quantity, _)):
            let reservation = before.reservation(of: order, in: profile)
            expect(reservation?.status == .pending && quantity > reservation!.unfilledQuantity, "fill within the unfilled quantity refused")
        case (.positionNotFound, .exit(let profile, let symbol, let trade, _, _, _)):
            expect(before.position(symbol: symbol, tradeID: trade, in: profile) == nil, "position_not_found for a known position")
        case (.exitExceedsPositionQuantity, .exit(let profile, let symbol, let trade, let quantity, _, _)):
            let position = before.position(symbol: symbol, tradeID: trade, in: profile)
            expect(position != nil && quantity > position!.quantity, "exit within the position refused")
        default:
            fail("\(operation): unexpected error \(code)")
        }
    }

    private static let contentCodes: Set<LedgerError.Code> = [
        .zeroOperationID, .nonPositiveAmount, .nonPositiveQuantity, .nonPositivePrice, .negativeFee, .blankSymbol,
    ]

    private func same(_ a: CapitalBalances, _ b: CapitalBalances, except changed: [KeyPath<CapitalBalances, ExactDecimal>]) -> Bool {
        let all: [KeyPath<CapitalBalances, ExactDecimal>] =
            [\.allocated, \.reservedForOrders, \.reservedForPositions, \.realizedPnL, \.available]
        return all.allSatisfy { path in changed.contains(path) || a[keyPath: path] == b[keyPath: path] }
    }
}

/// Whether `|a * b - c * d| <= limit`, all four non-negative, computed exactly on 256 bits from
/// the values' units.
func productsDiffer(atMost limit: UInt128, _ a: ExactDecimal, _ b: ExactDecimal, _ c: ExactDecimal, _ d: ExactDecimal) -> Bool {
    let x = a.units.magnitude.multipliedFullWidth(by: b.units.magnitude)
    let y = c.units.magnitude.multipliedFullWidth(by: d.units.magnitude)
    let (big, small) = (x.high, x.low) >= (y.high, y.low) ? (x, y) : (y, x)
    let (low, borrow) = big.low.subtractingReportingOverflow(small.low)
    let high = big.high - small.high - (borrow ? 1 : 0)
    return high == 0 && low <= limit
}

