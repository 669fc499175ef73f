import Testing
import TradeLifecycle

/// Every spelling of SPEC section 3, written out independently of the implementation.
private let statusAliases: [(String, OrderStatus)] = [
    ("new", .pending), ("pending", .pending),
    ("accepted", .open), ("open", .open),
    ("partially_filled", .partiallyFilled), ("partially-filled", .partiallyFilled), ("partial", .partiallyFilled),
    ("filled", .filled),
    ("canceled", .cancelled), ("cancelled", .cancelled),
    ("rejected", .rejected),
    ("expired", .expired),
]

/// The same text in lower, upper, capitalised and alternating case.
private func caseVariants(_ text: String) -> [String] {
    let alternating = String(text.enumerated().map { index, character in
        index.isMultiple(of: 2) ? Character(character.uppercased()) : character
    })
    return [text, text.uppercased(), text.prefix(1).uppercased() + text.dropFirst(), alternating]
}

@Suite("Vocabulary")
struct VocabularyTests {
    @Test("every status alias parses in every case", arguments: statusAliases.map(\.0))
    func statusAlias(_ alias: String) throws {
        let expected = statusAliases.first { $0.0 == alias }!.1
        for variant in caseVariants(alias) {
            #expect(try OrderStatus(parsing: variant) == expected, "\(variant)")
        }
    }

    @Test("'-' and '_' are the same in status text")
    func dashEqualsUnderscore() throws {
        #expect(try OrderStatus(parsing: "Partially-Filled") == .partiallyFilled)
        #expect(try OrderStatus(parsing: "PARTIALLY_FILLED") == .partiallyFilled)
    }

    @Test("the status written is the canonical text and reads back to itself")
    func canonicalStatusText() throws {
        #expect(OrderStatus.allCases.count == 7)
        for status in OrderStatus.allCases {
            #expect(try OrderStatus(parsing: status.rawValue) == status)
        }
        #expect(OrderStatus.cancelled.rawValue == "canceled", "the rollback of the runbook writes 'canceled'")
        #expect(OrderStatus.partiallyFilled.rawValue == "partially_filled")
    }

    @Test("unknown status text is an unknownValue error naming the value",
          arguments: ["", " ", "done", "fill", "filled ", " open", "partially filled", "cancel", "PARTIALLY__FILLED", "nouveau", "ｆｉｌｌｅｄ"])
    func unknownStatus(_ text: String) {
        let error = LifecycleFixtures.inputError { _ = try OrderStatus(parsing: text) }
        #expect(error?.code == .unknownValue)
        #expect(error?.field == "status")
        #expect(error?.value == text)
        #expect(error?.description.contains("'\(text)'") == true)
    }

