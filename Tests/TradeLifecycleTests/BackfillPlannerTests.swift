import Testing
import TradeLifecycle

private typealias F = BackfillFixtures
private typealias Row = BackfillRowSummary

@Suite("Backfill planner: gates")
struct BackfillPlannerGateTests {
    @Test("disabled: nothing is planned")
    func disabled() throws {
        let plan = try F.plan(orders: [try F.order("e1")], configuration: try F.configuration(enabled: false))
        #expect(plan.rows.isEmpty)
        #expect(plan.openLifecycleCount == 0)
    }

    @Test("profile_not_paused: pause required and the profile not paused or unknown",
          arguments: [(Bool?.some(false), true, true), (nil, true, true), (true, true, false), (false, false, false), (nil, false, false)])
    func profileNotPaused(paused: Bool?, requirePause: Bool, gated: Bool) throws {
        let profile: TradingProfile? = try paused.map { try F.pausedProfile($0) }
        let plan = try F.plan(orders: [try F.order("e1")], fills: [try F.fill("x9")], profile: .some(profile),
                              configuration: try F.configuration(requirePause: requirePause))
        if gated {
            #expect(plan.summaries == [Row(trade: "TRD-a1", .profileNotPaused)])
        } else {
            #expect(plan.summaries.map(\.reason) == [.fillEvidence])
        }
    }

    @Test("a paused state of another profile does not count")
    func pausedOtherProfile() throws {
        let plan = try F.plan(orders: [try F.order("e1")], profile: .some(try F.pausedProfile(true, profile: "p2")))
        #expect(plan.summaries == [Row(trade: "TRD-a1", .profileNotPaused)])
    }

    @Test("exchange_not_flat: |position| > dust_abs_qty; equal is flat; no position is flat",
          arguments: [("0.0011", true), ("-0.0011", true), ("0.001", false), ("-0.001", false), ("0", false), ("5", true)])
    func exchangeNotFlat(quantity: String, gated: Bool) throws {
        let plan = try F.plan(orders: [try F.order("e1")], fills: [try F.fill("x9")], positions: [try F.position(quantity)])
        #expect(plan.summaries.first?.reason == (gated ? .exchangeNotFlat : .fillEvidence))
        #expect(plan.rows.count == 1)
    }

    @Test("positions of other symbols or profiles do not gate")
    func otherPositions() throws {
        let plan = try F.plan(orders: [try F.order("e1")], fills: [try F.fill("x9")],
                              positions: [try F.position("3", symbol: "ETH-USD"), try F.position("3", profile: "p2")])
        #expect(plan.summaries.map(\.reason) == [.fillEvidence])
    }

    @Test("pending_lifecycle_blocker: an order of the trade is pending or open",
          arguments: [(OrderStatus.pending, true), (.open, true), (.partiallyFilled, false), (.cancelled, false),
                      (.rejected, false), (.expired, false)])
    func pendingBlocker(status: OrderStatus, gated: Bool) throws {
        let orders = [
            try F.order("e1", quantity: "2"),
            try F.order("x-live", action: .exit, status: status, quantity: "1", filledAt: nil),
        ]
        let plan = try F.plan(orders: orders, fills: [try F.fill("x9", quantity: "1")])
        let open = status == .partiallyFilled ? "1" : "2"
        if gated {
            #expect(plan.summaries == [Row(trade: "TRD-a1", .pendingLifecycleBlocker)])
            #expect(plan.rows[0].openQuantity == (try F.decimal(open)))
        } else {
            #expect(plan.rows.first?.reason != .pendingLifecycleBlocker)
        }
    }

    @Test("a blocker of another trade does not gate")
    func blockerOfOtherTrade() throws {
        let orders = [try F.order("e1"), try F.order("e2", trade: "TRD-b2", status: .pending, filledAt: nil)]
        let plan = try F.plan(orders: orders, fills: [try F.fill("x9")])
        #expect(plan.summaries.map(\.reason) == [.fillEvidence])
    }

    @Test("the first failing gate wins and gives one NO_GO row with no filled_qty")
    func precedence() throws {
        let orders = [try F.order("e1", quantity: "1.5"), try F.order("x-live", action: .exit, status: .open, filledAt: nil)]
        let fills = [try F.fill("x9", quantity: "1.5")]
        let notFlat = [try F.position("2")]
        let allFail = try F.plan(orders: orders, fills: fills, positions: notFlat, profile: .some(try F.pausedProfile(false)))
        #expect(allFail.summaries == [Row(trade: "TRD-a1", .profileNotPaused)])
        let twoFail = try F.plan(orders: orders, fills: fills, positions: notFlat)
        #expect(twoFail.summaries == [Row(trade: "TRD-a1", .exchangeNotFlat)])
        let oneFails = try F.plan(orders: orders, fills: fills)
        #expect(oneFails.summaries == [Row(trade: "TRD-a1", .pendingLifecycleBlocker)])
        let row = oneFails.rows[0]
        #expect(row.filledQuantity == nil && row.price == nil && row.backfillOrderID == nil && row.exchangeOrderID == nil)
        #expect(row.openQuantity == (try F.decimal("1.5")))
        #expect(row.initialDecision(isDryRun: true) == .noGo && row.initialDecision(isDryRun: false) == .noGo)
        #expect(try row.exitOrder(createdAt: try F.now()) == nil)
    }
}

