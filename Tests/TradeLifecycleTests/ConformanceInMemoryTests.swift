import Testing
import TradeLifecycle
import TradeLifecycleTesting

/// The in-memory store runs the whole conformance suite, one test per check.
@Suite struct ConformanceInMemoryTests {
    @Test(arguments: StoreConformance.allChecks)
    func conformance(_ check: StoreConformance.Check) async throws {
        try await check.run(makeStore: { InMemoryStore() })
    }

    /// The fault-injecting wrapper, with no fault armed, conforms too, with and without
    /// transactions: it forwards every operation faithfully, and the suite handles a store that
    /// is not transactional.
    @Test(arguments: StoreConformance.allChecks, [true, false])
    func faultInjectingWrapperConforms(_ check: StoreConformance.Check, transactional: Bool) async throws {
        try await check.run(makeStore: { FaultInjectingStore(wrapping: InMemoryStore(), isTransactional: transactional) })
    }

    @Test func checkNamesAreUnique() {
        let names = StoreConformance.allChecks.map(\.name)
        #expect(Set(names).count == names.count)
    }

    @Test func everyAreaHasChecks() {
        for area in StoreConformance.Area.allCases {
            #expect(!StoreConformance.checks(in: area).isEmpty, "area \(area.rawValue) has no checks")
        }
    }
}
