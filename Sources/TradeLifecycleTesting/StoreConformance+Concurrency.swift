import TradeLifecycle

extension StoreConformance {
    /// How many tasks the concurrency checks start at once.
    static let concurrentTasks = 32

    /// The checks of many tasks using one store at once.
    public static var concurrencyChecks: [Check] {
        [
            concurrentInsertsOfOneOrderIDHaveOneWinner,
            concurrentLiveEntryInsertsHaveOneWinner,
            concurrentTransitionsOfOneOrderHaveOneWinner,
            concurrentDecisionChangesHaveOneWinner,
            concurrentTransactionsDoNotLoseWrites,
        ]
    }

    /// The outcome of one task of a race.
    enum RaceOutcome<Value: Sendable>: Sendable {
        case succeeded(task: Int, Value)
        case failed(task: Int, StoreError)
    }

    /// Runs `operation` in `count` tasks at once and collects the outcomes; any error other than a
    /// ``StoreError`` fails the check.
    static func race<Value: Sendable>(
        _ c: CheckContext, count: Int = concurrentTasks,
        _ operation: @escaping @Sendable (Int) async throws(StoreError) -> Value
    ) async throws -> [RaceOutcome<Value>] {
        try await withThrowingTaskGroup(of: RaceOutcome<Value>.self) { group in
            for task in 0..<count {
                group.addTask {
                    do throws(StoreError) {
                        return .succeeded(task: task, try await operation(task))
                    } catch {
                        return .failed(task: task, error)
                    }
                }
            }
            var outcomes: [RaceOutcome<Value>] = []
            for try await outcome in group { outcomes.append(outcome) }
            return outcomes
        }
    }

    /// Exactly one of many concurrent inserts of one order id writes.
    public static let concurrentInsertsOfOneOrderIDHaveOneWinner = Check(
        "concurrentInsertsOfOneOrderIDHaveOneWinner", .concurrency,
        "when many tasks insert the same order id with different contents, exactly one is inserted, the rest alreadyExists, and the row is the winner's"
    ) { store, c in
        let profile = c.profile("p1")
        let id = c.orderID("o1")
        var candidates: [Order] = []
        for task in 0..<concurrentTasks {
            candidates.append(try c.order(id, profile: profile, action: .exit, status: .filled, quantity: "\(task + 1)",
                                          filled: "\(task + 1)", price: "100"))
        }
        let orders = candidates
        let outcomes = try await race(c) { task throws(StoreError) in try await store.insertOrder(orders[task]) }
        var winners: [Int] = []
        for outcome in outcomes {
            switch outcome {
            case .succeeded(let task, .inserted): winners.append(task)
            case .succeeded(_, .alreadyExists): break
            case .failed(let task, let error): throw c.failure("task \(task): insert threw \(error)")
            }
        }
        try c.expectEqual(winners.count, 1, "number of tasks whose insert reported inserted")
        try c.expectEqual(try await store.order(id), orders[winners[0]], "stored row (the winner's)")
    }

    /// Exactly one of many concurrent live ENTRY inserts of one profile and symbol writes.
    public static let concurrentLiveEntryInsertsHaveOneWinner = Check(
        "concurrentLiveEntryInsertsHaveOneWinner", .concurrency,
        "when many tasks insert different live ENTRY orders of one profile and symbol, exactly one is inserted and the rest are uniqueViolation"
    ) { store, c in
        let profile = c.profile("p1")
        var candidates: [Order] = []
        for task in 0..<concurrentTasks {
            candidates.append(try c.order(c.orderID("e\(task)"), profile: profile, status: .pending))
        }
        let orders = candidates
        let outcomes = try await race(c) { task throws(StoreError) in try await store.insertOrder(orders[task]) }
        var winners: [Int] = []
        for outcome in outcomes {
            switch outcome {
            case .succeeded(let task, .inserted): winners.append(task)
            case .succeeded(let task, .alreadyExists): throw c.failure("task \(task): insert of a new order id reported alreadyExists")
            case .failed(_, let error) where error.code == .uniqueViolation: break
            case .failed(let task, let error): throw c.failure("task \(task): expected uniqueViolation, got \(error)")
            }
        }
        try c.expectEqual(winners.count, 1, "number of live ENTRY orders inserted")
        try c.expectEqual(try await store.orders(matching: OrderQuery(profileID: profile)), [orders[winners[0]]], "orders of the profile")
    }

