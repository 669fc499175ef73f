// PostgresStore's recording throughput: ENTRY order, its fill, a ledger event and an execution
// log entry written as one transaction, against pgbench running the same statements on the same
// server (the baseline; the target is at least 70% of pgbench's transactions per second).
//
// Not an ordo-one benchmark: the baseline is another process. Run both with
//
//     scripts/bench-postgres
//
// which starts a throwaway server (like scripts/test), builds this target in release mode, and
// runs, against one database:
//
//     TRADE_LIFECYCLE_BENCH_URL=postgres://... PostgresBenchmarks prepare   # migrate, seed the log heads
//     TRADE_LIFECYCLE_BENCH_URL=postgres://... PostgresBenchmarks run SECONDS
//     pgbench -M extended -n -c 1 -j 1 -T SECONDS -f <the same statements>
//
// One transaction, as PostgresStore runs it (9 round trips, one connection, one client):
//   BEGIN
//   insertOrder        INSERT … ON CONFLICT DO NOTHING RETURNING 1          (a pending ENTRY)
//   updateOrder        SELECT … FOR UPDATE; UPDATE … RETURNING 1           (to filled)
//   lastLedgerSequence SELECT COALESCE(max(sequence), 0) …
//   appendLedgerEvent  INSERT … SELECT … WHERE <next sequence> ON CONFLICT DO NOTHING RETURNING 1
//   appendExecutionLog upsert-lock of the profile's head with the entry lookup; INSERT entry + move head
//   COMMIT
// scripts/bench-postgres holds the pgbench file with these statements.

import Foundation
import TradeLifecycle
import TradeLifecyclePostgres

enum Bench {
    static let profileID = fixed { () throws(InputError) in try ProfileID("bench-swift") }
    static let pgbenchProfileID = fixed { () throws(InputError) in try ProfileID("bench-pgb") }
    static let quantity = fixed { () throws(DecimalError) in try ExactDecimal("1.5") }
    static let price = fixed { () throws(DecimalError) in try ExactDecimal("100") }

    static func fixed<Value, Failure: Error>(_ make: () throws(Failure) -> Value) -> Value {
        do {
            return try make()
        } catch {
            fatalError("invalid benchmark input: \(error)")
        }
    }

    /// One recording: a pending ENTRY, filled, its ledger event and its FILLED log entry.
    static func record(_ number: Int, run: String, store: PostgresStore) async throws {
        let now = Timestamp(microsecondsSinceEpoch: 1_771_147_800_000_000 + Int64(number))
        let orderID = try OrderID("bench-\(run)-\(number)")
        let entry = try Order(orderID: orderID, profileID: profileID, symbol: "BTC-USD", tradeID: TradeID("TRD-bench-\(run)-\(number)"),
                              action: .entry, side: .long, status: .pending, quantity: quantity, price: price, createdAt: now)
        try await store.withTransaction { tx in
            _ = try await tx.insertOrder(entry)
            _ = try await tx.updateOrder(orderID, change: .transition(to: .filled, filledQuantity: nil, filledAt: now), at: now)
            let last = try await tx.lastLedgerSequence()
            try await tx.appendLedgerEvent(LedgerEvent(
                sequence: last + 1,
                operation: LedgerOperation(id: .deterministic(["fill", orderID.rawValue]),
                                           kind: .fill(profileID: profileID, orderID: orderID, quantity: quantity, price: price)),
                result: .created))
            _ = try await tx.appendExecutionLog(ExecutionLogRecord(
                entryID: .deterministic(["fill", orderID.rawValue]), profileID: profileID, orderID: orderID, action: .filled,
                reason: "fill \(quantity) @ \(price)", recordedAt: now))
        }
    }
}

struct BenchmarkFailure: Error, CustomStringConvertible {
    let description: String
}

func main() async throws {
    let arguments = Array(CommandLine.arguments.dropFirst())
    guard let mode = arguments.first, let url = ProcessInfo.processInfo.environment["TRADE_LIFECYCLE_BENCH_URL"] else {
        FileHandle.standardError.write(Data("usage: TRADE_LIFECYCLE_BENCH_URL=postgres://... PostgresBenchmarks prepare | run SECONDS | verify\n".utf8))
        exit(64)
    }
    let settings = try PostgresConnectionSettings(url: url)
    switch mode {
    case "prepare":
        _ = try await PostgresMigrator(settings: settings).migrate()
        try await PostgresStore.withStore(settings: settings) { store in
            // Each profile's chain starts with one entry, so every measured append has a previous hash.
            for profile in [Bench.profileID, Bench.pgbenchProfileID] {
                _ = try await store.appendExecutionLog(ExecutionLogRecord(
                    entryID: .deterministic(["start", profile.rawValue]), profileID: profile,
                    orderID: try OrderID("start-\(profile)"), action: .submitted, reason: "start",
                    recordedAt: Timestamp(microsecondsSinceEpoch: 1_771_147_800_000_000)))
            }
        }
    case "verify":
        // What pgbench wrote: every order filled, one log entry per order after the first.
        try await PostgresStore.withStore(settings: settings) { store in
            let orders = try await store.orders(matching: OrderQuery(profileID: Bench.pgbenchProfileID))
            let head = try await store.executionLogHead(profileID: Bench.pgbenchProfileID)
            guard orders.allSatisfy({ $0.status == .filled }), head?.sequenceNumber == Int64(orders.count) + 1 else {
                throw BenchmarkFailure(description: "pgbench's rows: \(orders.count) orders, log head \(String(describing: head))")
            }
            print("pgbench_orders=\(orders.count)")
        }
    case "run":
        let seconds = arguments.count > 1 ? Int(arguments[1]) ?? 20 : 20
        let run = String(UInt64.random(in: 0...UInt64.max), radix: 36)
        try await PostgresStore.withStore(settings: settings, configuration: .init(maximumConnections: 2)) { store in
            // Warm up (connection, plans, caches), then measure for `seconds`.
            for number in 0..<200 { try await Bench.record(number, run: run + "w", store: store) }
            let before = try await store.executionLogHead(profileID: Bench.profileID)?.sequenceNumber ?? 0
            let clock = ContinuousClock()
            let start = clock.now
            let deadline = start.advanced(by: .seconds(seconds))
            var count = 0
            while clock.now < deadline {
                try await Bench.record(count, run: run, store: store)
                count += 1
            }
            let elapsed = start.duration(to: clock.now)
            let elapsedSeconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
            // Everything measured was written: one log entry per transaction, in one intact chain.
            let verification = try await ExecutionLogChain.verify(in: store, profileID: Bench.profileID)
            guard verification.isIntact, Int64(verification.verifiedCount) == before + Int64(count) else {
                throw BenchmarkFailure(description: "the log of \(Bench.profileID) does not hold the measured transactions: \(verification)")
            }
            print("swift_transactions=\(count)")
            print("swift_seconds=\(elapsedSeconds)")
            print("swift_tps=\(Double(count) / elapsedSeconds)")
        }
    default:
        FileHandle.standardError.write(Data("unknown mode \(mode)\n".utf8))
        exit(64)
    }
}

do {
    try await main()
} catch {
    FileHandle.standardError.write(Data("PostgresBenchmarks: \(error)\n".utf8))
    exit(1)
}
