import Logging
import Testing
import TradeLifecycle
@testable import TradeLifecyclePostgres

/// A SQL literal: `'text'` with quotes doubled, or `NULL`.
func sqlLiteral(_ text: String?) -> String {
    guard let text else { return "NULL" }
    return "'" + text.replacing("'", with: "''") + "'"
}

/// One `orders` row as text, exactly as a test writes it (spellings included).
struct OrderRowText: Sendable {
    var orderID: String
    var profileID = "p1"
    var symbol = "BTC-USD"
    var tradeID: String?
    var action: String?
    var side: String? = "long"
    var status = "filled"
    var quantity: String?
    var qty: String?
    var filledQuantity = "0"
    var price: String?
    var exchangeOrderID: String?
    var clientOrderID: String?
    var filledAt: String?
    var createdAt = "2026-02-15T08:00:00Z"

    var values: String {
        "(" + [sqlLiteral(orderID), sqlLiteral(profileID), sqlLiteral(symbol), sqlLiteral(tradeID), sqlLiteral(action),
               sqlLiteral(side), sqlLiteral(status), quantity ?? "NULL", qty ?? "NULL", filledQuantity, price ?? "NULL",
               sqlLiteral(exchangeOrderID), sqlLiteral(clientOrderID), sqlLiteral(filledAt), sqlLiteral(createdAt)]
            .joined(separator: ", ") + ")"
    }

    static let columns = "(order_id, profile_id, symbol, trade_id, action, side, status, quantity, qty, filled_quantity, price, exchange_order_id, client_order_id, filled_at, created_at)"

    /// The row as an in-memory order: the fields a filled row of these tests sets (ids, symbol,
    /// trade, action, side, status, quantity, price, exchange and client order ids, times).
    func order() throws -> Order {
        try Order(orderID: OrderID(orderID), profileID: ProfileID(profileID), symbol: symbol, tradeID: TradeID.normalized(tradeID),
                  action: action.map { text throws(InputError) in try LifecycleAction(parsing: text) },
                  side: side.map { text throws(InputError) in try PositionSide(parsing: text) }, status: OrderStatus(parsing: status),
                  quantity: quantity.map { text throws(DecimalError) in try ExactDecimal(text) },
                  price: price.map { text throws(DecimalError) in try ExactDecimal(text) }, exchangeOrderID: exchangeOrderID,
                  clientOrderID: ClientOrderID.normalized(clientOrderID), filledAt: filledAt.map { text throws(TimestampError) in try Timestamp(text) },
                  createdAt: Timestamp(createdAt))
    }

    /// One INSERT of `rows` (nothing when empty).
    static func insert(_ rows: [OrderRowText]) -> String? {
        guard !rows.isEmpty else { return nil }
        return "INSERT INTO orders \(columns) VALUES " + rows.map(\.values).joined(separator: ", ")
    }
}

extension TestConnection {
    func insert(_ rows: [OrderRowText]) async throws {
        var start = 0
        while start < rows.count {
            let end = min(start + 500, rows.count)
            if let statement = OrderRowText.insert(Array(rows[start..<end])) {
                try await run(statement)
            }
            start = end
        }
    }

    /// `'TRD-' || md5(text)` computed by PostgreSQL: an oracle independent of the SDK's MD5.
    func generatedTradeID(_ text: String) async throws -> String {
        try #require(try await column("id", "SELECT 'TRD-' || md5(\(sqlLiteral(text))) AS id").first ?? nil)
    }

    /// The BFILL id PostgreSQL computes with the expression of SPEC section 2.
    func backfillOrderID(profile: String, trade: String, exchangeOrderID: String, filledAt: String) async throws -> String {
        try #require(try await column("id", """
            SELECT 'BFILL-' || md5(\(sqlLiteral(profile)) || ':' || \(sqlLiteral(trade)) || ':' || \(sqlLiteral(exchangeOrderID)) || ':' ||
                to_char(timestamptz \(sqlLiteral(filledAt)) AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')) AS id
            """).first ?? nil)
    }
}

extension TestDatabase {
    /// The runbook of this database, quiet.
    var runbook: PostgresRunbook {
        PostgresRunbook(settings: settings, logger: PostgresTestEnvironment.quietLogger)
    }

    /// A fresh database migrated to the full schema, with `seed` statements run before the
    /// lifecycle constraints are added (migration 0005), as the rows of a database that
    /// predates them: legacy spellings and blank trade ids are accepted there.
    static func withMigrated<T: Sendable>(
        seed: [String] = [],
        _ body: (TestDatabase) async throws -> T
    ) async throws -> T {
        try await withFresh { database in
            _ = try await database.migrator(PostgresMigration.tradeLifecycleSchema.filter { $0.version <= 4 }).migrate()
            try await database.connect { connection in
                for statement in seed {
                    try await connection.run(statement)
                }
            }
            _ = try await database.migrator().migrate()
            return try await body(database)
        }
    }
}

/// The runbook suites that use the server, nested here and run one test at a time: each opens a
/// database and several connections, and the server's connection limit is shared with the
/// other suites that run in parallel.
@Suite("Runbook on PostgreSQL", .serialized)
struct RunbookPostgresTests {}
