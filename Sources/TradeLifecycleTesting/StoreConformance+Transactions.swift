import TradeLifecycle

extension StoreConformance {
    /// The checks of ``TradeLifecycle/Store/withTransaction(_:)``.
    public static var transactionChecks: [Check] {
        [
            transactionCommitsAndReturnsTheBodysValue,
            transactionRollsBackEverythingOnThrow,
            transactionRollsBackOnStoreErrorInside,
            concurrentReaderNeverSeesHalfATransaction,
            concurrentReaderNeverSeesRolledBackWrites,
        ]
    }

    /// The error a check's transaction body throws to make it roll back.
    struct IntentionalRollback: Error, Equatable, CustomStringConvertible {
        let round: Int
        var description: String { "intentional rollback \(round)" }
    }

    /// A committed unit of work is visible afterwards, and its value is returned.
    public static let transactionCommitsAndReturnsTheBodysValue = Check(
        "transactionCommitsAndReturnsTheBodysValue", .transactions,
        "withTransaction returns the body's value and every write of the body is visible after it returns"
    ) { store, c in
        let profile = c.profile("p1")
        let entry = try c.order(c.orderID("e1"), profile: profile, status: .pending)
        let record = c.auditRecord(batch: c.batchID("b1"), row: 0, profile: profile, trade: c.tradeID("a"))
        let state = TradingProfile(profileID: profile, isPaused: true, updatedAt: Fixture.time(1))
        let value = try await store.withTransaction { tx in
            _ = try await tx.insertOrder(entry)
            _ = try await tx.updateOrder(entry.orderID, change: .transition(to: .open, filledQuantity: nil, filledAt: nil), at: Fixture.time(2))
            try await tx.saveProfile(state)
            try await tx.insertAuditRecords([record])
            // The transaction reads its own writes.
            return try await tx.order(entry.orderID)?.status
        }
        try c.expectEqual(value, .open, "value returned by the transaction (its own read of the order)")
        try c.expectEqual(try await store.order(entry.orderID)?.status, .open, "order status after commit")
        try c.expectEqual(try await store.profile(profile), state, "profile after commit")
        try c.expectEqual(try await store.auditRecords(batchID: record.batchID), [record], "audit records after commit")
    }

    /// A unit of work whose body throws leaves nothing behind (in a transactional store).
    public static let transactionRollsBackEverythingOnThrow = Check(
        "transactionRollsBackEverythingOnThrow", .transactions,
        "when the body throws, withTransaction rethrows the body's error and, in a transactional store, none of its writes remain"
    ) { store, c in
        let profile = c.profile("p1")
        let existing = try c.order(c.orderID("e0"), profile: profile, action: .exit, status: .open)
        let pendingRecord = c.auditRecord(batch: c.batchID("b0"), row: 0, profile: profile, trade: c.tradeID("a"))
        let before = TradingProfile(profileID: profile, isPaused: false, updatedAt: Fixture.time(0))
        _ = try await store.insertOrder(existing)
        try await store.insertAuditRecords([pendingRecord])
        try await store.saveProfile(before)
        let entry = try c.order(c.orderID("e1"), profile: profile, status: .pending)
        let newRecord = c.auditRecord(batch: c.batchID("b1"), row: 0, profile: profile, trade: c.tradeID("a"))
        do {
            _ = try await store.withTransaction { tx -> Int in
                _ = try await tx.insertOrder(entry)
                _ = try await tx.updateOrder(existing.orderID, change: .transition(to: .filled, filledQuantity: nil, filledAt: nil), at: Fixture.time(5))
                try await tx.saveProfile(TradingProfile(profileID: profile, isPaused: true, updatedAt: Fixture.time(5)))
                try await tx.insertAuditRecords([newRecord])
                _ = try await tx.updateAuditDecision(pendingRecord.key, from: .pendingApply, to: .applied)
                _ = try await tx.markBatchReverted(pendingRecord.batchID, at: Fixture.time(5))
                throw IntentionalRollback(round: 0)
            }
            throw c.failure("withTransaction returned although its body threw")
        } catch let error as IntentionalRollback {
            try c.expectEqual(error, IntentionalRollback(round: 0), "error rethrown by withTransaction")
        } catch let failure as ConformanceFailure {
            throw failure
        } catch {
            throw c.failure("withTransaction threw \(error) instead of the body's error")
        }
        guard store.isTransactional else { return }
        try c.expectEqual(try await store.order(entry.orderID), nil, "order inserted by the rolled-back transaction")
        try c.expectEqual(try await store.order(existing.orderID), existing, "order updated by the rolled-back transaction")
        try c.expectEqual(try await store.profile(profile), before, "profile saved by the rolled-back transaction")
        try c.expectEqual(try await store.auditRecords(batchID: newRecord.batchID), [], "audit records inserted by the rolled-back transaction")
        try c.expectEqual(try await store.auditRecords(batchID: pendingRecord.batchID), [pendingRecord],
                          "audit record changed by the rolled-back transaction")
        // The live ENTRY slot taken inside the rolled-back transaction is free.
        let other = try c.order(c.orderID("e2"), profile: profile, status: .pending)
        try c.expectEqual(try await store.insertOrder(other), .inserted, "live ENTRY after the rollback")
    }

