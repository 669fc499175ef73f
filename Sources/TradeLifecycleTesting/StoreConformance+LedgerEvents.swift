import TradeLifecycle

extension StoreConformance {
    /// The checks of ``TradeLifecycle/LedgerEventStore``. The history is one sequence per store:
    /// these checks append after whatever history the store has, except
    /// ``storedLedgerHistoryRebuildsTheLedger``, which needs an empty one.
    public static var ledgerEventChecks: [Check] {
        [
            ledgerEventsReadBackInSequence,
            ledgerEventAppendRefusesGapsAndDuplicates,
            storedLedgerHistoryRebuildsTheLedger,
            concurrentLedgerAppendsOfOneSequenceHaveOneWinner,
            ledgerEventAppendRollsBackWithTransaction,
        ]
    }

    /// Operations of a small ledger history: allocate, reserve, fill, cancel, exit.
    static func ledgerOperations(_ c: CheckContext) -> [LedgerOperation] {
        let profile = c.profile("p1")
        let order = c.orderID("e1"), trade = c.tradeID("a")
        func id(_ name: String) -> LedgerOperationID { .deterministic([c.tag, name]) }
        return [
            LedgerOperation(id: id("allocate"), kind: .allocate(profileID: profile, amount: Fixture.decimal("1000"))),
            LedgerOperation(id: id("reserve"), kind: .reserveEntry(profileID: profile, orderID: order, symbol: "BTC-USD", tradeID: trade,
                                                                   side: .long, quantity: Fixture.decimal("2"), limitPrice: Fixture.decimal("100"))),
            LedgerOperation(id: id("fill"), kind: .fill(profileID: profile, orderID: order, quantity: Fixture.decimal("1.5"),
                                                         price: Fixture.decimal("99.5"))),
            LedgerOperation(id: id("cancel"), kind: .cancel(profileID: profile, orderID: order)),
            LedgerOperation(id: id("exit"), kind: .exit(profileID: profile, symbol: "BTC-USD", tradeID: trade, quantity: Fixture.decimal("1.5"),
                                                         price: Fixture.decimal("101.25"), fee: Fixture.decimal("0.1"))),
            LedgerOperation(id: id("too-much"), kind: .deallocate(profileID: profile, amount: Fixture.decimal("5000"))),
        ]
    }

    /// The events a fresh ledger records for ``ledgerOperations(_:)``, numbered after `base`.
    static func ledgerEvents(_ c: CheckContext, after base: UInt64) throws -> (events: [LedgerEvent], ledger: CapitalLedger) {
        var ledger = CapitalLedger()
        for operation in ledgerOperations(c) { _ = try ledger.apply(operation) }
        let events = ledger.history.map { LedgerEvent(sequence: base + $0.sequence, operation: $0.operation, result: $0.result) }
        return (events, ledger)
    }

    /// Appended events read back unchanged, in sequence.
    public static let ledgerEventsReadBackInSequence = Check(
        "ledgerEventsReadBackInSequence", .ledgerEvents,
        "appended ledger events read back unchanged by sequence number and by operation id, in pages, and lastLedgerSequence follows"
    ) { store, c in
        let base = try await store.lastLedgerSequence()
        let (events, _) = try ledgerEvents(c, after: base)
        for event in events {
            try await store.appendLedgerEvent(event)
            try c.expectEqual(try await store.lastLedgerSequence(), event.sequence, "last sequence after appending \(event.sequence)")
        }
        try c.expectEqual(try await store.ledgerEvents(after: base, limit: 100), events, "events after \(base)")
        try c.expectEqual(try await store.ledgerEvents(after: base, limit: 2), Array(events.prefix(2)), "first page of 2")
        try c.expectEqual(try await store.ledgerEvents(after: base + 2, limit: 2), Array(events.dropFirst(2).prefix(2)), "second page of 2")
        try c.expectEqual(try await store.ledgerEvents(after: base + UInt64(events.count), limit: 2), [], "page after the end")
        for event in events {
            try c.expectEqual(try await store.ledgerEvent(for: event.id), event, "event of operation \(event.id)")
        }
        try c.expectEqual(try await store.ledgerEvent(for: .deterministic([c.tag, "absent"])), nil, "event of an unknown operation id")
    }

