import PropertyBased
import Testing
import TradeLifecycle
import TradeLifecycleTesting

/// The ledger finds an id recorded before in one of two ways: ids greater than every id recorded
/// before them are found in the history itself, any other id in a hash table. Whatever the
/// order of the ids, a recorded id is found, a free one is free, and the ledger equals the one
/// rebuilt from its history.
@Suite struct LedgerIDTableTests {
    /// Ids in the orders a service may send them: growing, shrinking, random, in overlapping
    /// runs, with gaps; each pattern over 300 ids.
    enum Pattern: CaseIterable, Sendable {
        case ascending, descending, random, interleavedRuns, sawtooth
    }

    static func ids(_ pattern: Pattern, seed: UInt64) -> [UInt128] {
        var random = SplitMix64(seed: seed)
        var ids: [UInt128] = []
        var used: Set<UInt128> = []
        func add(_ id: UInt128) { if id != 0, used.insert(id).inserted { ids.append(id) } }
        while ids.count < 300 {
            switch pattern {
            case .ascending:
                add((ids.last ?? 0) + 1 + UInt128(random.next() % 5))
            case .descending:
                add((ids.last ?? 10_000) - 1 - UInt128(random.next() % 5))
            case .random:
                add(UInt128(random.next()) << 64 | UInt128(random.next()))
            case .interleavedRuns:
                // Two generators, each growing, their ids interleaved at random.
                let base: UInt128 = random.next() % 2 == 0 ? 0 : 1_000_000
                add(base + UInt128(ids.count * 3) + UInt128(random.next() % 3))
            case .sawtooth:
                // Growing runs of ten odd steps, each starting below the previous run's end
                // (run r is 15r + 1, 15r + 3, ..., 15r + 19: no two runs share an id).
                add(UInt128(ids.count / 10) * 15 + UInt128(ids.count % 10) * 2 + 1)
            }
        }
        return ids
    }

    @Test(arguments: Pattern.allCases)
    func everyRecordedIDIsFoundAndEveryOtherIsFree(_ pattern: Pattern) async {
        await propertyCheck(count: 20, input: Gen.uint64()) { seed throws in
            let profile = L.profile("p1")
            let ids = Self.ids(pattern, seed: seed)
            var ledger = CapitalLedger()
            var recorded: [UInt128: LedgerEvent] = [:]
            for (offset, id) in ids.enumerated() {
                let operation = LedgerOperation(id: LedgerOperationID(id), kind: .allocate(
                    profileID: profile, amount: ExactDecimal(units: Int128(offset + 1))))
                #expect(ledger.event(for: operation.id) == nil, "id \(id) is free before it is recorded")
                #expect(try ledger.apply(operation) == .created, "id \(id)")
                let event = LedgerEvent(sequence: UInt64(offset + 1), operation: operation, result: .created)
                #expect(ledger.event(for: operation.id) == event, "id \(id) is found right after it is recorded")
                recorded[id] = event
            }
            // Every recorded id: found, a replay is `exists`, other content the first difference.
            let snapshot = ledger
            for (id, event) in recorded {
                #expect(ledger.event(for: LedgerOperationID(id)) == event, "id \(id)")
                #expect(try ledger.apply(event.operation) == .exists, "replay of id \(id)")
                let changed = LedgerOperation(id: LedgerOperationID(id), kind: .allocate(
                    profileID: profile, amount: ExactDecimal(units: 1_000_000_000)))
                #expect(try ledger.apply(changed) == .existsWithDifferentAmount, "id \(id) with another amount")
            }
            #expect(ledger == snapshot, "answers from the id table change nothing")
            // Ids next to recorded ones, and one above all of them, are free.
            let neighbours = Set(ids.flatMap { [$0 &- 1, $0 &+ 1] } + [ids.max()! &+ 1]).subtracting(ids).subtracting([0])
            for id in neighbours {
                #expect(ledger.event(for: LedgerOperationID(id)) == nil, "id \(id) was never recorded")
            }
            #expect(try CapitalLedger.rebuild(from: ledger.history) == ledger)
            // A free id below recorded ones is recorded, and then found.
            if let free = neighbours.filter({ $0 < ids.max()! }).min() {
                let operation = LedgerOperation(id: LedgerOperationID(free), kind: .allocate(profileID: profile, amount: 1))
                #expect(try ledger.apply(operation) == .created, "free id \(free)")
                #expect(try ledger.apply(operation) == .exists, "id \(free) recorded")
            }
        }
    }

    @Test func reservingCapacityChangesNothingButStorage() throws {
        let profile = L.profile("p1")
        // Ids alternately above and below the ones before: 152, 149, 154, 147, ...
        let operations = (1...50).map { (step: Int) -> LedgerOperation in
            let id: Int = step % 2 == 0 ? 151 - step : 151 + step
            return L.allocate(UInt64(id), profile, "1")
        }
        var reserved = CapitalLedger()
        var plain = CapitalLedger()
        for operation in operations.prefix(20) {
            _ = try reserved.apply(operation)
            _ = try plain.apply(operation)
        }
        let before = reserved
        reserved.reserveCapacity(10_000)
        #expect(reserved == before, "reserving keeps every recorded event")
        #expect(reserved.history == before.history)
        reserved.reserveCapacity(5)
        #expect(reserved == before, "a smaller reservation does nothing")
        for operation in operations.dropFirst(20) {
            #expect(try reserved.apply(operation) == plain.apply(operation))
        }
        #expect(reserved == plain)
        #expect(Array(reserved.history) == Array(plain.history))
        #expect(reserved.history.count == 50)
    }
}
