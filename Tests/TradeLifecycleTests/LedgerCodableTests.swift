import Foundation
import Testing
import TradeLifecycle

/// Ledger events persist as JSON with decimals and ids as strings, and a history read back
/// rebuilds the same ledger.
@Suite struct LedgerCodableTests {
    @Test func historyRoundTripsThroughJSON() throws {
        let p1 = L.profile("p1")
        let o1 = L.order("o1")
        let t1 = L.trade("TRD-1")
        var ledger = CapitalLedger()
        _ = ledger.expectApply(L.allocate(1, p1, "100"))
        _ = ledger.expectApply(L.reserve(2, p1, o1, "BTC-USD", t1, .short, quantity: "0.5", limitPrice: "150.25"))
        _ = ledger.expectApply(L.deallocate(3, p1, "1000"))
        _ = ledger.expectApply(L.fill(4, p1, o1, quantity: "0.5", price: "400"))
        _ = ledger.expectApply(L.exit(5, p1, "BTC-USD", t1, quantity: "0.2", price: "390", fee: "0.000000000000000001"))
        _ = ledger.expectApply(LedgerOperation(id: LedgerOperationID(UInt128.max), kind: .allocate(profileID: p1, amount: 1)))

        let data = try JSONEncoder().encode(ledger.history)
        let decoded = try JSONDecoder().decode([LedgerEvent].self, from: data)
        #expect(decoded == ledger.history)
        #expect(try CapitalLedger.rebuild(from: decoded) == ledger)
    }

    @Test func eventJSONForm() throws {
        let event = LedgerEvent(
            sequence: 7,
            operation: L.reserve(340282366920938463, L.profile("p1"), L.order("o1"), "BTC-USD", L.trade("TRD-long1"), .long,
                                 quantity: "3", limitPrice: "2000.50"),
            result: .insufficientAvailable(available: L.decimal("-0.000000000000000001"), required: L.decimal("6001.5")))
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let text = String(decoding: try encoder.encode(event), as: UTF8.self)
        #expect(text == #"{"operation":{"id":"340282366920938463","kind":{"reserveEntry":{"limitPrice":"2000.5","orderID":"o1","#
            + #""profileID":"p1","quantity":"3","side":"long","symbol":"BTC-USD","tradeID":"TRD-long1"}}},"#
            + #""result":{"insufficientAvailable":{"available":"-0.000000000000000001","required":"6001.5"}},"sequence":7}"#)
    }

    @Test(arguments: [
        #"{"sequence":1,"operation":{"id":"1","kind":{"allocate":{"profileID":"p1","amount":1}}},"result":{"created":{}}}"#,
        #"{"sequence":1,"operation":{"id":"-1","kind":{"allocate":{"profileID":"p1","amount":"1"}}},"result":{"created":{}}}"#,
        #"{"sequence":1,"operation":{"id":1,"kind":{"allocate":{"profileID":"p1","amount":"1"}}},"result":{"created":{}}}"#,
        #"{"sequence":1,"operation":{"id":"1","kind":{"allocate":{"profileID":" ","amount":"1"}}},"result":{"created":{}}}"#,
        #"{"sequence":1,"operation":{"id":"1","kind":{"allocate":{"profileID":"p1","amount":"1e3"}}},"result":{"created":{}}}"#,
    ])
    func malformedEventsAreRefused(json: String) {
        #expect(throws: DecodingError.self) {
            try JSONDecoder().decode(LedgerEvent.self, from: Data(json.utf8))
        }
    }
}
