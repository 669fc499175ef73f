import Foundation
import Testing
import TradeLifecycle

/// The ledger keeps its history compactly and puts each event back together when it is read:
/// the events read back are exactly those applied, whatever their result.
@Suite struct LedgerHistoryTests {
    @Test func historyReadsBackEveryOperationAndResult() throws {
        let p1 = L.profile("p1")
        let o1 = L.order("o1")
        let t1 = L.trade("TRD-1")
        let operations = [
            L.allocate(1, p1, "100"),
            L.reserve(2, p1, o1, "BTC-USD", t1, .short, quantity: "0.5", limitPrice: "150.25"),
            L.deallocate(3, p1, "1000"),                                  // refused: kept whole
            L.deallocate(4, L.profile("unknown"), "1"),                   // refused, no account
            L.fill(5, p1, o1, quantity: "0.25", price: "150"),
            L.cancel(6, p1, o1),
            L.exit(7, p1, "BTC-USD", t1, quantity: "0.25", price: "900", fee: "0.5"),   // a violation
        ]
        var ledger = CapitalLedger()
        var results: [LedgerResult] = []
        for operation in operations {
            results.append(try ledger.apply(operation))
        }
        #expect(results.map(\.code) == [.created, .created, .insufficientAvailable, .insufficientAvailable,
                                        .created, .created, .violation])
        let expected = zip(operations, results).enumerated().map { offset, pair in
            LedgerEvent(sequence: UInt64(offset + 1), operation: pair.0, result: pair.1)
        }
        #expect(ledger.history.count == expected.count)
        #expect(ledger.history == expected)
        #expect(expected == ledger.history)
        #expect(Array(ledger.history) == expected)
        #expect(ledger.history.last == expected.last)
        for event in expected {
            #expect(ledger.event(for: event.id) == event)
        }
        // Same JSON as the array of the events.
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        #expect(try encoder.encode(ledger.history) == encoder.encode(expected))
        // A snapshot does not follow the ledger.
        let snapshot = ledger.history
        _ = try ledger.apply(L.allocate(8, p1, "1"))
        #expect(snapshot.count == expected.count)
        #expect(ledger.history.count == expected.count + 1)
        #expect(snapshot != ledger.history)
    }

    /// Keys are matched by their UTF-8 bytes: an order id that is canonically equivalent to
    /// another but written with other code points is another order, and the history gives back
    /// the bytes each operation was sent with.
    @Test func keysAreMatchedByTheirBytes() throws {
        let p1 = L.profile("p1")
        let composed = L.order("ord\u{E9}")          // é as one code point
        let decomposed = L.order("orde\u{301}")      // e and a combining accent
        #expect(composed == decomposed)              // equal as Swift strings
        var ledger = CapitalLedger()
        _ = ledger.expectApply(L.allocate(1, p1, "100"))
        _ = ledger.expectApply(L.reserve(2, p1, composed, "BTC-USD", L.trade("TRD-1"), .long, quantity: "1", limitPrice: "10"))
        #expect(ledger.expectError(L.fill(3, p1, decomposed, quantity: "1", price: "10")) == .orderNotFound)
        _ = ledger.expectApply(L.fill(4, p1, composed, quantity: "1", price: "10"))
        let orderIDs = ledger.history.compactMap { event -> OrderID? in
            switch event.operation.kind {
            case .reserveEntry(_, let orderID, _, _, _, _, _), .fill(_, let orderID, _, _): return orderID
            default: return nil
            }
        }
        #expect(orderIDs.map { Array($0.rawValue.utf8) } == [Array(composed.rawValue.utf8), Array(composed.rawValue.utf8)])
    }
}
