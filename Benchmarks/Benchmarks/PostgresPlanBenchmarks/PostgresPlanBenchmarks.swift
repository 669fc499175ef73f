// The EXIT backfill plan of `trade-lifecycle backfill plan` on PostgreSQL: one profile with
// 1,000,000 orders, loaded by load.sql with INSERT ... SELECT generate_series, in two shapes:
// - "ghosts": 1,000 open lifecycles (a few ghost positions among a million orders, the runbook's
//   case) and 3,000 exchange fills;
// - "heavy": 100,000 open lifecycles and 200,000 fills (the shape of BackfillBenchmarks).
//
// Baseline: "PostgresPlan.detect reference SQL", the reference runbook's detection query
// (reference/001 step 1), unchanged, every row read, with work_mem at 256MB as the plan's scan
// has it. The budget of
// "PostgresPlan.plan PostgresRunbook" (the plan `backfill plan` prints, from the same database)
// is 1.5 times the baseline on "ghosts"; "heavy" is measured for information (the plan then reads
// and plans 320,000 orders and 200,000 fills, far more than the detection returns).
// "PostgresPlan.plan every order" reads every order through PostgresStore and plans them, the
// way BackfillEngine.plan does, for comparison.
//
// Needs a server: TRADE_LIFECYCLE_POSTGRES_URL names a role that may create databases (as
// scripts/with-postgres exports it). The data goes into the databases tl_bench_plan_ghosts and
// tl_bench_plan_heavy, created, migrated and loaded on first use and reused afterwards. Without
// the variable no benchmark is registered. Run:
//
//     scripts/with-postgres bash -c 'cd Benchmarks && swift package --disable-sandbox benchmark --target PostgresPlanBenchmarks'
//
// or measure.sh (beside this file) for the command line itself against psql.

import Benchmark
import Foundation
import Logging
import PostgresNIO
import TradeLifecycle
import TradeLifecyclePostgres

/// The reference detection query of reference/001 step 1, verbatim, for the benchmark's profile.
let referenceDetectionSQL = #"""
WITH lifecycle AS (
  SELECT
    profile_id,
    symbol,
    trade_id,
    SUM(CASE WHEN action = 'ENTRY' THEN COALESCE(quantity, qty, 0) ELSE 0 END) AS entry_qty,
    SUM(CASE WHEN action = 'EXIT'  THEN COALESCE(quantity, qty, 0) ELSE 0 END) AS exit_qty
  FROM orders
  WHERE profile_id = '<<PROFILE_ID>>'
    AND status IN ('filled', 'partially_filled', 'partially-filled')
    AND trade_id IS NOT NULL
  GROUP BY profile_id, symbol, trade_id
)
SELECT
  profile_id,
  symbol,
  trade_id,
  entry_qty,
  exit_qty,
  (entry_qty - exit_qty) AS open_qty
