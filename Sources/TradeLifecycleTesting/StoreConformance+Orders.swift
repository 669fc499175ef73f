import TradeLifecycle

extension StoreConformance {
    /// The checks of ``TradeLifecycle/OrderStore``.
    public static var orderChecks: [Check] {
        [
            insertedOrderReadsBack,
            insertOfExistingOrderIDWritesNothing,
            orderIDIsUniqueAcrossProfiles,
            secondLiveEntryIsRefused,
            liveEntryRuleIsScopedToLiveEntryOrders,
            liveEntryFreesWhenFilled,
            liveEntryFreesWhenCancelled,
            allowedTransitionsAreStored,
            forbiddenTransitionWritesNothing,
            filledQuantityRulesWriteNothing,
            updateOfUnknownOrderIsNotFound,
            backfillRevertIsExplicitAndRepeatable,
            correctionToExchangeIsExplicit,
            correctionRespectsLiveEntryRule,
            queryFiltersByProfileSymbolTradeAndStatus,
            queryOrdersByOrderIDBytes,
        ]
    }

    /// An inserted order reads back with every field as written.
    public static let insertedOrderReadsBack = Check(
        "insertedOrderReadsBack", .orders,
        "insertOrder reports inserted and order(_:) returns the row with every field as written"
    ) { store, c in
        let profile = c.profile("p1")
        let full = try c.order(
            c.orderID("o1"), profile: profile, symbol: "ETH-USD", trade: c.tradeID("a1"), action: .exit, side: .short,
            status: .partiallyFilled, quantity: "2.000000000000000001", legacyQuantity: "3", filled: "0.5",
            price: "1234.5678", exchangeOrderID: "x-1", clientOrderID: "EXT-abc", filledAt: Fixture.time(5),
            createdAt: Fixture.time(1), updatedAt: Fixture.time(6))
        let sparse = try c.order(
            c.orderID("o2"), profile: profile, trade: nil, action: nil, side: nil, status: .filled,
            quantity: nil, legacyQuantity: "0.001", filled: nil, price: nil)
        for order in [full, sparse] {
            try c.expectEqual(try await store.insertOrder(order), .inserted, "insertOrder(\(order.orderID))")
            try c.expectEqual(try await store.order(order.orderID), order, "order(\(order.orderID)) read back")
        }
        try c.expectEqual(try await store.order(c.orderID("absent")), nil, "order of an unknown id")
    }

    /// `INSERT … ON CONFLICT (order_id) DO NOTHING`.
    public static let insertOfExistingOrderIDWritesNothing = Check(
        "insertOfExistingOrderIDWritesNothing", .orders,
        "inserting an order id that exists reports alreadyExists and leaves the stored row unchanged"
    ) { store, c in
        let profile = c.profile("p1")
        let original = try c.order(c.orderID("o1"), profile: profile, action: .exit, status: .filled,
                                   quantity: "1.5", filled: "1.5", price: "100", filledAt: Fixture.time(1))
        try c.expectEqual(try await store.insertOrder(original), .inserted, "first insert")
        let changed = try c.order(c.orderID("o1"), profile: profile, symbol: "ETH-USD", action: .exit, status: .cancelled,
                                  quantity: "9", filled: "0", price: "7", createdAt: Fixture.time(9))
        try c.expectEqual(try await store.insertOrder(changed), .alreadyExists, "second insert of the same order id")
        try c.expectEqual(try await store.order(original.orderID), original, "stored row after the second insert")
        try c.expectEqual(try await store.orders(matching: OrderQuery(profileID: profile)), [original],
                          "orders of the profile after the second insert")
    }

    /// Order ids are the primary key of the whole table, not per profile.
    public static let orderIDIsUniqueAcrossProfiles = Check(
        "orderIDIsUniqueAcrossProfiles", .orders,
        "an order id that exists under another profile is alreadyExists, and nothing is written for the second profile"
    ) { store, c in
        let first = try c.order(c.orderID("o1"), profile: c.profile("p1"), action: .exit, status: .filled, filled: "1.5")
        let second = try c.order(c.orderID("o1"), profile: c.profile("p2"), action: .exit, status: .filled, filled: "1.5")
        try c.expectEqual(try await store.insertOrder(first), .inserted, "insert under p1")
        try c.expectEqual(try await store.insertOrder(second), .alreadyExists, "insert of the same id under p2")
        try c.expectEqual(try await store.order(first.orderID), first, "stored row")
        try c.expectEqual(try await store.orders(matching: OrderQuery(profileID: c.profile("p2"))), [], "orders of p2")
    }

