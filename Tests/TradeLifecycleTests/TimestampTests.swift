import Foundation
import PropertyBased
import Testing
import TradeLifecycle

// Expected values in these tables were computed independently of the code under test (Python's
// `datetime`, and PostgreSQL 15's `to_char(t AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`
// and `timestamptz` output), not by running it.

/// An independent, deliberately plain model of the proleptic Gregorian calendar: it counts days
/// year by year and month by month from 1970-01-01.
private enum DayCountingCalendar {
    static func isLeap(_ year: Int) -> Bool {
        (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
    }

    static func monthLengths(_ year: Int) -> [Int] {
        [31, isLeap(year) ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]
    }

    /// Days from 1970-01-01 to `year-month-day`.
    static func days(year: Int, month: Int, day: Int) -> Int {
        var days = 0
        if year >= 1970 {
            for y in 1970..<year { days += isLeap(y) ? 366 : 365 }
        } else {
            for y in year..<1970 { days -= isLeap(y) ? 366 : 365 }
        }
        for m in 0..<(month - 1) { days += monthLengths(year)[m] }
        return days + day - 1
    }

    /// The date `days` after 1970-01-01.
    static func date(days: Int) -> (year: Int, month: Int, day: Int) {
        var remaining = days
        var year = 1970
        while remaining < 0 {
            year -= 1
            remaining += isLeap(year) ? 366 : 365
        }
        while remaining >= (isLeap(year) ? 366 : 365) {
            remaining -= isLeap(year) ? 366 : 365
            year += 1
        }
        var month = 1
        for length in monthLengths(year) {
            if remaining < length { break }
            remaining -= length
            month += 1
        }
        return (year, month, remaining + 1)
    }
}

/// Zero-padded decimal text.
private func padded(_ value: Int, _ width: Int) -> String {
    let digits = String(value)
    return String(repeating: "0", count: max(0, width - digits.count)) + digits
}

private let microsecondsPerDay: Int64 = 86_400_000_000
private let minimumMicroseconds: Int64 = -62_135_596_800_000_000  // 0001-01-01T00:00:00Z
private let maximumMicroseconds: Int64 = 253_402_300_799_999_999  // 9999-12-31T23:59:59.999999Z

@Suite struct TimestampTests {
    // MARK: Parsing