    /// A store error inside the body that the body lets escape rolls back the earlier writes.
    public static let transactionRollsBackOnStoreErrorInside = Check(
        "transactionRollsBackOnStoreErrorInside", .transactions,
        "a StoreError escaping the body (a refused second live ENTRY) is rethrown and, in a transactional store, undoes the body's earlier writes"
    ) { store, c in
        let profile = c.profile("p1")
        let first = try c.order(c.orderID("e1"), profile: profile, status: .pending)
        let second = try c.order(c.orderID("e2"), profile: profile, status: .pending)
        let exit = try c.order(c.orderID("x1"), profile: profile, action: .exit, status: .filled, filled: "1.5")
        try await c.expectStoreError(.uniqueViolation, "transaction inserting two live ENTRY orders") {
            try await store.withTransaction { tx in
                _ = try await tx.insertOrder(exit)
                _ = try await tx.insertOrder(first)
                return try await tx.insertOrder(second)
            }
        }
        guard store.isTransactional else { return }
        try c.expectEqual(try await store.orders(matching: OrderQuery(profileID: profile)), [], "orders after the rollback")
    }

    /// Isolation: another caller sees all of a committed unit of work or none of it.
    public static let concurrentReaderNeverSeesHalfATransaction = Check(
        "concurrentReaderNeverSeesHalfATransaction", .transactions,
        "in a transactional store, a reader running while a transaction writes two orders sees both or neither, never one"
    ) { store, c in
        guard store.isTransactional else { return }
        let profile = c.profile("p1")
        for round in 0..<20 {
            let firstID = c.orderID("r\(round)-a"), secondID = c.orderID("r\(round)-b")
            let first = try c.order(firstID, profile: profile, symbol: "S\(round)", action: .exit, status: .open)
            let second = try c.order(secondID, profile: profile, symbol: "S\(round)", action: .exit, status: .open)
            let (started, signal) = AsyncStream<Void>.makeStream()
            let reader = Task { () throws -> [String] in
                for await _ in started { break }
                var seen: [String] = []
                // Read the first write first: seeing it without the second is a torn read.
                let firstSeen = try await store.order(firstID) != nil
                let secondSeen = try await store.order(secondID) != nil
                if firstSeen && !secondSeen { seen.append("order(_:) saw the first write without the second") }
                let rows = try await store.orders(matching: OrderQuery(profileID: profile, symbol: "S\(round)"))
                if rows.count == 1 { seen.append("orders(matching:) returned one of the two writes: \(rows[0].orderID)") }
                return seen
            }
            try await store.withTransaction { tx in
                _ = try await tx.insertOrder(first)
                signal.yield()
                signal.finish()
                for _ in 0..<64 { await Task.yield() }
                _ = try await tx.insertOrder(second)
            }
            let problems = try await reader.value
            try c.expect(problems.isEmpty, "round \(round): \(problems.joined(separator: "; "))")
        }
    }

    /// Isolation: writes of a rolled-back unit of work are never seen.
    public static let concurrentReaderNeverSeesRolledBackWrites = Check(
        "concurrentReaderNeverSeesRolledBackWrites", .transactions,
        "in a transactional store, a reader running while a transaction writes and then throws never sees its write"
    ) { store, c in
        guard store.isTransactional else { return }
        let profile = c.profile("p1")
        for round in 0..<20 {
            let id = c.orderID("r\(round)")
            let order = try c.order(id, profile: profile, action: .exit, status: .open)
            let (started, signal) = AsyncStream<Void>.makeStream()
            let reader = Task { () throws -> Bool in
                for await _ in started { break }
                return try await store.order(id) != nil
            }
            do {
                try await store.withTransaction { tx in
                    _ = try await tx.insertOrder(order)
                    signal.yield()
                    signal.finish()
                    for _ in 0..<64 { await Task.yield() }
                    throw IntentionalRollback(round: round)
                }
            } catch is IntentionalRollback {}
            try c.expect(!(try await reader.value), "round \(round): a reader saw an order of a transaction that rolled back")
            try c.expectEqual(try await store.order(id), nil, "round \(round): order after the rollback")
        }
    }
}
