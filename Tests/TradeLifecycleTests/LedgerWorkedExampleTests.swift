import Testing
import TradeLifecycle

/// The worked examples of `Documentation/CapitalLedger.md`, step by step. Every expected figure
/// was computed by hand (the working is in the document); the columns are allocated, reserved
/// for orders, reserved for positions, realized PnL, available.
@Suite struct LedgerWorkedExampleTests {
    let p1 = L.profile("p1")
    let o1 = L.order("o1")
    let trade = L.trade("TRD-long1")

    @Test func longTrade() throws {
        var ledger = CapitalLedger()

        // 1. Allocate 10,000.
        #expect(ledger.expectApply(L.allocate(1, p1, "10000")) == .created)
        #expect(L.figures(ledger.balances(of: p1)) == ["10000", "0", "0", "0", "10000"])

        // 2. Reserve 3 BTC at a limit of 2,000: 3 * 2,000 = 6,000.
        #expect(ledger.expectApply(L.reserve(2, p1, o1, "BTC-USD", trade, .long, quantity: "3", limitPrice: "2000")) == .created)
        #expect(L.figures(ledger.balances(of: p1)) == ["10000", "6000", "0", "0", "4000"])

        // 3. Fill 1 at 1,990: release 6,000 * 1/3 = 2,000; cost 1,990.
        #expect(ledger.expectApply(L.fill(3, p1, o1, quantity: "1", price: "1990")) == .created)
        #expect(L.figures(ledger.balances(of: p1)) == ["10000", "4000", "1990", "0", "4010"])

        // 4. Fill 1.5 at 1,995: released in all 6,000 * 2.5/3 = 5,000, so 3,000 now; cost 2,992.5.
        #expect(ledger.expectApply(L.fill(4, p1, o1, quantity: "1.5", price: "1995")) == .created)
        #expect(L.figures(ledger.balances(of: p1)) == ["10000", "1000", "4982.5", "0", "4017.5"])
        let open = try #require(ledger.position(symbol: "BTC-USD", tradeID: trade, in: p1))
        #expect(open.quantity == L.decimal("2.5"))
        #expect(open.costBasis == L.decimal("4982.5"))
        #expect(try open.averageEntryPrice() == L.decimal("1993"))

        // 5. Cancel the unfilled 0.5: release the 1,000 left.
        #expect(ledger.expectApply(L.cancel(5, p1, o1)) == .created)
        #expect(L.figures(ledger.balances(of: p1)) == ["10000", "0", "4982.5", "0", "5017.5"])
        let voided = try #require(ledger.reservation(of: o1, in: p1))
        #expect(voided.status == .voided)
        #expect(voided.filledQuantity == L.decimal("2.5"))
        #expect(voided.unfilledQuantity == L.decimal("0.5"))
        #expect(voided.remainingAmount == .zero)

        // 6. Exit 1 at 2,100, fee 2.1: release 4,982.5 * 1/2.5 = 1,993;
        //    PnL (2,100 - 1,993) * 1 - 2.1 = 104.9.
        #expect(ledger.expectApply(L.exit(6, p1, "BTC-USD", trade, quantity: "1", price: "2100", fee: "2.1")) == .created)
        #expect(L.figures(ledger.balances(of: p1)) == ["10000", "0", "2989.5", "104.9", "7115.4"])

        // 7. Exit the last 1.5 at 1,950, fee 1.4625: release the 2,989.5 left;
        //    PnL (1,950 - 1,993) * 1.5 - 1.4625 = -65.9625.
        #expect(ledger.expectApply(L.exit(7, p1, "BTC-USD", trade, quantity: "1.5", price: "1950", fee: "1.4625")) == .created)
        #expect(L.figures(ledger.balances(of: p1)) == ["10000", "0", "0", "38.9375", "10038.9375"])
        let flat = try #require(ledger.position(symbol: "BTC-USD", tradeID: trade, in: p1))
        #expect(flat.isFlat && flat.costBasis == .zero)

        // 8. Deallocate 10,100: more than available; refused, nothing changes.
        let refused = LedgerResult.insufficientAvailable(available: L.decimal("10038.9375"), required: L.decimal("10100"))
        #expect(ledger.expectApply(L.deallocate(8, p1, "10100")) == refused)
        #expect(L.figures(ledger.balances(of: p1)) == ["10000", "0", "0", "38.9375", "10038.9375"])

        // 9. Deallocate the profit, 38.9375, under a new id.
        #expect(ledger.expectApply(L.deallocate(9, p1, "38.9375")) == .created)
        #expect(L.figures(ledger.balances(of: p1)) == ["9961.0625", "0", "0", "38.9375", "10000"])

        #expect(ledger.history.count == 9)
        #expect(ledger.violationCount == 0)
        #expect(try CapitalLedger.rebuild(from: ledger.history) == ledger)
    }