    @Test(arguments: [
        ("1970-01-01T00:00:00Z", 0),
        ("2026-02-15T09:30:00.123Z", 1_771_147_800_123_000),
        ("2026-02-15 09:30:00.123+00", 1_771_147_800_123_000),  // PostgreSQL's output
        ("2026-02-15T09:30:00.123+00:00", 1_771_147_800_123_000),
        ("2026-02-15T09:30:00.123+0000", 1_771_147_800_123_000),
        ("2026-02-15T09:30:00.123-00:00", 1_771_147_800_123_000),
        ("2026-02-15t09:30:00.123z", 1_771_147_800_123_000),
        ("2026-02-15T11:30:00.123+02:00", 1_771_147_800_123_000),
        ("2026-02-15T04:00:00.123-05:30", 1_771_147_800_123_000),
        ("2026-02-15T15:00:00.123+0530", 1_771_147_800_123_000),
        ("2026-02-15T07:30:00.123-02", 1_771_147_800_123_000),
        ("2026-02-15T09:30:00+15:59", 1_771_090_260_000_000),
        ("2026-02-15T09:30:00-15:59", 1_771_205_340_000_000),
        // Leap years: 2000 and 1600 (divisible by 400) and 2024 are, 1900 is not.
        ("2000-02-29T12:00:00Z", 951_825_600_000_000),
        ("1600-02-29T00:00:00Z", -11_670_998_400_000_000),
        ("2024-02-29T23:59:59.999999Z", 1_709_251_199_999_999),
        ("1900-02-28T00:00:00Z", -2_203_977_600_000_000),
        ("1900-03-01T00:00:00Z", -2_203_891_200_000_000),
        // Month ends.
        ("2023-01-31T00:00:00Z", 1_675_123_200_000_000),
        ("2023-02-28T00:00:00Z", 1_677_542_400_000_000),
        ("2023-04-30T00:00:00Z", 1_682_812_800_000_000),
        ("2023-06-30T00:00:00Z", 1_688_083_200_000_000),
        ("2023-09-30T00:00:00Z", 1_696_032_000_000_000),
        ("2023-11-30T00:00:00Z", 1_701_302_400_000_000),
        ("2023-12-31T00:00:00Z", 1_703_980_800_000_000),
        // Offsets that cross a day and a year.
        ("2026-12-31T23:30:00-01:00", 1_798_763_400_000_000),
        ("2026-01-01T00:30:00+01:00", 1_767_223_800_000_000),
        // Before the epoch.
        ("1969-12-31T23:59:59.999999Z", -1),
        ("1969-12-31T23:59:59.123999Z", -876_001),
        ("1969-07-20T20:17:40Z", -14_182_940_000_000),
        ("1583-10-15T00:00:00Z", -12_187_756_800_000_000),
        ("1066-10-14T09:00:00-00:30", -28_502_721_000_000_000),
        // Texts PostgreSQL 15 printed for these instants in other session time zones.
        ("2026-02-15 15:00:00.123+05:30", 1_771_147_800_123_000),
        ("2026-02-15 06:00:00.123-03:30", 1_771_147_800_123_000),
        ("1900-01-01 00:19:32+00:19:32", -2_208_988_800_000_000),
        ("1969-07-20 20:17:40.0005+00", -14_182_939_999_500),
        ("2026-02-15T15:00:00+05:30:00", 1_771_147_800_000_000),
        // The ends of the range.
        ("0001-01-01T00:00:00Z", -62_135_596_800_000_000),
        ("0001-01-01T00:59:59+00:59", -62_135_596_741_000_000),
        ("9999-12-31T23:59:59.999999Z", 253_402_300_799_999_999),
    ] as [(String, Int64)])
    func parses(text: String, microseconds: Int64) throws {
        #expect(try Timestamp(text).microsecondsSinceEpoch == microseconds)
    }

    @Test(arguments: [
        ("2026-02-15T09:30:00Z", 0),
        ("2026-02-15T09:30:00.1Z", 100_000),
        ("2026-02-15T09:30:00.12Z", 120_000),
        ("2026-02-15T09:30:00.123Z", 123_000),
        ("2026-02-15T09:30:00.1234Z", 123_400),
        ("2026-02-15T09:30:00.12345Z", 123_450),
        ("2026-02-15T09:30:00.123456Z", 123_456),
        ("2026-02-15T09:30:00.000001Z", 1),
        ("2026-02-15T09:30:00.000000Z", 0),
    ] as [(String, Int64)])
    func parsesZeroToSixFractionalDigits(text: String, fraction: Int64) throws {
        let base: Int64 = 1_771_147_800_000_000  // 2026-02-15T09:30:00Z
        #expect(try Timestamp(text).microsecondsSinceEpoch == base + fraction)
    }

