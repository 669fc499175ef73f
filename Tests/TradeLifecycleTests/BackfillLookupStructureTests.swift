import PropertyBased
import Testing
@testable import TradeLifecycle
import TradeLifecycleTesting

/// Random text over a small alphabet (so that texts collide and contain one another), with
/// some non-ASCII characters that are canonically equivalent to ASCII ones or to each other.
private func randomText(_ random: inout SplitMix64, maxLength: Int) -> String {
    let alphabet: [String] = ["a", "b", "c", "-", "1", "K", "\u{212A}", "\u{E9}", "e\u{301}", "T", "R", "D"]
    var text = ""
    for _ in 0..<Int.random(in: 1...maxLength, using: &random) {
        text += alphabet[Int.random(in: 0..<(random.next() % 3 == 0 ? alphabet.count : 6), using: &random)]
    }
    return text
}

@Suite("Backfill lookup structures")
struct BackfillLookupStructureTests {
    @Test("The text filter never says no to a text the set holds, as String equality decides")
    func textFilterHasNoFalseNegatives() async {
        await propertyCheck(count: 300, input: Gen.int(in: 0...1_000_000_000)) { seed in
            var random = SplitMix64(seed: UInt64(seed))
            let added = (0..<Int.random(in: 0...20, using: &random)).map { _ in randomText(&random, maxLength: 4) }
            let asked = (0..<40).map { _ in randomText(&random, maxLength: 4) } + added
            var filter = BackfillTextFilter(capacity: added.count)
            for text in added { filter.insert(text) }
            let set = Set(added)
            for text in asked where set.contains(text) {
                #expect(filter.mayContain(text), "\(text.unicodeScalars.map(\.value)) is in the set")
            }
        }
    }

    @Test("The Kelvin sign equals the ASCII K: the filter defers to the set")
    func textFilterDefersOnNonASCII() {
        var filter = BackfillTextFilter(capacity: 1)
        filter.insert("\u{212A}")
        #expect("\u{212A}" == "K")
        #expect(filter.mayContain("K"))
        var asciiFilter = BackfillTextFilter(capacity: 1)
        asciiFilter.insert("K")
        #expect(asciiFilter.mayContain("\u{212A}"))
    }

    @Test("An ASCII filter rejects most texts it was not given")
    func textFilterRejects() {
        var filter = BackfillTextFilter(capacity: 1_000)
        for index in 0..<1_000 { filter.insert("ex-\(index)") }
        let rejected = (1_000..<11_000).filter { !filter.mayContain("ex-\($0)") }.count
        #expect(rejected > 9_000)
        for index in 0..<1_000 { #expect(filter.mayContain("ex-\(index)")) }
    }

    @Test("The containment index finds exactly the trade ids a byte search finds")
    func containmentMatchesByteSearch() async throws {
        await propertyCheck(count: 300, input: Gen.int(in: 0...1_000_000_000)) { seed in
            var random = SplitMix64(seed: UInt64(seed))
            let clientOrderIDs = (0..<Int.random(in: 1...8, using: &random)).map { _ in
                ClientOrderID(uncheckedRawValue: randomText(&random, maxLength: 12))
            }
            let tradeTexts = (0..<Int.random(in: 0...12, using: &random)).map { _ in randomText(&random, maxLength: 4) }
            let summaries = try tradeTexts.prefix(tradeTexts.count / 2).map { text in
                LifecycleSummary(key: LifecycleKey(profileID: try ProfileID("p1"), symbol: "S", tradeID: TradeID(uncheckedRawValue: text)),
                                 entryQuantity: 1, exitQuantity: 0, openQuantity: 1, side: .long, firstEntryOrderID: nil,
                                 firstEntryAt: nil, averageEntryPrice: nil, lastFilledAt: nil)
            }
            let uncounted = Set(tradeTexts.suffix(from: tradeTexts.count / 2).map { TradeID(uncheckedRawValue: $0) })
            // Some lifecycles open, the others known by their keys.
            let split = Int.random(in: 0...summaries.count, using: &random)
            let index = TradeIDContainmentIndex(
                clientOrderIDs: clientOrderIDs,
                tradeIDs: BackfillKnownTradeIDs(openLifecycles: Array(summaries[..<split]), closedLifecycleKeys: summaries[split...].map(\.key),
                                                uncounted: uncounted))
            let all = summaries.map(\.key.tradeID) + Array(uncounted)
            for (position, clientOrderID) in clientOrderIDs.enumerated() {
                let found = index.tradeIDs(containedInClientOrderIDAt: position).map { Array($0.rawValue.utf8) }
                var expected: [[UInt8]] = []
                for tradeID in all where clientOrderID.contains(tradeID) {
                    let bytes = Array(tradeID.rawValue.utf8)
                    if !expected.contains(bytes) { expected.append(bytes) }
                }
                #expect(Set(found) == Set(expected), "\(clientOrderID)")
                #expect(found.count == expected.count, "\(clientOrderID): each trade id once")
            }
        }
    }
}

@Suite("In-memory store order reads")
struct InMemoryStoreOrderReadTests {
    @Test("Interleaved inserts, updates and reads give the orders sorted by order id bytes, as last written")
    func interleavedOperationsMatchAModel() async throws {
        await propertyCheck(count: 100, input: Gen.int(in: 0...1_000_000_000)) { seed in
            var random = SplitMix64(seed: UInt64(seed))
            let store = InMemoryStore()
            var model: [String: Order] = [:]
            let suffixes = ["a", "B", "10", "9", "é", "e\u{301}x", "Z", "b-2", "b-10", "A", "0", "zz"]
            for _ in 0..<40 {
                switch Int.random(in: 0..<4, using: &random) {
                case 0, 1:
                    let id = "o-" + suffixes.randomElement(using: &random)! + "\(Int.random(in: 0...3, using: &random))"
                    let order = try BackfillFixtures.order(id, trade: nil, action: nil, status: .pending)
                    let outcome = try await store.insertOrder(order)
                    #expect(outcome == (model[id] == nil ? .inserted : .alreadyExists))
                    if model[id] == nil { model[id] = order }
                case 2:
                    guard let id = model.keys.sorted().randomElement(using: &random) else { continue }
                    let status: OrderStatus = model[id]!.status == .pending ? .open : .cancelled
                    guard model[id]!.status.isLive else { continue }
                    let updated = try await store.updateOrder(
                        OrderID(id), change: .transition(to: status, filledQuantity: nil, filledAt: nil), at: try BackfillFixtures.now())
                    model[id] = updated
                default:
                    let read = try await store.orders(matching: OrderQuery(profileID: try ProfileID("p1")))
                    let expected = model.values.sorted { $0.orderID.rawValue.utf8.lexicographicallyPrecedes($1.orderID.rawValue.utf8) }
                    #expect(read == expected)
                    let live = try await store.orders(matching: OrderQuery(profileID: try ProfileID("p1"), statuses: [.pending]))
                    #expect(live == expected.filter { $0.status == .pending })
                }
                for (id, order) in model {
                    #expect(try await store.order(OrderID(id)) == order)
                }
            }
        }
    }
}