    /// Only the next sequence number and a new operation id are accepted.
    public static let ledgerEventAppendRefusesGapsAndDuplicates = Check(
        "ledgerEventAppendRefusesGapsAndDuplicates", .ledgerEvents,
        "an event whose sequence is not the next one is conflict, one whose operation id is stored is uniqueViolation, and neither is written"
    ) { store, c in
        let base = try await store.lastLedgerSequence()
        let (events, _) = try ledgerEvents(c, after: base)
        try await c.expectStoreError(.conflict, "append of sequence \(base + 2) first") { try await store.appendLedgerEvent(events[1]) }
        try await store.appendLedgerEvent(events[0])
        try await c.expectStoreError(.conflict, "second append of sequence \(base + 1)") { try await store.appendLedgerEvent(events[0]) }
        let reused = LedgerEvent(sequence: base + 2, operation: events[0].operation, result: events[0].result)
        try await c.expectStoreError(.uniqueViolation, "append of a stored operation id with the next sequence") {
            try await store.appendLedgerEvent(reused)
        }
        try c.expectEqual(try await store.lastLedgerSequence(), base + 1, "last sequence after the refused appends")
        try c.expectEqual(try await store.ledgerEvents(after: base, limit: 10), [events[0]], "stored events")
        try await store.appendLedgerEvent(events[1])
        try c.expectEqual(try await store.lastLedgerSequence(), base + 2, "last sequence after the next append")
    }

    /// The stored history restores the ledger.
    public static let storedLedgerHistoryRebuildsTheLedger = Check(
        "storedLedgerHistoryRebuildsTheLedger", .ledgerEvents,
        "a LedgerBook loaded from the stored history holds the same ledger as the one that recorded it (needs an empty ledger history)"
    ) { store, c in
        let base = try await store.lastLedgerSequence()
        try c.expectEqual(base, 0, "ledger history of the fresh store (this check needs an empty one)")
        let (events, ledger) = try ledgerEvents(c, after: 0)
        for event in events { try await store.appendLedgerEvent(event) }
        let book = try await LedgerBook.load(from: store)
        let rebuilt = await book.ledger
        try c.expect(rebuilt == ledger, "the rebuilt ledger differs: \(rebuilt.balances(of: c.profile("p1"))) instead of \(ledger.balances(of: c.profile("p1")))")
    }

    /// Concurrent appenders of one sequence number: one wins.
    public static let concurrentLedgerAppendsOfOneSequenceHaveOneWinner = Check(
        "concurrentLedgerAppendsOfOneSequenceHaveOneWinner", .ledgerEvents,
        "when many tasks append different events with the same next sequence number, exactly one is stored and the rest are conflict"
    ) { store, c in
        let base = try await store.lastLedgerSequence()
        let profile = c.profile("p1")
        let outcomes = try await race(c) { task throws(StoreError) in
            try await store.appendLedgerEvent(LedgerEvent(
                sequence: base + 1,
                operation: LedgerOperation(id: .deterministic([c.tag, "allocate", String(task)]),
                                           kind: .allocate(profileID: profile, amount: Fixture.decimal("\(task + 1)"))),
                result: .created))
        }
        var winners = 0
        for outcome in outcomes {
            switch outcome {
            case .succeeded: winners += 1
            case .failed(_, let error) where error.code == .conflict: break
            case .failed(let task, let error): throw c.failure("task \(task): expected conflict, got \(error)")
            }
        }
        try c.expectEqual(winners, 1, "events stored")
        try c.expectEqual(try await store.lastLedgerSequence(), base + 1, "last sequence")
    }

    /// An append inside a rolled-back unit of work is undone.
    public static let ledgerEventAppendRollsBackWithTransaction = Check(
        "ledgerEventAppendRollsBackWithTransaction", .ledgerEvents,
        "in a transactional store, an event appended by a transaction that throws is not stored and its sequence number is free again"
    ) { store, c in
        guard store.isTransactional else { return }
        let base = try await store.lastLedgerSequence()
        let (events, _) = try ledgerEvents(c, after: base)
        do {
            try await store.withTransaction { tx in
                try await tx.appendLedgerEvent(events[0])
                throw IntentionalRollback(round: 0)
            }
        } catch is IntentionalRollback {}
        try c.expectEqual(try await store.lastLedgerSequence(), base, "last sequence after the rollback")
        try c.expectEqual(try await store.ledgerEvent(for: events[0].id), nil, "event of the rolled-back transaction")
        try await store.appendLedgerEvent(events[0])
    }
}
