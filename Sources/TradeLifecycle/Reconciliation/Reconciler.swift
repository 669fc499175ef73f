/// A mismatch event: a kind of discrepancy of a profile in a symbol, emitted at most once per
/// throttle window (see ``MismatchThrottle``).
public struct MismatchEvent: Sendable, Hashable, CustomStringConvertible {
    /// What the event is about.
    public let key: MismatchKey
    /// How many discrepancies of the key the pass found.
    public let discrepancyCount: Int
    /// How many passes found the key without emitting it since its previous event.
    public let suppressedSinceLastEmission: Int
    /// The profile's mismatch count after the pass.
    public let mismatchCount: Int
    /// When the pass started.
    public let at: Timestamp

    /// Creates an event.
    ///
    /// - Parameters:
    ///   - key: What the event is about.
    ///   - discrepancyCount: Discrepancies of the key in the pass.
    ///   - suppressedSinceLastEmission: Passes that found the key without emitting it.
    ///   - mismatchCount: The profile's mismatch count after the pass.
    ///   - at: When the pass started.
    public init(key: MismatchKey, discrepancyCount: Int, suppressedSinceLastEmission: Int, mismatchCount: Int, at: Timestamp) {
        self.key = key
        self.discrepancyCount = discrepancyCount
        self.suppressedSinceLastEmission = suppressedSinceLastEmission
        self.mismatchCount = mismatchCount
        self.at = at
    }

    /// `exchange state mismatch <kind> <profile>/<symbol>: n discrepancies ...`.
    public var description: String {
        "exchange state mismatch \(key): \(discrepancyCount) discrepancies, \(suppressedSinceLastEmission) suppressed passes,"
            + " mismatch count \(mismatchCount)"
    }
}

/// A handler's error for one discrepancy.
public struct DiscrepancyHandlingFailure: Sendable {
    /// The discrepancy the handler failed on.
    public let discrepancy: Discrepancy
    /// The handler's error.
    public let error: any Error & Sendable
}

/// The result of one reconciliation pass of a profile.
public struct ReconciliationReport: Sendable {
    /// The profile.
    public let profileID: ProfileID
    /// When the pass started (after it took the lock).
    public let startedAt: Timestamp
    /// Every discrepancy found, in the order of ``ReconciliationDiff``.
    public let discrepancies: [Discrepancy]
    /// The discrepancies whose handler threw, with the error.
    public let handlerFailures: [DiscrepancyHandlingFailure]
    /// The mismatch events the pass emitted (the throttle suppressed the others).
    public let emittedEvents: [MismatchEvent]
    /// The profile's mismatch count after the pass: the discrepancies found by the passes since
    /// the last clean one; zero after a clean pass.
    public let mismatchCount: Int

    /// Whether the pass found no discrepancy.
    public var isClean: Bool { discrepancies.isEmpty }
}

