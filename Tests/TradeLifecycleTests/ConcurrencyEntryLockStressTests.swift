import Synchronization
import Testing
import TradeLifecycle
import TradeLifecycleTesting

/// Many tasks contending for one entry lock, with a shared manual clock that moves while they
/// work: leases expire, get taken over, renewed, released and abandoned, and every holder tries a
/// guarded ENTRY write.
@Suite struct ConcurrencyEntryLockStressTests {
    static let tasks = 64
    static let attempts = 1_000
    static let ttlMicroseconds: Int64 = 100

    @Test func sixtyFourTasksThousandAttemptsKeepEveryInvariant() async throws {
        let report = try await Self.run(store: InMemoryStore())
        #expect(report.violations().isEmpty, "\(report.violations().prefix(10))")
        // The run exercised every path it is meant to check.
        #expect(report.leases.count > 100, "acquisitions: \(report.leases.count)")
        #expect(report.commits.count > 100, "guarded writes committed: \(report.commits.count)")
        #expect(report.staleWrites > 0, "guarded writes refused as stale")
        #expect(report.takeovers > 0, "takeovers after expiry")
        #expect(report.attempts == Self.tasks * Self.attempts)
    }

    /// The same run against stores with a broken lock finds violations: the checks can fail.
    @Test(arguments: [Flaw.fenceNotChecked, .lockIgnoresHolder])
    func brokenLockIsCaught(_ flaw: Flaw) async throws {
        let report = try await Self.run(store: FlawedStore(flaw), tasks: 16, attempts: 200)
        #expect(!report.violations().isEmpty)
    }

    // MARK: The run

    struct LeaseRecord {
        let task: Int
        var lease: EntryLease
        var released = false
    }

    struct Commit {
        let token: FencingToken
        let orderID: OrderID
        let liveEntriesBefore: Int
        let at: Timestamp
        let leaseExpiry: Timestamp
    }

    struct Report {
        var attempts = 0
        var leases: [FencingToken: LeaseRecord] = [:]
        var tokensByTask: [Int: [FencingToken]] = [:]
        var releases: [FencingToken] = []
        var commits: [Commit] = []
        var staleWrites = 0
        var failedRenewals = 0
        var takeovers = 0
        var liveEntriesAtEnd = 0
        var entryOrdersAtEnd = 0

        /// Every broken invariant, in words.
        func violations() -> [String] {
            var problems: [String] = []
            for (task, tokens) in tokensByTask where zip(tokens, tokens.dropFirst()).contains(where: { $0 >= $1 }) {
                problems.append("task \(task) got tokens that do not increase: \(tokens.map(\.rawValue))")
            }
            let tokenCount = tokensByTask.values.reduce(0) { $0 + $1.count }
            if tokenCount != leases.count { problems.append("a fencing token was handed out twice") }
            // By token (acquisition order): a lease of another owner starts only after the one
            // before it was released or expired.
            let ordered = leases.values.sorted { $0.lease.fencingToken < $1.lease.fencingToken }
            for (before, after) in zip(ordered, ordered.dropFirst()) where before.lease.owner != after.lease.owner {
                if !before.released && after.lease.acquiredAt < before.lease.expiresAt {
                    problems.append("two live leases: token \(before.lease.fencingToken) held until \(before.lease.expiresAt), token \(after.lease.fencingToken) acquired at \(after.lease.acquiredAt)")
                }
            }
            // Guarded writes commit in fencing token order, each inside its lease.
            for (earlier, later) in zip(commits, commits.dropFirst()) where later.token < earlier.token {
                problems.append("a stale write committed: token \(later.token) after token \(earlier.token)")
            }
            for commit in commits where !(commit.at < commit.leaseExpiry) {
                problems.append("a write with token \(commit.token) committed at \(commit.at), after its lease expired at \(commit.leaseExpiry)")
            }
            for commit in commits where commit.liveEntriesBefore > 1 {
                problems.append("\(commit.liveEntriesBefore) live ENTRY orders before the write of \(commit.orderID)")
            }
            if liveEntriesAtEnd > 1 { problems.append("\(liveEntriesAtEnd) live ENTRY orders at the end") }
            if entryOrdersAtEnd != commits.count {
                problems.append("\(entryOrdersAtEnd) ENTRY orders stored, \(commits.count) guarded writes committed")
            }
            return problems
        }
    }


    /// The run's observations, shared by its tasks.
    final class Journal: Sendable {
        let state = Mutex(Report())
    }

    /// The renewed lease, or `nil` when the lease is no longer held.
    static func renew(_ store: any Store, _ lease: EntryLease, now: Timestamp) async throws -> EntryLease? {
        do {
            return try await store.renewEntryLock(lease, ttlMicroseconds: ttlMicroseconds, now: now)
        } catch where error.code == .lockNotHeld {
            return nil
        }
    }

