/// The settings of the EXIT backfill (`reference/001_*`, "Feature Flags"), with safe defaults:
/// disabled, dry run, pause required.
///
/// Read them from the process environment with ``init(environment:)`` (the core has no
/// Foundation: pass `ProcessInfo.processInfo.environment` or any dictionary). A variable that is
/// absent takes its default; a variable that is present must be well formed, or the whole
/// configuration is refused with an ``InputError`` naming the variable and its value. There is
/// no silent default for a malformed value.
///
/// | Variable | Property | Default | Accepted text |
/// |---|---|---|---|
/// | `ENABLE_RECON_EXIT_BACKFILL` | ``isEnabled`` | `false` | `true` or `false` |
/// | `RECON_EXIT_BACKFILL_DRY_RUN` | ``isDryRun`` | `true` | `true` or `false` |
/// | `RECON_EXIT_BACKFILL_REQUIRE_PAUSE` | ``requiresPause`` | `true` | `true` or `false` |
/// | `RECON_EXIT_BACKFILL_DUST_ABS_QTY` | ``dust`` (absolute) | `0.001` | decimal, `>= 0` |
/// | `RECON_EXIT_BACKFILL_DUST_REL_PCT` | ``dust`` (relative fraction) | `0.002` (0.2 %) | decimal, `0...1` |
/// | `RECON_EXIT_BACKFILL_LOOKBACK_HOURS` | ``lookbackHours`` | `72` | whole number, `0...87600` |
/// | `EXCHANGE_STATE_MISMATCH_THROTTLE_MS` | ``mismatchThrottleMilliseconds`` | `300000` | whole number, `0...604800000` |
///
/// Booleans are exactly `true` or `false`, in any letter case (`TRUE`, `False`). `1`, `0`,
/// `yes`, `no`, `on`, `off`, the empty string and text with surrounding spaces are refused:
/// these flags switch between writing orders and not writing them, so only the two words the
/// runbook uses are taken, and anything else stops the run instead of being guessed. The empty
/// string counts as present (and malformed) for every variable, not as absent.
/// Whole numbers are decimal digits only (no sign, no fraction, no spaces). Decimals use the
/// PostgreSQL `numeric` text form ``ExactDecimal/init(_:)`` reads (`0.001`, `.5`, no exponent).
public struct BackfillConfiguration: Sendable, Hashable {
    /// `ENABLE_RECON_EXIT_BACKFILL`: when `false`, nothing is planned or written.
    public let isEnabled: Bool
    /// `RECON_EXIT_BACKFILL_DRY_RUN`: when `true`, candidates are only audited (`DRY_RUN`) and
    /// no order is written.
    public let isDryRun: Bool
    /// `RECON_EXIT_BACKFILL_REQUIRE_PAUSE`: when `true`, a profile that is not paused (or
    /// unknown) gets only `NO_GO` rows with reason `profile_not_paused`.
    public let requiresPause: Bool
    /// `RECON_EXIT_BACKFILL_DUST_ABS_QTY` and `RECON_EXIT_BACKFILL_DUST_REL_PCT`.
    ///
    /// The absolute quantity is also the flatness tolerance of the `exchange_not_flat` gate.
    public let dust: DustPolicy
    /// `RECON_EXIT_BACKFILL_LOOKBACK_HOURS`: fills with `filled_at` in
    /// `[now - lookbackHours, now]` are evidence.
    public let lookbackHours: Int
    /// `EXCHANGE_STATE_MISMATCH_THROTTLE_MS`: the window within which the same
    /// (profile, symbol, kind) mismatch event is emitted at most once (reconciliation).
    public let mismatchThrottleMilliseconds: Int

    /// The largest accepted ``lookbackHours``: ten years of 365 days.
    public static let maximumLookbackHours = 87_600
    /// The largest accepted ``mismatchThrottleMilliseconds``: one week.
    public static let maximumMismatchThrottleMilliseconds = 604_800_000

