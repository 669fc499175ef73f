public import TradeLifecycle

/// The conformance suite every ``TradeLifecycle/Store`` implementation must pass: the in-memory
/// store of the core, the PostgreSQL store, and any store a service writes itself.
///
/// The suite is a list of named checks, one per behaviour of the store protocols. Each
/// ``Check`` runs against a fresh store made by a factory and throws a ``ConformanceFailure``
/// naming the check and what differed. The suite does not depend on a test framework, so a test
/// target maps one check to one test:
///
/// ```swift
/// import Testing
/// import TradeLifecycle
/// import TradeLifecycleTesting
///
/// @Test(arguments: StoreConformance.allChecks)
/// func conformance(_ check: StoreConformance.Check) async throws {
///     try await check.run(makeStore: { InMemoryStore() })
/// }
/// ```
///
/// Checks create their own rows with identifiers that carry a random tag per run, so a factory
/// may hand out stores that share one database. The capital ledger's history is one sequence per
/// store: the ledger checks append after whatever history exists, except
/// ``storedLedgerHistoryRebuildsTheLedger``, which needs an empty history (run the ledger
/// checks one at a time against a shared database). Checks that need a transactional store
/// (``Store/isTransactional``) check only that errors propagate when the store is not
/// transactional.
public enum StoreConformance {
    /// Makes the store a check runs against.
    public typealias StoreFactory = @Sendable () async throws -> any Store

    /// The part of the store contract a check covers.
    public enum Area: String, Sendable, Hashable, CaseIterable {
        /// ``TradeLifecycle/OrderStore``: inserts, reads, queries, status changes.
        case orders
        /// ``TradeLifecycle/ProfileStore``.
        case profiles
        /// ``TradeLifecycle/BackfillAuditStore``.
        case backfillAudit
        /// ``TradeLifecycle/Store/withTransaction(_:)``.
        case transactions
        /// Many tasks using one store at once.
        case concurrency
        /// ``TradeLifecycle/EntryLockStore``: leases, expiry, fencing.
        case entryLocks
        /// ``TradeLifecycle/EventDedupeStore``.
        case eventDedupe
        /// ``TradeLifecycle/ExecutionLogStore``: the hash-chained, append-only log.
        case executionLog
        /// ``TradeLifecycle/LedgerEventStore``: the capital ledger's history.
        case ledgerEvents
    }

    /// One behaviour of the store contract, checked against a fresh store.
    ///
    /// Checks are values: compare them by ``name``, print them by name, and pass them to a
    /// parameterised test.
    public struct Check: Sendable, Hashable, CustomStringConvertible {
        /// The check's unique name, a lower camel case phrase such as
        /// `insertOfExistingOrderIDWritesNothing`.
        public let name: String
        /// The part of the contract it covers.
        public let area: Area
        /// What the check requires of the store, in one sentence.
        public let summary: String
        let body: @Sendable (any Store, CheckContext) async throws -> Void

        init(_ name: String, _ area: Area, _ summary: String,
             _ body: @escaping @Sendable (any Store, CheckContext) async throws -> Void) {
            self.name = name
            self.area = area
            self.summary = summary
            self.body = body
        }

        /// Runs the check against a store made by `makeStore`.
        ///
        /// - Parameter makeStore: Makes the store under test; called once per run.
        /// - Throws: ``ConformanceFailure`` when the store does not behave as required, when it
        ///   throws an error the contract does not allow, or when `makeStore` throws.
        public func run(makeStore: StoreFactory) async throws(ConformanceFailure) {
            let store: any Store
            do {
                store = try await makeStore()
            } catch {
                throw ConformanceFailure(check: name, message: "the store factory threw: \(error)")
            }
            let context = CheckContext(checkName: name)
            do {
                try await body(store, context)
            } catch let failure as ConformanceFailure {
                throw failure
            } catch {
                throw ConformanceFailure(check: name, message: "unexpected error: \(error)")
            }
        }

        public var description: String { name }

        public static func == (lhs: Check, rhs: Check) -> Bool { lhs.name == rhs.name }

        public func hash(into hasher: inout Hasher) { hasher.combine(name) }
    }

    /// Every check of the suite, grouped by area in declaration order.
    public static var allChecks: [Check] {
        orderChecks + profileChecks + backfillAuditChecks + transactionChecks + concurrencyChecks
            + entryLockChecks + eventDedupeChecks + executionLogChecks + ledgerEventChecks
    }

    /// The checks of one area.
    ///
    /// - Parameter area: The part of the contract.
    /// - Returns: The area's checks, in declaration order.
    public static func checks(in area: Area) -> [Check] {
        allChecks.filter { $0.area == area }
    }

    /// The check with `name`, or `nil`.
    ///
    /// - Parameter name: A ``Check/name``.
    public static func check(named name: String) -> Check? {
        allChecks.first { $0.name == name }
    }

    /// Runs every check (or the given ones) against fresh stores and collects the failures.
    ///
    /// - Parameters:
    ///   - checks: The checks to run; ``allChecks`` by default.
    ///   - makeStore: Makes a fresh store for each check.
    /// - Returns: The failures, in the order of `checks`; empty when the store conforms.
    public static func failures(of checks: [Check] = allChecks, makeStore: StoreFactory) async -> [ConformanceFailure] {
        var failures: [ConformanceFailure] = []
        for check in checks {
            do {
                try await check.run(makeStore: makeStore)
            } catch {
                failures.append(error)
            }
        }
        return failures
    }
}

/// A store that does not behave as the store contract requires, found by a
/// ``StoreConformance/Check``.
public struct ConformanceFailure: Error, Sendable, Hashable, CustomStringConvertible {
    /// The name of the check that failed.
    public let check: String
    /// What the store did and what the contract requires.
    public let message: String

    /// Creates a failure.
    ///
    /// - Parameters:
    ///   - check: The name of the check.
    ///   - message: What differed.
    public init(check: String, message: String) {
        self.check = check
        self.message = message
    }

    public var description: String { "store conformance check \(check) failed: \(message)" }
}