@Suite("Backfill planner: evidence")
struct BackfillPlannerEvidenceTests {
    @Test("a long is closed by sells, a short by buys")
    func closingSide() throws {
        let long = [try F.order("e1", side: .long)]
        #expect(try F.plan(orders: long, fills: [try F.fill("x9", side: .sell)]).summaries.map(\.reason) == [.fillEvidence])
        #expect(try F.plan(orders: long, fills: [try F.fill("x9", side: .buy)]).summaries.map(\.reason)
            == [.missingFillEvidenceForLargeRemainder])
        let short = [try F.order("e1", side: .short)]
        #expect(try F.plan(orders: short, fills: [try F.fill("x9", side: .buy)]).summaries.map(\.reason) == [.fillEvidence])
        #expect(try F.plan(orders: short, fills: [try F.fill("x9", side: .sell)]).summaries.map(\.reason)
            == [.missingFillEvidenceForLargeRemainder])
        let noSide = [try F.order("e1", side: nil)]
        #expect(try F.plan(orders: noSide, fills: [try F.fill("x9", side: .sell)]).rows.first?.side == .long)
    }

    @Test("the lookback window [now - 72h, now] includes both ends, to the microsecond", arguments: [
        ("2026-02-12T12:00:00.000000Z", true),
        ("2026-02-12T11:59:59.999999Z", false),
        ("2026-02-15T12:00:00.000000Z", true),
        ("2026-02-15T12:00:00.000001Z", false),
        ("2026-02-14T00:00:00.000000Z", true),
    ])
    func lookbackEdges(at: String, inside: Bool) throws {
        let orders = [try F.order("e1", filledAt: "2026-02-01T00:00:00.000Z")]
        let plan = try F.plan(orders: orders, fills: [try F.fill("x9", at: at)])
        #expect(plan.summaries.map(\.reason) == [inside ? .fillEvidence : .missingFillEvidenceForLargeRemainder])
    }

    @Test("the lookback follows the configuration")
    func lookbackHours() throws {
        let orders = [try F.order("e1", filledAt: "2026-02-01T00:00:00.000Z")]
        let fills = [try F.fill("x9", at: "2026-02-15T10:59:59.999999Z")]
        #expect(try F.plan(orders: orders, fills: fills, configuration: try F.configuration(lookbackHours: 1)).summaries.map(\.reason)
            == [.missingFillEvidenceForLargeRemainder])
        #expect(try F.plan(orders: orders, fills: fills, configuration: try F.configuration(lookbackHours: 2)).summaries.map(\.reason)
            == [.fillEvidence])
    }

    @Test("fills already on a filled or partially filled EXIT order are not evidence; other statuses do not exclude",
          arguments: [(OrderStatus.filled, true), (.partiallyFilled, true), (.cancelled, false), (.expired, false), (.rejected, false)])
    func recordedExits(status: OrderStatus, excluded: Bool) throws {
        let orders = [
            try F.order("e1", quantity: "2"),
            // An EXIT of another trade carries the exchange order id: it still excludes the fill.
            try F.order("e2", trade: "TRD-z9", quantity: "1", filledAt: "2026-02-15T10:30:00.000Z"),
            try F.order("x-rec", trade: "TRD-z9", action: .exit, status: status, quantity: "1", exchangeOrderID: "x9"),
        ]
        let plan = try F.plan(orders: orders, fills: [try F.fill("x9", quantity: "2")])
        let rowsOfA = plan.rows.filter { $0.tradeID.rawValue == "TRD-a1" }
        #expect(rowsOfA.map(\.reason) == [excluded ? .missingFillEvidenceForLargeRemainder : .fillEvidence])
    }

    @Test("fills of other profiles and symbols are ignored")
    func otherProfilesAndSymbols() throws {
        let fills = [try F.fill("x1", profile: "p2"), try F.fill("x2", symbol: "ETH-USD")]
        #expect(try F.plan(orders: [try F.order("e1")], fills: fills).summaries.map(\.reason) == [.missingFillEvidenceForLargeRemainder])
    }

    @Test("FIFO: the earliest lifecycle first; a fill is split across lifecycles; leftover is not used")
    func fifoSplit() throws {
        let orders = [
            try F.order("e-b", trade: "TRD-b2", quantity: "2", filledAt: "2026-02-15T09:30:00.000Z"),
            try F.order("e-a", trade: "TRD-a1", quantity: "1", filledAt: "2026-02-15T09:00:00.000Z"),
            try F.order("e-c", trade: "TRD-c3", quantity: "1", filledAt: "2026-02-15T09:45:00.000Z"),
        ]
        let fills = [
            try F.fill("x2", quantity: "2.5", price: "102", at: "2026-02-15T11:00:00.000Z"),
            try F.fill("x3", quantity: "1.5", price: "103", at: "2026-02-15T11:30:00.000Z"),
        ]
        let plan = try F.plan(orders: orders, fills: fills)
        #expect(plan.summaries == [
            Row(trade: "TRD-a1", .fillEvidence, filled: "1", price: "102", exchangeOrderID: "x2", filledAt: "2026-02-15T11:00:00.000Z"),
            Row(trade: "TRD-b2", .fillEvidence, filled: "1.5", price: "102", exchangeOrderID: "x2", filledAt: "2026-02-15T11:00:00.000Z"),
            Row(trade: "TRD-b2", .fillEvidence, filled: "0.5", price: "103", exchangeOrderID: "x3", filledAt: "2026-02-15T11:30:00.000Z"),
            Row(trade: "TRD-c3", .fillEvidence, filled: "1", price: "103", exchangeOrderID: "x3", filledAt: "2026-02-15T11:30:00.000Z"),
        ])
    }

    @Test("FIFO: a lifecycle whose first ENTRY is later than the fill cannot take it")
    func entryAfterFill() throws {
        let orders = [
            try F.order("e-a", trade: "TRD-a1", quantity: "1", filledAt: "2026-02-15T09:00:00.000Z"),
            try F.order("e-b", trade: "TRD-b2", quantity: "1", filledAt: "2026-02-15T11:00:00.001Z"),
        ]
        let fills = [try F.fill("x1", quantity: "2", at: "2026-02-15T11:00:00.000Z")]
        #expect(try F.plan(orders: orders, fills: fills).summaries.map(\.reason)
            == [.fillEvidence, .missingFillEvidenceForLargeRemainder])
        // An ENTRY at exactly the fill's time is not later: it takes its share.
        let sameTime = [orders[0], try F.order("e-b", trade: "TRD-b2", quantity: "1", filledAt: "2026-02-15T11:00:00.000Z")]
        #expect(try F.plan(orders: sameTime, fills: fills).summaries.map(\.reason) == [.fillEvidence, .fillEvidence])
    }

    @Test("FIFO: ties of first ENTRY time go by trade id; fills go by filled_at then exchange order id")
    func fifoTies() throws {
        let orders = [
            try F.order("e-b", trade: "TRD-b2", quantity: "1", filledAt: "2026-02-15T09:00:00.000Z"),
            try F.order("e-a", trade: "TRD-a1", quantity: "1", filledAt: "2026-02-15T09:00:00.000Z"),
        ]
        let fills = [
            try F.fill("x8", quantity: "1", price: "108", at: "2026-02-15T11:00:00.000Z"),
            try F.fill("x7", quantity: "1", price: "107", at: "2026-02-15T11:00:00.000Z"),
        ]
        #expect(try F.plan(orders: orders, fills: fills).summaries.map { "\($0.trade) \($0.exchangeOrderID ?? "-")" }
            == ["TRD-a1 x7", "TRD-b2 x8"])
    }

    @Test("gated lifecycles take their FIFO share but give no candidate rows")
    func gatedTakesShare() throws {
        let orders = [
            try F.order("e-a", trade: "TRD-a1", quantity: "1", filledAt: "2026-02-15T09:00:00.000Z"),
            try F.order("x-open", trade: "TRD-a1", action: .exit, status: .open, quantity: "1", filledAt: nil),
            try F.order("e-b", trade: "TRD-b2", quantity: "1", filledAt: "2026-02-15T09:30:00.000Z"),
        ]
        let plan = try F.plan(orders: orders, fills: [try F.fill("x1", quantity: "1")])
        #expect(plan.summaries == [
            Row(trade: "TRD-a1", .pendingLifecycleBlocker),
            Row(trade: "TRD-b2", .missingFillEvidenceForLargeRemainder, filled: "1"),
        ])
    }

    @Test("lifecycles of different sides in one symbol take only their closing side")
    func mixedSides() throws {
        let orders = [
            try F.order("e-a", trade: "TRD-a1", side: .long, quantity: "1", filledAt: "2026-02-15T09:00:00.000Z"),
            try F.order("e-b", trade: "TRD-b2", side: .short, quantity: "1", filledAt: "2026-02-15T09:00:00.000Z"),
        ]
        let fills = [try F.fill("xs", side: .sell, price: "110"), try F.fill("xb", side: .buy, price: "90")]
        #expect(try F.plan(orders: orders, fills: fills).summaries.map { "\($0.trade) \($0.exchangeOrderID ?? "-")" }
            == ["TRD-a1 xs", "TRD-b2 xb"])
    }
}