    /// At most one live ENTRY per profile and symbol.
    public static let secondLiveEntryIsRefused = Check(
        "secondLiveEntryIsRefused", .orders,
        "a second live (pending, open, partially filled) ENTRY of a profile and symbol is uniqueViolation and is not written"
    ) { store, c in
        let profile = c.profile("p1")
        let live = try c.order(c.orderID("e1"), profile: profile, status: .open)
        try c.expectEqual(try await store.insertOrder(live), .inserted, "first live ENTRY")
        for (index, status) in [OrderStatus.pending, .open, .partiallyFilled].enumerated() {
            let second = try c.order(c.orderID("e2-\(index)"), profile: profile, status: status,
                                     filled: status == .partiallyFilled ? "0.5" : nil)
            try await c.expectStoreError(.uniqueViolation, "insert of a second live ENTRY with status \(status.rawValue)") {
                try await store.insertOrder(second)
            }
            try c.expectEqual(try await store.order(second.orderID), nil, "refused ENTRY \(second.orderID) read back")
        }
        try c.expectEqual(try await store.orders(matching: OrderQuery(profileID: profile)), [live], "orders of the profile")
    }

    /// The rule is per profile and symbol, and only for live ENTRY orders.
    public static let liveEntryRuleIsScopedToLiveEntryOrders = Check(
        "liveEntryRuleIsScopedToLiveEntryOrders", .orders,
        "a live ENTRY does not block another symbol, another profile, EXIT orders, terminal ENTRY orders or rows without action"
    ) { store, c in
        let profile = c.profile("p1")
        try c.expectEqual(try await store.insertOrder(try c.order(c.orderID("e1"), profile: profile, status: .pending)),
                          .inserted, "live ENTRY BTC-USD")
        let others = [
            try c.order(c.orderID("e2"), profile: profile, symbol: "ETH-USD", status: .pending),
            try c.order(c.orderID("e3"), profile: c.profile("p2"), status: .open),
            try c.order(c.orderID("x1"), profile: profile, action: .exit, status: .pending),
            try c.order(c.orderID("x2"), profile: profile, action: .exit, status: .open),
            try c.order(c.orderID("e4"), profile: profile, status: .filled, filled: "1.5"),
            try c.order(c.orderID("e5"), profile: profile, status: .cancelled),
            try c.order(c.orderID("e6"), profile: profile, status: .rejected),
            try c.order(c.orderID("e7"), profile: profile, status: .expired),
            try c.order(c.orderID("m1"), profile: profile, action: nil, status: .open),
        ]
        for order in others {
            try c.expectEqual(try await store.insertOrder(order), .inserted,
                              "insert of \(order.orderID) (\(order.action?.rawValue ?? "no action") \(order.status.rawValue) \(order.symbol))")
        }
    }

    /// The live ENTRY of a profile and symbol frees when it fills.
    public static let liveEntryFreesWhenFilled = Check(
        "liveEntryFreesWhenFilled", .orders,
        "after the live ENTRY is filled, a new live ENTRY of the same profile and symbol is accepted"
    ) { store, c in
        try await liveEntryFrees(store, c, change: .transition(to: .filled, filledQuantity: nil, filledAt: Fixture.time(2)))
    }

    /// The live ENTRY of a profile and symbol frees when it is cancelled.
    public static let liveEntryFreesWhenCancelled = Check(
        "liveEntryFreesWhenCancelled", .orders,
        "after the live ENTRY is cancelled, a new live ENTRY of the same profile and symbol is accepted"
    ) { store, c in
        try await liveEntryFrees(store, c, change: .transition(to: .cancelled, filledQuantity: nil, filledAt: nil))
    }

