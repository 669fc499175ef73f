/// An instant in time with microsecond precision, as PostgreSQL's `timestamptz` stores it.
///
/// A timestamp counts microseconds since 1970-01-01T00:00:00Z (negative before it) on the
/// proleptic Gregorian calendar, without leap seconds. Instants from ``min``
/// (0001-01-01T00:00:00Z) to ``max`` (9999-12-31T23:59:59.999999Z) are supported, so every
/// timestamp has a four-digit year in its text forms.
///
/// Text forms:
/// - ``description``: `2026-02-15T09:30:00.123456Z`, always six fractional digits; it parses back
///   to the same value and is the `Codable` form.
/// - ``millisecondText``: `2026-02-15T09:30:00.123Z`, the form PostgreSQL's
///   `to_char(t AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')` prints, used inside
///   deterministic identifiers. Sub-millisecond digits are truncated toward the past, as
///   `to_char` does.
public struct Timestamp: Sendable, Hashable, Comparable, Codable, CustomStringConvertible {
    /// Microseconds since 1970-01-01T00:00:00Z; negative before it.
    public let microsecondsSinceEpoch: Int64

    /// The earliest supported instant, 0001-01-01T00:00:00.000000Z.
    public static let min = Timestamp(unchecked: minMicroseconds)

    /// The latest supported instant, 9999-12-31T23:59:59.999999Z.
    public static let max = Timestamp(unchecked: maxMicroseconds)

    static let microsecondsPerSecond: Int64 = 1_000_000
    static let microsecondsPerDay: Int64 = 86_400_000_000
    /// 0001-01-01 is day -719162 from 1970-01-01.
    static let minMicroseconds: Int64 = -719_162 * microsecondsPerDay
    /// 9999-12-31 is day 2932896 from 1970-01-01; the last microsecond of that day.
    static let maxMicroseconds: Int64 = (2_932_896 + 1) * microsecondsPerDay - 1

    /// Creates a timestamp from microseconds since the Unix epoch.
    ///
    /// Use this for values the program made or has already checked; for values read from
    /// outside, use ``init(validatingMicrosecondsSinceEpoch:)``.
    ///
    /// - Parameter microsecondsSinceEpoch: Microseconds since 1970-01-01T00:00:00Z.
    /// - Precondition: `microsecondsSinceEpoch` is within
    ///   ``min``...``max`` (years 0001 to 9999).
    public init(microsecondsSinceEpoch: Int64) {
        precondition(
            Self.isSupported(microsecondsSinceEpoch),
            "Timestamp out of range: \(microsecondsSinceEpoch) microseconds since the epoch is outside years 0001-9999"
        )
        self.microsecondsSinceEpoch = microsecondsSinceEpoch
    }

    /// Creates a timestamp from microseconds since the Unix epoch, checking the range.
    ///
    /// - Parameter microsecondsSinceEpoch: Microseconds since 1970-01-01T00:00:00Z.
    /// - Throws: ``TimestampError`` with code ``TimestampError/Code/outOfRange`` when the value
    ///   is outside ``min``...``max``.
    public init(validatingMicrosecondsSinceEpoch microsecondsSinceEpoch: Int64) throws(TimestampError) {
        guard Self.isSupported(microsecondsSinceEpoch) else {
            throw TimestampError(.outOfRange, input: "\(microsecondsSinceEpoch) microseconds since 1970-01-01")
        }
        self.microsecondsSinceEpoch = microsecondsSinceEpoch
    }

    private init(unchecked microsecondsSinceEpoch: Int64) {
        self.microsecondsSinceEpoch = microsecondsSinceEpoch
    }

    @inline(__always)
    private static func isSupported(_ microseconds: Int64) -> Bool {
        microseconds >= minMicroseconds && microseconds <= maxMicroseconds
    }

    /// Whether `lhs` is an earlier instant than `rhs`.
    public static func < (lhs: Timestamp, rhs: Timestamp) -> Bool {
        lhs.microsecondsSinceEpoch < rhs.microsecondsSinceEpoch
    }

    // MARK: - Arithmetic

    /// The timestamp a number of microseconds later (or earlier, when negative).
    ///
    /// - Parameter microseconds: The offset; ``hours(_:)`` and its siblings convert from
    ///   larger units.
    /// - Returns: The shifted timestamp, or `nil` if it would be outside ``min``...``max``
    ///   (including when the sum overflows `Int64`).
    public func advanced(byMicroseconds microseconds: Int64) -> Timestamp? {
        let (sum, overflow) = microsecondsSinceEpoch.addingReportingOverflow(microseconds)
        guard !overflow, Self.isSupported(sum) else { return nil }
        return Timestamp(unchecked: sum)
    }

