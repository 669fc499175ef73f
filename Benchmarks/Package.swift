// swift-tools-version: 6.1

// Benchmarks of swift-trade-lifecycle, a package of its own so that the library does not depend
// on the benchmark tooling. Run from this folder:
//
//     swift package --disable-sandbox benchmark
//
// Each benchmark is named "<area>.<operation> <implementation>"; the implementations of one
// operation run the same work on the same pre-generated inputs, so a pair reads as a ratio.

import PackageDescription

let package = Package(
    name: "swift-trade-lifecycle-benchmarks",
    platforms: [.macOS(.v15)],
    dependencies: [
        // The library under measurement. Named, so that the checkout folder's name does not matter.
        .package(name: "swift-trade-lifecycle", path: ".."),
        .package(url: "https://github.com/ordo-one/benchmark", from: "1.38.1", traits: ["MallocInterposer"]),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
        .package(url: "https://github.com/vapor/postgres-nio", from: "1.33.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
    ],
    targets: [
        // ExactDecimal against Foundation.Decimal: parse, format, add, compare, multiply.
        benchmarkTarget("DecimalBenchmarks"),
        // The BFILL order id against swift-crypto's Insecure.MD5 with the same hex encoding.
        benchmarkTarget("IdentifierBenchmarks", extra: [.product(name: "Crypto", package: "swift-crypto")]),
        // Lifecycle analysis of 1,000,000 orders against the obvious Foundation.Decimal version.
        benchmarkTarget("LifecycleBenchmarks"),
        // Backfill planning over 1,000,000 orders, 100,000 open lifecycles, 200,000 fills.
        benchmarkTarget("BackfillBenchmarks"),
        // The reconciliation diff of 1,000,000 orders against a snapshot of the same size.
        benchmarkTarget("ReconciliationBenchmarks"),
        // The capital ledger: a reserve / fill / exit mix of operations.
        benchmarkTarget("LedgerBenchmarks"),
        // `trade-lifecycle backfill plan` on 1,000,000 orders in PostgreSQL against the reference
        // detection query alone (needs a server: see the target's source).
        benchmarkTarget("PostgresPlanBenchmarks", extra: [
            .product(name: "TradeLifecyclePostgres", package: "swift-trade-lifecycle"),
            .product(name: "PostgresNIO", package: "postgres-nio"),
            .product(name: "Logging", package: "swift-log"),
        ], exclude: ["load.sql", "exchange.sql", "measure.sh"]),
        // PostgresStore recording ENTRY + fill + ledger event + log entry as one transaction,
        // against pgbench running the same statements (scripts/bench-postgres runs both and
        // prints the ratio; the target is at least 70% of pgbench's throughput). A plain
        // executable: its baseline is another process.
        .executableTarget(
            name: "PostgresBenchmarks",
            dependencies: [
                .product(name: "TradeLifecycle", package: "swift-trade-lifecycle"),
                .product(name: "TradeLifecyclePostgres", package: "swift-trade-lifecycle"),
            ],
            path: "Benchmarks/PostgresBenchmarks",
            swiftSettings: [.swiftLanguageMode(.v6)]
        ),
    ]
)

/// A benchmark executable in `Benchmarks/<name>` measuring the core library.
func benchmarkTarget(_ name: String, extra: [Target.Dependency] = [], exclude: [String] = []) -> Target {
    .executableTarget(
        name: name,
        dependencies: [
            .product(name: "Benchmark", package: "benchmark"),
            .product(name: "TradeLifecycle", package: "swift-trade-lifecycle"),
            // SplitMix64: the seeded generator every benchmark makes its inputs with.
            .product(name: "TradeLifecycleTesting", package: "swift-trade-lifecycle"),
        ] + extra,
        path: "Benchmarks/\(name)",
        exclude: exclude,
        swiftSettings: [.swiftLanguageMode(.v6)],
        plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
    )
}