    private static func liveEntryFrees(_ store: any Store, _ c: CheckContext, change: OrderChange) async throws {
        let profile = c.profile("p1")
        let first = try c.order(c.orderID("e1"), profile: profile, status: .open)
        let second = try c.order(c.orderID("e2"), profile: profile, status: .pending)
        try c.expectEqual(try await store.insertOrder(first), .inserted, "first live ENTRY")
        try await c.expectStoreError(.uniqueViolation, "second live ENTRY while the first is open") {
            try await store.insertOrder(second)
        }
        _ = try await store.updateOrder(first.orderID, change: change, at: Fixture.time(2))
        try c.expectEqual(try await store.insertOrder(second), .inserted, "second live ENTRY after the first ended")
        let third = try c.order(c.orderID("e3"), profile: profile, status: .pending)
        try await c.expectStoreError(.uniqueViolation, "third live ENTRY while the second is pending") {
            try await store.insertOrder(third)
        }
    }

    /// Ordinary transitions are stored with their filled quantity and times.
    public static let allowedTransitionsAreStored = Check(
        "allowedTransitionsAreStored", .orders,
        "updateOrder applies allowed transitions and returns and stores the changed row"
    ) { store, c in
        let profile = c.profile("p1")
        let id = c.orderID("o1")
        try c.expectEqual(try await store.insertOrder(try c.order(id, profile: profile, status: .pending, quantity: "2")),
                          .inserted, "insert")
        let steps: [(OrderChange, OrderStatus, String?, Timestamp?)] = [
            (.transition(to: .open, filledQuantity: nil, filledAt: nil), .open, nil, nil),
            (.transition(to: .partiallyFilled, filledQuantity: Fixture.decimal("0.5"), filledAt: Fixture.time(3)),
             .partiallyFilled, "0.5", Fixture.time(3)),
            (.transition(to: .partiallyFilled, filledQuantity: Fixture.decimal("1.25"), filledAt: Fixture.time(4)),
             .partiallyFilled, "1.25", Fixture.time(4)),
            (.transition(to: .filled, filledQuantity: nil, filledAt: Fixture.time(5)), .filled, "2", Fixture.time(5)),
        ]
        for (index, (change, status, filled, filledAt)) in steps.enumerated() {
            let at = Fixture.time(Int64(10 + index))
            let returned = try await store.updateOrder(id, change: change, at: at)
            let stored = try c.require(try await store.order(id), "order after step \(index)")
            try c.expectEqual(stored, returned, "stored row equals the returned row after step \(index)")
            try c.expectEqual(stored.status, status, "status after step \(index)")
            try c.expectEqual(stored.filledQuantity, filled.map(Fixture.decimal), "filled quantity after step \(index)")
            try c.expectEqual(stored.filledAt, filledAt, "filled_at after step \(index)")
            try c.expectEqual(stored.updatedAt, at, "updated_at after step \(index)")
            try c.expectEqual(stored.createdAt, Fixture.t0, "created_at after step \(index)")
        }
    }

    /// A forbidden status change is refused with the state machine's error and writes nothing.
    public static let forbiddenTransitionWritesNothing = Check(
        "forbiddenTransitionWritesNothing", .orders,
        "a transition the state machine forbids is invalidChange with a LifecycleError forbiddenTransition underneath, and the row is unchanged"
    ) { store, c in
        let profile = c.profile("p1")
        let cases: [(OrderStatus, String?, OrderStatus)] = [
            (.filled, "1.5", .open), (.filled, "1.5", .cancelled), (.cancelled, nil, .filled),
            (.cancelled, nil, .pending), (.rejected, nil, .open), (.expired, nil, .filled),
            (.open, nil, .pending), (.open, nil, .rejected), (.open, nil, .open), (.pending, nil, .pending),
        ]
        for (index, (from, filled, to)) in cases.enumerated() {
            let order = try c.order(c.orderID("o\(index)"), profile: profile, action: .exit, status: from, filled: filled)
            try c.expectEqual(try await store.insertOrder(order), .inserted, "insert \(from.rawValue) order")
            let error = try await c.expectStoreError(.invalidChange, "transition \(from.rawValue) -> \(to.rawValue)") {
                try await store.updateOrder(order.orderID, change: .transition(to: to, filledQuantity: nil, filledAt: nil),
                                            at: Fixture.time(60))
            }
            let lifecycle = try c.require(error.underlying as? LifecycleError,
                                          "LifecycleError underneath the error of \(from.rawValue) -> \(to.rawValue)")
            try c.expectEqual(lifecycle.code, .forbiddenTransition, "code of the state machine's error for \(from.rawValue) -> \(to.rawValue)")
            try c.expectEqual(try await store.order(order.orderID), order, "row after the refused \(from.rawValue) -> \(to.rawValue)")
        }
    }