    /// The microseconds from `other` to this timestamp: positive when `other` is earlier.
    ///
    /// Never overflows: the whole supported range spans about 3.2 × 10^17 microseconds.
    ///
    /// - Parameter other: The timestamp to measure from.
    /// - Returns: `self.microsecondsSinceEpoch - other.microsecondsSinceEpoch`.
    public func microseconds(since other: Timestamp) -> Int64 {
        microsecondsSinceEpoch - other.microsecondsSinceEpoch
    }

    /// Microseconds in a number of hours, for ``advanced(byMicroseconds:)``.
    ///
    /// - Parameter count: Hours; may be negative.
    /// - Returns: `count × 3 600 000 000`, saturated at `Int64.min`/`Int64.max`. A saturated value
    ///   is longer than the whole supported range, so ``advanced(byMicroseconds:)`` returns `nil`
    ///   for it rather than a wrong instant.
    public static func hours(_ count: some BinaryInteger) -> Int64 {
        saturatingProduct(count, 3_600_000_000)
    }

    /// Microseconds in a number of minutes, for ``advanced(byMicroseconds:)``.
    ///
    /// - Parameter count: Minutes; may be negative.
    /// - Returns: `count × 60 000 000`, saturated at `Int64.min`/`Int64.max` (see ``hours(_:)``).
    public static func minutes(_ count: some BinaryInteger) -> Int64 {
        saturatingProduct(count, 60_000_000)
    }

    /// Microseconds in a number of seconds, for ``advanced(byMicroseconds:)``.
    ///
    /// - Parameter count: Seconds; may be negative.
    /// - Returns: `count × 1 000 000`, saturated at `Int64.min`/`Int64.max` (see ``hours(_:)``).
    public static func seconds(_ count: some BinaryInteger) -> Int64 {
        saturatingProduct(count, 1_000_000)
    }

    /// Microseconds in a number of milliseconds, for ``advanced(byMicroseconds:)``.
    ///
    /// - Parameter count: Milliseconds; may be negative.
    /// - Returns: `count × 1 000`, saturated at `Int64.min`/`Int64.max` (see ``hours(_:)``).
    public static func milliseconds(_ count: some BinaryInteger) -> Int64 {
        saturatingProduct(count, 1_000)
    }

    private static func saturatingProduct(_ count: some BinaryInteger, _ factor: Int64) -> Int64 {
        let clamped = Int64(clamping: count)
        let (product, overflow) = clamped.multipliedReportingOverflow(by: factor)
        guard overflow else { return product }
        return clamped < 0 ? .min : .max
    }

    // MARK: - Text

    /// The ISO-8601 UTC text with exactly six fractional digits, e.g. `2026-02-15T09:30:00.123456Z`.
    ///
    /// ``init(_:)`` parses it back to the same timestamp.
    public var description: String {
        String(unsafeUninitializedCapacity: 27) { utf8 in
            write(into: UnsafeMutableRawPointer(utf8.baseAddress.unsafelyUnwrapped), fractionalDigits: 6)
        }
    }

    /// The ISO-8601 UTC text with exactly three fractional digits, e.g. `2026-02-15T09:30:00.123Z`.
    ///
    /// Microseconds below the millisecond are dropped toward the past (floor), also before 1970,
    /// exactly as PostgreSQL's `to_char(..., 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')` prints them:
    /// `…00.123999Z` gives `…00.123Z`, and one microsecond before the epoch gives
    /// `1969-12-31T23:59:59.999Z`.
    public var millisecondText: String {
        String(unsafeUninitializedCapacity: 24) { utf8 in
            write(into: UnsafeMutableRawPointer(utf8.baseAddress.unsafelyUnwrapped), fractionalDigits: 3)
        }
    }

    /// Writes ``millisecondText`` as 24 ASCII bytes, allocating nothing.
    ///
    /// - Parameter buffer: Where to write; the first 24 bytes are overwritten.
    /// - Returns: The number of bytes written, always 24.
    /// - Precondition: `buffer.count >= 24`.
    @discardableResult
    public func writeMillisecondText(into buffer: UnsafeMutableRawBufferPointer) -> Int {
        precondition(buffer.count >= 24, "Timestamp.writeMillisecondText needs 24 bytes, got \(buffer.count)")
        return write(into: buffer.baseAddress.unsafelyUnwrapped, fractionalDigits: 3)
    }

