import Synchronization
import Testing
import TradeLifecycle
import TradeLifecyclePostgres

/// Eight processes' worth of stores (eight clients, so eight separate connections at least)
/// race for one entry lock on the database's clock, each writing under the lock's fence and
/// sometimes stalling past its lease.
@Suite(
    "Entry lock race across connections",
    .enabled(if: PostgresTestEnvironment.shouldRun, PostgresTestEnvironment.skipNotice)
)
struct StoreEntryLockRaceTests {
    static let workers = 8
    static let roundsPerWorker = 25
    static let ttlMicroseconds: Int64 = 50_000
    static let profile = fixture { () throws(InputError) in try ProfileID("p-race") }
    static let t0 = Timestamp(microsecondsSinceEpoch: 1_771_147_800_000_000)

    struct Acquisition: Sendable {
        let lease: EntryLease
        /// Whether its owner released it (which succeeds only while it is the current lease).
        let released: Bool
        /// Whether its guarded write passed the fence and committed.
        let wrote: Bool
    }

    @Test("never two live leases, tokens increasing with time, and only the current lease's guarded writes commit")
    func eightConnectionsRaceForOneLock() async throws {
        try await StoreTestDatabase.withMigrated { database in
            let staleRefusals = Counter()
            let acquisitions = try await withThrowingTaskGroup(of: [Acquisition].self) { group in
                for worker in 0..<Self.workers {
                    group.addTask {
                        try await database.withStore(entryLockClock: .database, maximumConnections: 2) { store in
                            try await Self.work(worker: worker, store: store, staleRefusals: staleRefusals)
                        }
                    }
                }
                var all: [Acquisition] = []
                for try await part in group { all += part }
                return all
            }
            try #require(acquisitions.count >= Self.workers, "too few acquisitions to judge: \(acquisitions.count)")
            let byToken = acquisitions.sorted { $0.lease.fencingToken < $1.lease.fencingToken }
            #expect(Set(byToken.map(\.lease.fencingToken)).count == byToken.count, "a fencing token was handed out twice")
            for (earlier, later) in zip(byToken, byToken.dropFirst()) {
                // Tokens increase in the order leases are handed out.
                #expect(earlier.lease.acquiredAt <= later.lease.acquiredAt,
                        "token \(later.lease.fencingToken) was acquired at \(later.lease.acquiredAt), before token \(earlier.lease.fencingToken) at \(earlier.lease.acquiredAt)")
                // A lease that was not released is never replaced before it expires.
                if !earlier.released {
                    #expect(later.lease.acquiredAt >= earlier.lease.expiresAt,
                            "token \(later.lease.fencingToken) was acquired at \(later.lease.acquiredAt) while token \(earlier.lease.fencingToken) was live until \(earlier.lease.expiresAt)")
                }
            }
            // The guarded writes, in commit order (the chain serializes them): tokens strictly increase.
            try await database.withStore { store in
                let chain = try await store.executionLog(profileID: Self.profile, after: 0, limit: 10_000)
                let tokens = chain.map { Int64($0.record.reason) ?? -1 }
                #expect(tokens == tokens.sorted() && Set(tokens).count == tokens.count, "guarded writes out of token order: \(tokens)")
                #expect(Set(tokens) == Set(acquisitions.filter(\.wrote).map(\.lease.fencingToken.rawValue)))
                #expect(ExecutionLogChain.verify(chain, profileID: Self.profile,
                                                 head: try await store.executionLogHead(profileID: Self.profile)).isIntact)
            }
            // Every stall outlived its lease, so its write was refused.
            #expect(staleRefusals.value.load(ordering: .relaxed) > 0)
            #expect(acquisitions.contains { $0.wrote })
        }
    }

    static func work(worker: Int, store: PostgresStore, staleRefusals: Counter) async throws -> [Acquisition] {
        let owner = fixture { () throws(InputError) in try EntryLockOwner("worker-\(worker)") }
        var acquisitions: [Acquisition] = []
        for round in 0..<roundsPerWorker {
            let attempt = try await store.acquireEntryLock(profileID: profile, symbol: "BTC-USD", owner: owner,
                                                           ttlMicroseconds: ttlMicroseconds, now: t0)
            guard case .acquired(let lease) = attempt else {
                try await Task.sleep(for: .milliseconds(2))
                continue
            }
            if round % 5 == worker % 5 {
                // A pause longer than the lease (a GC, a frozen VM): the write must be refused.
                try await Task.sleep(for: .microseconds(3 * ttlMicroseconds))
            }
            var wrote = false
            do {
                try await store.withTransaction { tx in
                    try await tx.checkEntryLockFence(lease, now: t0)
                    _ = try await tx.appendExecutionLog(ExecutionLogRecord(
                        entryID: ExecutionLogEntryID("w-\(lease.fencingToken)"), profileID: profile,
                        orderID: OrderID("o-\(worker)"), action: .submitted, reason: "\(lease.fencingToken)", recordedAt: t0))
                }
                wrote = true
            } catch let error as StoreError where error.code == .staleFencingToken {
                staleRefusals.value.add(1, ordering: .relaxed)
            }
            var released = false
            do {
                try await store.releaseEntryLock(lease, now: t0)
                released = true
            } catch {
                // (An exhaustive catch: a partial `catch where` of a typed error crashes the 6.3 compiler.)
                guard error.code == .lockNotHeld else { throw error }
            }
            acquisitions.append(Acquisition(lease: lease, released: released, wrote: wrote))
        }
        return acquisitions
    }
}

/// A count shared by tasks.
final class Counter: Sendable {
    let value = Atomic<Int>(0)
}