    /// The environment variable names, in the order of the runbook.
    public enum Variable: String, Sendable, Hashable, CaseIterable {
        /// ``BackfillConfiguration/isEnabled``.
        case enabled = "ENABLE_RECON_EXIT_BACKFILL"
        /// ``BackfillConfiguration/isDryRun``.
        case dryRun = "RECON_EXIT_BACKFILL_DRY_RUN"
        /// ``BackfillConfiguration/requiresPause``.
        case requirePause = "RECON_EXIT_BACKFILL_REQUIRE_PAUSE"
        /// ``DustPolicy/absoluteQuantity``.
        case dustAbsoluteQuantity = "RECON_EXIT_BACKFILL_DUST_ABS_QTY"
        /// ``DustPolicy/relativeFraction``.
        case dustRelativeFraction = "RECON_EXIT_BACKFILL_DUST_REL_PCT"
        /// ``BackfillConfiguration/lookbackHours``.
        case lookbackHours = "RECON_EXIT_BACKFILL_LOOKBACK_HOURS"
        /// ``BackfillConfiguration/mismatchThrottleMilliseconds``.
        case mismatchThrottleMilliseconds = "EXCHANGE_STATE_MISMATCH_THROTTLE_MS"
    }

    /// The runbook's safe defaults: disabled, dry run, pause required, dust 0.001 and 0.002,
    /// 72 hours of lookback, a 300000 ms mismatch throttle.
    public static let `default` = BackfillConfiguration(
        unchecked: false, isDryRun: true, requiresPause: true, dust: .default,
        lookbackHours: 72, mismatchThrottleMilliseconds: 300_000)

    /// Creates a configuration; every parameter defaults to the runbook's safe value.
    ///
    /// - Parameters:
    ///   - isEnabled: Whether the backfill runs at all.
    ///   - isDryRun: Whether candidates are only audited.
    ///   - requiresPause: Whether the profile must be paused.
    ///   - dust: The dust policy.
    ///   - lookbackHours: How far back fills count as evidence; `0...87600`.
    ///   - mismatchThrottleMilliseconds: The mismatch event throttle; `0...604800000`.
    /// - Throws: ``InputError`` with code ``InputError/Code/outOfRange`` naming the environment
    ///   variable of a number outside its range.
    public init(isEnabled: Bool = false, isDryRun: Bool = true, requiresPause: Bool = true,
                dust: DustPolicy = .default, lookbackHours: Int = 72,
                mismatchThrottleMilliseconds: Int = 300_000) throws(InputError) {
        guard (0...Self.maximumLookbackHours).contains(lookbackHours) else {
            throw InputError(.outOfRange, field: Variable.lookbackHours.rawValue, value: String(lookbackHours),
                             detail: "the lookback must be from 0 to \(Self.maximumLookbackHours) hours")
        }
        guard (0...Self.maximumMismatchThrottleMilliseconds).contains(mismatchThrottleMilliseconds) else {
            throw InputError(.outOfRange, field: Variable.mismatchThrottleMilliseconds.rawValue,
                             value: String(mismatchThrottleMilliseconds),
                             detail: "the throttle must be from 0 to \(Self.maximumMismatchThrottleMilliseconds) milliseconds")
        }
        self.init(unchecked: isEnabled, isDryRun: isDryRun, requiresPause: requiresPause, dust: dust,
                  lookbackHours: lookbackHours, mismatchThrottleMilliseconds: mismatchThrottleMilliseconds)
    }

    private init(unchecked isEnabled: Bool, isDryRun: Bool, requiresPause: Bool, dust: DustPolicy,
                 lookbackHours: Int, mismatchThrottleMilliseconds: Int) {
        self.isEnabled = isEnabled
        self.isDryRun = isDryRun
        self.requiresPause = requiresPause
        self.dust = dust
        self.lookbackHours = lookbackHours
        self.mismatchThrottleMilliseconds = mismatchThrottleMilliseconds
    }