    /// Filled quantity rules are the state machine's, enforced at the store.
    public static let filledQuantityRulesWriteNothing = Check(
        "filledQuantityRulesWriteNothing", .orders,
        "a change that decreases the filled quantity or exceeds the order quantity is invalidChange and writes nothing"
    ) { store, c in
        let profile = c.profile("p1")
        let order = try c.order(c.orderID("o1"), profile: profile, action: .exit, status: .partiallyFilled, quantity: "2", filled: "1")
        try c.expectEqual(try await store.insertOrder(order), .inserted, "insert")
        let changes: [(String, OrderChange, LifecycleError.Code)] = [
            ("decrease", .transition(to: .partiallyFilled, filledQuantity: Fixture.decimal("0.5"), filledAt: nil), .filledQuantityDecreased),
            ("above quantity", .transition(to: .partiallyFilled, filledQuantity: Fixture.decimal("2.5"), filledAt: nil), .filledQuantityAboveQuantity),
            ("filled below quantity", .transition(to: .filled, filledQuantity: Fixture.decimal("1.5"), filledAt: nil), .filledQuantityInconsistentWithStatus),
        ]
        for (what, change, code) in changes {
            let error = try await c.expectStoreError(.invalidChange, "filled quantity \(what)") {
                try await store.updateOrder(order.orderID, change: change, at: Fixture.time(60))
            }
            try c.expectEqual((error.underlying as? LifecycleError)?.code, code, "state machine code for filled quantity \(what)")
            try c.expectEqual(try await store.order(order.orderID), order, "row after the refused change (\(what))")
        }
    }

    /// Changing an unknown order is notFound.
    public static let updateOfUnknownOrderIsNotFound = Check(
        "updateOfUnknownOrderIsNotFound", .orders,
        "updateOrder of an order id that does not exist is notFound and creates nothing"
    ) { store, c in
        let id = c.orderID("absent")
        for change in [OrderChange.transition(to: .open, filledQuantity: nil, filledAt: nil), .revertBackfill,
                       .correctToExchange(status: .filled, filledQuantity: Fixture.decimal("1"), filledAt: nil)] {
            try await c.expectStoreError(.notFound, "updateOrder(\(change)) of an unknown order") {
                try await store.updateOrder(id, change: change, at: Fixture.time(1))
            }
        }
        try c.expectEqual(try await store.order(id), nil, "unknown order after the updates")
    }

    /// The backfill rollback: filled `BFILL-` rows become cancelled, once.
    public static let backfillRevertIsExplicitAndRepeatable = Check(
        "backfillRevertIsExplicitAndRepeatable", .orders,
        "revertBackfill cancels a filled BFILL- order (and changes nothing the second time) and refuses any other order"
    ) { store, c in
        let profile = c.profile("p1")
        let bfill = try c.order(c.backfillOrderID("1"), profile: profile, trade: c.tradeID("a"), action: .exit,
                                status: .filled, filled: "1.5", filledAt: Fixture.time(1))
        let plain = try c.order(c.orderID("o1"), profile: profile, action: .exit, status: .filled, filled: "1.5")
        try c.expectEqual(try await store.insertOrder(bfill), .inserted, "insert BFILL order")
        try c.expectEqual(try await store.insertOrder(plain), .inserted, "insert plain order")
        let reverted = try await store.updateOrder(bfill.orderID, change: .revertBackfill, at: Fixture.time(10))
        try c.expectEqual(reverted.status, .cancelled, "status after revert")
        try c.expectEqual(reverted.filledQuantity, bfill.filledQuantity, "filled quantity after revert")
        try c.expectEqual(reverted.filledAt, bfill.filledAt, "filled_at after revert")
        try c.expectEqual(try await store.order(bfill.orderID), reverted, "stored row after revert")
        let again = try await store.updateOrder(bfill.orderID, change: .revertBackfill, at: Fixture.time(20))
        try c.expectEqual(again.status, .cancelled, "status after the second revert")
        try c.expectEqual(try await store.order(bfill.orderID)?.status, .cancelled, "stored status after the second revert")
        let error = try await c.expectStoreError(.invalidChange, "revertBackfill of a non-BFILL order") {
            try await store.updateOrder(plain.orderID, change: .revertBackfill, at: Fixture.time(30))
        }
        try c.expectEqual((error.underlying as? LifecycleError)?.code, .notABackfillOrder, "state machine code")
        try c.expectEqual(try await store.order(plain.orderID), plain, "plain order after the refused revert")
    }

