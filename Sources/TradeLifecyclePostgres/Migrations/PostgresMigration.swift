import Crypto

/// One versioned schema change: SQL to apply it and SQL to reverse it.
///
/// The SDK's own schema is ``tradeLifecycleSchema``, embedded from
/// `Sources/TradeLifecyclePostgres/Migrations/SQL/NNNN_name.up.sql` and `.down.sql`.
/// ``PostgresMigrator`` runs each migration's statements in one transaction, together with
/// its `schema_migrations` row.
public struct PostgresMigration: Sendable, Hashable, CustomStringConvertible {
    /// The version: a positive number, strictly increasing along a list of migrations.
    public let version: Int
    /// The name: lower-case letters, digits and `_`, e.g. `trade_tables`.
    public let name: String
    /// The SQL that applies the migration: statements separated by `;`, without
    /// transaction control (the migrator opens and commits the transaction).
    public let upSQL: String
    /// The SQL that reverses ``upSQL``.
    public let downSQL: String

    /// Creates a migration.
    /// - Parameters:
    ///   - version: A positive version number.
    ///   - name: Lower-case letters, digits and `_`, 1 to 100 characters, starting with a letter or digit.
    ///   - upSQL: The SQL that applies it.
    ///   - downSQL: The SQL that reverses it.
    /// - Throws: ``PostgresStoreError`` with code ``PostgresStoreError/Code-swift.enum/invalidMigration``
    ///   when the version is not positive or the name is malformed. (Rule checks on the SQL
    ///   are ``lint()``'s, which the migrator runs before it connects.)
    public init(version: Int, name: String, upSQL: String, downSQL: String) throws(PostgresStoreError) {
        guard version >= 1 else {
            throw PostgresStoreError(code: .invalidMigration, context: "migration \(name): version \(version) is not positive")
        }
        guard Self.isValidName(name) else {
            throw PostgresStoreError(
                code: .invalidMigration,
                context: "migration \(version): name '\(name)' must be 1 to 100 of a-z, 0-9 and _, not starting with _"
            )
        }
        self.init(uncheckedVersion: version, name: name, upSQL: upSQL, downSQL: downSQL)
    }

    /// For the generated list: scripts/embed-migrations has checked version and name.
    init(uncheckedVersion version: Int, name: String, upSQL: String, downSQL: String) {
        self.version = version
        self.name = name
        self.upSQL = upSQL
        self.downSQL = downSQL
    }

    /// The SDK's schema migrations, in version order.
    public static var tradeLifecycleSchema: [PostgresMigration] { embedded }

    /// `NNNN_name`, the migration's file name stem, e.g. `0001_trade_tables`.
    public var identifier: String {
        let digits = String(version)
        let padding = String(repeating: "0", count: max(0, 4 - digits.count))
        return "\(padding)\(digits)_\(name)"
    }

    /// ``identifier``.
    public var description: String { identifier }

    /// The SHA-256 of ``upSQL``'s UTF-8 bytes, as 64 lower-case hexadecimal digits; recorded in
    /// `schema_migrations.checksum` when the migration is applied.
    public var checksum: String {
        Self.sha256Hex(Array(upSQL.utf8))
    }

    /// The digest that chains this migration to every one before it: the SHA-256 of
    /// `"<previous>\n<version>\n<name>\n<checksum>"`, where `previous` is the cumulative
    /// checksum of the migration before (the empty string for the first). Recorded in
    /// `schema_migrations.cumulative_checksum`, it changes when any earlier migration is
    /// edited, inserted, removed or moved.
    /// - Parameter previous: The previous migration's cumulative checksum, or `""` for the first.
    /// - Returns: 64 lower-case hexadecimal digits.
    public func cumulativeChecksum(after previous: String) -> String {
        Self.sha256Hex(Array("\(previous)\n\(version)\n\(name)\n\(checksum)".utf8))
    }

    /// The cumulative checksums of a list of migrations, in order.
    /// - Parameter migrations: Migrations in version order.
    /// - Returns: One cumulative checksum per migration.
    public static func cumulativeChecksums(of migrations: [PostgresMigration]) -> [String] {
        var previous = ""
        return migrations.map { migration in
            previous = migration.cumulativeChecksum(after: previous)
            return previous
        }
    }

    static func isValidName(_ name: String) -> Bool {
        let bytes = Array(name.utf8)
        guard (1...100).contains(bytes.count), bytes[0] != UInt8(ascii: "_") else { return false }
        return bytes.allSatisfy { byte in
            (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z"))
                || (byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9"))
                || byte == UInt8(ascii: "_")
        }
    }

    private static func sha256Hex(_ bytes: [UInt8]) -> String {
        let digits: [UInt8] = Array("0123456789abcdef".utf8)
        var hex: [UInt8] = []
        hex.reserveCapacity(64)
        for byte in SHA256.hash(data: bytes) {
            hex.append(digits[Int(byte >> 4)])
            hex.append(digits[Int(byte & 0x0F)])
        }
        return String(decoding: hex, as: UTF8.self)
    }
}
