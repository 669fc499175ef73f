/// What a mismatch event is about: one kind of discrepancy of one profile in one symbol.
public struct MismatchKey: Sendable, Hashable, CustomStringConvertible {
    /// The profile.
    public let profileID: ProfileID
    /// The symbol; `nil` for a `missing_entry_order` whose reference has no symbol.
    public let symbol: String?
    /// The kind of discrepancy.
    public let kind: DiscrepancyKind

    /// Creates a key.
    ///
    /// - Parameters:
    ///   - profileID: The profile.
    ///   - symbol: The symbol, when there is one.
    ///   - kind: The kind of discrepancy.
    public init(profileID: ProfileID, symbol: String?, kind: DiscrepancyKind) {
        self.profileID = profileID
        self.symbol = symbol
        self.kind = kind
    }

    /// The key of a discrepancy.
    ///
    /// - Parameter discrepancy: The discrepancy.
    public init(_ discrepancy: Discrepancy) {
        self.init(profileID: discrepancy.profileID, symbol: discrepancy.symbol, kind: discrepancy.kind)
    }

    /// `kind profile/symbol`.
    public var description: String { "\(kind.rawValue) \(profileID.rawValue)/\(symbol ?? "-")" }
}

/// The rule that emits the same mismatch event at most once per throttle window
/// (`EXCHANGE_STATE_MISMATCH_THROTTLE_MS`, default 300000).
///
/// A key's window starts when its event is emitted and lasts ``windowMicroseconds``: the key
/// is suppressed at every time `t` with `emitted <= t < emitted + window`, and emitted again at
/// `t >= emitted + window` (exactly at the end of the window a new window begins). A zero
/// window emits every time. When the clock reads earlier than the last emission (a wall clock
/// set back), the key is emitted and its window restarts, so a clock change can never silence
/// a mismatch for longer than one window.
///
/// The throttle is a value: the ``Reconciler`` keeps one and asks it once per key and pass.
public struct MismatchThrottle: Sendable {
    /// The longest window, in milliseconds, whose microseconds fit in 64 bits.
    public static let maximumWindowMilliseconds: Int64 = Int64.max / 1000

    /// The default window of `EXCHANGE_STATE_MISMATCH_THROTTLE_MS`: five minutes.
    public static let defaultWindowMilliseconds: Int64 = 300_000

    /// What the throttle decided for a key.
    public enum Decision: Sendable, Hashable {
        /// Emit the event. `suppressedSinceLastEmission` counts the times the key was
        /// suppressed since its previous emission (0 for the first).
        case emit(suppressedSinceLastEmission: Int)
        /// Do not emit: the key was emitted less than a window ago.
        case suppress
    }

    private struct Entry {
        var emittedAt: Timestamp
        var suppressed: Int
    }

    /// The window length in milliseconds.
    public let windowMilliseconds: Int64
    /// The window length in microseconds.
    public var windowMicroseconds: Int64 { windowMilliseconds * 1000 }
    private var entries: [MismatchKey: Entry] = [:]

    /// Creates a throttle that has emitted nothing.
    ///
    /// - Parameter windowMilliseconds: The window length; ``defaultWindowMilliseconds`` by default.
    /// - Throws: ``ReconciliationError`` with code ``ReconciliationError/Code/invalidConfiguration``
    ///   for a negative window or one above ``maximumWindowMilliseconds``.
    public init(windowMilliseconds: Int64 = MismatchThrottle.defaultWindowMilliseconds) throws(ReconciliationError) {
        guard windowMilliseconds >= 0, windowMilliseconds <= Self.maximumWindowMilliseconds else {
            throw ReconciliationError(.invalidConfiguration, profileID: nil,
                                      detail: "EXCHANGE_STATE_MISMATCH_THROTTLE_MS \(windowMilliseconds) must be in 0...\(Self.maximumWindowMilliseconds)")
        }
        self.windowMilliseconds = windowMilliseconds
    }

    /// Decides whether the event of `key` is emitted at `now`, and records the decision.
    ///
    /// - Parameters:
    ///   - key: The mismatch.
    ///   - now: The current time.
    /// - Returns: ``Decision/emit(suppressedSinceLastEmission:)`` or ``Decision/suppress``.
    public mutating func decide(_ key: MismatchKey, at now: Timestamp) -> Decision {
        guard let entry = entries[key] else {
            entries[key] = Entry(emittedAt: now, suppressed: 0)
            return .emit(suppressedSinceLastEmission: 0)
        }
        if windowHasEnded(since: entry.emittedAt, at: now) {
            entries[key] = Entry(emittedAt: now, suppressed: 0)
            return .emit(suppressedSinceLastEmission: entry.suppressed)
        }
        entries[key]?.suppressed += 1
        return .suppress
    }

    /// Forgets the keys whose window has ended at `now` (they would be emitted anyway), so the
    /// throttle holds only the keys of the last window. The suppression counts of forgotten
    /// keys are dropped.
    ///
    /// - Parameter now: The current time.
    public mutating func forgetEndedWindows(at now: Timestamp) {
        entries = entries.filter { !windowHasEnded(since: $0.value.emittedAt, at: now) }
    }

    /// How many keys the throttle remembers.
    public var rememberedKeyCount: Int { entries.count }

    private func windowHasEnded(since emittedAt: Timestamp, at now: Timestamp) -> Bool {
        let elapsed = now.microseconds(since: emittedAt)
        return elapsed < 0 || elapsed >= windowMicroseconds
    }
}
