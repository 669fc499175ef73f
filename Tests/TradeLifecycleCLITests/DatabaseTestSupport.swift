import Foundation
import Logging
import PostgresNIO
import Testing
import TradeLifecycle
@testable import TradeLifecycleCLI
import TradeLifecyclePostgres

/// The server of the database command tests: `scripts/test` starts one and exports
/// `TRADE_LIFECYCLE_POSTGRES_URL` (a role that may create databases) and
/// `TRADE_LIFECYCLE_REQUIRE_POSTGRES=1`. Without the URL, plain `swift test` skips these suites
/// with a notice; with the variable set to 1 and no URL, they fail.
enum DatabaseTestEnvironment {
    static let url: String? = ProcessInfo.processInfo.environment["TRADE_LIFECYCLE_POSTGRES_URL"].flatMap { $0.isEmpty ? nil : $0 }
    static let isRequired = ProcessInfo.processInfo.environment["TRADE_LIFECYCLE_REQUIRE_POSTGRES"] == "1"
    static var shouldRun: Bool { url != nil || isRequired }
    static let skipNotice: Comment = """
        PostgreSQL tests skipped: TRADE_LIFECYCLE_POSTGRES_URL is not set. Run scripts/test to run them against a throwaway server.
        """

    struct Missing: Error, CustomStringConvertible {
        var description: String {
            "TRADE_LIFECYCLE_REQUIRE_POSTGRES=1 but TRADE_LIFECYCLE_POSTGRES_URL is not set: run the tests with scripts/test"
        }
    }

    static var quietLogger: Logger {
        var logger = Logger(label: "TradeLifecycleCLITests")
        logger.logLevel = .error
        return logger
    }
}

/// A database of its own for one test, migrated by the CLI's `migrate`, dropped afterwards.
struct CLITestDatabase: Sendable {
    let url: String
    let settings: PostgresConnectionSettings

    /// Creates a fresh database, runs `body`, drops the database whatever happens.
    static func withFresh<T: Sendable>(_ body: (CLITestDatabase) async throws -> T) async throws -> T {
        guard let adminURL = DatabaseTestEnvironment.url else { throw DatabaseTestEnvironment.Missing() }
        let admin = try PostgresConnectionSettings(url: adminURL)
        let name = "tl_cli_" + String((0..<12).map { _ in "0123456789abcdef".randomElement()! })
        try await withConnection(admin) { try await run("CREATE DATABASE \(name)", on: $0) }
        var settings = admin
        settings.database = name
        let base = adminURL[..<adminURL.lastIndex(of: "/")!]
        let database = CLITestDatabase(url: base + "/" + name, settings: settings)
        let result: Result<T, any Error>
        do {
            result = .success(try await body(database))
        } catch {
            result = .failure(error)
        }
        try await withConnection(admin) { try await run("DROP DATABASE IF EXISTS \(name) WITH (FORCE)", on: $0) }
        return try result.get()
    }

    /// A fresh database with the full schema (migrated in-process by the command), `seed`
    /// statements run first on the schema without the lifecycle constraints (migrations up to
    /// 0004), as rows of a database that predates them.
    static func withMigrated<T: Sendable>(seed: [String] = [], _ body: (CLITestDatabase) async throws -> T) async throws -> T {
        try await withFresh { database in
            let early = PostgresMigration.tradeLifecycleSchema.filter { $0.version <= 4 }
            _ = try await PostgresMigrator(settings: database.settings, migrations: early, logger: DatabaseTestEnvironment.quietLogger).migrate()
            for statement in seed {
                try await database.sql(statement)
            }
            let result = await database.cli(["migrate"])
            #expect(result.status == 0, "migrate: \(result.standardError)")
            return try await body(database)
        }
    }

    /// Runs the command line in-process with `DATABASE_URL` set to this database.
    func cli(_ arguments: [String], environment: [String: String] = [:], now: Timestamp = CLITestDatabase.now) async -> TradeLifecycleCommand.Result {
        var variables = environment
        if variables["DATABASE_URL"] == nil { variables["DATABASE_URL"] = url }
        return await TradeLifecycleCommand.execute(
            arguments: arguments,
            context: CommandContext(environment: variables, clock: ManualWallClock(now), logger: DatabaseTestEnvironment.quietLogger))
    }

    static let now = try! Timestamp("2026-02-15T12:00:00Z")

    /// Runs SQL; each row maps column name to its text (`nil` for NULL; booleans `t`/`f`).
    @discardableResult
    func sql(_ statement: String) async throws -> [[String: String?]] {
        try await Self.withConnection(settings) { connection in
            let rows = try await connection.query(PostgresQuery(unsafeSQL: statement), logger: DatabaseTestEnvironment.quietLogger)
            var result: [[String: String?]] = []
            for try await row in rows {
                let access = row.makeRandomAccess()
                var values: [String: String?] = [:]
                for index in 0..<access.count {
                    let data = access[data: index]
                    if data.value == nil {
                        values[access[index].columnName] = .some(nil)
                    } else if data.type == .bool {
                        values[access[index].columnName] = data.bool.map { $0 ? "t" : "f" }
                    } else {
                        values[access[index].columnName] = data.string
                    }
                }
                result.append(values)
            }
            return result
        }
    }

    func column(_ name: String, _ statement: String) async throws -> [String?] {
        try await sql(statement).map { $0[name] ?? nil }
    }

    private static func withConnection<T: Sendable>(_ settings: PostgresConnectionSettings,
                                                    _ body: (PostgresConnection) async throws -> T) async throws -> T {
        let connection = try await PostgresConnection.connect(
            configuration: PostgresConnection.Configuration(host: settings.host, port: settings.port, username: settings.username,
                                                            password: settings.password, database: settings.database, tls: .disable),
            id: 200, logger: DatabaseTestEnvironment.quietLogger)
        let result: Result<T, any Error>
        do {
            result = .success(try await body(connection))
        } catch {
            result = .failure(error)
        }
        try? await connection.close()
        return try result.get()
    }

    private static func run(_ statement: String, on connection: PostgresConnection) async throws {
        let rows = try await connection.query(PostgresQuery(unsafeSQL: statement), logger: DatabaseTestEnvironment.quietLogger)
        for try await _ in rows {}
    }
}

/// A SQL literal: quotes doubled, or NULL.
func literal(_ text: String?) -> String {
    text.map { "'" + $0.replacing("'", with: "''") + "'" } ?? "NULL"
}

/// PostgreSQL numeric text without trailing fractional zeros.
func canonicalNumeric(_ text: String?) -> String? {
    guard var text, text.contains(".") else { return text }
    while text.hasSuffix("0") { text.removeLast() }
    if text.hasSuffix(".") { text.removeLast() }
    return text
}

/// Parses JSON output with Foundation.
func jsonObject(_ text: String) throws -> [String: Any] {
    try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
}

/// Writes a temporary file.
func temporaryFile(_ text: String, name: String = "exchange") throws -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("\(name)-\(UUID().uuidString).json")
    try Data(text.utf8).write(to: url)
    return url
}

/// The command line suites that use the server, nested here and run one test at a time: each
/// opens a database and several connections, and the server's connection limit is shared with
/// the other suites that run in parallel.
@Suite("trade-lifecycle on PostgreSQL", .serialized)
struct DatabaseCLITests {}