    /// Writes `YYYY-MM-DDTHH:MM:SS.` + `fractionalDigits` digits + `Z`; returns the byte count.
    private func write(into base: UnsafeMutableRawPointer, fractionalDigits: Int) -> Int {
        let (days, microsecondOfDay) = floorDivision(microsecondsSinceEpoch, Self.microsecondsPerDay)
        let date = Self.civil(fromDays: days)
        let secondOfDay = microsecondOfDay / Self.microsecondsPerSecond
        let microsecond = microsecondOfDay % Self.microsecondsPerSecond

        var offset = 0
        @inline(__always) func put(_ byte: UInt8) {
            base.storeBytes(of: byte, toByteOffset: offset, as: UInt8.self)
            offset += 1
        }
        @inline(__always) func put(_ value: Int64, digits: Int) {
            var divisor: Int64 = 1
            for _ in 1..<digits { divisor *= 10 }
            while divisor > 0 {
                put(UInt8(truncatingIfNeeded: 0x30 + (value / divisor) % 10))
                divisor /= 10
            }
        }
        put(date.year, digits: 4)
        put(0x2D)  // -
        put(date.month, digits: 2)
        put(0x2D)
        put(date.day, digits: 2)
        put(0x54)  // T
        put(secondOfDay / 3600, digits: 2)
        put(0x3A)  // :
        put(secondOfDay / 60 % 60, digits: 2)
        put(0x3A)
        put(secondOfDay % 60, digits: 2)
        put(0x2E)  // .
        if fractionalDigits == 6 {
            put(microsecond, digits: 6)
        } else {
            put(microsecond / 1000, digits: 3)
        }
        put(0x5A)  // Z
        return offset
    }

    // MARK: - Parsing

    /// Parses an ISO-8601 / RFC 3339 timestamp, or PostgreSQL's `timestamptz` output.
    ///
    /// Accepted: `YYYY-MM-DD`, then `T` (or `t`, or a space, as PostgreSQL prints), `HH:MM:SS`,
    /// an optional `.` with 1 to 6 fractional digits, then a time zone: `Z`, `z`, or an offset
    /// `±HH`, `±HHMM`, `±HH:MM` or `±HH:MM:SS` (hours at most 15, as PostgreSQL allows; PostgreSQL
    /// prints seconds for historical local mean time), which is converted to UTC.
    /// Examples: `2026-02-15T09:30:00.123Z`, `2026-02-15 09:30:00.123+00`,
    /// `2026-02-15T11:30:00+02:00`.
    ///
    /// - Parameter text: The text to parse; nothing else (no white space) may surround it.
    /// - Throws: ``TimestampError`` with code
    ///   ``TimestampError/Code/empty``, ``TimestampError/Code/malformed``,
    ///   ``TimestampError/Code/missingTime``, ``TimestampError/Code/invalidDate`` (not a
    ///   calendar date, including year 0000), ``TimestampError/Code/invalidTime`` (24:00:00,
    ///   leap second 60...), ``TimestampError/Code/tooManyFractionalDigits`` (more than six;
    ///   never truncated), ``TimestampError/Code/missingTimeZone``,
    ///   ``TimestampError/Code/invalidTimeZone``, or ``TimestampError/Code/outOfRange`` (the
    ///   instant in UTC falls outside ``min``...``max``).
    public init(_ text: String) throws(TimestampError) {
        let parsed: ParseResult
        if let contiguous = text.utf8.withContiguousStorageIfAvailable({ Self.parse($0) }) {
            parsed = contiguous
        } else {
            parsed = Array(text.utf8).withUnsafeBufferPointer { Self.parse($0) }
        }
        switch parsed {
        case .valid(let microseconds):
            self.init(unchecked: microseconds)
        case .invalid(let code):
            throw TimestampError(code, input: text)
        }
    }

    /// The outcome of ``parse(_:)``: microseconds since the epoch, or why the text is not a timestamp.
    private enum ParseResult {
        case valid(Int64)
        case invalid(TimestampError.Code)
    }