    @Test func shortTradeWithAViolation() throws {
        let p2 = L.profile("p2")
        let o2 = L.order("o2")
        let shortTrade = L.trade("TRD-short1")
        var ledger = CapitalLedger()

        // 1. Allocate 3,100.
        #expect(ledger.expectApply(L.allocate(1, p2, "3100")) == .created)
        // 2. Reserve a short of 2 ETH at a limit of 1,500: 3,000.
        #expect(ledger.expectApply(L.reserve(2, p2, o2, "ETH-USD", shortTrade, .short, quantity: "2", limitPrice: "1500")) == .created)
        #expect(L.figures(ledger.balances(of: p2)) == ["3100", "3000", "0", "0", "100"])

        // 3. Fill all 2 at 1,510 (the last fill releases all 3,000); cost 3,020.
        #expect(ledger.expectApply(L.fill(3, p2, o2, quantity: "2", price: "1510")) == .created)
        #expect(L.figures(ledger.balances(of: p2)) == ["3100", "0", "3020", "0", "80"])
        #expect(ledger.reservation(of: o2, in: p2)?.status == .posted)

        // 4. Buy back 0.5 at 1,400, fee 0.7: release 3,020 * 0.5/2 = 755;
        //    PnL (1,510 - 1,400) * 0.5 - 0.7 = 54.3.
        #expect(ledger.expectApply(L.exit(4, p2, "ETH-USD", shortTrade, quantity: "0.5", price: "1400", fee: "0.7")) == .created)
        #expect(L.figures(ledger.balances(of: p2)) == ["3100", "0", "2265", "54.3", "889.3"])

        // 5. Buy back the last 1.5 at 4,000: release 2,265; PnL (1,510 - 4,000) * 1.5 = -3,735.
        //    available = 3,100 - 0 - 0 + (54.3 - 3,735) = -580.7: applied, and reported.
        let violation = ledger.expectApply(L.exit(5, p2, "ETH-USD", shortTrade, quantity: "1.5", price: "4000"))
        #expect(violation == .violation(available: L.decimal("-580.7")))
        #expect(L.figures(ledger.balances(of: p2)) == ["3100", "0", "0", "-3680.7", "-580.7"])
        #expect(ledger.violationCount == 1)
        #expect(ledger.violationCount(of: p2) == 1)

        // 6. A new entry is refused while available is negative.
        let o3 = L.order("o3")
        let refused = ledger.expectApply(L.reserve(6, p2, o3, "ETH-USD", L.trade("TRD-short2"), .short, quantity: "0.1", limitPrice: "1500"))
        #expect(refused == .insufficientAvailable(available: L.decimal("-580.7"), required: L.decimal("150")))

        // 7. Allocating 1,000 cures it: -580.7 + 1,000 = 419.3.
        #expect(ledger.expectApply(L.allocate(7, p2, "1000")) == .created)
        #expect(L.figures(ledger.balances(of: p2)) == ["4100", "0", "0", "-3680.7", "419.3"])

        #expect(try CapitalLedger.rebuild(from: ledger.history) == ledger)
    }

