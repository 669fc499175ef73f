import Logging
import Testing
import TradeLifecycle
import TradeLifecyclePostgres

/// A migrated database of its own for one test, with stores connected to it.
struct StoreTestDatabase: Sendable {
    let database: TestDatabase

    var settings: PostgresConnectionSettings { database.settings }

    /// Creates a fresh database, migrates it, runs `body`, and drops the database.
    static func withMigrated<T: Sendable>(_ body: (StoreTestDatabase) async throws -> T) async throws -> T {
        try await TestDatabase.withFresh { database in
            _ = try await database.migrator().migrate()
            return try await body(StoreTestDatabase(database: database))
        }
    }

    /// Runs `body` with a store connected as the database owner (a superuser: row level
    /// security does not apply).
    func withStore<T: Sendable>(
        entryLockClock: PostgresStore.Configuration.EntryLockClock = .caller,
        maximumConnections: Int = 10,
        settings: PostgresConnectionSettings? = nil,
        _ body: (PostgresStore) async throws -> T
    ) async throws -> T {
        try await PostgresStore.withStore(
            settings: settings ?? self.settings,
            configuration: PostgresStore.Configuration(entryLockClock: entryLockClock, maximumConnections: maximumConnections),
            logger: PostgresTestEnvironment.quietLogger,
            body)
    }

    func connect<T: Sendable>(_ body: (TestConnection) async throws -> T) async throws -> T {
        try await database.connect(body)
    }
}

/// Unwraps a value a test fixture cannot fail to make.
func fixture<Value, Failure: Error>(_ make: () throws(Failure) -> Value) -> Value {
    do {
        return try make()
    } catch {
        preconditionFailure("invalid test fixture: \(error)")
    }
}