    /// The reconciliation correction: cancelled or expired here, filled on the exchange.
    public static let correctionToExchangeIsExplicit = Check(
        "correctionToExchangeIsExplicit", .orders,
        "correctToExchange moves a cancelled or expired order to filled or partially filled, and refuses any other order"
    ) { store, c in
        let profile = c.profile("p1")
        let cancelled = try c.order(c.orderID("o1"), profile: profile, action: .exit, status: .cancelled, quantity: "2")
        let expired = try c.order(c.orderID("o2"), profile: profile, action: .exit, status: .expired, quantity: "2")
        let open = try c.order(c.orderID("o3"), profile: profile, action: .exit, status: .open, quantity: "2")
        for order in [cancelled, expired, open] {
            try c.expectEqual(try await store.insertOrder(order), .inserted, "insert \(order.orderID)")
        }
        let filled = try await store.updateOrder(cancelled.orderID, change: .correctToExchange(
            status: .filled, filledQuantity: Fixture.decimal("2"), filledAt: Fixture.time(5)), at: Fixture.time(9))
        try c.expectEqual(filled.status, .filled, "status of the corrected cancelled order")
        try c.expectEqual(filled.filledQuantity, Fixture.decimal("2"), "filled quantity of the corrected cancelled order")
        try c.expectEqual(try await store.order(cancelled.orderID), filled, "stored corrected cancelled order")
        let partial = try await store.updateOrder(expired.orderID, change: .correctToExchange(
            status: .partiallyFilled, filledQuantity: Fixture.decimal("0.5"), filledAt: Fixture.time(5)), at: Fixture.time(9))
        try c.expectEqual(partial.status, .partiallyFilled, "status of the corrected expired order")
        try c.expectEqual(try await store.order(expired.orderID), partial, "stored corrected expired order")
        let error = try await c.expectStoreError(.invalidChange, "correctToExchange of an open order") {
            try await store.updateOrder(open.orderID, change: .correctToExchange(
                status: .filled, filledQuantity: Fixture.decimal("2"), filledAt: nil), at: Fixture.time(9))
        }
        try c.expectEqual((error.underlying as? LifecycleError)?.code, .notCorrectable, "state machine code")
        try c.expectEqual(try await store.order(open.orderID), open, "open order after the refused correction")
    }

    /// A correction to partially filled makes an ENTRY live again: the one-live-ENTRY rule applies.
    public static let correctionRespectsLiveEntryRule = Check(
        "correctionRespectsLiveEntryRule", .orders,
        "a correction that makes a cancelled ENTRY partially filled (live) while another ENTRY is live is uniqueViolation and writes nothing"
    ) { store, c in
        let profile = c.profile("p1")
        let cancelled = try c.order(c.orderID("e1"), profile: profile, status: .cancelled, quantity: "2")
        let live = try c.order(c.orderID("e2"), profile: profile, status: .open)
        try c.expectEqual(try await store.insertOrder(cancelled), .inserted, "insert cancelled ENTRY")
        try c.expectEqual(try await store.insertOrder(live), .inserted, "insert live ENTRY")
        try await c.expectStoreError(.uniqueViolation, "correction of the cancelled ENTRY to partially filled") {
            try await store.updateOrder(cancelled.orderID, change: .correctToExchange(
                status: .partiallyFilled, filledQuantity: Fixture.decimal("1"), filledAt: nil), at: Fixture.time(9))
        }
        try c.expectEqual(try await store.order(cancelled.orderID), cancelled, "cancelled ENTRY after the refused correction")
        let filled = try await store.updateOrder(cancelled.orderID, change: .correctToExchange(
            status: .filled, filledQuantity: Fixture.decimal("2"), filledAt: nil), at: Fixture.time(10))
        try c.expectEqual(filled.status, .filled, "a correction to filled (not live) is accepted")
    }

