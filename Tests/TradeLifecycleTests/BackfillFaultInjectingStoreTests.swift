import Testing
import TradeLifecycle
import TradeLifecycleTesting

private typealias F = BackfillFixtures

@Suite("FaultInjectingStore")
struct BackfillFaultInjectingStoreTests {
    private func profile(_ paused: Bool) throws -> TradingProfile {
        try F.pausedProfile(paused)
    }

    @Test("failCall fails exactly the chosen call, counted from injection")
    func failCall() async throws {
        let store = FaultInjectingStore(wrapping: InMemoryStore())
        try await store.saveProfile(try profile(true))
        store.inject(.failCall(number: 2, of: .saveProfile))
        try await store.saveProfile(try profile(false))
        await #expect(throws: StoreError.self) { try await store.saveProfile(try self.profile(true)) }
        try await store.saveProfile(try profile(true))
        #expect(store.callCount(of: .saveProfile) == 4)
        #expect(store.injectedFailureCount == 1)
        #expect(try await store.profile(try F.profileID())?.isPaused == true)
    }

    @Test("a failed call does not reach the wrapped store")
    func failedCallWritesNothing() async throws {
        let base = InMemoryStore()
        let store = FaultInjectingStore(wrapping: base)
        store.inject(.failCall(number: 1, of: .insertOrder))
        let error = await #expect(throws: StoreError.self) { _ = try await store.insertOrder(try F.order("o1")) }
        #expect(error?.code == .injectedFailure)
        #expect(error?.description.contains("insertOrder") == true)
        #expect(try await base.order(try OrderID("o1")) == nil)
    }

    @Test("crash fails the chosen call and every later call until removeFaults")
    func crash() async throws {
        let store = FaultInjectingStore(wrapping: InMemoryStore())
        store.inject(.crash(atCall: 1, of: .insertOrder))
        await #expect(throws: StoreError.self) { _ = try await store.insertOrder(try F.order("o1")) }
        #expect(store.isCrashed)
        await #expect(throws: StoreError.self) { _ = try await store.profile(try F.profileID()) }
        store.removeFaults()
        #expect(!store.isCrashed)
        #expect(try await store.insertOrder(try F.order("o1")) == .inserted)
    }

    @Test("failWrites lets the first writes through and fails every later write, reads still work")
    func failWrites() async throws {
        let store = FaultInjectingStore(wrapping: InMemoryStore())
        store.inject(.failWrites(after: 2))
        #expect(try await store.insertOrder(try F.order("o1")) == .inserted)
        try await store.saveProfile(try profile(true))
        await #expect(throws: StoreError.self) { _ = try await store.insertOrder(try F.order("o2", trade: "TRD-b")) }
        await #expect(throws: StoreError.self) { try await store.saveProfile(try self.profile(false)) }
        #expect(try await store.order(try OrderID("o1")) != nil)
        #expect(store.writeCount == 4)
    }

    @Test("transactional: a failure inside a transaction rolls its writes back")
    func atomicTransaction() async throws {
        let base = InMemoryStore()
        let store = FaultInjectingStore(wrapping: base)
        #expect(store.isTransactional)
        store.inject(.failCall(number: 1, of: .saveProfile))
        await #expect(throws: StoreError.self) {
            try await store.withTransaction { transaction in
                _ = try await transaction.insertOrder(try F.order("o1"))
                try await transaction.saveProfile(try F.pausedProfile(true))
            }
        }
        #expect(try await base.order(try OrderID("o1")) == nil)
    }

    @Test("non-transactional: the writes before a failure stay, as after a crash")
    func nonAtomicTransaction() async throws {
        let base = InMemoryStore()
        let store = FaultInjectingStore(wrapping: base, isTransactional: false)
        #expect(!store.isTransactional)
        store.inject(.failCall(number: 1, of: .saveProfile))
        await #expect(throws: StoreError.self) {
            try await store.withTransaction { transaction in
                _ = try await transaction.insertOrder(try F.order("o1"))
                try await transaction.saveProfile(try F.pausedProfile(true))
            }
        }
        #expect(try await base.order(try OrderID("o1")) != nil)
        #expect(try await base.profile(try F.profileID()) == nil)
    }

    @Test("beginTransaction can fail before the body runs")
    func beginTransaction() async throws {
        let store = FaultInjectingStore(wrapping: InMemoryStore())
        store.inject(.failCall(number: 1, of: .beginTransaction))
        let ran = BackfillRequestLog()
        await #expect(throws: StoreError.self) {
            try await store.withTransaction { _ in ran.append("ran") }
        }
        #expect(ran.entries().isEmpty)
    }

    @Test("writes are exactly the operations that change data")
    func writeClassification() {
        let writes = FaultInjectingStore.Operation.allCases.filter(\.isWrite).map(\.rawValue)
        #expect(writes == ["insertOrder", "updateOrder", "saveProfile", "insertAuditRecords", "updateAuditDecision", "markBatchReverted"])
    }
}
