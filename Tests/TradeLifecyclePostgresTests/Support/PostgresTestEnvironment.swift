import Foundation
import Logging
import PostgresNIO
import Testing
import TradeLifecyclePostgres

/// Where the PostgreSQL tests find their server.
///
/// `scripts/test` starts a throwaway server and exports `TRADE_LIFECYCLE_POSTGRES_URL` and
/// `TRADE_LIFECYCLE_REQUIRE_POSTGRES=1`. Under plain `swift test` without the URL, the suites
/// that need PostgreSQL are skipped with a notice; with `TRADE_LIFECYCLE_REQUIRE_POSTGRES=1`
/// and no URL they run and fail, saying what to do.
enum PostgresTestEnvironment {
    static let url: String? = ProcessInfo.processInfo.environment["TRADE_LIFECYCLE_POSTGRES_URL"]
        .flatMap { $0.isEmpty ? nil : $0 }

    static let isRequired: Bool = ProcessInfo.processInfo.environment["TRADE_LIFECYCLE_REQUIRE_POSTGRES"] == "1"

    /// The directory of `pg_dump` and friends, when scripts/with-postgres started the server.
    static let binDirectory: String? = ProcessInfo.processInfo.environment["TRADE_LIFECYCLE_PG_BINDIR"]
        .flatMap { $0.isEmpty ? nil : $0 }

    /// Whether the suites that need PostgreSQL run (and then pass or fail) rather than skip.
    static var shouldRun: Bool { url != nil || isRequired }

    static let skipNotice: Comment = """
        PostgreSQL tests skipped: TRADE_LIFECYCLE_POSTGRES_URL is not set. \
        Run scripts/test to run them against a throwaway server.
        """

    struct Missing: Error, CustomStringConvertible {
        var description: String {
            """
            TRADE_LIFECYCLE_REQUIRE_POSTGRES=1 but TRADE_LIFECYCLE_POSTGRES_URL is not set: \
            run the tests with scripts/test (it starts a throwaway PostgreSQL server), or install \
            postgresql (Debian/Ubuntu: apt-get install postgresql), or set \
            TRADE_LIFECYCLE_POSTGRES_URL=postgres://USER:PASSWORD@HOST:PORT/DATABASE
            """
        }
    }

    /// The administrative settings: a role that may create databases and roles.
    static func adminSettings() throws -> PostgresConnectionSettings {
        guard let url else {
            throw Missing()
        }
        return try PostgresConnectionSettings(url: url)
    }

    static var quietLogger: Logger {
        var logger = Logger(label: "TradeLifecyclePostgresTests")
        logger.logLevel = .error
        return logger
    }
}

/// A database of its own for one test, dropped afterwards.
struct TestDatabase: Sendable {
    let settings: PostgresConnectionSettings
    let admin: PostgresConnectionSettings

    /// Creates a fresh empty database, runs `body`, and drops the database (and the roles
    /// `body` registered) whatever happens.
    static func withFresh<T: Sendable>(
        _ body: (TestDatabase) async throws -> T
    ) async throws -> T {
        let admin = try PostgresTestEnvironment.adminSettings()
        let name = "tl_test_" + randomHex(12)
        try await TestConnection.with(admin) { connection in
            try await connection.run("CREATE DATABASE \(name)")
        }
        var settings = admin
        settings.database = name
        let database = TestDatabase(settings: settings, admin: admin)
        let result: Result<T, any Error>
        do {
            result = .success(try await body(database))
        } catch {
            result = .failure(error)
        }
        try await TestConnection.with(admin) { connection in
            try await connection.run("DROP DATABASE IF EXISTS \(name) WITH (FORCE)")
        }
        return try result.get()
    }

    func connect<T: Sendable>(_ body: (TestConnection) async throws -> T) async throws -> T {
        try await TestConnection.with(settings, body)
    }

    func migrator(
        _ migrations: [PostgresMigration] = PostgresMigration.tradeLifecycleSchema,
        options: PostgresMigrator.Options = PostgresMigrator.Options(),
        observer: (@Sendable (PostgresMigrationEvent) -> Void)? = nil
    ) -> PostgresMigrator {
        PostgresMigrator(
            settings: settings,
            migrations: migrations,
            options: options,
            logger: PostgresTestEnvironment.quietLogger,
            observer: observer
        )
    }