    /// Query filters.
    public static let queryFiltersByProfileSymbolTradeAndStatus = Check(
        "queryFiltersByProfileSymbolTradeAndStatus", .orders,
        "orders(matching:) returns exactly the orders of the profile that match the symbol, trade id and statuses given"
    ) { store, c in
        let p1 = c.profile("p1"), p2 = c.profile("p2")
        let a = c.tradeID("a"), b = c.tradeID("b")
        let rows = [
            try c.order(c.orderID("1"), profile: p1, symbol: "BTC-USD", trade: a, status: .filled, filled: "1.5"),
            try c.order(c.orderID("2"), profile: p1, symbol: "BTC-USD", trade: a, action: .exit, status: .open),
            try c.order(c.orderID("3"), profile: p1, symbol: "BTC-USD", trade: b, action: .exit, status: .cancelled),
            try c.order(c.orderID("4"), profile: p1, symbol: "ETH-USD", trade: a, status: .pending),
            try c.order(c.orderID("5"), profile: p1, symbol: "ETH-USD", trade: nil, action: nil, status: .filled, filled: "1.5"),
            try c.order(c.orderID("6"), profile: p2, symbol: "BTC-USD", trade: a, status: .filled, filled: "1.5"),
        ]
        for row in rows {
            try c.expectEqual(try await store.insertOrder(row), .inserted, "insert \(row.orderID)")
        }
        let queries: [(String, OrderQuery, [String])] = [
            ("profile p1", OrderQuery(profileID: p1), ["1", "2", "3", "4", "5"]),
            ("profile p2", OrderQuery(profileID: p2), ["6"]),
            ("unknown profile", OrderQuery(profileID: c.profile("p3")), []),
            ("symbol BTC-USD", OrderQuery(profileID: p1, symbol: "BTC-USD"), ["1", "2", "3"]),
            ("symbol btc-usd (case-sensitive)", OrderQuery(profileID: p1, symbol: "btc-usd"), []),
            ("trade a", OrderQuery(profileID: p1, tradeID: a), ["1", "2", "4"]),
            ("statuses filled, open", OrderQuery(profileID: p1, statuses: [.filled, .open]), ["1", "2", "5"]),
            ("empty status set", OrderQuery(profileID: p1, statuses: []), []),
            ("symbol BTC-USD, trade a, status open",
             OrderQuery(profileID: p1, symbol: "BTC-USD", tradeID: a, statuses: [.open]), ["2"]),
            ("symbol ETH-USD, status pending or filled",
             OrderQuery(profileID: p1, symbol: "ETH-USD", statuses: [.pending, .filled]), ["4", "5"]),
        ]
        for (what, query, expected) in queries {
            try c.expectEqual(try await store.orders(matching: query).map(\.orderID), expected.map { c.orderID($0) },
                              "orders matching \(what)")
        }
    }

    /// Query results are sorted by order id as PostgreSQL's `C` collation sorts it.
    public static let queryOrdersByOrderIDBytes = Check(
        "queryOrdersByOrderIDBytes", .orders,
        "orders(matching:) sorts by order id in UTF-8 byte order (digits, upper case, lower case, then non-ASCII), not by insertion or locale"
    ) { store, c in
        let profile = c.profile("p1")
        let suffixes = ["é", "a", "Z", "10", "B", "9", "b-2", "b-10", "A"]
        for suffix in suffixes {
            try c.expectEqual(try await store.insertOrder(try c.order(c.orderID(suffix), profile: profile, action: .exit, status: .open)),
                              .inserted, "insert \(suffix)")
        }
        let expected = ["10", "9", "A", "B", "Z", "a", "b-10", "b-2", "é"].map { c.orderID($0) }
        try c.expectEqual(try await store.orders(matching: OrderQuery(profileID: profile)).map(\.orderID), expected, "order of the rows")
    }
}
