import Foundation
import Testing
import TradeLifecyclePostgres

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A backfill apply over PostgresStore killed with SIGKILL in the middle of a unit of work, then
/// run again, ends with exactly the rows of an uninterrupted run on a fresh database.
///
/// The child process is `PostgresStoreCrashProbe` (built with the tests). To kill it at a known
/// point, the test holds an uncommitted row with the order id the child is about to insert for
/// one lifecycle: the child blocks there, with that lifecycle's audit rows written in its open
/// transaction and the earlier lifecycles committed, and is killed while it waits.
@Suite(
    "PostgresStore crash safety",
    .enabled(if: PostgresTestEnvironment.shouldRun, PostgresTestEnvironment.skipNotice)
)
struct StoreCrashSafetyTests {
    /// The lifecycle (in apply order) whose unit of work is killed.
    static let killedLifecycle = 3

    static func probe() throws -> URL {
        var directories: [URL] = []
        if let executable = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") {
            directories.append(URL(fileURLWithPath: executable).deletingLastPathComponent())
        }
        directories.append(Bundle.main.bundleURL.deletingLastPathComponent())
        directories.append(Bundle.main.bundleURL)
        let found = directories.map { $0.appendingPathComponent("PostgresStoreCrashProbe") }
            .first { FileManager.default.isExecutableFile(atPath: $0.path) }
        return try #require(found, "PostgresStoreCrashProbe not found next to the tests in \(directories.map(\.path))")
    }

    static func url(_ settings: PostgresConnectionSettings) -> String {
        let password = settings.password.map { ":\($0.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? $0)" } ?? ""
        return "postgres://\(settings.username)\(password)@\(settings.host):\(settings.port)/\(settings.database)"
    }

    /// Starts the probe in `mode`; its output goes to files read after it ends.
    static func start(_ mode: String, on settings: PostgresConnectionSettings) throws -> (Process, URL, URL) {
        let process = Process()
        process.executableURL = try probe()
        process.arguments = [mode]
        var environment = ProcessInfo.processInfo.environment
        environment["TRADE_LIFECYCLE_PROBE_URL"] = url(settings)
        process.environment = environment
        let directory = FileManager.default.temporaryDirectory
        let output = directory.appendingPathComponent("probe-\(UUID().uuidString).out")
        let errors = directory.appendingPathComponent("probe-\(UUID().uuidString).err")
        _ = FileManager.default.createFile(atPath: output.path, contents: nil)
        _ = FileManager.default.createFile(atPath: errors.path, contents: nil)
        process.standardOutput = try FileHandle(forWritingTo: output)
        process.standardError = try FileHandle(forWritingTo: errors)
        try process.run()
        return (process, output, errors)
    }

    /// Runs the probe to the end and returns its output lines.
    static func run(_ mode: String, on settings: PostgresConnectionSettings) async throws -> [String] {
        let (process, output, errors) = try start(mode, on: settings)
        while process.isRunning { try await Task.sleep(for: .milliseconds(20)) }
        defer {
            try? FileManager.default.removeItem(at: output)
            try? FileManager.default.removeItem(at: errors)
        }
        let text = try String(contentsOf: output, encoding: .utf8)
        let errorText = try String(contentsOf: errors, encoding: .utf8)
        try #require(process.terminationStatus == 0, "probe \(mode) exited with \(process.terminationStatus): \(errorText)")
        return text.split(separator: "\n").map(String.init)
    }

    /// The rows a backfill writes, in a form that compares across databases: every column of
    /// the orders, and of the audit records all but the run's own keys (batch id, row number,
    /// generated id).
    static func contents(_ connection: TestConnection) async throws -> (orders: [String], audit: [String]) {
        func lines(_ rows: [[String: String?]]) -> [String] {
            rows.map { row in row.keys.sorted().map { "\($0)=\(row[$0].flatMap { $0 } ?? "NULL")" }.joined(separator: " ") }
        }
        let orders = try await connection.rows("""
            SELECT order_id, profile_id, symbol, trade_id, action, side, status, quantity::text AS quantity, qty::text AS qty,
                filled_quantity::text AS filled_quantity, price::text AS price, exchange_order_id, client_order_id,
                filled_at::text AS filled_at, created_at::text AS created_at, updated_at::text AS updated_at
            FROM orders ORDER BY order_id COLLATE "C"
            """)
        let audit = try await connection.rows("""
            SELECT profile_id, symbol, trade_id, decision, reason, open_qty::text AS open_qty, filled_qty::text AS filled_qty,
                price::text AS price, backfill_order_id, exchange_order_id, exchange_client_order_id, filled_at::text AS filled_at,
                created_at::text AS created_at, reverted_at::text AS reverted_at
            FROM reconciliation_backfill_audit
            """)
        return (lines(orders), lines(audit).sorted())
    }

    @Test("SIGKILL in the middle of a backfill apply, then a re-run, gives the rows of an uninterrupted run")
    func killedApplyThenRerunMatchesUninterruptedRun() async throws {
        try await StoreTestDatabase.withMigrated { crashed in
            try await StoreTestDatabase.withMigrated { clean in
                for database in [crashed, clean] { _ = try await Self.run("seed", on: database.settings) }
                let firstOrderIDs = try await Self.run("plan", on: crashed.settings)
                try #require(firstOrderIDs.count > Self.killedLifecycle, "the plan has \(firstOrderIDs.count) lifecycles")
                let blocked = firstOrderIDs[Self.killedLifecycle]

                try await crashed.connect { blocker in
                    // Hold the order id the child will insert for the killed lifecycle.
                    try await blocker.run("BEGIN")
                    try await blocker.query("""
                        INSERT INTO orders (order_id, profile_id, symbol, status) VALUES (\(blocked), 'blocker', 'X', 'open')
                        """)
                    let (child, output, errors) = try Self.start("apply", on: crashed.settings)
                    defer {
                        try? FileManager.default.removeItem(at: output)
                        try? FileManager.default.removeItem(at: errors)
                    }
                    // Wait until the child waits for that row, inside its unit of work (watched from
                    // another connection: a transaction sees one snapshot of pg_stat_activity).
                    let waiting = try await crashed.connect { monitor in
                        for _ in 0..<6_000 where child.isRunning {
                            let waiters = try await monitor.column("n", """
                                SELECT count(*)::text AS n FROM pg_stat_activity
                                WHERE datname = current_database() AND wait_event_type = 'Lock'
                                """)
                            if waiters == ["1"] { return true }
                            try await Task.sleep(for: .milliseconds(20))
                        }
                        return false
                    }
                    let errorText = (try? String(contentsOf: errors, encoding: .utf8)) ?? ""
                    try #require(waiting, "the child never blocked on \(blocked); it exited with \(child.isRunning ? "-" : String(child.terminationStatus)): \(errorText)")
                    kill(child.processIdentifier, SIGKILL)
                    while child.isRunning { try await Task.sleep(for: .milliseconds(10)) }
                    #expect(child.terminationReason == .uncaughtSignal && child.terminationStatus == SIGKILL)
                    try await blocker.run("ROLLBACK")
                }

                try await crashed.connect { connection in
                    // What the kill left: the lifecycles before the killed one, and nothing of it.
                    let applied = try await connection.column("n", "SELECT count(*)::text AS n FROM reconciliation_backfill_audit WHERE decision = 'APPLIED'")
                    #expect(applied == ["\(2 * Self.killedLifecycle)"])
                    let backfilled = try await connection.column("n", "SELECT count(*)::text AS n FROM orders WHERE order_id LIKE 'BFILL-%'")
                    #expect(backfilled == ["\(2 * Self.killedLifecycle)"])
                    #expect(try await connection.column("n", "SELECT count(*)::text AS n FROM orders WHERE order_id = '\(blocked)'") == ["0"])
                }

                let rerun = try await Self.run("apply", on: crashed.settings)
                let uninterrupted = try await Self.run("apply", on: clean.settings)
                #expect(rerun.contains("PENDING_APPLY 0"))
                #expect(uninterrupted.contains("APPLIED \(2 * firstOrderIDs.count)"))

                let after = try await crashed.connect { try await Self.contents($0) }
                let expected = try await clean.connect { try await Self.contents($0) }
                #expect(after.orders == expected.orders)
                #expect(after.audit == expected.audit)
                #expect(after.orders.count == Scenario.ordersBefore + 2 * firstOrderIDs.count)
                #expect(!after.audit.contains { $0.contains("decision=PENDING_APPLY") })
            }
        }
    }

    enum Scenario {
        /// The probe's seeded ENTRY orders.
        static let ordersBefore = 8
    }
}
