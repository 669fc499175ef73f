// swift-tools-version: 6.1

import PackageDescription

let strictSettings: [SwiftSetting] = [
    .swiftLanguageMode(.v6),
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("InternalImportsByDefault"),
]

let package = Package(
    name: "swift-trade-lifecycle",
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "TradeLifecycle", targets: ["TradeLifecycle"]),
        .library(name: "TradeLifecycleTesting", targets: ["TradeLifecycleTesting"]),
        .library(name: "TradeLifecyclePostgres", targets: ["TradeLifecyclePostgres"]),
        .library(name: "TradeLifecycleObservability", targets: ["TradeLifecycleObservability"]),
        .executable(name: "trade-lifecycle", targets: ["TradeLifecycleCLI"]),
    ],
    dependencies: [
        // Test-only dependencies: the core target depends on nothing.
        .package(url: "https://github.com/x-sheep/swift-property-based", from: "2.0.1"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
        // Independent arbitrary-precision oracle for the exact decimal tests.
        .package(url: "https://github.com/attaswift/BigInt", from: "6.0.1"),
        // Adapter dependencies: only TradeLifecyclePostgres uses them.
        .package(url: "https://github.com/vapor/postgres-nio", from: "1.33.2"),
        // TLS to PostgreSQL (postgres-nio's TLS settings are swift-nio-ssl's).
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.6"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        // Observability: TradeLifecycleObservability (logs and metrics of passes and runs).
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        // The operator command line `trade-lifecycle`.
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
    ],
    targets: [
        // The core: Swift standard library only.
        .target(
            name: "TradeLifecycle",
            swiftSettings: strictSettings
        ),
        // The conformance suite every `Store` implementation runs.
        .target(
            name: "TradeLifecycleTesting",
            dependencies: ["TradeLifecycle"],
            swiftSettings: strictSettings
        ),
        // The PostgreSQL adapter: schema migrations and the Store implementation.
        .target(
            name: "TradeLifecyclePostgres",
            dependencies: [
                "TradeLifecycle",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            exclude: ["Migrations/SQL"],
            swiftSettings: strictSettings
        ),
        // Logs (swift-log) and metrics (swift-metrics) of reconciliation passes and backfill runs.
        .target(
            name: "TradeLifecycleObservability",
            dependencies: [
                "TradeLifecycle",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
            ],
            swiftSettings: strictSettings
        ),
        // Scenario files (SPEC section 9): reading, planning, JSON output. Standard library only;
        // the command line's logic, tested without starting a process.
        .target(
            name: "TradeLifecycleScenario",
            dependencies: ["TradeLifecycle"],
            swiftSettings: strictSettings
        ),
        // `trade-lifecycle`, the operator command line.
        .executableTarget(
            name: "TradeLifecycleCLI",
            dependencies: [
                "TradeLifecycle",
                "TradeLifecycleScenario",
                "TradeLifecyclePostgres",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strictSettings
        ),
        .executableTarget(
            name: "BackfillDecisions",
            dependencies: ["TradeLifecycle"],
            path: "Examples/BackfillDecisions",
            swiftSettings: strictSettings
        ),
        .executableTarget(
            name: "FirstSteps",
            dependencies: ["TradeLifecycle"],
            path: "Examples/FirstSteps",
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "TradeLifecycleTests",
            dependencies: [
                "TradeLifecycle",
                "TradeLifecycleTesting",
                .product(name: "PropertyBased", package: "swift-property-based"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "BigInt", package: "BigInt"),
            ],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "TradeLifecycleCLITests",
            dependencies: [
                "TradeLifecycle",
                "TradeLifecycleTesting",
                "TradeLifecycleScenario",
                "TradeLifecycleCLI",
                "TradeLifecyclePostgres",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "TradeLifecycleObservabilityTests",
            dependencies: [
                "TradeLifecycle",
                "TradeLifecycleObservability",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "InMemoryLogging", package: "swift-log"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "MetricsTestKit", package: "swift-metrics"),
            ],
            swiftSettings: strictSettings
        ),
        // A child process of the PostgresStore crash safety tests: a backfill apply to kill.
        .executableTarget(
            name: "PostgresStoreCrashProbe",
            dependencies: ["TradeLifecycle", "TradeLifecyclePostgres"],
            path: "Tests/PostgresStoreCrashProbe",
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "TradeLifecyclePostgresTests",
            dependencies: [
                "TradeLifecyclePostgres",
                "TradeLifecycle",
                "TradeLifecycleTesting",
                // Built with the tests; run as a child process.
                "PostgresStoreCrashProbe",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "PropertyBased", package: "swift-property-based"),
            ],
            swiftSettings: strictSettings
        ),
    ]
)
