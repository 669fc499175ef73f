import Testing
import TradeLifecycle

/// Every result code and every error code of the ledger, idempotency and the rules about which
/// outcomes take an operation id.
@Suite struct LedgerResultTests {
    static let p1 = L.profile("p1")
    static let p2 = L.profile("p2")
    static let o1 = L.order("o1")
    static let o2 = L.order("o2")
    static let t1 = L.trade("TRD-1")
    static let t2 = L.trade("TRD-2")

    /// A ledger with p1 funded with 1,000, a pending long order o1 (2 @ 100, 200 reserved,
    /// filled 1 @ 100) for trade TRD-1 of BTC-USD. Ids 1...3 are taken.
    static func fixture() -> CapitalLedger {
        var ledger = CapitalLedger()
        _ = ledger.expectApply(L.allocate(1, p1, "1000"))
        _ = ledger.expectApply(L.reserve(2, p1, o1, "BTC-USD", t1, .long, quantity: "2", limitPrice: "100"))
        _ = ledger.expectApply(L.fill(3, p1, o1, quantity: "1", price: "100"))
        return ledger
    }

    // MARK: Result codes

    /// For each result code, an operation that produces it against ``fixture()``.
    static let resultCases: [(LedgerResult.Code, LedgerOperation)] = [
        (.created, L.allocate(10, p1, "5")),
        (.violation, L.fill(10, p1, o1, quantity: "1", price: "1000000")),
        (.insufficientAvailable, L.deallocate(10, p1, "2000")),
        (.exists, L.fill(3, p1, o1, quantity: "1", price: "100")),
        (.existsWithDifferentKind, L.cancel(3, p1, o1)),
        (.existsWithDifferentProfile, L.allocate(1, p2, "1000")),
        (.existsWithDifferentOrder, L.fill(3, p1, o2, quantity: "1", price: "100")),
        (.existsWithDifferentSymbol, L.reserve(2, p1, o1, "ETH-USD", t1, .long, quantity: "2", limitPrice: "100")),
        (.existsWithDifferentTradeID, L.reserve(2, p1, o1, "BTC-USD", t2, .long, quantity: "2", limitPrice: "100")),
        (.existsWithDifferentSide, L.reserve(2, p1, o1, "BTC-USD", t1, .short, quantity: "2", limitPrice: "100")),
        (.existsWithDifferentAmount, L.allocate(1, p1, "1000.01")),
        (.existsWithDifferentQuantity, L.fill(3, p1, o1, quantity: "0.5", price: "100")),
        (.existsWithDifferentPrice, L.fill(3, p1, o1, quantity: "1", price: "101")),
    ]

    @Test(arguments: resultCases)
    func resultCode(expected: LedgerResult.Code, operation: LedgerOperation) throws {
        var ledger = Self.fixture()
        let before = ledger
        let result = try ledger.apply(operation)
        #expect(result.code == expected)
        #expect(result.isRecorded == (ledger.history.count == before.history.count + 1))
        if !result.isRecorded {
            #expect(ledger == before, "an answer from the id table changes nothing")
        }
    }

    @Test func existsWithDifferentFee() throws {
        var ledger = Self.fixture()
        _ = ledger.expectApply(L.exit(20, Self.p1, "BTC-USD", Self.t1, quantity: "0.5", price: "110", fee: "0.1"))
        let before = ledger
        #expect(try ledger.apply(L.exit(20, Self.p1, "BTC-USD", Self.t1, quantity: "0.5", price: "110", fee: "0.2")) == .existsWithDifferentFee)
        #expect(ledger == before)
    }

    @Test func everyResultCodeIsCovered() {
        let covered = Set(Self.resultCases.map(\.0)).union([.existsWithDifferentFee])
        #expect(covered == Set(LedgerResult.Code.allCases))
    }