    /// Exactly one of many concurrent terminal transitions of one order applies.
    public static let concurrentTransitionsOfOneOrderHaveOneWinner = Check(
        "concurrentTransitionsOfOneOrderHaveOneWinner", .concurrency,
        "when many tasks move one open order to filled or cancelled at once, exactly one change applies, the rest are invalidChange"
    ) { store, c in
        let profile = c.profile("p1")
        let id = c.orderID("o1")
        _ = try await store.insertOrder(try c.order(id, profile: profile, action: .exit, status: .open, quantity: "2"))
        let outcomes = try await race(c) { task throws(StoreError) in
            let change: OrderChange = task % 2 == 0
                ? .transition(to: .filled, filledQuantity: nil, filledAt: Fixture.time(Int64(task)))
                : .transition(to: .cancelled, filledQuantity: nil, filledAt: nil)
            return try await store.updateOrder(id, change: change, at: Fixture.time(Int64(100 + task)))
        }
        var winners: [(Int, Order)] = []
        for outcome in outcomes {
            switch outcome {
            case .succeeded(let task, let order): winners.append((task, order))
            case .failed(_, let error) where error.code == .invalidChange: break
            case .failed(let task, let error): throw c.failure("task \(task): expected invalidChange, got \(error)")
            }
        }
        try c.expectEqual(winners.count, 1, "number of changes applied")
        try c.expectEqual(try await store.order(id), winners[0].1, "stored row (the winner's result)")
    }

    /// Exactly one of many concurrent compare-and-set decision changes applies.
    public static let concurrentDecisionChangesHaveOneWinner = Check(
        "concurrentDecisionChangesHaveOneWinner", .concurrency,
        "when many tasks change one PENDING_APPLY audit record at once, exactly one succeeds and the rest are conflict"
    ) { store, c in
        let record = c.auditRecord(batch: c.batchID("b1"), row: 0, profile: c.profile("p1"), trade: c.tradeID("a"))
        try await store.insertAuditRecords([record])
        let outcomes = try await race(c) { task throws(StoreError) in
            try await store.updateAuditDecision(record.key, from: .pendingApply, to: task % 2 == 0 ? .applied : .skipExisting)
        }
        var winners: [BackfillAuditRecord] = []
        for outcome in outcomes {
            switch outcome {
            case .succeeded(_, let changed): winners.append(changed)
            case .failed(_, let error) where error.code == .conflict: break
            case .failed(let task, let error): throw c.failure("task \(task): expected conflict, got \(error)")
            }
        }
        try c.expectEqual(winners.count, 1, "number of decision changes applied")
        try c.expectEqual(try await store.auditRecords(batchID: record.batchID), [winners[0]], "stored record (the winner's)")
    }

    /// Concurrent units of work each commit all of their writes.
    public static let concurrentTransactionsDoNotLoseWrites = Check(
        "concurrentTransactionsDoNotLoseWrites", .concurrency,
        "many concurrent transactions, each inserting two orders and an audit record, all commit every write"
    ) { store, c in
        let profile = c.profile("p1")
        let batch = c.batchID("b1")
        let outcomes = try await race(c) { task throws(StoreError) in
            // A serializable store may ask for a retry; the contract allows it.
            for _ in 0..<10 {
                do throws(StoreError) {
                    return try await Self.writeTwoOrdersAndARecord(store, c, task: task, profile: profile, batch: batch)
                } catch where error.code == .serializationFailure {
                    continue
                }
            }
            return try await Self.writeTwoOrdersAndARecord(store, c, task: task, profile: profile, batch: batch)
        }
        for case .failed(let task, let error) in outcomes {
            throw c.failure("task \(task): transaction threw \(error)")
        }
        try c.expectEqual(try await store.orders(matching: OrderQuery(profileID: profile)).count, 2 * concurrentTasks, "orders written")
        try c.expectEqual(try await store.auditRecords(batchID: batch).map(\.rowNumber), Array(0..<concurrentTasks), "audit rows written")
    }

    static func writeTwoOrdersAndARecord(_ store: any Store, _ c: CheckContext, task: Int, profile: ProfileID,
                                     batch: BackfillBatchID) async throws(StoreError) {
        do {
            return try await store.withTransaction { tx in
                for part in ["a", "b"] {
                    let order = try c.order(c.orderID("t\(task)-\(part)"), profile: profile, symbol: "S\(task)",
                                            action: .exit, status: .open)
                    _ = try await tx.insertOrder(order)
                }
                try await tx.insertAuditRecords([c.auditRecord(batch: batch, row: task, profile: profile, trade: c.tradeID("a"))])
            }
        } catch let error as StoreError {
            throw error
        } catch {
            throw StoreError(.unavailable, context: "transaction of task \(task): \(error)")
        }
    }
}