/// Runs reconciliation passes (SPEC section 5, `reference/002_*` phase 5): for a profile, hold
/// its reconciliation lock, read its orders and the exchange's snapshot, compare them with
/// ``ReconciliationDiff``, route each discrepancy to the handler, count the mismatches and emit
/// throttled mismatch events.
///
/// - The profile's lock is held from before the reads until the events are emitted, so two
///   passes of a profile never overlap; what a second pass does meanwhile (wait or be refused)
///   is the lock's policy (``InProcessReconciliationLock`` waits by default).
/// - The mismatch count of a profile adds up the discrepancies of consecutive passes and is
///   reset to zero by a clean pass.
/// - A mismatch event per (profile, symbol, kind) is emitted at most once per throttle window,
///   measured on the injected clock at the start of each pass (see ``MismatchThrottle`` for the
///   window's edges). The throttle is not reset by a clean pass.
/// - Fills are read from `fillLookbackHours` before the start of the pass.
public actor Reconciler {
    /// The settings of the passes.
    public struct Configuration: Sendable, Hashable {
        /// `EXCHANGE_STATE_MISMATCH_THROTTLE_MS`: the throttle window of mismatch events.
        public var mismatchThrottleMilliseconds: Int64
        /// How far back the snapshot's fills reach, in hours.
        public var fillLookbackHours: Int
        /// The largest position magnitude (and difference) that counts as none; see
        /// ``ReconciliationDiff/discrepancies(database:exchange:flatTolerance:)``.
        public var flatTolerance: ExactDecimal

        /// Creates settings; the defaults are a 300000 ms throttle, a 72 hour fill lookback and
        /// exact position comparison.
        ///
        /// - Parameters:
        ///   - mismatchThrottleMilliseconds: The throttle window.
        ///   - fillLookbackHours: How far back fills are read.
        ///   - flatTolerance: The position tolerance.
        public init(mismatchThrottleMilliseconds: Int64 = MismatchThrottle.defaultWindowMilliseconds,
                    fillLookbackHours: Int = 72, flatTolerance: ExactDecimal = .zero) {
            self.mismatchThrottleMilliseconds = mismatchThrottleMilliseconds
            self.fillLookbackHours = fillLookbackHours
            self.flatTolerance = flatTolerance
        }

        /// Settings read from the backfill configuration's environment variables: the throttle
        /// of `EXCHANGE_STATE_MISMATCH_THROTTLE_MS` and the fill lookback of
        /// `RECON_EXIT_BACKFILL_LOOKBACK_HOURS`.
        ///
        /// - Parameters:
        ///   - backfill: The configuration read with ``BackfillConfiguration/init(environment:)``.
        ///   - flatTolerance: The position tolerance; exact comparison by default.
        public init(_ backfill: BackfillConfiguration, flatTolerance: ExactDecimal = .zero) {
            self.init(mismatchThrottleMilliseconds: Int64(backfill.mismatchThrottleMilliseconds),
                      fillLookbackHours: backfill.lookbackHours, flatTolerance: flatTolerance)
        }
    }

    /// Reads the `trade_history` rows and positions of a profile that name trade ids.
    public typealias TradeReferenceLoader = @Sendable (ProfileID) async throws -> [TradeReference]
    /// Receives the emitted mismatch events (metrics, logs, alerts).
    public typealias MismatchEventSink = @Sendable (MismatchEvent) async -> Void

    private let orders: any OrderStore
    private let exchange: any ExchangeGateway
    private let handler: any DiscrepancyHandler
    private let clock: any WallClock
    private let lock: any ReconciliationLock
    private let configuration: Configuration
    private let tradeReferences: TradeReferenceLoader?
    private let eventSink: MismatchEventSink

    private var mismatchCounts: [ProfileID: Int] = [:]
    private var throttles: [ProfileID: MismatchThrottle] = [:]
    private let emptyThrottle: MismatchThrottle

    /// Creates a reconciler.
    ///
    /// - Parameters:
    ///   - orders: Where the profiles' orders are read.
    ///   - exchange: Where the exchange snapshots are read.
    ///   - handler: Receives each discrepancy.
    ///   - clock: The time of passes and of the throttle.
    ///   - lock: The per-profile reconciliation lock; an ``InProcessReconciliationLock`` that
    ///     waits by default.
    ///   - configuration: The settings.
    ///   - tradeReferences: Reads references for `missing_entry_order`; none when `nil`.
    ///   - onMismatch: Receives the emitted mismatch events.
    /// - Throws: ``ReconciliationError`` with code ``ReconciliationError/Code/invalidConfiguration``
    ///   for a throttle window out of range, a negative fill lookback or a negative tolerance.
    public init(
        orders: any OrderStore,
        exchange: any ExchangeGateway,
        handler: any DiscrepancyHandler,
        clock: any WallClock,
        lock: any ReconciliationLock = InProcessReconciliationLock(),
        configuration: Configuration = Configuration(),
        tradeReferences: TradeReferenceLoader? = nil,
        onMismatch: @escaping MismatchEventSink = { _ in }
    ) throws(ReconciliationError) {
        guard configuration.fillLookbackHours >= 0 else {
            throw ReconciliationError(.invalidConfiguration, profileID: nil,
                                      detail: "the fill lookback \(configuration.fillLookbackHours) hours must not be negative")
        }
        guard !configuration.flatTolerance.isNegative else {
            throw ReconciliationError(.invalidConfiguration, profileID: nil,
                                      detail: "the flat tolerance \(configuration.flatTolerance) must not be negative")
        }
        self.emptyThrottle = try MismatchThrottle(windowMilliseconds: configuration.mismatchThrottleMilliseconds)
        self.orders = orders
        self.exchange = exchange
        self.handler = handler
        self.clock = clock
        self.lock = lock
        self.configuration = configuration
        self.tradeReferences = tradeReferences
        self.eventSink = onMismatch
    }

    /// The profile's mismatch count: the discrepancies found since its last clean pass.
    ///
    /// - Parameter profileID: The profile.
    public func mismatchCount(profileID: ProfileID) -> Int {
        mismatchCounts[profileID] ?? 0
    }

    /// Runs one reconciliation pass of a profile.
    ///
    /// - Parameter profileID: The profile.
    /// - Returns: The pass's report.
    /// - Throws: ``ReconciliationError``: ``ReconciliationError/Code/lockUnavailable`` when the
    ///   lock refuses (or fails), ``ReconciliationError/Code/cancelled`` when cancelled while
    ///   waiting, ``ReconciliationError/Code/storeUnavailable`` or
    ///   ``ReconciliationError/Code/exchangeUnavailable`` when a read fails,
    ///   ``ReconciliationError/Code/inconsistentInput`` or ``ReconciliationError/Code/overflow``
    ///   from the comparison. A failed pass changes neither the count nor the throttle and
    ///   calls no handler.
    public func reconcile(profileID: ProfileID) async throws(ReconciliationError) -> ReconciliationReport {
        do {
            return try await lock.withLock(profileID: profileID) {
                try await self.runLocked(profileID: profileID)
            }
        } catch let error as ReconciliationError {
            throw error
        } catch is CancellationError {
            throw ReconciliationError(.cancelled, profileID: profileID, detail: "the pass was cancelled")
        } catch {
            throw ReconciliationError(.lockUnavailable, profileID: profileID,
                                      detail: "the reconciliation lock could not be taken", underlying: error)
        }
    }

    /// One pass, under the profile's lock.
    private func runLocked(profileID: ProfileID) async throws(ReconciliationError) -> ReconciliationReport {
        let startedAt = clock.now()
        let context = ReconciliationContext(profileID: profileID, startedAt: startedAt)
        let view = try await readDatabase(profileID: profileID)
        let fillsSince = startedAt.advanced(byMicroseconds: -Timestamp.hours(configuration.fillLookbackHours)) ?? .min
        let snapshot: ExchangeSnapshot
        do {
            snapshot = try await exchange.snapshot(profileID: profileID, fillsSince: fillsSince)
        } catch {
            throw ReconciliationError(.exchangeUnavailable, profileID: profileID,
                                      detail: "the exchange snapshot could not be read", underlying: error)
        }
        let discrepancies = try ReconciliationDiff.discrepancies(database: view, exchange: snapshot,
                                                                 flatTolerance: configuration.flatTolerance)
        var failures: [DiscrepancyHandlingFailure] = []
        for discrepancy in discrepancies {
            do {
                try await handler.handle(discrepancy, context: context)
            } catch {
                failures.append(DiscrepancyHandlingFailure(discrepancy: discrepancy, error: error))
            }
        }
        let (count, events) = record(discrepancies, profileID: profileID, at: startedAt)
        for event in events {
            await eventSink(event)
        }
        return ReconciliationReport(profileID: profileID, startedAt: startedAt, discrepancies: discrepancies,
                                    handlerFailures: failures, emittedEvents: events, mismatchCount: count)
    }

    private func readDatabase(profileID: ProfileID) async throws(ReconciliationError) -> ReconciliationDatabaseView {
        let profileOrders: [Order]
        do {
            profileOrders = try await orders.orders(matching: OrderQuery(profileID: profileID))
        } catch {
            throw ReconciliationError(.storeUnavailable, profileID: profileID,
                                      detail: "the profile's orders could not be read", underlying: error)
        }
        var references: [TradeReference] = []
        if let tradeReferences {
            do {
                references = try await tradeReferences(profileID)
            } catch {
                throw ReconciliationError(.storeUnavailable, profileID: profileID,
                                          detail: "the profile's trade references could not be read", underlying: error)
            }
        }
        return try ReconciliationDatabaseView(profileID: profileID, orders: profileOrders, references: references)
    }

    /// Updates the count and the throttle of a profile with a pass's discrepancies; returns the
    /// new count and the events to emit, in the order of the keys' first discrepancy.
    private func record(_ discrepancies: [Discrepancy], profileID: ProfileID,
                        at now: Timestamp) -> (count: Int, events: [MismatchEvent]) {
        let count = discrepancies.isEmpty ? 0 : (mismatchCounts[profileID] ?? 0) + discrepancies.count
        mismatchCounts[profileID] = count == 0 ? nil : count

        var keys: [MismatchKey] = []
        var perKey: [MismatchKey: Int] = [:]
        for discrepancy in discrepancies {
            let key = MismatchKey(discrepancy)
            if perKey[key] == nil { keys.append(key) }
            perKey[key, default: 0] += 1
        }
        var throttle = throttles[profileID] ?? emptyThrottle
        var events: [MismatchEvent] = []
        for key in keys {
            if case .emit(let suppressed) = throttle.decide(key, at: now) {
                events.append(MismatchEvent(key: key, discrepancyCount: perKey[key] ?? 0,
                                            suppressedSinceLastEmission: suppressed, mismatchCount: count, at: now))
            }
        }
        throttle.forgetEndedWindows(at: now)
        throttles[profileID] = throttle.rememberedKeyCount == 0 ? nil : throttle
        return (count, events)
    }
}