    /// Fields are compared in the documented order: kind, profile, order, symbol, trade id,
    /// side, amount, quantity, price, fee. Each row changes two fields; the earlier one is named.
    @Test(arguments: [
        (L.cancel(2, p2, o1), LedgerResult.existsWithDifferentKind),
        (L.reserve(2, p2, o2, "BTC-USD", t1, .long, quantity: "2", limitPrice: "100"), .existsWithDifferentProfile),
        (L.reserve(2, p1, o2, "ETH-USD", t1, .long, quantity: "2", limitPrice: "100"), .existsWithDifferentOrder),
        (L.reserve(2, p1, o1, "ETH-USD", t2, .long, quantity: "2", limitPrice: "100"), .existsWithDifferentSymbol),
        (L.reserve(2, p1, o1, "BTC-USD", t2, .short, quantity: "2", limitPrice: "100"), .existsWithDifferentTradeID),
        (L.reserve(2, p1, o1, "BTC-USD", t1, .short, quantity: "3", limitPrice: "100"), .existsWithDifferentSide),
        (L.reserve(2, p1, o1, "BTC-USD", t1, .long, quantity: "3", limitPrice: "101"), .existsWithDifferentQuantity),
    ])
    func conflictNamesTheFirstDifferingField(operation: LedgerOperation, expected: LedgerResult) throws {
        var ledger = Self.fixture()
        #expect(try ledger.apply(operation) == expected)
    }

    // MARK: Idempotency

    @Test func replayingEveryRecordedOperationIsANoOp() throws {
        var ledger = Self.fixture()
        _ = ledger.expectApply(L.fill(4, Self.p1, Self.o1, quantity: "1", price: "1000000"))   // a violation
        _ = ledger.expectApply(L.deallocate(5, Self.p1, "5000"))                                // a refusal
        let before = ledger
        for event in before.history {
            let replayed = try ledger.apply(event.operation)
            if case .insufficientAvailable = event.result {
                #expect(replayed == event.result, "a refusal answers the same for its id")
            } else {
                #expect(replayed == .exists)
            }
            #expect(ledger.event(for: event.id) == event)
        }
        #expect(ledger == before)
        #expect(ledger.violationCount == 1)
    }