    /// Reads the configuration from environment variables (see the table above).
    ///
    /// Only the seven variable names of ``Variable`` are read; other entries are ignored.
    ///
    /// - Parameter environment: The process environment, or any name-to-value dictionary.
    /// - Throws: ``InputError`` whose ``InputError/field`` is the variable name and
    ///   ``InputError/value`` the text found: code ``InputError/Code/malformed`` for text that
    ///   is not a boolean, whole number or decimal as required; ``InputError/Code/outOfRange``
    ///   for a number outside its range.
    public init(environment: [String: String]) throws(InputError) {
        let defaults = Self.default
        let isEnabled = try Self.boolean(.enabled, in: environment) ?? defaults.isEnabled
        let isDryRun = try Self.boolean(.dryRun, in: environment) ?? defaults.isDryRun
        let requiresPause = try Self.boolean(.requirePause, in: environment) ?? defaults.requiresPause
        let absolute = try Self.decimal(.dustAbsoluteQuantity, in: environment) ?? defaults.dust.absoluteQuantity
        let relative = try Self.decimal(.dustRelativeFraction, in: environment) ?? defaults.dust.relativeFraction
        let lookback = try Self.wholeNumber(.lookbackHours, in: environment) ?? defaults.lookbackHours
        let throttle = try Self.wholeNumber(.mismatchThrottleMilliseconds, in: environment)
            ?? defaults.mismatchThrottleMilliseconds
        // DustPolicy's errors already name RECON_EXIT_BACKFILL_DUST_ABS_QTY / _REL_PCT.
        let dust = try DustPolicy(absoluteQuantity: absolute, relativeFraction: relative)
        try self.init(isEnabled: isEnabled, isDryRun: isDryRun, requiresPause: requiresPause, dust: dust,
                      lookbackHours: lookback, mismatchThrottleMilliseconds: throttle)
    }

    /// The settings as environment variables, in the text ``init(environment:)`` reads back.
    public var environment: [String: String] {
        [
            Variable.enabled.rawValue: String(isEnabled),
            Variable.dryRun.rawValue: String(isDryRun),
            Variable.requirePause.rawValue: String(requiresPause),
            Variable.dustAbsoluteQuantity.rawValue: dust.absoluteQuantity.description,
            Variable.dustRelativeFraction.rawValue: dust.relativeFraction.description,
            Variable.lookbackHours.rawValue: String(lookbackHours),
            Variable.mismatchThrottleMilliseconds.rawValue: String(mismatchThrottleMilliseconds),
        ]
    }

    /// The lookback in microseconds (`lookbackHours × 3 600 000 000`; cannot overflow within
    /// ``maximumLookbackHours``).
    public var lookbackMicroseconds: Int64 { Int64(lookbackHours) * 3_600_000_000 }

    // MARK: Parsing

    private static func boolean(_ variable: Variable, in environment: [String: String]) throws(InputError) -> Bool? {
        guard let text = environment[variable.rawValue] else { return nil }
        switch VocabularyText.key(text) {
        case "true": return true
        case "false": return false
        default:
            throw InputError(.malformed, field: variable.rawValue, value: text,
                             detail: "expected true or false (1, 0, yes, no and blank text are not accepted)")
        }
    }

    private static func decimal(_ variable: Variable, in environment: [String: String]) throws(InputError) -> ExactDecimal? {
        guard let text = environment[variable.rawValue] else { return nil }
        return try ExactDecimal(text, field: variable.rawValue)
    }

    private static func wholeNumber(_ variable: Variable, in environment: [String: String]) throws(InputError) -> Int? {
        guard let text = environment[variable.rawValue] else { return nil }
        var value = 0
        var digits = 0
        for byte in text.utf8 {
            guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else {
                throw InputError(.malformed, field: variable.rawValue, value: text,
                                 detail: "expected a whole number of decimal digits")
            }
            digits += 1
            // Values are checked against their (small) maxima afterwards; stop before overflow.
            guard value <= Int.max / 10 - 9 else {
                throw InputError(.outOfRange, field: variable.rawValue, value: text, detail: "the number is too large")
            }
            value = value * 10 + Int(byte - UInt8(ascii: "0"))
        }
        guard digits > 0 else {
            throw InputError(.malformed, field: variable.rawValue, value: text,
                             detail: "expected a whole number of decimal digits")
        }
        return value
    }
}
