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
    ],
    targets: [
        // ExactDecimal against Foundation.Decimal: parse, format, add, compare, multiply.
        .executableTarget(
            name: "DecimalBenchmarks",
            dependencies: [
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "TradeLifecycle", package: "swift-trade-lifecycle"),
            ],
            path: "Benchmarks/DecimalBenchmarks",
            swiftSettings: [.swiftLanguageMode(.v6)],
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
        // The BFILL order id against swift-crypto's Insecure.MD5 with the same hex encoding.
        .executableTarget(
            name: "IdentifierBenchmarks",
            dependencies: [
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "TradeLifecycle", package: "swift-trade-lifecycle"),
            ],
            path: "Benchmarks/IdentifierBenchmarks",
            swiftSettings: [.swiftLanguageMode(.v6)],
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
    ]
)