    @Test(arguments: [
        ("", TimestampError.Code.empty),
        ("2026-02-15", .missingTime),
        ("2026-02-15T09:30:00", .missingTimeZone),
        ("2026-02-15 09:30:00.123", .missingTimeZone),
        ("2026-02-15T09:30:00.1234567Z", .tooManyFractionalDigits),
        ("2026-02-15T09:30:00.123456789+00", .tooManyFractionalDigits),
        ("2026-02-15T09:30:00.Z", .malformed),
        ("2026-02-15T09:30Z", .malformed),
        ("2026-2-15T09:30:00Z", .malformed),
        ("26-02-15T09:30:00Z", .malformed),
        ("10000-01-01T00:00:00Z", .malformed),
        ("-0001-01-01T00:00:00Z", .malformed),
        (" 2026-02-15T09:30:00Z", .malformed),
        ("2026-02-15T09:30:00Z ", .malformed),
        ("2026-02-15X09:30:00Z", .malformed),
        ("2026-02-15T9:30:00Z", .malformed),
        ("2026-02-15T09:30:00ZZ", .malformed),
        ("2026-02-15T09:30:00UTC", .malformed),
        ("2026-02-15T09:30:00,5Z", .malformed),
        ("２０２６-02-15T09:30:00Z", .malformed),
        ("2026-02-15T09:30:00+5", .invalidTimeZone),
        ("2026-02-15T09:30:00+05:3", .invalidTimeZone),
        ("2026-02-15T09:30:00+05:", .invalidTimeZone),
        ("2026-02-15T09:30:00+05:30:0", .invalidTimeZone),
        ("2026-02-15T09:30:00+05:30:", .invalidTimeZone),
        ("2026-02-15T09:30:00+05:30:60", .invalidTimeZone),
        ("2026-02-15T09:30:00+053000", .invalidTimeZone),
        ("2026-02-15T09:30:00+16:00", .invalidTimeZone),
        ("2026-02-15T09:30:00+05:60", .invalidTimeZone),
        ("2026-02-15T09:30:00+", .invalidTimeZone),
        ("2026-02-29T00:00:00Z", .invalidDate),
        ("1900-02-29T00:00:00Z", .invalidDate),
        ("2100-02-29T00:00:00Z", .invalidDate),
        ("2023-04-31T00:00:00Z", .invalidDate),
        ("2023-06-31T00:00:00Z", .invalidDate),
        ("2023-09-31T00:00:00Z", .invalidDate),
        ("2023-11-31T00:00:00Z", .invalidDate),
        ("2023-01-32T00:00:00Z", .invalidDate),
        ("2026-13-01T00:00:00Z", .invalidDate),
        ("2026-00-10T00:00:00Z", .invalidDate),
        ("2026-01-00T00:00:00Z", .invalidDate),
        ("0000-01-01T00:00:00Z", .invalidDate),
        ("2026-02-15T24:00:00Z", .invalidTime),
        ("2026-02-15T23:60:00Z", .invalidTime),
        ("2026-02-15T23:59:60Z", .invalidTime),
        ("0001-01-01T00:00:00+01:00", .outOfRange),
        ("0001-01-01T00:59:59.999999+01:00", .outOfRange),
        ("9999-12-31T23:59:59.999999-00:01", .outOfRange),
    ])
    func rejects(text: String, code: TimestampError.Code) {
        #expect {
            try Timestamp(text)
        } throws: { error in
            guard let error = error as? TimestampError else { return false }
            return error.code == code && error.input == text
        }
    }

    @Test func errorDescriptionNamesTheText() {
        do {
            _ = try Timestamp("2026-02-30T09:30:00Z")
            Issue.record("parsed an invalid date")
        } catch {
            #expect(error.code == .invalidDate)
            #expect(error.description.contains("'2026-02-30T09:30:00Z'"))
        }
        for code in TimestampError.Code.allCases {
            #expect(TimestampError(code, input: "bad-text").description.contains("'bad-text'"))
        }
        let long = String(repeating: "9", count: 200)
        #expect(TimestampError(.malformed, input: long).description.count < 200)
    }

    // MARK: Formatting