    @Test("lifecycle actions parse case-insensitively and write ENTRY / EXIT")
    func actions() throws {
        for variant in caseVariants("entry") { #expect(try LifecycleAction(parsing: variant) == .entry) }
        for variant in caseVariants("exit") { #expect(try LifecycleAction(parsing: variant) == .exit) }
        #expect(LifecycleAction.entry.rawValue == "ENTRY" && LifecycleAction.exit.rawValue == "EXIT")
        for text in ["", "ENTRY ", "ENTER", "close", "buy"] {
            let error = LifecycleFixtures.inputError { _ = try LifecycleAction(parsing: text) }
            #expect(error?.code == .unknownValue && error?.field == "action" && error?.value == text, "\(text)")
        }
    }

    @Test("position sides and order sides parse case-insensitively; sides map to closing fills")
    func sides() throws {
        for variant in caseVariants("long") { #expect(try PositionSide(parsing: variant) == .long) }
        for variant in caseVariants("short") { #expect(try PositionSide(parsing: variant) == .short) }
        for variant in caseVariants("buy") { #expect(try OrderSide(parsing: variant) == .buy) }
        for variant in caseVariants("sell") { #expect(try OrderSide(parsing: variant) == .sell) }
        for text in ["", "buy", "flat", "longg"] {
            let error = LifecycleFixtures.inputError { _ = try PositionSide(parsing: text) }
            #expect(error?.code == .unknownValue && error?.field == "side" && error?.value == text, "\(text)")
        }
        for text in ["", "long", "b", "sel"] {
            let error = LifecycleFixtures.inputError { _ = try OrderSide(parsing: text) }
            #expect(error?.code == .unknownValue && error?.field == "side" && error?.value == text, "\(text)")
        }
        #expect(PositionSide.long.closingSide == .sell && PositionSide.short.closingSide == .buy)
        #expect(PositionSide.long.openingSide == .buy && PositionSide.short.openingSide == .sell)
    }

    @Test("status classes: terminal, live, counted toward a lifecycle, pending blockers")
    func statusClasses() {
        for status in OrderStatus.allCases {
            #expect(status.isTerminal == [.filled, .cancelled, .rejected, .expired].contains(status))
            #expect(status.isLive == !status.isTerminal)
            #expect(status.countsTowardLifecycle == [.filled, .partiallyFilled].contains(status))
            #expect(status.isPendingBlocker == [.pending, .open].contains(status))
        }
    }

    /// (field, arguments) pairs that break one rule of `Order.init` each.
    static let invalidOrders: [(field: String, code: InputError.Code, symbol: String, quantity: String?, qty: String?, filled: String?, price: String?)] = [
        ("symbol", .blank, "  ", "1", nil, nil, nil),
        ("symbol", .blank, "", "1", nil, nil, nil),
        ("quantity", .outOfRange, "S", "0", nil, nil, nil),
        ("quantity", .outOfRange, "S", "-1.5", nil, nil, nil),
        ("qty", .outOfRange, "S", nil, "0", nil, nil),
        ("qty", .outOfRange, "S", "1", "-2", nil, nil),
        ("price", .outOfRange, "S", "1", nil, nil, "0"),
        ("price", .outOfRange, "S", "1", nil, nil, "-0.01"),
        ("filled_quantity", .outOfRange, "S", "1", nil, "-0.000000000000000001", nil),
        ("filled_quantity", .outOfRange, "S", "1", nil, "1.000000000000000001", nil),
        ("filled_quantity", .outOfRange, "S", nil, "2", "2.5", nil),
    ]

    @Test("order validation names the field and the order", arguments: 0..<invalidOrders.count)
    func orderValidation(_ index: Int) throws {
        let row = Self.invalidOrders[index]
        let error = LifecycleFixtures.inputError {
            _ = try LifecycleFixtures.order("ord-\(index)", symbol: row.symbol, quantity: row.quantity, qty: row.qty,
                                            filled: row.filled, price: row.price)
        }
        #expect(error?.code == row.code)
        #expect(error?.field == row.field)
        #expect(error?.record == "order ord-\(index)")
        #expect(error?.description.contains("order ord-\(index)") == true)
        #expect(error?.description.contains("field \(row.field)") == true)
    }

    @Test("a valid order keeps its values; blank ids normalise to nil")
    func validOrder() throws {
        let order = try Order(orderID: OrderID("o1"), profileID: ProfileID("p1"), symbol: "ETH-USD",
                              tradeID: TradeID.normalized("   "), action: nil, side: nil, status: .filled,
                              quantity: nil, legacyQuantity: try ExactDecimal("0.5"), filledQuantity: try ExactDecimal("0.5"),
                              price: try ExactDecimal("2000"), exchangeOrderID: " ", createdAt: LifecycleFixtures.time(1))
        #expect(order.tradeID == nil)
        #expect(order.exchangeOrderID == nil)
        #expect(order.lifecycleQuantity == (try ExactDecimal("0.5")))
        #expect(order.effectiveSide == .long)
        #expect(order.updatedAt == order.createdAt)
        let bare = try LifecycleFixtures.order("o2", quantity: nil)
        #expect(bare.lifecycleQuantity == .zero)
    }
}