@Suite("Backfill planner: tagged fills")
struct BackfillPlannerTagTests {
    /// A (earlier, FIFO would take first) and B, one each.
    private func twoLifecycles(extra: [Order] = []) throws -> [Order] {
        [
            try F.order("e-a", trade: "TRD-a1", quantity: "1", filledAt: "2026-02-15T09:00:00.000Z"),
            try F.order("e-b", trade: "TRD-b2", quantity: "1", filledAt: "2026-02-15T09:30:00.000Z"),
        ] + extra
    }

    @Test("a fill whose client order id equals an EXIT order's goes to that trade first")
    func equalClientOrderID() throws {
        // The EXIT was cancelled here but filled on the exchange: the ghost the backfill repairs.
        let orders = try twoLifecycles(extra: [
            try F.order("x-b", trade: "TRD-b2", action: .exit, status: .cancelled, quantity: "1", clientOrderID: "EXT-77", filledAt: nil),
        ])
        let fills = [try F.fill("x1", quantity: "1", clientOrderID: "EXT-77")]
        #expect(try F.plan(orders: orders, fills: fills).summaries == [
            Row(trade: "TRD-a1", .missingFillEvidenceForLargeRemainder, filled: "1"),
            Row(trade: "TRD-b2", .fillEvidence, filled: "1", price: "101", exchangeOrderID: "x1", clientOrderID: "EXT-77",
                filledAt: "2026-02-15T11:00:00.000Z"),
        ])
    }

    @Test("a fill whose client order id contains a trade id goes to that trade first")
    func containsTradeID() throws {
        let fills = [try F.fill("x1", quantity: "1", clientOrderID: "close:TRD-b2:1")]
        #expect(try F.plan(orders: try twoLifecycles(), fills: fills).summaries.map(\.reason)
            == [.missingFillEvidenceForLargeRemainder, .fillEvidence])
    }

    @Test("tagged fills are taken before FIFO, in fill order")
    func taggedBeforeFIFO() throws {
        let fills = [
            try F.fill("x1", quantity: "1", price: "111", at: "2026-02-15T10:30:00.000Z"),
            try F.fill("x2", quantity: "0.6", price: "112", clientOrderID: "TRD-a1-x", at: "2026-02-15T10:40:00.000Z"),
            try F.fill("x3", quantity: "0.6", price: "113", clientOrderID: "TRD-a1-y", at: "2026-02-15T10:50:00.000Z"),
        ]
        // A takes its tagged fills (0.6 then 0.4 of x3); the untagged x1, earlier in time, goes to B.
        #expect(try F.plan(orders: try twoLifecycles(), fills: fills).summaries.map { "\($0.trade) \($0.exchangeOrderID ?? "-") \($0.filled ?? "-")" }
            == ["TRD-a1 x2 0.6", "TRD-a1 x3 0.4", "TRD-b2 x1 1"])
    }

    @Test("decision: what a tagged fill's trade cannot take is not used, not even by FIFO")
    func taggedLeftoverIsUnused() throws {
        // B is tagged with 3 but is open 1; A, open 1 and earlier, gets none of the excess 2.
        let fills = [try F.fill("x1", quantity: "3", clientOrderID: "TRD-b2")]
        #expect(try F.plan(orders: try twoLifecycles(), fills: fills).summaries.map { "\($0.trade) \($0.reason.rawValue) \($0.filled ?? "-")" }
            == ["TRD-a1 missing_fill_evidence_for_large_remainder 1", "TRD-b2 fill_evidence 1"])
    }

    @Test("a fill tagged to a closed trade, or on the tagged trade's opening side, is not used")
    func taggedElsewhere() throws {
        let closed = try twoLifecycles(extra: [
            try F.order("e-c", trade: "TRD-c3", quantity: "1"),
            try F.order("x-c", trade: "TRD-c3", action: .exit, quantity: "1", exchangeOrderID: "x-old", clientOrderID: "EXT-c"),
        ])
        let toClosed = [try F.fill("x1", quantity: "2", clientOrderID: "EXT-c")]
        #expect(try F.plan(orders: closed, fills: toClosed).summaries.map(\.reason)
            == [.missingFillEvidenceForLargeRemainder, .missingFillEvidenceForLargeRemainder])
        // TRD-s5 is short: a sell naming it opens it, so it is no evidence for the longs.
        let short = try twoLifecycles(extra: [try F.order("e-s", trade: "TRD-s5", side: .short, quantity: "1")])
        let openingFill = [try F.fill("x1", side: .sell, quantity: "2", clientOrderID: "ENTRY-TRD-s5")]
        #expect(try F.plan(orders: short, fills: openingFill).summaries.map(\.reason)
            == [.missingFillEvidenceForLargeRemainder, .missingFillEvidenceForLargeRemainder, .missingFillEvidenceForLargeRemainder])
    }

    @Test("an ambiguous tag is not used: EXIT orders of two trades share the client order id, or it names two trades")
    func ambiguous() throws {
        let shared = try twoLifecycles(extra: [
            try F.order("x-a", trade: "TRD-a1", action: .exit, status: .cancelled, quantity: "1", clientOrderID: "EXT-1", filledAt: nil),
            try F.order("x-b", trade: "TRD-b2", action: .exit, status: .rejected, quantity: "1", clientOrderID: "EXT-1", filledAt: nil),
        ])
        #expect(try F.plan(orders: shared, fills: [try F.fill("x1", clientOrderID: "EXT-1")]).summaries.map(\.reason)
            == [.missingFillEvidenceForLargeRemainder, .missingFillEvidenceForLargeRemainder])
        let both = [try F.fill("x1", clientOrderID: "TRD-a1+TRD-b2")]
        #expect(try F.plan(orders: try twoLifecycles(), fills: both).summaries.map(\.reason)
            == [.missingFillEvidenceForLargeRemainder, .missingFillEvidenceForLargeRemainder])
    }

    @Test("closed and overclosed trades' ids count for containment: naming one with an open trade is ambiguous")
    func closedTradeIDsCount() throws {
        let orders = try twoLifecycles(extra: [
            try F.order("e-c", trade: "TRD-c3", quantity: "1"),
            try F.order("x-c", trade: "TRD-c3", action: .exit, quantity: "1", exchangeOrderID: "x-old"),
            try F.order("x-d", trade: "TRD-d4", action: .exit, quantity: "1", exchangeOrderID: "x-older"),
        ])
        for clientOrderID in ["close:TRD-b2+TRD-c3", "close:TRD-b2+TRD-d4"] {
            let fills = [try F.fill("x1", quantity: "1", clientOrderID: clientOrderID)]
            #expect(try F.plan(orders: orders, fills: fills).summaries.map(\.reason)
                == [.missingFillEvidenceForLargeRemainder, .missingFillEvidenceForLargeRemainder], "\(clientOrderID)")
        }
        // Without the closed trade's id the tag is B's.
        let fills = [try F.fill("x1", quantity: "1", clientOrderID: "close:TRD-b2+TRD-e5")]
        #expect(try F.plan(orders: orders, fills: fills).summaries.map(\.reason) == [.missingFillEvidenceForLargeRemainder, .fillEvidence])
    }

    @Test("a trade id inside a longer contained trade id does not count: TRD-a10 wins over TRD-a1")
    func nestedTradeIDs() throws {
        let orders = [
            try F.order("e-a", trade: "TRD-a1", quantity: "1", filledAt: "2026-02-15T09:00:00.000Z"),
            try F.order("e-b", trade: "TRD-a10", quantity: "1", filledAt: "2026-02-15T09:30:00.000Z"),
        ]
        let plan = try F.plan(orders: orders, fills: [try F.fill("x1", clientOrderID: "exit-TRD-a10")])
        #expect(plan.summaries.map { "\($0.trade) \($0.reason.rawValue)" }
            == ["TRD-a1 missing_fill_evidence_for_large_remainder", "TRD-a10 fill_evidence"])
    }

    @Test("equality with an EXIT client order id decides before containment")
    func equalityFirst() throws {
        // The client order id contains TRD-a1 but equals B's EXIT client order id.
        let orders = try twoLifecycles(extra: [
            try F.order("x-b", trade: "TRD-b2", action: .exit, status: .cancelled, quantity: "1", clientOrderID: "TRD-a1-retry", filledAt: nil),
        ])
        #expect(try F.plan(orders: orders, fills: [try F.fill("x1", clientOrderID: "TRD-a1-retry")]).summaries.map(\.reason)
            == [.missingFillEvidenceForLargeRemainder, .fillEvidence])
    }

    @Test("a trade id known only from orders that do not count (a cancelled ENTRY) still tags: the fill is not used")
    func tagToTradeWithoutLifecycle() throws {
        let orders = try twoLifecycles(extra: [
            try F.order("e-z", trade: "TRD-z9", status: .cancelled, quantity: "1", filledAt: nil),
        ])
        #expect(try F.plan(orders: orders, fills: [try F.fill("x1", clientOrderID: "exit-TRD-z9")]).summaries.map(\.reason)
            == [.missingFillEvidenceForLargeRemainder, .missingFillEvidenceForLargeRemainder])
    }

    @Test("a trade id open in two symbols tags the lifecycle of the fill's symbol")
    func tagAcrossSymbols() throws {
        let orders = [
            try F.order("e-btc", symbol: "BTC-USD", trade: "TRD-a1", quantity: "1"),
            try F.order("e-eth", symbol: "ETH-USD", trade: "TRD-a1", quantity: "1"),
            try F.order("e-b", symbol: "ETH-USD", trade: "TRD-b2", quantity: "1", filledAt: "2026-02-15T09:00:00.000Z"),
        ]
        let fills = [try F.fill("x1", symbol: "ETH-USD", clientOrderID: "close-TRD-a1")]
        #expect(try F.plan(orders: orders, fills: fills).summaries.map { "\($0.trade) \($0.reason.rawValue)" } == [
            "TRD-a1 missing_fill_evidence_for_large_remainder",
            "TRD-a1 fill_evidence",
            "TRD-b2 missing_fill_evidence_for_large_remainder",
        ])
    }

    @Test("an untagged client order id takes the FIFO path")
    func untaggedClientOrderID() throws {
        #expect(try F.plan(orders: try twoLifecycles(), fills: [try F.fill("x1", clientOrderID: "EXT-unknown")]).summaries.map(\.reason)
            == [.fillEvidence, .missingFillEvidenceForLargeRemainder])
    }
}