    @Test(arguments: [
        (0, "1970-01-01T00:00:00.000000Z", "1970-01-01T00:00:00.000Z"),
        (1_771_147_800_123_000, "2026-02-15T09:30:00.123000Z", "2026-02-15T09:30:00.123Z"),
        (1_771_147_800_123_999, "2026-02-15T09:30:00.123999Z", "2026-02-15T09:30:00.123Z"),
        (1_771_147_800_000_999, "2026-02-15T09:30:00.000999Z", "2026-02-15T09:30:00.000Z"),
        (951_825_600_000_000, "2000-02-29T12:00:00.000000Z", "2000-02-29T12:00:00.000Z"),
        (1_709_251_199_999_999, "2024-02-29T23:59:59.999999Z", "2024-02-29T23:59:59.999Z"),
        (-1, "1969-12-31T23:59:59.999999Z", "1969-12-31T23:59:59.999Z"),
        (-876_001, "1969-12-31T23:59:59.123999Z", "1969-12-31T23:59:59.123Z"),
        (-14_182_940_000_000, "1969-07-20T20:17:40.000000Z", "1969-07-20T20:17:40.000Z"),
        (-2_203_891_200_000_001, "1900-02-28T23:59:59.999999Z", "1900-02-28T23:59:59.999Z"),
        (-62_135_596_800_000_000, "0001-01-01T00:00:00.000000Z", "0001-01-01T00:00:00.000Z"),
        (-62_135_596_799_999_001, "0001-01-01T00:00:00.000999Z", "0001-01-01T00:00:00.000Z"),
        (253_402_300_799_999_999, "9999-12-31T23:59:59.999999Z", "9999-12-31T23:59:59.999Z"),
    ] as [(Int64, String, String)])
    func formats(microseconds: Int64, description: String, millisecondText: String) {
        let timestamp = Timestamp(microsecondsSinceEpoch: microseconds)
        #expect(timestamp.description == description)
        #expect(timestamp.millisecondText == millisecondText)

        var buffer = [UInt8](repeating: 0xFF, count: 30)
        let written = buffer.withUnsafeMutableBytes { timestamp.writeMillisecondText(into: $0) }
        #expect(written == 24)
        #expect(Array(buffer[..<24]) == Array(millisecondText.utf8))
        #expect(buffer[24...].allSatisfy { $0 == 0xFF })
    }

    /// `millisecondText` truncates toward the past, like PostgreSQL's `to_char(..., 'MS')`: it
    /// equals the text of the timestamp floored to a whole millisecond, never rounded up.
    @Test func millisecondTextFloorsToTheMillisecond() async {
        await propertyCheck(count: 2_000, input: Gen.int64(in: minimumMicroseconds...maximumMicroseconds)) { value in
            let floored = value - (((value % 1000) + 1000) % 1000)
            let timestamp = Timestamp(microsecondsSinceEpoch: value)
            let flooredTimestamp = Timestamp(microsecondsSinceEpoch: floored)
            #expect(timestamp.millisecondText == flooredTimestamp.millisecondText)
            #expect(String(flooredTimestamp.description.dropLast(4)) + "Z" == timestamp.millisecondText)
        }
    }

    // MARK: Properties

    @Test func descriptionRoundTrips() async throws {
        await propertyCheck(count: 5_000, input: Gen.int64(in: minimumMicroseconds...maximumMicroseconds)) { value in
            let timestamp = Timestamp(microsecondsSinceEpoch: value)
            let parsed = try Timestamp(timestamp.description)
            #expect(parsed == timestamp)
            // PostgreSQL's own text form: space separator and a +00 offset.
            let postgresText = timestamp.description.replacing("T", with: " ").replacing("Z", with: "+00")
            let parsedPostgres = try Timestamp(postgresText)
            #expect(parsedPostgres == timestamp)
        }
        for value in [minimumMicroseconds, maximumMicroseconds, 0, -1, 1] {
            let timestamp = Timestamp(microsecondsSinceEpoch: value)
            #expect(try Timestamp(timestamp.description) == timestamp)
        }
    }

    /// The calendar math agrees with a plain day-counting loop, both ways, for random dates.
    @Test func calendarMatchesDayCounting() async throws {
        await propertyCheck(
            count: 3_000,
            input: Gen.int(in: 1...9999), Gen.int(in: 1...12), Gen.int(in: 1...31)
        ) { year, month, rawDay in
            let day = min(rawDay, DayCountingCalendar.monthLengths(year)[month - 1])
            let text = "\(padded(year, 4))-\(padded(month, 2))-\(padded(day, 2))T00:00:00Z"
            let expectedDays = DayCountingCalendar.days(year: year, month: month, day: day)
            let timestamp = try Timestamp(text)
            #expect(timestamp.microsecondsSinceEpoch == Int64(expectedDays) * microsecondsPerDay)
        }
        await propertyCheck(count: 3_000, input: Gen.int64(in: minimumMicroseconds...maximumMicroseconds)) { value in
            let days = Int(value >= 0 ? value / microsecondsPerDay : (value + 1) / microsecondsPerDay - 1)
            let (year, month, day) = DayCountingCalendar.date(days: days)
            let expectedDate = "\(padded(year, 4))-\(padded(month, 2))-\(padded(day, 2))"
            #expect(Timestamp(microsecondsSinceEpoch: value).description.hasPrefix(expectedDate + "T"))
        }
    }

