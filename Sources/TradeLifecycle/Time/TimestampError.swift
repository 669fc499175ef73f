/// An error from parsing or building a ``Timestamp``.
///
/// Compare errors by ``code``; ``input`` is the offending text, and ``description`` names both.
public struct TimestampError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What went wrong.
    public enum Code: String, Sendable, Hashable, CaseIterable {
        /// The text was empty.
        case empty
        /// The text is not of the form `YYYY-MM-DD[T| ]HH:MM:SS[.ffffff]<zone>`.
        case malformed
        /// The text is a date without a time of day.
        case missingTime
        /// The year, month or day is not a calendar date (month 13, February 30, 2023-02-29...).
        case invalidDate
        /// The hour, minute or second is out of range (24:00:00, 12:60:00, 23:59:60...).
        case invalidTime
        /// The seconds had more than six fractional digits; they are never silently truncated.
        case tooManyFractionalDigits
        /// The time had no time zone (`Z` or a `±HH[:MM]` offset), so it names no instant.
        case missingTimeZone
        /// The time zone is not `Z` or a `±HH`, `±HHMM`, `±HH:MM` or `±HH:MM:SS` offset with hours
        /// at most 15.
        case invalidTimeZone
        /// The instant is before 0001-01-01T00:00:00Z or after 9999-12-31T23:59:59.999999Z (UTC).
        case outOfRange
    }

    /// What went wrong.
    public let code: Code
    /// The offending text (or, for a number of microseconds, that number in words).
    public let input: String

    /// Creates an error.
    ///
    /// - Parameters:
    ///   - code: What went wrong.
    ///   - input: The offending text.
    public init(_ code: Code, input: String) {
        self.code = code
        self.input = input
    }

    /// What went wrong, quoting the offending text (shortened past 64 characters).
    public var description: String {
        let quoted = "'\(input.count > 64 ? String(input.prefix(61)) + "..." : input)'"
        switch code {
        case .empty:
            return "invalid timestamp \(quoted): empty"
        case .malformed:
            return "invalid timestamp \(quoted): expected YYYY-MM-DDTHH:MM:SS[.ffffff] and a time zone such as Z or +00:00"
        case .missingTime:
            return "invalid timestamp \(quoted): a date without a time of day"
        case .invalidDate:
            return "invalid timestamp \(quoted): not a calendar date"
        case .invalidTime:
            return "invalid timestamp \(quoted): time of day out of range (00:00:00...23:59:59)"
        case .tooManyFractionalDigits:
            return "invalid timestamp \(quoted): more than 6 fractional digits of a second"
        case .missingTimeZone:
            return "invalid timestamp \(quoted): no time zone (expected Z or an offset such as +00:00)"
        case .invalidTimeZone:
            return "invalid timestamp \(quoted): time zone must be Z or an offset ±HH, ±HHMM, ±HH:MM or ±HH:MM:SS with hours up to 15"
        case .outOfRange:
            return "timestamp out of range \(quoted): supported instants are \(Timestamp.min)...\(Timestamp.max)"
        }
    }
}
