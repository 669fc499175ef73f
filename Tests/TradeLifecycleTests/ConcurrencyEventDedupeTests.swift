import Synchronization
import Testing
import TradeLifecycle

/// Event deduplication: true exactly once per (source, event id), however many duplicates race,
/// for as long as the retention window keeps the pair.
@Suite struct ConcurrencyEventDedupeTests {
    static let t0 = Timestamp(microsecondsSinceEpoch: 1_771_147_800_000_000)

    final class Counter: Sendable {
        let firsts = Mutex<[String: Int]>([:])
    }

    @Test func concurrentDuplicatesAreNewExactlyOnce() async throws {
        let store = InMemoryStore()
        let dedupe = EventDeduplicator(store: store, clock: ManualWallClock(Self.t0), retentionMicroseconds: Timestamp.hours(1))
        let counter = Counter()
        // 64 tasks deliver the same 200 events, each in its own order.
        try await withThrowingTaskGroup(of: Void.self) { group in
            for task in 0..<64 {
                group.addTask {
                    for index in 0..<200 {
                        let event = "e\((index * (task + 1)) % 200)"
                        if try await dedupe.isNew(source: "fills", eventID: event) {
                            counter.firsts.withLock { $0[event, default: 0] += 1 }
                        }
                    }
                }
            }
            try await group.waitForAll()
        }
        let firsts = counter.firsts.withLock { $0 }
        #expect(firsts.count == 200)
        #expect(firsts.values.allSatisfy { $0 == 1 })
    }

    @Test func retentionWindowForgetsOnlyOldEvents() async throws {
        let store = InMemoryStore()
        let clock = ManualWallClock(Self.t0)
        let dedupe = EventDeduplicator(store: store, clock: clock, retentionMicroseconds: Timestamp.minutes(10))
        #expect(try await dedupe.isNew(source: "s", eventID: "old"))
        clock.advance(byMicroseconds: Timestamp.minutes(6))
        #expect(try await dedupe.isNew(source: "s", eventID: "recent"))
        #expect(!(try await dedupe.isNew(source: "s", eventID: "old")))
        clock.advance(byMicroseconds: Timestamp.minutes(5))
        // 11 minutes after "old", 5 after "recent": only "old" is forgotten.
        #expect(try await dedupe.purgeExpired() == 1)
        #expect(!(try await dedupe.isNew(source: "s", eventID: "recent")))
        #expect(try await dedupe.isNew(source: "s", eventID: "old"))
    }

    /// Processing an event and marking it in one unit of work: a failed processing leaves the event
    /// new, so its redelivery is processed.
    @Test func markingInsideAUnitOfWorkRollsBackWithIt() async throws {
        struct ProcessingFailed: Error {}
        let store = InMemoryStore()
        await #expect(throws: ProcessingFailed.self) {
            try await store.withTransaction { tx in
                guard try await tx.recordIfNew(source: "s", eventID: "e1", at: Self.t0) else { return }
                throw ProcessingFailed()
            }
        }
        #expect(try await store.recordIfNew(source: "s", eventID: "e1", at: Self.t0))
    }
}