    /// A wall time with an offset names the same instant as the UTC time the offset implies.
    @Test func offsetsConvertToUTC() async throws {
        await propertyCheck(
            count: 2_000,
            input: Gen.int64(in: (minimumMicroseconds + microsecondsPerDay)...(maximumMicroseconds - microsecondsPerDay)),
            Gen.int(in: -15...15),
            Gen.int(in: 0...59),
            Gen.int(in: 0...2)
        ) { utc, hours, minutes, style in
            let sign: Int64 = hours < 0 ? -1 : 1
            let offsetMicroseconds = sign * Int64(abs(hours) * 3600 + minutes * 60) * 1_000_000
            // The local wall time is UTC plus the offset; print it with a UTC formatter and
            // swap the zone for the offset.
            let local = Timestamp(microsecondsSinceEpoch: utc + offsetMicroseconds).description.dropLast()
            let hh = padded(abs(hours), 2)
            let mm = padded(minutes, 2)
            let zone = switch style {
            case 0: "\(sign < 0 ? "-" : "+")\(hh):\(mm)"
            case 1: "\(sign < 0 ? "-" : "+")\(hh)\(mm)"
            default: minutes == 0 ? "\(sign < 0 ? "-" : "+")\(hh)" : "\(sign < 0 ? "-" : "+")\(hh):\(mm)"
            }
            let parsed = try Timestamp(local + zone)
            #expect(parsed.microsecondsSinceEpoch == utc)
        }
    }

    // MARK: Arithmetic and ordering

    @Test func advancedStaysInRange() {
        let epoch = Timestamp(microsecondsSinceEpoch: 0)
        #expect(epoch.advanced(byMicroseconds: Timestamp.hours(6))?.description == "1970-01-01T06:00:00.000000Z")
        #expect(epoch.advanced(byMicroseconds: -Timestamp.milliseconds(1))?.microsecondsSinceEpoch == -1000)
        #expect(Timestamp.max.advanced(byMicroseconds: 1) == nil)
        #expect(Timestamp.min.advanced(byMicroseconds: -1) == nil)
        #expect(Timestamp.max.advanced(byMicroseconds: 0) == Timestamp.max)
        #expect(Timestamp.max.advanced(byMicroseconds: .max) == nil)
        #expect(Timestamp.min.advanced(byMicroseconds: .min) == nil)
        #expect(Timestamp.min.advanced(byMicroseconds: Timestamp.max.microseconds(since: Timestamp.min)) == Timestamp.max)
        #expect(Timestamp.max.microseconds(since: Timestamp.min) == maximumMicroseconds - minimumMicroseconds)
        #expect(Timestamp.min.description == "0001-01-01T00:00:00.000000Z")
        #expect(Timestamp.max.description == "9999-12-31T23:59:59.999999Z")
    }

    @Test func durationHelpers() {
        #expect(Timestamp.hours(2) == 7_200_000_000)
        #expect(Timestamp.minutes(-3) == -180_000_000)
        #expect(Timestamp.seconds(45) == 45_000_000)
        #expect(Timestamp.milliseconds(7) == 7_000)
        #expect(Timestamp.hours(Int.max) == .max)
        #expect(Timestamp.hours(Int64.min) == .min)
        #expect(Timestamp.seconds(UInt64.max) == .max)
        // A saturated duration is longer than the whole range, so it never lands on an instant.
        #expect(Timestamp.min.advanced(byMicroseconds: Timestamp.hours(Int.max)) == nil)
    }