FROM lifecycle
WHERE (entry_qty - exit_qty) > 0
ORDER BY symbol, trade_id;
"""#.replacingOccurrences(of: "<<PROFILE_ID>>", with: PlanBenchmarkData.profile)

/// A shape of the data: the values of load.sql's placeholders.
struct PlanBenchmarkShape: Sendable {
    let name: String
    let openLifecycles: Int
    let closedLifecycles: Int
    let fills: Int
    let extraFills: Int

    static let ghosts = PlanBenchmarkShape(name: "ghosts", openLifecycles: 1_000, closedLifecycles: 498_500, fills: 3_000, extraFills: 500)
    static let heavy = PlanBenchmarkShape(name: "heavy", openLifecycles: 100_000, closedLifecycles: 350_000, fills: 200_000, extraFills: 10_000)

    func loadSQL(_ template: String) -> String {
        template.replacingOccurrences(of: "{{OPEN}}", with: String(openLifecycles))
            .replacingOccurrences(of: "{{CLOSED}}", with: String(closedLifecycles))
            .replacingOccurrences(of: "{{FILLS}}", with: String(fills))
            .replacingOccurrences(of: "{{EXTRA}}", with: String(extraFills))
    }
}

enum PlanBenchmarkData {
    static let profile = "bench-profile"
    static let now = try! Timestamp("2026-02-15T12:00:00Z")

    static var logger: Logger {
        var logger = Logger(label: "PostgresPlanBenchmarks")
        logger.logLevel = .error
        return logger
    }

    /// The server's settings, or `nil` when no server is configured.
    static let server: PostgresConnectionSettings? = {
        guard let url = ProcessInfo.processInfo.environment["TRADE_LIFECYCLE_POSTGRES_URL"], !url.isEmpty else { return nil }
        return try? PostgresConnectionSettings(url: url)
    }()

    static func connect<T>(_ settings: PostgresConnectionSettings, _ body: (PostgresConnection) async throws -> T) async throws -> T {
        let connection = try await PostgresConnection.connect(
            configuration: PostgresConnection.Configuration(host: settings.host, port: settings.port, username: settings.username,
                                                            password: settings.password, database: settings.database, tls: .disable),
            id: 1, logger: logger)
        do {
            let value = try await body(connection)
            try await connection.close()
            return value
        } catch {
            try? await connection.close()
            throw error
        }
    }

    /// The `work_mem` of the plan's scan (`SET LOCAL` in its transaction), set for the
    /// detection query's session too.
    static let workMemory = "SET work_mem = '256MB'"

    static func run(_ sql: String, on connection: PostgresConnection) async throws {
        for try await _ in try await connection.query(PostgresQuery(unsafeSQL: sql), logger: logger) {}
    }

    /// Creates, migrates and loads the shape's database unless it holds the data already.
    static func prepare(_ shape: PlanBenchmarkShape, server: PostgresConnectionSettings) async throws -> PostgresConnectionSettings {
        var settings = server
        settings.database = "tl_bench_plan_\(shape.name)"
        let admin = server
        let exists = try await connect(admin) { connection in
            var found = false
            let rows = try await connection.query("SELECT 1 FROM pg_database WHERE datname = \(settings.database)", logger: logger)
            for try await _ in rows { found = true }
            if !found { try await run("CREATE DATABASE \(settings.database)", on: connection) }
            return found
        }
        if exists {
            let loaded = try await connect(settings) { connection in
                var count: Int64 = 0
                let tables = try await connection.query(
                    "SELECT to_regclass('orders') IS NOT NULL AND to_regclass('bench_fills') IS NOT NULL", logger: logger)
                var present = false
                for try await (value) in tables.decode(Bool.self) { present = value }
                guard present else { return count }
                let rows = try await connection.query("SELECT count(*) FROM orders WHERE profile_id = \(profile)", logger: logger)
                for try await (value) in rows.decode(Int64.self) { count = value }
                return count
            }
            if loaded == 1_000_000 { return settings }
        }
        _ = try await PostgresMigrator(settings: settings, logger: logger).migrate()
        let script = shape.loadSQL(try String(
            contentsOf: URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("load.sql"), encoding: .utf8))
        try await connect(settings) { connection in
            for statement in script.components(separatedBy: ";\n") {
                let code = statement.split(separator: "\n").filter { !$0.hasPrefix("--") }.joined(separator: "\n")
                if !code.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty {
                    try await run(code, on: connection)
                }
            }
        }
        return settings
    }

    /// The exchange snapshot: flat positions in the 50 symbols and the fills of bench_fills.
    static func exchange(_ settings: PostgresConnectionSettings) async throws -> ExchangeSnapshot {
        let profileID = try ProfileID(profile)
        let fills = try await connect(settings) { connection in
            var fills: [ExchangeFill] = []
            let rows = try await connection.query("""
                SELECT symbol, side, exchange_order_id, client_order_id, quantity::text,
                       to_char(filled_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')
                FROM bench_fills ORDER BY position
                """, logger: logger)
            for try await (symbol, side, exchangeOrderID, clientOrderID, quantity, filledAt) in
                rows.decode((String, String, String, String?, String, String).self) {
                fills.append(try ExchangeFill(
                    profileID: profileID, symbol: symbol, side: try OrderSide(parsing: side), exchangeOrderID: exchangeOrderID,
                    clientOrderID: ClientOrderID.normalized(clientOrderID), quantity: try ExactDecimal(quantity),
                    price: ExactDecimal(100), filledAt: try Timestamp(filledAt)))
            }
            return fills
        }
        let positions = try (0..<50).map { try ExchangePosition(profileID: profileID, symbol: "SYM\($0)", quantity: .zero) }
        return ExchangeSnapshot(positions: positions, fills: fills)
    }
}

/// What the setup prepared for one shape, shared by its benchmarks.
final class PlanBenchmarkState: Sendable {
    let settings: PostgresConnectionSettings
    let exchange: ExchangeSnapshot
    let configuration: BackfillConfiguration

    init(settings: PostgresConnectionSettings, exchange: ExchangeSnapshot) throws {
        self.settings = settings
        self.exchange = exchange
        configuration = try BackfillConfiguration(isEnabled: true, isDryRun: true, requiresPause: true)
    }

    static func make(_ shape: PlanBenchmarkShape) async throws -> PlanBenchmarkState {
        guard let server = PlanBenchmarkData.server else { throw MissingServer() }
        let settings = try await PlanBenchmarkData.prepare(shape, server: server)
        let state = try PlanBenchmarkState(settings: settings, exchange: try await PlanBenchmarkData.exchange(settings))
        // The data must give the plan the benchmark claims to measure.
        let plan = try await PostgresRunbook(settings: settings, logger: PlanBenchmarkData.logger)
            .planBackfill(profileID: ProfileID(PlanBenchmarkData.profile), exchange: state.exchange,
                          configuration: state.configuration, now: PlanBenchmarkData.now)
        guard plan.openLifecycleCount == shape.openLifecycles, plan.rows.count >= shape.openLifecycles else {
            fatalError("benchmark plan shape \(shape.name): \(plan.openLifecycleCount) open lifecycles, \(plan.rows.count) rows")
        }
        return state
    }

    struct MissingServer: Error {}
}

let benchmarks: @Sendable () -> Void = {
    guard PlanBenchmarkData.server != nil else {
        print("PostgresPlanBenchmarks: TRADE_LIFECYCLE_POSTGRES_URL is not set; no benchmark registered (run under scripts/with-postgres)")
        return
    }
    Benchmark.defaultConfiguration = .init(
        metrics: [.wallClock, .cpuTotal, .peakMemoryResident],
        timeUnits: .milliseconds,
        warmupIterations: 1,
        maxDuration: .seconds(120),
        maxIterations: 7
    )

    for shape in [PlanBenchmarkShape.ghosts, .heavy] {
        let state = StateHolder(shape: shape)

        Benchmark("PostgresPlan.detect reference SQL (\(shape.name))",
                  closure: { benchmark in
                      let settings = try await state.get().settings
                      try await PlanBenchmarkData.connect(settings) { connection in
                          // The plan's scan runs with this work_mem (one hash aggregate in memory):
                          // the query gets the same, so that both are measured under one setting.
                          try await PlanBenchmarkData.run(PlanBenchmarkData.workMemory, on: connection)
                          benchmark.startMeasurement()
                          var rows = 0
                          for try await row in try await connection.query(PostgresQuery(unsafeSQL: referenceDetectionSQL),
                                                                          logger: PlanBenchmarkData.logger) {
                              blackHole(row)
                              rows += 1
                          }
                          benchmark.stopMeasurement()
                          precondition(rows == shape.openLifecycles)
                      }
                  },
                  setup: { _ = try await state.get() })

        Benchmark("PostgresPlan.plan PostgresRunbook (\(shape.name))",
                  closure: { benchmark in
                      let state = try await state.get()
                      let runbook = PostgresRunbook(settings: state.settings, logger: PlanBenchmarkData.logger)
                      benchmark.startMeasurement()
                      blackHole(try await runbook.planBackfill(profileID: ProfileID(PlanBenchmarkData.profile), exchange: state.exchange,
                                                               configuration: state.configuration, now: PlanBenchmarkData.now))
                  },
                  setup: { _ = try await state.get() })

        Benchmark("PostgresPlan.plan every order (\(shape.name))",
                  configuration: .init(maxIterations: 3),
                  closure: { benchmark in
                      let state = try await state.get()
                      let profileID = try ProfileID(PlanBenchmarkData.profile)
                      try await PostgresStore.withStore(settings: state.settings, logger: PlanBenchmarkData.logger) { store in
                          let engine = BackfillEngine(store: store, clock: ManualWallClock(PlanBenchmarkData.now),
                                                      configuration: state.configuration)
                          benchmark.startMeasurement()
                          blackHole(try await engine.plan(profileID: profileID, exchange: state.exchange))
                      }
                  },
                  setup: { _ = try await state.get() })
    }
}

/// The prepared state of a shape, made once by the first setup.
actor StateHolder {
    let shape: PlanBenchmarkShape
    private var state: PlanBenchmarkState?

    init(shape: PlanBenchmarkShape) {
        self.shape = shape
    }

    func get() async throws -> PlanBenchmarkState {
        if let state { return state }
        let made = try await PlanBenchmarkState.make(shape)
        state = made
        return made
    }
}