    /// Shares at the last digit: a reservation of 10 units (10⁻¹⁸) over three fills of a third
    /// each releases 3, 4 and 3 units (round(10/3) = 3, round(20/3) = 7, then what is left);
    /// a cost basis of 10 units over a quantity of 1 exited as 0.3, 0.35 and 0.35 releases 3,
    /// then 4 (round(7 * 0.35 / 0.7) = round(3.5), a tie, to the even 4), then the 3 left.
    @Test func roundingAtTheLastDigit() throws {
        var ledger = CapitalLedger()
        let o = L.order("o-round")
        let t = L.trade("TRD-round")
        #expect(ledger.expectApply(L.allocate(1, p1, "1")) == .created)
        // 0.3 * 0.000000000000000033 = 0.0000000000000000099, half-even to 10 units.
        #expect(ledger.expectApply(L.reserve(2, p1, o, "X", t, .long, quantity: "0.3", limitPrice: "0.000000000000000033")) == .created)
        #expect(ledger.reservation(of: o, in: p1)?.reservedAmount == L.decimal("0.00000000000000001"))

        var remaining: [String] = []
        // Each fill of 0.1 at a price of 10⁻¹⁷ costs 10⁻¹⁸.
        for (step, id) in [UInt64(3), 4, 5].enumerated() {
            #expect(ledger.expectApply(L.fill(id, p1, o, quantity: "0.1", price: "0.00000000000000001")) == .created, "fill \(step)")
            remaining.append(ledger.reservation(of: o, in: p1)?.remainingAmount.description ?? "?")
        }
        #expect(remaining == ["0.000000000000000007", "0.000000000000000003", "0"])

        // The position: 0.3 at a cost basis of 3 units; make it 10 units with a fourth fill.
        let position = try #require(ledger.position(symbol: "X", tradeID: t, in: p1))
        #expect(position.costBasis == L.decimal("0.000000000000000003"))
        let o2 = L.order("o-round-2")
        #expect(ledger.expectApply(L.reserve(6, p1, o2, "X", t, .long, quantity: "0.7", limitPrice: "0.00000000000000001")) == .created)
        #expect(ledger.expectApply(L.fill(7, p1, o2, quantity: "0.7", price: "0.00000000000000001")) == .created)
        let full = try #require(ledger.position(symbol: "X", tradeID: t, in: p1))
        #expect(full.quantity == L.decimal("1"))
        #expect(full.costBasis == L.decimal("0.00000000000000001"))

        // Releases: 10 * 0.3 / 1 = 3; round(7 * 0.35 / 0.7) = round(3.5) = 4; the last 3.
        var bases: [String] = []
        for (id, quantity) in [(UInt64(8), "0.3"), (9, "0.35"), (10, "0.35")] {
            #expect(ledger.expectApply(L.exit(id, p1, "X", t, quantity: quantity, price: "0.00000000000000001")) != nil)
            bases.append(ledger.position(symbol: "X", tradeID: t, in: p1)?.costBasis.description ?? "?")
        }
        #expect(bases == ["0.000000000000000007", "0.000000000000000003", "0"])
    }

    /// A tie that rounds down to even: 5 units * 0.5 / 1 = 2.5 units -> 2.
    @Test func halfEvenTieRoundsToEven() throws {
        var ledger = CapitalLedger()
        let o = L.order("o-tie")
        let t = L.trade("TRD-tie")
        #expect(ledger.expectApply(L.allocate(1, p1, "1")) == .created)
        #expect(ledger.expectApply(L.reserve(2, p1, o, "X", t, .long, quantity: "1", limitPrice: "0.000000000000000005")) == .created)
        #expect(ledger.expectApply(L.fill(3, p1, o, quantity: "0.5", price: "0.000000000000000005")) == .created)
        // Released round(5 * 0.5 / 1) = round(2.5) = 2 units, so 3 units are still reserved.
        #expect(ledger.reservation(of: o, in: p1)?.remainingAmount == L.decimal("0.000000000000000003"))
    }
}