    @Test func validatingInitializer() throws {
        #expect(try Timestamp(validatingMicrosecondsSinceEpoch: maximumMicroseconds) == Timestamp.max)
        #expect(try Timestamp(validatingMicrosecondsSinceEpoch: minimumMicroseconds) == Timestamp.min)
        for value in [maximumMicroseconds + 1, minimumMicroseconds - 1, Int64.max, Int64.min] {
            #expect {
                try Timestamp(validatingMicrosecondsSinceEpoch: value)
            } throws: { error in
                (error as? TimestampError)?.code == .outOfRange
            }
        }
    }

    @Test func orderingFollowsTheInstant() async {
        let values = Gen.int64(in: minimumMicroseconds...maximumMicroseconds)
        await propertyCheck(count: 1_000, input: values, values) { a, b in
            let first = Timestamp(microsecondsSinceEpoch: a)
            let second = Timestamp(microsecondsSinceEpoch: b)
            #expect((first < second) == (a < b))
            #expect((first == second) == (a == b))
            // The fixed-width text sorts like the instant it names.
            #expect((first.description < second.description) == (a < b))
        }
    }

    // MARK: Codable

    @Test func codableAsDescriptionString() throws {
        let timestamp = Timestamp(microsecondsSinceEpoch: -876_001)
        let json = try JSONEncoder().encode([timestamp])
        #expect(String(decoding: json, as: UTF8.self) == #"["1969-12-31T23:59:59.123999Z"]"#)
        #expect(try JSONDecoder().decode([Timestamp].self, from: json) == [timestamp])

        let postgres = Data(#"["2026-02-15 09:30:00.123+00"]"#.utf8)
        #expect(try JSONDecoder().decode([Timestamp].self, from: postgres).first?.microsecondsSinceEpoch == 1_771_147_800_123_000)

        let invalid = Data(#"["2026-02-30T09:30:00Z"]"#.utf8)
        #expect {
            try JSONDecoder().decode([Timestamp].self, from: invalid)
        } throws: { error in
            guard case DecodingError.dataCorrupted(let context) = error else { return false }
            return context.debugDescription.contains("2026-02-30T09:30:00Z")
        }
        #expect(throws: DecodingError.self) {
            try JSONDecoder().decode([Timestamp].self, from: Data("[1771147800]".utf8))
        }
    }

    // MARK: Clocks

    @Test func manualWallClock() {
        let start = Timestamp(microsecondsSinceEpoch: 1_771_147_800_000_000)
        let clock = ManualWallClock(start)
        #expect(clock.now() == start)
        #expect(clock.advance(byMicroseconds: Timestamp.seconds(90)).description == "2026-02-15T09:31:30.000000Z")
        #expect(clock.now().description == "2026-02-15T09:31:30.000000Z")
        clock.advance(byMicroseconds: -Timestamp.hours(1))
        #expect(clock.now().description == "2026-02-15T08:31:30.000000Z")
        clock.set(.min)
        #expect(clock.now() == .min)
    }

    @Test func manualWallClockUnderConcurrentAdvances() async {
        let start = Timestamp(microsecondsSinceEpoch: 0)
        let clock = ManualWallClock(start)
        let tasks = 8
        let advancesPerTask = 2_000
        let seen = await withTaskGroup(of: [Int64].self) { group in
            for _ in 0..<tasks {
                group.addTask {
                    var results: [Int64] = []
                    results.reserveCapacity(advancesPerTask)
                    for _ in 0..<advancesPerTask {
                        results.append(clock.advance(byMicroseconds: 1).microsecondsSinceEpoch)
                        _ = clock.now()
                    }
                    return results
                }
            }
            var all: [Int64] = []
            for await results in group { all += results }
            return all
        }
        let total = Int64(tasks * advancesPerTask)
        #expect(clock.now().microsecondsSinceEpoch == total)
        // Every advance observed its own distinct result: none was lost or merged.
        #expect(Set(seen) == Set(1...total))
    }

    @Test func systemWallClockReadsTheSystemTime() {
        // time(2) is a different system call with whole seconds.
        let before = Int64(time(nil))
        let now = SystemWallClock().now()
        let after = Int64(time(nil))
        let seconds = now.microsecondsSinceEpoch / 1_000_000
        #expect(seconds >= before)
        #expect(seconds <= after)
    }
}