    /// Whether the release succeeded (`false` when the lease was no longer held).
    static func release(_ store: any Store, _ lease: EntryLease, now: Timestamp) async throws -> Bool {
        do {
            try await store.releaseEntryLock(lease, now: now)
            return true
        } catch where error.code == .lockNotHeld {
            return false
        }
    }

    static func run(store: any Store, tasks: Int = tasks, attempts: Int = attempts) async throws -> Report {
        let profile = try ProfileID("p1")
        let symbol = "BTC-USD"
        let clock = ManualWallClock(Timestamp(microsecondsSinceEpoch: 1_771_147_800_000_000))
        let journal = Journal()
        try await withThrowingTaskGroup(of: Void.self) { group in
            for task in 0..<tasks {
                group.addTask {
                    let owner = try EntryLockOwner("task-\(task)")
                    var random = SplitMix64(seed: UInt64(task) &* 7919 &+ 1)  // per task, so a failing run replays
                    for attempt in 0..<attempts {
                        journal.state.withLock { $0.attempts += 1 }
                        clock.advance(byMicroseconds: Int64(random.below(3)))
                        let acquisition = try await store.acquireEntryLock(
                            profileID: profile, symbol: symbol, owner: owner, ttlMicroseconds: ttlMicroseconds, now: clock.now())
                        guard case .acquired(var lease) = acquisition else { continue }
                        journal.state.withLock {
                            $0.leases[lease.fencingToken] = LeaseRecord(task: task, lease: lease)
                            $0.tokensByTask[task, default: []].append(lease.fencingToken)
                        }
                        // A pause: other tasks run and the clock moves on.
                        for _ in 0..<random.below(4) { await Task.yield() }
                        // Now and then a pause longer than the lease (a stalled process).
                        if random.below(20) == 0 { clock.advance(byMicroseconds: ttlMicroseconds) }
                        if random.below(4) == 0 {
                            if let renewed = try await Self.renew(store, lease, now: clock.now()) {
                                lease = renewed
                                journal.state.withLock { $0.leases[renewed.fencingToken]?.lease = renewed }
                            } else {
                                journal.state.withLock { $0.failedRenewals += 1 }
                            }
                        }
                        let writeTime = clock.now()
                        let held = lease
                        let orderID = try OrderID("t\(task)-a\(attempt)")
                        do {
                            try await store.withTransaction { tx in
                                try await tx.checkEntryLockFence(held, now: writeTime)
                                let live = try await tx.orders(matching: OrderQuery(
                                    profileID: profile, symbol: symbol, statuses: [.pending, .open, .partiallyFilled]))
                                    .filter { $0.action == .entry }
                                // What an earlier holder left live is resolved before the new ENTRY.
                                for order in live {
                                    _ = try await tx.updateOrder(order.orderID, change: .transition(to: .cancelled, filledQuantity: nil, filledAt: nil),
                                                                 at: writeTime)
                                }
                                let order = try Order(orderID: orderID, profileID: profile, symbol: symbol, tradeID: TradeID("TRD-t\(task)-a\(attempt)"),
                                                      action: .entry, side: .long, status: .pending, quantity: 1, price: 100, createdAt: writeTime)
                                _ = try await tx.insertOrder(order)
                                // The in-memory transaction holds the store: this is commit order.
                                let expiry = try await tx.entryLock(profileID: profile, symbol: symbol)?.expiresAt ?? held.expiresAt
                                journal.state.withLock {
                                    $0.commits.append(Commit(token: held.fencingToken, orderID: orderID, liveEntriesBefore: live.count,
                                                             at: writeTime, leaseExpiry: max(expiry, held.expiresAt)))
                                }
                            }
                        } catch let error as StoreError where error.code == .staleFencingToken {
                            journal.state.withLock { $0.staleWrites += 1 }
                        }
                        // Most holders release; some abandon the lease and let it expire.
                        if random.below(5) != 0, try await Self.release(store, lease, now: clock.now()) {
                            let token = lease.fencingToken
                            journal.state.withLock {
                                $0.leases[token]?.released = true
                                $0.releases.append(token)
                            }
                        }
                    }
                }
            }
            try await group.waitForAll()
        }
        var report = journal.state.withLock { $0 }
        let ordered = report.leases.values.sorted { $0.lease.fencingToken < $1.lease.fencingToken }
        report.takeovers = zip(ordered, ordered.dropFirst()).filter { !$0.0.released && $0.0.lease.owner != $0.1.lease.owner }.count
        let orders = try await store.orders(matching: OrderQuery(profileID: profile, symbol: symbol))
        report.entryOrdersAtEnd = orders.filter { $0.action == .entry }.count
        report.liveEntriesAtEnd = orders.filter { $0.action == .entry && $0.status.isLive }.count
        return report
    }
}
