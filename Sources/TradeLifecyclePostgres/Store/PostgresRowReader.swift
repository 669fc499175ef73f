import PostgresNIO
import TradeLifecycle

/// A `timestamptz` in PostgreSQL's binary form: microseconds since 2000-01-01T00:00:00Z as a
/// 64-bit integer. Writing and reading this form is exact: no floating point, no text parsing.
struct PostgresTimestamp: PostgresNonThrowingEncodable, PostgresDecodable, Sendable, Hashable {
    /// Microseconds from 1970-01-01 to 2000-01-01.
    static let unixToPostgresEpochMicroseconds: Int64 = 946_684_800_000_000

    /// Microseconds since 2000-01-01T00:00:00Z (`Int64.max` and `Int64.min` are PostgreSQL's
    /// `infinity` and `-infinity`).
    let microsecondsSince2000: Int64

    init(_ timestamp: Timestamp) {
        // Timestamp's range (years 0001-9999) is far inside Int64 after the shift.
        microsecondsSince2000 = timestamp.microsecondsSinceEpoch - Self.unixToPostgresEpochMicroseconds
    }

    init(microsecondsSince2000: Int64) {
        self.microsecondsSince2000 = microsecondsSince2000
    }

    /// The timestamp, or `nil` outside ``TradeLifecycle/Timestamp``'s range (years 0001-9999,
    /// infinities included).
    var timestamp: Timestamp? {
        let (unix, overflow) = microsecondsSince2000.addingReportingOverflow(Self.unixToPostgresEpochMicroseconds)
        guard !overflow else { return nil }
        return try? Timestamp(validatingMicrosecondsSinceEpoch: unix)
    }

    static var psqlType: PostgresDataType { .timestamptz }
    static var psqlFormat: PostgresFormat { .binary }

    func encode<JSONEncoder: PostgresJSONEncoder>(into byteBuffer: inout ByteBuffer, context: PostgresEncodingContext<JSONEncoder>) {
        byteBuffer.writeInteger(microsecondsSince2000)
    }

    init<JSONDecoder: PostgresJSONDecoder>(
        from buffer: inout ByteBuffer, type: PostgresDataType, format: PostgresFormat,
        context: PostgresDecodingContext<JSONDecoder>
    ) throws {
        guard type == .timestamptz || type == .timestamp else { throw PostgresDecodingError.Code.typeMismatch }
        guard format == .binary, buffer.readableBytes == 8, let value = buffer.readInteger(as: Int64.self) else {
            throw PostgresDecodingError.Code.failure
        }
        microsecondsSince2000 = value
    }
}

/// Reads the columns of one row in order, turning every value into a core type and every bad
/// value into a typed error that names the table, the column and the row's key (never the
/// value).
struct PostgresRowReader {
    var table: String
    let operation: String
    /// The row's key for errors, such as `order_id o7`; set once the key column is read.
    var key: String
    private let cells: [PostgresCell]
    private var index = 0

    init(_ row: PostgresRow, table: String, operation: String, key: String = "?") {
        self.cells = Array(row)
        self.table = table
        self.operation = operation
        self.key = key
    }

    private mutating func next() throws(StoreError) -> PostgresCell {
        guard index < cells.count else {
            throw invalid(column: "#\(index + 1)", "the query returned fewer columns than the store reads")
        }
        defer { index += 1 }
        return cells[index]
    }

    /// Whether the next column is NULL (or there is none).
    var isNextNull: Bool {
        index >= cells.count || cells[index].bytes == nil
    }

    func invalid(column: String, _ problem: String) -> StoreError {
        PostgresErrors.invalidRow(table: table, column: column, key: key, problem: problem, operation: operation)
    }

    private func decode<Value: PostgresDecodable>(_ type: Value.Type, _ cell: PostgresCell) throws(StoreError) -> Value {
        do {
            return try cell.decode(Value.self, context: .default)
        } catch {
            throw invalid(column: cell.columnName, "the value does not decode as \(Value.self) (type \(cell.dataType))")
        }
    }

    // MARK: Plain values

    /// Text, possibly NULL.
    mutating func optionalText() throws(StoreError) -> String? {
        let cell = try next()
        return try decode(String?.self, cell)
    }