    /// Creates a LOGIN role for the length of `body`, then removes what it owns in this
    /// database and drops it.
    func withRole<T: Sendable>(_ body: (_ name: String, _ password: String) async throws -> T) async throws -> T {
        let name = "tl_role_" + randomHex(10)
        let password = randomHex(16)
        try await TestConnection.with(admin) { connection in
            try await connection.run("CREATE ROLE \(name) LOGIN PASSWORD '\(password)' NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE")
        }
        let result: Result<T, any Error>
        do {
            result = .success(try await body(name, password))
        } catch {
            result = .failure(error)
        }
        try await connect { connection in
            try await connection.run("DROP OWNED BY \(name)")
        }
        try await TestConnection.with(admin) { connection in
            try await connection.run("DROP ROLE \(name)")
        }
        return try result.get()
    }
}

/// A thin test-side connection: runs SQL and returns rows as text.
struct TestConnection: Sendable {
    let connection: PostgresConnection

    static func with<T: Sendable>(
        _ settings: PostgresConnectionSettings,
        _ body: (TestConnection) async throws -> T
    ) async throws -> T {
        let configuration = PostgresConnection.Configuration(
            host: settings.host,
            port: settings.port,
            username: settings.username,
            password: settings.password,
            database: settings.database,
            tls: .disable
        )
        let connection = try await PostgresConnection.connect(
            configuration: configuration,
            id: 100,
            logger: PostgresTestEnvironment.quietLogger
        )
        let result: Result<T, any Error>
        do {
            result = .success(try await body(TestConnection(connection: connection)))
        } catch {
            result = .failure(error)
        }
        try? await connection.close()
        return try result.get()
    }

    /// Runs one statement and discards its rows.
    func run(_ sql: String) async throws {
        _ = try await rows(sql)
    }

    /// Runs one statement; each row maps column name to its text (`nil` for NULL).
    /// Numerics come back in PostgreSQL's own text form, booleans as `t`/`f`.
    @discardableResult
    func rows(_ sql: String) async throws -> [[String: String?]] {
        do {
            return try await rowsOrError(sql)
        } catch let error as PSQLError {
            throw QueryFailed(sql: sql, error: error)
        }
    }

    private func rowsOrError(_ sql: String) async throws -> [[String: String?]] {
        let sequence = try await connection.query(PostgresQuery(unsafeSQL: sql), logger: PostgresTestEnvironment.quietLogger)
        var result: [[String: String?]] = []
        for try await row in sequence {
            let access = row.makeRandomAccess()
            var values: [String: String?] = [:]
            for index in 0..<access.count {
                let cell = access[index]
                let data = access[data: index]
                if data.value == nil {
                    values[cell.columnName] = .some(nil)
                } else if data.type == .bool {
                    values[cell.columnName] = data.bool.map { $0 ? "t" : "f" }
                } else {
                    values[cell.columnName] = data.string ?? "<\(data.type)>"
                }
            }
            result.append(values)
        }
        return result
    }

    /// The values of one column, in row order.
    func column(_ name: String, _ sql: String) async throws -> [String?] {
        try await rows(sql).map { $0[name] ?? nil }
    }

    /// Runs `sql` expecting a server error; returns its SQLSTATE (nil when it succeeded).
    func sqlStateOfFailure(_ sql: String) async -> String? {
        do {
            try await run(sql)
            return nil
        } catch let error as QueryFailed {
            return error.error.serverInfo?[.sqlState] ?? "no SQLSTATE"
        } catch {
            return "not a server error"
        }
    }
}

/// A failed test query, described with the server's message (tests only: it may show data).
struct QueryFailed: Error, CustomStringConvertible {
    var sql: String
    var error: PSQLError

    var sqlState: String? { error.serverInfo?[.sqlState] }

    var description: String {
        "query failed: \(error.serverInfo?[.sqlState] ?? "-") \(error.serverInfo?[.message] ?? String(reflecting: error))\nSQL: \(sql)"
    }
}

func randomHex(_ count: Int) -> String {
    let digits = Array("0123456789abcdef")
    return String((0..<count).map { _ in digits[Int.random(in: 0..<16)] })
}