@Suite("Backfill planner: rows")
struct BackfillPlannerRowTests {
    @Test("dust boundary: a remainder equal to the threshold is dust, one unit more is NO_GO", arguments: [
        // open 10: threshold max(0.001, 10 × 0.002) = 0.02
        ("10", "9.98", BackfillReason.dustRemainder, "0.02"),
        ("10", "9.979999999999999999", .missingFillEvidenceForLargeRemainder, "0.020000000000000001"),
        // open 0.1: threshold max(0.001, 0.0002) = 0.001
        ("0.1", "0.099", .dustRemainder, "0.001"),
        ("0.1", "0.098999999999999999", .missingFillEvidenceForLargeRemainder, "0.001000000000000001"),
        // fully covered: no remainder row
        ("0.1", "0.1", .fillEvidence, "-"),
    ])
    func dustBoundary(open: String, covered: String, lastReason: BackfillReason, remainder: String) throws {
        let plan = try F.plan(orders: [try F.order("e1", quantity: open)], fills: [try F.fill("x1", quantity: covered)])
        #expect(plan.rows.first?.reason == .fillEvidence)
        #expect(plan.rows.first?.filledQuantity == (try F.decimal(covered)))
        #expect(plan.rows.last?.reason == lastReason)
        if lastReason != .fillEvidence {
            #expect(plan.rows.count == 2)
            #expect(plan.rows.last?.filledQuantity == (try F.decimal(remainder)))
        } else {
            #expect(plan.rows.count == 1)
        }
    }

