import Testing
import TradeLifecycle
import TradeLifecyclePostgres
import TradeLifecycleTesting

/// PostgresStore runs the whole conformance suite, one test per check, each check against a
/// freshly migrated database of its own (entry locks on the caller's clock, which the suite
/// drives by hand). The checks run one at a time: the concurrency checks open a store's whole
/// connection pool, and the server's connections are shared with every other test.
@Suite(
    "PostgresStore conformance",
    .enabled(if: PostgresTestEnvironment.shouldRun, PostgresTestEnvironment.skipNotice),
    .serialized
)
struct ConformancePostgresTests {
    @Test(arguments: StoreConformance.allChecks)
    func conformance(_ check: StoreConformance.Check) async throws {
        try await StoreTestDatabase.withMigrated { database in
            try await database.withStore { store in
                try await check.run(makeStore: { store })
            }
        }
    }

    /// The checks one after another against one shared database and one store: the suite's
    /// random tags keep them apart, as a store shared by several services would be. Left out:
    /// the ledger checks (one history per role, and one check needs it empty) and the purge
    /// check (a purge deletes every source's old events, so it counts the other checks' too).
    @Test func checksShareOneDatabase() async throws {
        try await StoreTestDatabase.withMigrated { database in
            try await database.withStore { store in
                let shared = StoreConformance.allChecks.filter {
                    $0.area != .ledgerEvents && $0 != StoreConformance.purgeRemovesOnlyOlderEvents
                }
                let failures = await StoreConformance.failures(of: shared, makeStore: { store })
                #expect(failures.isEmpty, "\(failures.map(\.description).joined(separator: "\n"))")
            }
        }
    }
}
