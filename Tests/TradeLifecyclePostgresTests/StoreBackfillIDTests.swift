import PostgresNIO
import Testing
import TradeLifecycle
import TradeLifecyclePostgres

/// `OrderID.backfill` computed in Swift equals PostgreSQL's expression of the reference runbook,
/// byte for byte, on 10,000 random rows: random text (non-ASCII included) and random times over
/// the whole supported range, with microseconds (which the id truncates to milliseconds).
@Suite(
    "BFILL ids against PostgreSQL",
    .enabled(if: PostgresTestEnvironment.shouldRun, PostgresTestEnvironment.skipNotice)
)
struct StoreBackfillIDTests {
    static let rowCount = 10_000

    struct Row {
        let profileID: ProfileID
        let tradeID: TradeID
        let exchangeOrderID: String
        let filledAt: Timestamp
    }

    /// Characters the random ids are made of: ASCII, Latin-1, CJK, an emoji, the runbook's
    /// separator and space.
    static let alphabet: [Character] = Array("abcXYZ019-_.:/ éüñ日本語🚀")

    static func text(_ generator: inout some RandomNumberGenerator, length: ClosedRange<Int>) -> String {
        var text = ""
        for _ in 0..<Int.random(in: length, using: &generator) { text.append(alphabet.randomElement(using: &generator)!) }
        return text
    }

    static func randomRows() -> [Row] {
        var generator = SystemRandomNumberGenerator()
        let range = Timestamp.min.microsecondsSinceEpoch...Timestamp.max.microsecondsSinceEpoch
        // Around the present as well as over the whole range.
        let recent = Int64(1_700_000_000_000_000)...Int64(1_800_000_000_000_000)
        return (0..<rowCount).map { index in
            let micros = Int64.random(in: index % 2 == 0 ? range : recent, using: &generator)
            return Row(
                profileID: fixture { () throws(InputError) in try ProfileID("p" + text(&generator, length: 0...12)) },
                tradeID: fixture { () throws(InputError) in try TradeID("TRD-" + text(&generator, length: 0...24)) },
                exchangeOrderID: index % 10 == 0 ? OrderID.dustExchangeOrderID : text(&generator, length: 0...16),
                filledAt: Timestamp(microsecondsSinceEpoch: micros))
        }
    }

    @Test("OrderID.backfill equals the runbook's md5 expression for 10,000 random rows")
    func swiftAndPostgresAgree() async throws {
        let rows = Self.randomRows()
        try await StoreTestDatabase.withMigrated { database in
            try await database.connect { sql in
                try await sql.run("""
                    CREATE TABLE bfill_check (n bigint PRIMARY KEY, profile_id text NOT NULL, trade_id text NOT NULL,
                        exchange_order_id text NOT NULL, filled_at timestamptz NOT NULL)
                    """)
                // In bulk: arrays of 1,000 rows per statement; times as exact integer microseconds.
                var start = 0
                while start < rows.count {
                    let chunk = rows[start..<min(rows.count, start + 1_000)]
                    let numbers = chunk.indices.map { Int64($0) }
                    try await sql.query("""
                        INSERT INTO bfill_check (n, profile_id, trade_id, exchange_order_id, filled_at)
                        SELECT n, p, t, x, timestamptz '1970-01-01 00:00:00+00' + (us / 1000000) * interval '1 second'
                            + (us % 1000000) * interval '1 microsecond'
                        FROM unnest(\(numbers)::bigint[], \(chunk.map(\.profileID.rawValue))::text[], \(chunk.map(\.tradeID.rawValue))::text[],
                            \(chunk.map(\.exchangeOrderID))::text[], \(chunk.map(\.filledAt.microsecondsSinceEpoch))::bigint[]) AS input (n, p, t, x, us)
                        """)
                    start += chunk.count
                }
                let computed = try await sql.query("""
                    SELECT n, 'BFILL-' || md5(profile_id || ':' || trade_id || ':' || exchange_order_id || ':' ||
                            to_char(filled_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')),
                        to_char(filled_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')
                    FROM bfill_check ORDER BY n
                    """)
                #expect(computed.count == rows.count)
                var mismatches: [String] = []
                for row in computed {
                    let (number, postgresID, postgresTime) = try row.decode((Int64, String, String).self)
                    let input = rows[Int(number)]
                    // The row holds the intended instant (so the comparison below is about the id).
                    if postgresTime != input.filledAt.description {
                        mismatches.append("row \(number): stored time \(postgresTime), intended \(input.filledAt)")
                    }
                    let swiftID = OrderID.backfill(profileID: input.profileID, tradeID: input.tradeID,
                                                   exchangeOrderID: input.exchangeOrderID, filledAt: input.filledAt)
                    if swiftID.rawValue != postgresID {
                        mismatches.append("row \(number) (\(input.filledAt)): Swift \(swiftID), PostgreSQL \(postgresID)")
                    }
                }
                #expect(mismatches.isEmpty, "\(mismatches.count) mismatches, first: \(mismatches.prefix(5))")
            }
        }
    }
}