    @Test("the dust row: exchange order id DUST, latest filled_at of orders and evidence, latest evidence price")
    func dustRow() throws {
        let orders = [
            try F.order("e1", quantity: "0.6", price: "100", filledAt: "2026-02-15T09:00:00.000Z"),
            try F.order("e2", quantity: "0.4", price: "110", filledAt: "2026-02-15T09:10:00.000Z"),
            try F.order("x0", action: .exit, quantity: "0.5", exchangeOrderID: "x-old", filledAt: "2026-02-15T11:30:00.000Z"),
        ]
        let fills = [
            try F.fill("x1", quantity: "0.2", price: "120", at: "2026-02-15T10:00:00.000Z"),
            try F.fill("x2", quantity: "0.2995", price: "121", clientOrderID: "c-2", at: "2026-02-15T11:00:00.000Z"),
        ]
        let plan = try F.plan(orders: orders, fills: fills)
        #expect(plan.summaries == [
            Row(trade: "TRD-a1", .fillEvidence, filled: "0.2", price: "120", exchangeOrderID: "x1", filledAt: "2026-02-15T10:00:00.000Z"),
            Row(trade: "TRD-a1", .fillEvidence, filled: "0.2995", price: "121", exchangeOrderID: "x2", clientOrderID: "c-2",
                filledAt: "2026-02-15T11:00:00.000Z"),
            // The recorded EXIT at 11:30 is the latest filled_at; the price is x2's.
            Row(trade: "TRD-a1", .dustRemainder, filled: "0.0005", price: "121", exchangeOrderID: "DUST", filledAt: "2026-02-15T11:30:00.000Z"),
        ])
        let dust = plan.rows[2]
        #expect(dust.backfillOrderID == (try F.backfillID(trade: "TRD-a1", exchangeOrderID: "DUST", at: "2026-02-15T11:30:00.000Z")))
        #expect(dust.openQuantity == (try F.decimal("0.5")))
        let order = try #require(try dust.exitOrder(createdAt: try F.now()))
        #expect(order.exchangeOrderID == nil && order.clientOrderID == nil, "the dust order has no exchange order")
    }

    @Test("a dust row without evidence takes the average entry price and the latest order time")
    func dustWithoutEvidence() throws {
        let orders = [
            try F.order("e1", quantity: "1", price: "100", filledAt: "2026-02-15T09:00:00.000Z"),
            try F.order("e2", quantity: "3", price: "104", filledAt: "2026-02-15T09:30:00.000Z"),
            try F.order("x0", action: .exit, quantity: "3.9995", exchangeOrderID: "x-old", filledAt: "2026-02-15T10:00:00.000Z"),
        ]
        // (1 × 100 + 3 × 104) / 4 = 103
        #expect(try F.plan(orders: orders).summaries == [
            Row(trade: "TRD-a1", .dustRemainder, filled: "0.0005", price: "103", exchangeOrderID: "DUST", filledAt: "2026-02-15T10:00:00.000Z"),
        ])
    }

    @Test("the large-remainder NO_GO row comes after the evidence rows, which are still candidates")
    func largeRemainder() throws {
        let plan = try F.plan(orders: [try F.order("e1", quantity: "2")], fills: [try F.fill("x1", quantity: "0.5")])
        #expect(plan.summaries == [
            Row(trade: "TRD-a1", .fillEvidence, filled: "0.5", price: "101", exchangeOrderID: "x1", filledAt: "2026-02-15T11:00:00.000Z"),
            Row(trade: "TRD-a1", .missingFillEvidenceForLargeRemainder, filled: "1.5"),
        ])
        #expect(plan.rows.map(\.isCandidate) == [true, false])
        #expect(plan.rows[1].backfillOrderID == nil)
    }

    @Test("rows: lifecycles by symbol then trade id (byte order); evidence by filled_at then exchange order id")
    func rowOrder() throws {
        let orders = [
            try F.order("e1", symbol: "ETH-USD", trade: "TRD-a1", quantity: "1"),
            try F.order("e2", symbol: "BTC-USD", trade: "TRD-b", quantity: "1"),
            try F.order("e3", symbol: "BTC-USD", trade: "TRD-B", quantity: "3"),
        ]
        let fills = [
            try F.fill("xb", symbol: "BTC-USD", quantity: "1", at: "2026-02-15T11:00:00.000Z"),
            try F.fill("xa", symbol: "BTC-USD", quantity: "1", at: "2026-02-15T11:00:00.000Z"),
            try F.fill("x0", symbol: "BTC-USD", quantity: "1", at: "2026-02-15T10:59:00.000Z"),
            try F.fill("xe", symbol: "ETH-USD", quantity: "1", at: "2026-02-15T10:00:00.000Z"),
        ]
        let plan = try F.plan(orders: orders, fills: fills)
        // Both BTC trades started at the same time: FIFO goes by trade id, "TRD-B" < "TRD-b".
        #expect(plan.rows.map { "\($0.symbol) \($0.tradeID) \($0.exchangeOrderID ?? "-")" } == [
            "BTC-USD TRD-B x0", "BTC-USD TRD-B xa", "BTC-USD TRD-B xb", "BTC-USD TRD-b -", "ETH-USD TRD-a1 xe",
        ])
    }

    @Test("two fills with the same exchange order id in the same millisecond merge into one row")
    func mergedCollision() throws {
        let fills = [
            try F.fill("x1", quantity: "0.4", price: "100", clientOrderID: "c1", at: "2026-02-15T11:00:00.000100Z"),
            try F.fill("x1", quantity: "0.6", price: "101", clientOrderID: "c1", at: "2026-02-15T11:00:00.000900Z"),
            try F.fill("x0", quantity: "0.5", price: "99", at: "2026-02-15T11:00:00.000500Z"),
        ]
        let plan = try F.plan(orders: [try F.order("e1", quantity: "2")], fills: fills)
        // (0.4 × 100 + 0.6 × 101) / 1 = 100.6; the merged row keeps the later time, so x0 comes first.
        #expect(plan.summaries == [
            Row(trade: "TRD-a1", .fillEvidence, filled: "0.5", price: "99", exchangeOrderID: "x0", filledAt: "2026-02-15T11:00:00.000Z"),
            Row(trade: "TRD-a1", .fillEvidence, filled: "1", price: "100.6", exchangeOrderID: "x1", clientOrderID: "c1",
                filledAt: "2026-02-15T11:00:00.000Z"),
            Row(trade: "TRD-a1", .missingFillEvidenceForLargeRemainder, filled: "0.5"),
        ])
        #expect(plan.rows[1].filledAt == (try F.time("2026-02-15T11:00:00.000900Z")))
        #expect(Set(plan.rows.compactMap(\.backfillOrderID)).count == 2)
    }

    @Test("merging works the same for a trade with many evidence portions")
    func mergedCollisionManyPortions() throws {
        // 20 fills of 0.1, one second apart; fills 5 and 6 repeat exchange order x-5 in its millisecond.
        var fills: [ExchangeFill] = []
        for index in 0..<20 {
            let second = index < 10 ? "0\(index)" : "\(index)"
            fills.append(try F.fill("x-\(index)", quantity: "0.1", price: "100", at: "2026-02-15T11:00:\(second).000000Z"))
        }
        fills.append(try F.fill("x-5", quantity: "0.2", price: "103", at: "2026-02-15T11:00:05.000700Z"))
        let plan = try F.plan(orders: [try F.order("e1", quantity: "2.2")], fills: fills)
        #expect(plan.rows.count == 20)
        let merged = try #require(plan.rows.first { $0.exchangeOrderID == "x-5" })
        // (0.1 × 100 + 0.2 × 103) / 0.3 = 102
        #expect(merged.filledQuantity == (try F.decimal("0.3")))
        #expect(merged.price == (try F.decimal("102")))
        #expect(merged.filledAt == (try F.time("2026-02-15T11:00:05.000700Z")))
        #expect(plan.rows.map(\.exchangeOrderID) == (0..<20).map { "x-\($0)" })
        #expect(plan.rows.allSatisfy { $0.reason == .fillEvidence })
    }

    @Test("fills of one exchange order in different milliseconds stay separate rows")
    func sameOrderDifferentMilliseconds() throws {
        let fills = [
            try F.fill("x1", quantity: "0.5", at: "2026-02-15T11:00:00.000999Z"),
            try F.fill("x1", quantity: "0.5", at: "2026-02-15T11:00:00.001000Z"),
        ]
        let plan = try F.plan(orders: [try F.order("e1", quantity: "1")], fills: fills)
        #expect(plan.rows.map(\.reason) == [.fillEvidence, .fillEvidence])
        #expect(plan.rows[0].backfillOrderID != plan.rows[1].backfillOrderID)
    }

    @Test("merged fills that disagree on the client order id are refused")
    func conflictingCollision() async throws {
        let fills = [
            try F.fill("x1", quantity: "0.4", clientOrderID: "c1", at: "2026-02-15T11:00:00.000100Z"),
            try F.fill("x1", quantity: "0.6", clientOrderID: nil, at: "2026-02-15T11:00:00.000200Z"),
        ]
        let error = await backfillError { _ = try F.plan(orders: [try F.order("e1", quantity: "2")], fills: fills) }
        #expect(error?.code == .conflictingFillEvidence)
        #expect(error?.description.contains("x1") == true)
    }

    @Test("one trade id in two symbols: dust rows that would share a BFILL id are refused")
    func crossLifecycleCollision() async throws {
        let orders = [
            try F.order("e1", symbol: "BTC-USD", quantity: "0.0005"),
            try F.order("e2", symbol: "ETH-USD", quantity: "0.0005"),
        ]
        let error = await backfillError { _ = try F.plan(orders: orders) }
        #expect(error?.code == .conflictingFillEvidence)
        // Different times give different ids: both dust rows are planned.
        let apart = [orders[0], try F.order("e2", symbol: "ETH-USD", quantity: "0.0005", filledAt: "2026-02-15T10:00:00.001Z")]
        #expect(try F.plan(orders: apart).rows.map(\.reason) == [.dustRemainder, .dustRemainder])
    }

    @Test("the evidence row's EXIT order")
    func exitOrder() throws {
        let plan = try F.plan(orders: [try F.order("e1", side: .short, quantity: "1.5")],
                              fills: [try F.fill("x9", side: .buy, quantity: "1.5", price: "99.5", clientOrderID: "EXT-z")])
        let row = try #require(plan.rows.first)
        let order = try #require(try row.exitOrder(createdAt: try F.now()))
        #expect(order.orderID == row.backfillOrderID)
        #expect(order.orderID.isBackfill)
        #expect(order.action == .exit && order.status == .filled && order.side == .short)
        #expect(order.quantity == (try F.decimal("1.5")) && order.filledQuantity == order.quantity)
        #expect(order.legacyQuantity == order.quantity, "the runbook's inserted-row check reads qty")
        #expect(order.price == (try F.decimal("99.5")))
        #expect(order.tradeID?.rawValue == "TRD-a1" && order.symbol == "BTC-USD" && order.profileID.rawValue == "p1")
        #expect(order.exchangeOrderID == "x9" && order.clientOrderID?.rawValue == "EXT-z")
        #expect(order.filledAt == (try F.time("2026-02-15T11:00:00.000Z")))
        #expect(order.createdAt == (try F.now()))
    }

    @Test("a sum out of range in a closed lifecycle fails the plan, as in an open one")
    func overflowInClosedLifecycle() async throws {
        let nearMax = "100000000000000000000"
        let orders = [
            try F.order("e1", quantity: "1"),
            try F.order("e-c", trade: "TRD-c3", quantity: nearMax),
            try F.order("e-c2", trade: "TRD-c3", quantity: nearMax),
            try F.order("x-c", trade: "TRD-c3", action: .exit, quantity: nearMax),
        ]
        let error = await backfillError { _ = try F.plan(orders: orders) }
        #expect(error?.code == .lifecycleAnalysisFailed)
        #expect(error?.description.contains("TRD-c3") == true)
    }

    @Test("orders of other profiles are ignored")
    func otherProfiles() throws {
        let orders = [try F.order("e1"), try F.order("e2", profile: "p2", trade: "TRD-p2")]
        #expect(try F.plan(orders: orders).rows.map(\.tradeID.rawValue) == ["TRD-a1"])
    }
}