    private static func parse(_ text: UnsafeBufferPointer<UInt8>) -> ParseResult {
        if text.isEmpty { return .invalid(.empty) }
        var index = 0

        func digits(_ count: Int) -> Int64? {
            guard index + count <= text.count else { return nil }
            var value: Int64 = 0
            for position in index..<(index + count) {
                let digit = text[position] &- 0x30
                guard digit < 10 else { return nil }
                value = value * 10 + Int64(digit)
            }
            index += count
            return value
        }
        func take(_ byte: UInt8) -> Bool {
            guard index < text.count, text[index] == byte else { return false }
            index += 1
            return true
        }

        // Date.
        guard let year = digits(4), take(0x2D), let month = digits(2), take(0x2D), let day = digits(2) else {
            return .invalid(.malformed)
        }
        if index == text.count { return .invalid(.missingTime) }
        guard take(0x54) || take(0x74) || take(0x20) else { return .invalid(.malformed) }  // T t space

        // Time of day.
        guard let hour = digits(2), take(0x3A), let minute = digits(2), take(0x3A), let second = digits(2) else {
            return .invalid(.malformed)
        }
        var microsecond: Int64 = 0
        if take(0x2E) {  // .
            var count = 0
            while index < text.count, text[index] &- 0x30 < 10 {
                if count < 6 { microsecond = microsecond * 10 + Int64(text[index] &- 0x30) }
                count += 1
                index += 1
            }
            if count == 0 { return .invalid(.malformed) }
            if count > 6 { return .invalid(.tooManyFractionalDigits) }
            for _ in count..<6 { microsecond *= 10 }
        }

        // Time zone.
        if index == text.count { return .invalid(.missingTimeZone) }
        var offsetSeconds: Int64 = 0
        if take(0x5A) || take(0x7A) {  // Z z
            guard index == text.count else { return .invalid(.malformed) }
        } else if text[index] == 0x2B || text[index] == 0x2D {  // + -
            let sign: Int64 = text[index] == 0x2D ? -1 : 1
            index += 1
            guard let offsetHours = digits(2) else { return .invalid(.invalidTimeZone) }
            var offsetMinutes: Int64 = 0
            var offsetSecondsPart: Int64 = 0
            if index < text.count {
                let colon = take(0x3A)
                guard let minutes = digits(2) else { return .invalid(.invalidTimeZone) }
                offsetMinutes = minutes
                // PostgreSQL prints seconds for historical local mean time offsets (+00:19:32).
                if colon, take(0x3A) {
                    guard let seconds = digits(2) else { return .invalid(.invalidTimeZone) }
                    offsetSecondsPart = seconds
                }
                guard index == text.count else { return .invalid(.invalidTimeZone) }
            }
            guard offsetHours <= 15, offsetMinutes <= 59, offsetSecondsPart <= 59 else {
                return .invalid(.invalidTimeZone)
            }
            offsetSeconds = sign * (offsetHours * 3600 + offsetMinutes * 60 + offsetSecondsPart)
        } else {
            return .invalid(.malformed)
        }

        // Calendar and clock validation.
        guard year >= 1, month >= 1, month <= 12, day >= 1, day <= daysInMonth(year: year, month: month) else {
            return .invalid(.invalidDate)
        }
        guard hour <= 23, minute <= 59, second <= 59 else { return .invalid(.invalidTime) }

        // Local wall time minus the offset is UTC. No overflow: |value| < 4 × 10^17.
        let days = Self.days(fromYear: year, month: month, day: day)
        let secondOfDay = hour * 3600 + minute * 60 + second - offsetSeconds
        let microseconds = days * microsecondsPerDay + secondOfDay * microsecondsPerSecond + microsecond
        guard isSupported(microseconds) else { return .invalid(.outOfRange) }
        return .valid(microseconds)
    }

    // MARK: - Calendar (proleptic Gregorian; algorithms from Howard Hinnant's "chrono-Compatible
    // Low-Level Date Algorithms")

    static func isLeapYear(_ year: Int64) -> Bool {
        year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
    }

    static func daysInMonth(year: Int64, month: Int64) -> Int64 {
        switch month {
        case 2: return isLeapYear(year) ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    /// Days from 1970-01-01 to the given civil date (`days_from_civil`).
    static func days(fromYear year: Int64, month: Int64, day: Int64) -> Int64 {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400  // [0, 399]
        let dayOfYear = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1  // [0, 365]
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear  // [0, 146096]
        return era * 146_097 + dayOfEra - 719_468
    }

    /// The civil date that is `days` after 1970-01-01 (`civil_from_days`).
    static func civil(fromDays days: Int64) -> (year: Int64, month: Int64, day: Int64) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097  // [0, 146096]
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36524 - dayOfEra / 146_096) / 365  // [0, 399]
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)  // [0, 365]
        let shiftedMonth = (5 * dayOfYear + 2) / 153  // [0, 11], March = 0
        let day = dayOfYear - (153 * shiftedMonth + 2) / 5 + 1
        let month = shiftedMonth < 10 ? shiftedMonth + 3 : shiftedMonth - 9
        let year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)
        return (year, month, day)
    }

    // MARK: - Codable

    /// Decodes a timestamp from a string that ``init(_:)`` accepts.
    ///
    /// - Parameter decoder: The decoder to read from.
    /// - Throws: `DecodingError.dataCorrupted` naming the ``TimestampError`` when the string is
    ///   not a timestamp, or the decoder's error when the value is not a string.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let text = try container.decode(String.self)
        do {
            try self.init(text)
        } catch {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: error.description)
        }
    }

    /// Encodes the timestamp as its ``description`` string.
    ///
    /// - Parameter encoder: The encoder to write to.
    /// - Throws: The encoder's error.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}

/// `(quotient, remainder)` with the quotient rounded toward negative infinity and
/// `0 <= remainder < divisor` (for a positive divisor).
@inline(__always)
private func floorDivision(_ value: Int64, _ divisor: Int64) -> (quotient: Int64, remainder: Int64) {
    let quotient = value / divisor
    let remainder = value % divisor
    return remainder < 0 ? (quotient - 1, remainder + divisor) : (quotient, remainder)
}