/// A description of the schema objects of the current schema, for comparing two states of a
/// database: tables, columns, constraints (with validation state), indexes, policies, row level
/// security flags, triggers, functions, sequences and privileges.
func catalogSnapshot(_ connection: TestConnection) async throws -> [String] {
    let queries = [
        """
        SELECT 'relation ' || c.relname || ' kind=' || c.relkind::text || ' rls=' || c.relrowsecurity
            || ' force=' || c.relforcerowsecurity || ' acl=' || coalesce(c.relacl::text, '') AS line
        FROM pg_class c WHERE c.relnamespace = current_schema()::regnamespace
        """,
        """
        -- Column order as the rank among live columns: ordinal_position keeps the holes of dropped
        -- columns, so a column dropped by a down migration and added again by its up migration
        -- gets a new number although the table is the same.
        SELECT 'column ' || table_name || '.' || column_name
            || ' #' || row_number() OVER (PARTITION BY table_name ORDER BY ordinal_position) || ' ' || data_type
            || ' null=' || is_nullable || ' default=' || coalesce(column_default, '') || ' identity=' || is_identity
            || ' ' || coalesce(identity_generation, '') AS line
        FROM information_schema.columns WHERE table_schema = current_schema()
        """,
        """
        SELECT 'constraint ' || conrelid::regclass::text || ' ' || conname || ' ' || contype::text || ' valid='
            || convalidated || ' ' || pg_get_constraintdef(oid) AS line
        FROM pg_constraint WHERE connamespace = current_schema()::regnamespace
        """,
        "SELECT 'index ' || indexname || ' ' || indexdef AS line FROM pg_indexes WHERE schemaname = current_schema()",
        """
        SELECT 'policy ' || tablename || ' ' || policyname || ' ' || permissive || ' ' || cmd || ' ' || roles::text
            || ' using=' || coalesce(qual, '') || ' check=' || coalesce(with_check, '') AS line
        FROM pg_policies WHERE schemaname = current_schema()
        """,
        "SELECT 'trigger ' || pg_get_triggerdef(oid) AS line FROM pg_trigger WHERE NOT tgisinternal",
        """
        SELECT 'function ' || pg_get_functiondef(oid) || ' acl=' || coalesce(proacl::text, '') AS line
        FROM pg_proc WHERE pronamespace = current_schema()::regnamespace
        """,
        """
        SELECT 'sequence ' || sequencename || ' ' || data_type::text || ' start=' || start_value || ' min=' || min_value
            || ' max=' || max_value || ' increment=' || increment_by || ' cycle=' || cycle AS line
        FROM pg_sequences WHERE schemaname = current_schema()
        """,
        """
        SELECT 'owned ' || d.objid::regclass::text || ' by ' || d.refobjid::regclass::text || '.' || a.attname
            || ' ' || d.deptype::text AS line
        FROM pg_depend d JOIN pg_attribute a ON a.attrelid = d.refobjid AND a.attnum = d.refobjsubid
        WHERE d.classid = 'pg_class'::regclass AND d.refclassid = 'pg_class'::regclass
          AND d.objid IN (SELECT oid FROM pg_class WHERE relkind = 'S' AND relnamespace = current_schema()::regnamespace)
        """,
    ]
    var lines: [String] = []
    for query in queries {
        lines += try await connection.column("line", query).map { $0 ?? "NULL" }
    }
    return lines.sorted()
}

/// The lines only one of two catalog snapshots has, marked `-` (only in `expected`) or `+`:
/// empty when they are equal (as multisets of lines, since both are sorted).
func catalogDifference(_ actual: [String], _ expected: [String]) -> [String] {
    actual.difference(from: expected).map { change in
        switch change {
        case .insert(_, let line, _): return "+ " + line
        case .remove(_, let line, _): return "- " + line
        }
    }
}

/// `pg_dump --schema-only` of the database, without the lines that differ on every run;
/// `nil` when pg_dump is not available (the server was not started by scripts/with-postgres).
func schemaDump(_ settings: PostgresConnectionSettings) throws -> String? {
    guard let binDirectory = PostgresTestEnvironment.binDirectory else { return nil }
    let process = Process()
    process.executableURL = URL(fileURLWithPath: binDirectory + "/pg_dump")
    process.arguments = [
        "--schema-only", "--no-password",
        "--host", settings.host, "--port", String(settings.port),
        "--username", settings.username, "--dbname", settings.database,
    ]
    var environment = ProcessInfo.processInfo.environment
    environment["PGPASSWORD"] = settings.password ?? ""
    process.environment = environment
    let output = Pipe()
    process.standardOutput = output
    try process.run()
    let data = output.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    guard process.terminationStatus == 0 else {
        throw DumpFailed(status: process.terminationStatus)
    }
    return String(decoding: data, as: UTF8.self)
        .split(separator: "\n", omittingEmptySubsequences: false)
        .filter { !$0.hasPrefix("\\restrict") && !$0.hasPrefix("\\unrestrict") && !$0.hasPrefix("-- Dumped") }
        .joined(separator: "\n")
}

struct DumpFailed: Error {
    var status: Int32
}