    /// Text that must not be NULL.
    mutating func text() throws(StoreError) -> String {
        let cell = try next()
        guard let value = try decode(String?.self, cell) else { throw invalid(column: cell.columnName, "NULL where a value is required") }
        return value
    }

    mutating func int64() throws(StoreError) -> Int64 {
        let cell = try next()
        guard let value = try decode(Int64?.self, cell) else { throw invalid(column: cell.columnName, "NULL where a value is required") }
        return value
    }

    mutating func optionalInt64() throws(StoreError) -> Int64? {
        let cell = try next()
        return try decode(Int64?.self, cell)
    }

    mutating func bool() throws(StoreError) -> Bool {
        let cell = try next()
        guard let value = try decode(Bool?.self, cell) else { throw invalid(column: cell.columnName, "NULL where a value is required") }
        return value
    }

    // MARK: Core types

    /// A decimal from `numeric::text`, or `nil` for NULL.
    mutating func optionalDecimal() throws(StoreError) -> ExactDecimal? {
        let cell = try next()
        guard let text = try decode(String?.self, cell) else { return nil }
        do {
            return try ExactDecimal(text)
        } catch {
            throw invalid(column: cell.columnName, "not an exact decimal with at most \(ExactDecimal.scale) fractional digits (\(error.code.rawValue))")
        }
    }

    mutating func decimal() throws(StoreError) -> ExactDecimal {
        let column = index < cells.count ? cells[index].columnName : "#\(index + 1)"
        guard let value = try optionalDecimal() else { throw invalid(column: column, "NULL where a value is required") }
        return value
    }

    /// A timestamp from `timestamptz`, or `nil` for NULL.
    mutating func optionalTimestamp() throws(StoreError) -> Timestamp? {
        let cell = try next()
        guard let raw = try decode(PostgresTimestamp?.self, cell) else { return nil }
        guard let timestamp = raw.timestamp else {
            throw invalid(column: cell.columnName, "a time outside years 0001-9999, or not finite")
        }
        return timestamp
    }

    mutating func timestamp() throws(StoreError) -> Timestamp {
        let column = index < cells.count ? cells[index].columnName : "#\(index + 1)"
        guard let value = try optionalTimestamp() else { throw invalid(column: column, "NULL where a value is required") }
        return value
    }

    /// A value parsed by a core initializer that throws ``InputError``; the error's code and
    /// field are reported, not its value.
    mutating func parsed<Value>(_ parse: (String) throws(InputError) -> Value) throws(StoreError) -> Value {
        let cell = try next()
        guard let text = try decode(String?.self, cell) else { throw invalid(column: cell.columnName, "NULL where a value is required") }
        do {
            return try parse(text)
        } catch {
            throw invalid(column: cell.columnName, "\(error.code.rawValue) value for \(error.field)")
        }
    }

    /// Like ``parsed(_:)``, `nil` for NULL.
    mutating func optionalParsed<Value>(_ parse: (String) throws(InputError) -> Value) throws(StoreError) -> Value? {
        let cell = try next()
        guard let text = try decode(String?.self, cell) else { return nil }
        do {
            return try parse(text)
        } catch {
            throw invalid(column: cell.columnName, "\(error.code.rawValue) value for \(error.field)")
        }
    }

    /// A SHA-256 digest from 64 hexadecimal digits.
    mutating func digest() throws(StoreError) -> SHA256.Digest {
        let cell = try next()
        guard let text = try decode(String?.self, cell) else { throw invalid(column: cell.columnName, "NULL where a value is required") }
        guard let digest = SHA256.Digest(hexString: text) else { throw invalid(column: cell.columnName, "not 64 hexadecimal digits") }
        return digest
    }

    /// Like ``digest()``, `nil` for NULL.
    mutating func optionalDigest() throws(StoreError) -> SHA256.Digest? {
        let cell = try next()
        guard let text = try decode(String?.self, cell) else { return nil }
        guard let digest = SHA256.Digest(hexString: text) else { throw invalid(column: cell.columnName, "not 64 hexadecimal digits") }
        return digest
    }
}