    @Test func aRefusalKeepsItsAnswerForItsID() throws {
        var ledger = CapitalLedger()
        _ = ledger.expectApply(L.allocate(1, Self.p1, "100"))
        let refused = LedgerResult.insufficientAvailable(available: L.decimal("100"), required: L.decimal("150"))
        #expect(try ledger.apply(L.deallocate(2, Self.p1, "150")) == refused)
        // More capital arrives; the same request under the same id still gets the first answer.
        _ = ledger.expectApply(L.allocate(3, Self.p1, "100"))
        let before = ledger
        #expect(try ledger.apply(L.deallocate(2, Self.p1, "150")) == refused)
        #expect(ledger == before)
        // A real retry needs a new id.
        #expect(try ledger.apply(L.deallocate(4, Self.p1, "150")) == .created)
        #expect(L.figures(ledger.balances(of: Self.p1)) == ["50", "0", "0", "0", "50"])
        // The refused reservation of an order leaves the order id free for a new attempt.
        #expect(try ledger.apply(L.reserve(5, Self.p1, Self.o1, "X", Self.t1, .long, quantity: "1", limitPrice: "60"))
            == .insufficientAvailable(available: L.decimal("50"), required: L.decimal("60")))
        #expect(ledger.reservation(of: Self.o1, in: Self.p1) == nil)
        #expect(try ledger.apply(L.reserve(6, Self.p1, Self.o1, "X", Self.t1, .long, quantity: "1", limitPrice: "50")) == .created)
    }

    @Test func aValidationFailureDoesNotTakeTheID() throws {
        var ledger = Self.fixture()
        let before = ledger
        #expect(ledger.expectError(L.fill(7, Self.p1, Self.o2, quantity: "1", price: "100")) == .orderNotFound)
        #expect(ledger == before)
        #expect(ledger.event(for: 7) == nil)
        // The order arrives; the same id now records the fill.
        _ = ledger.expectApply(L.reserve(8, Self.p1, Self.o2, "BTC-USD", Self.t2, .long, quantity: "1", limitPrice: "100"))
        #expect(try ledger.apply(L.fill(7, Self.p1, Self.o2, quantity: "1", price: "100")) == .created)
    }

    @Test func aViolationReplayedIsExistsAndCountedOnce() throws {
        var ledger = Self.fixture()
        let violating = L.fill(4, Self.p1, Self.o1, quantity: "1", price: "1000000")
        guard case .violation(let available)? = ledger.expectApply(violating) else {
            Issue.record("expected a violation")
            return
        }
        // 1,000 - 100 (first fill) - 1,000,000 = -999,100.
        #expect(available == L.decimal("-999100"))
        #expect(ledger.balances(of: Self.p1).available == available)
        #expect(try ledger.apply(violating) == .exists)
        #expect(ledger.violationCount == 1)
        #expect(ledger.event(for: 4)?.result == .violation(available: available))
    }

    @Test func allocationWhileInViolationIsAcceptedAndRaisesAvailable() throws {
        var ledger = Self.fixture()
        _ = ledger.expectApply(L.fill(4, Self.p1, Self.o1, quantity: "1", price: "1000000"))
        #expect(try ledger.apply(L.allocate(5, Self.p1, "100")) == .created)
        #expect(ledger.balances(of: Self.p1).available == L.decimal("-999000"))
        #expect(try ledger.apply(L.deallocate(6, Self.p1, "1")).code == .insufficientAvailable)
    }

    // MARK: Error codes

    /// For each error code, an operation that raises it against ``fixture()`` (after the
    /// preparation steps, if any).
    static let errorCases: [(LedgerError.Code, [LedgerOperation], LedgerOperation)] = [
        (.zeroOperationID, [], L.allocate(0, p1, "1")),
        (.nonPositiveAmount, [], L.allocate(10, p1, "0")),
        (.nonPositiveAmount, [], L.deallocate(10, p1, "-1")),
        (.nonPositiveQuantity, [], L.reserve(10, p1, o2, "BTC-USD", t2, .long, quantity: "0", limitPrice: "1")),
        (.nonPositiveQuantity, [], L.fill(10, p1, o1, quantity: "-0.1", price: "1")),
        (.nonPositiveQuantity, [], L.exit(10, p1, "BTC-USD", t1, quantity: "0", price: "1")),
        (.nonPositivePrice, [], L.reserve(10, p1, o2, "BTC-USD", t2, .long, quantity: "1", limitPrice: "0")),
        (.nonPositivePrice, [], L.fill(10, p1, o1, quantity: "1", price: "-1")),
        (.nonPositivePrice, [], L.exit(10, p1, "BTC-USD", t1, quantity: "1", price: "0")),
        (.negativeFee, [], L.exit(10, p1, "BTC-USD", t1, quantity: "1", price: "1", fee: "-0.01")),
        (.blankSymbol, [], L.reserve(10, p1, o2, " \t", t2, .long, quantity: "1", limitPrice: "1")),
        (.blankSymbol, [], L.exit(10, p1, "", t1, quantity: "1", price: "1")),
        (.orderExists, [], L.reserve(10, p1, o1, "BTC-USD", t1, .long, quantity: "1", limitPrice: "1")),
        (.orderNotFound, [], L.fill(10, p1, o2, quantity: "1", price: "1")),
        (.orderNotFound, [], L.cancel(10, p2, o1)),
        (.orderAlreadyFilled, [L.fill(10, p1, o1, quantity: "1", price: "100")], L.cancel(11, p1, o1)),
        (.orderAlreadyFilled, [L.fill(10, p1, o1, quantity: "1", price: "100")], L.fill(11, p1, o1, quantity: "0.1", price: "100")),
        (.orderAlreadyCancelled, [L.cancel(10, p1, o1)], L.fill(11, p1, o1, quantity: "1", price: "100")),
        (.orderAlreadyCancelled, [L.cancel(10, p1, o1)], L.cancel(11, p1, o1)),
        (.fillExceedsRemainingQuantity, [], L.fill(10, p1, o1, quantity: "1.000000000000000001", price: "100")),
        (.positionNotFound, [], L.exit(10, p1, "BTC-USD", t2, quantity: "1", price: "1")),
        (.positionNotFound, [], L.exit(10, p1, "ETH-USD", t1, quantity: "1", price: "1")),
        (.exitExceedsPositionQuantity, [], L.exit(10, p1, "BTC-USD", t1, quantity: "1.5", price: "1")),
        (.sideMismatch, [], L.reserve(10, p1, o2, "BTC-USD", t1, .short, quantity: "1", limitPrice: "1")),
        (.overflow, [], L.allocate(10, p1, "170141183460469231731")),
        (.overflow, [], L.reserve(10, p1, o2, "BTC-USD", t2, .long, quantity: "100000000000", limitPrice: "100000000000")),
        (.overflow, [], L.fill(10, p1, o1, quantity: "1", price: "170141183460469231731")),
    ]

    @Test(arguments: errorCases)
    func errorCode(expected: LedgerError.Code, preparation: [LedgerOperation], operation: LedgerOperation) {
        var ledger = Self.fixture()
        for step in preparation { _ = ledger.expectApply(step) }
        let before = ledger
        #expect(ledger.expectError(operation) == expected)
        #expect(ledger == before, "a refused operation changes nothing")
        #expect(operation.id.value == 0 || ledger.event(for: operation.id) == nil, "and does not take its id")
    }

    @Test func everyOperationErrorCodeIsCovered() {
        let covered = Set(Self.errorCases.map(\.0)).union([.historyOutOfSequence, .historyMismatch])
        #expect(covered == Set(LedgerError.Code.allCases))
    }

    @Test func errorDescriptionNamesTheOperationFieldAndValue() {
        var ledger = Self.fixture()
        do {
            _ = try ledger.apply(L.fill(42, Self.p1, Self.o1, quantity: "5", price: "100"))
            Issue.record("expected an error")
        } catch {
            #expect(error.code == .fillExceedsRemainingQuantity)
            #expect(error.operationID == 42)
            #expect(error.field == "quantity")
            #expect(error.description == "ledger operation 42: field quantity: order o1 of profile p1 has 1 of 2 unfilled (value '5')")
        }
    }

    // MARK: Positions and sides

    @Test func aFlatTradeWithNoPendingOrderMayChangeSide() throws {
        var ledger = Self.fixture()
        _ = ledger.expectApply(L.fill(10, Self.p1, Self.o1, quantity: "1", price: "100"))
        _ = ledger.expectApply(L.exit(11, Self.p1, "BTC-USD", Self.t1, quantity: "2", price: "100"))
        #expect(try ledger.apply(L.reserve(12, Self.p1, Self.o2, "BTC-USD", Self.t1, .short, quantity: "1", limitPrice: "100")) == .created)
        #expect(ledger.position(symbol: "BTC-USD", tradeID: Self.t1, in: Self.p1)?.side == .short)
    }

    @Test func aTradeWhoseOnlyOrderWasCancelledMayChangeSide() throws {
        var ledger = CapitalLedger()
        _ = ledger.expectApply(L.allocate(1, Self.p1, "1000"))
        _ = ledger.expectApply(L.reserve(2, Self.p1, Self.o1, "BTC-USD", Self.t1, .long, quantity: "1", limitPrice: "100"))
        // While the long order is pending, a short entry on the trade is refused.
        #expect(ledger.expectError(L.reserve(3, Self.p1, Self.o2, "BTC-USD", Self.t1, .short, quantity: "1", limitPrice: "100")) == .sideMismatch)
        _ = ledger.expectApply(L.cancel(4, Self.p1, Self.o1))
        #expect(try ledger.apply(L.reserve(3, Self.p1, Self.o2, "BTC-USD", Self.t1, .short, quantity: "1", limitPrice: "100")) == .created)
    }

    /// The smallest breach is a violation too: a fill one unit (10⁻¹⁸) above the reservation.
    @Test func theSmallestNegativeAvailableIsAViolation() throws {
        var ledger = CapitalLedger()
        _ = ledger.expectApply(L.allocate(1, Self.p1, "100"))
        _ = ledger.expectApply(L.reserve(2, Self.p1, Self.o1, "BTC-USD", Self.t1, .long, quantity: "1", limitPrice: "100"))
        #expect(try ledger.apply(L.fill(3, Self.p1, Self.o1, quantity: "1", price: "100.000000000000000001"))
            == .violation(available: L.decimal("-0.000000000000000001")))
        #expect(ledger.violationCount == 1)
    }

    @Test func profilesAreIsolated() throws {
        var ledger = Self.fixture()
        // The same order id and trade in another profile are different records.
        _ = ledger.expectApply(L.allocate(10, Self.p2, "500"))
        #expect(try ledger.apply(L.reserve(11, Self.p2, Self.o1, "BTC-USD", Self.t1, .short, quantity: "1", limitPrice: "100")) == .created)
        #expect(L.figures(ledger.balances(of: Self.p1)) == ["1000", "100", "100", "0", "800"])
        #expect(L.figures(ledger.balances(of: Self.p2)) == ["500", "100", "0", "0", "400"])
        #expect(ledger.reservation(of: Self.o1, in: Self.p2)?.side == .short)
        #expect(ledger.reservation(of: Self.o1, in: Self.p1)?.side == .long)
        #expect(ledger.profileIDs == [Self.p1, Self.p2])
        #expect(ledger.reservations(in: Self.p2).map(\.orderID) == [Self.o1])
        #expect(ledger.positions(in: Self.p1).map(\.tradeID) == [Self.t1])
        #expect(ledger.balances(of: L.profile("unknown")) == .zero)
    }

    // MARK: Rebuild

    @Test func rebuildRefusesAGapADuplicateAndAnAlteredEvent() throws {
        var ledger = Self.fixture()
        _ = ledger.expectApply(L.exit(10, Self.p1, "BTC-USD", Self.t1, quantity: "1", price: "120"))
        let history = Array(ledger.history)
        #expect(try CapitalLedger.rebuild(from: history.reversed()) == ledger)

        var gap = history
        gap.remove(at: 1)
        #expect(throws: LedgerError.self) { try CapitalLedger.rebuild(from: gap) }
        #expect(rebuildErrorCode(gap) == .historyOutOfSequence)

        var duplicate = history
        duplicate.append(history[2])
        #expect(rebuildErrorCode(duplicate) == .historyOutOfSequence)

        // The same operation recorded twice under consecutive sequence numbers.
        var repeated = history
        repeated.append(LedgerEvent(sequence: 5, operation: history[3].operation, result: history[3].result))
        #expect(rebuildErrorCode(repeated) == .historyMismatch)

        // An altered result: the exit was a created, not a violation.
        var altered = history
        altered[3] = LedgerEvent(sequence: 4, operation: history[3].operation, result: .violation(available: L.decimal("-1")))
        #expect(rebuildErrorCode(altered) == .historyMismatch)

        // An event that cannot be applied at all.
        var invalid = history
        invalid[2] = LedgerEvent(sequence: 3, operation: L.fill(3, Self.p1, Self.o2, quantity: "1", price: "1"), result: .created)
        #expect(rebuildErrorCode(invalid) == .historyMismatch)
    }

    private func rebuildErrorCode(_ history: [LedgerEvent]) -> LedgerError.Code? {
        do {
            _ = try CapitalLedger.rebuild(from: history)
            return nil
        } catch {
            return error.code
        }
    }

    // MARK: Text forms

    @Test func operationIDTextForm() {
        #expect(LedgerOperationID("340282366920938463463374607431768211455")?.value == UInt128.max)
        #expect(LedgerOperationID("340282366920938463463374607431768211456") == nil)
        #expect(LedgerOperationID("+1") == nil)
        #expect(LedgerOperationID("") == nil)
        #expect(LedgerOperationID(" 1") == nil)
        #expect((42 as LedgerOperationID).description == "42")
    }

    @Test(arguments: LedgerResult.Code.allCases)
    func resultCodeRawValuesAreSnakeCase(code: LedgerResult.Code) {
        #expect(code.rawValue.allSatisfy { $0 == "_" || ("a"..."z").contains($0) })
    }
}
