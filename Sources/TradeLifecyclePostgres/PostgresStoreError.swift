import PostgresNIO

/// An error from the PostgreSQL adapter: connection settings, schema migrations and the store
/// (where it is the `underlying` error of a `StoreError`).
///
/// Compare errors by ``code``. ``description`` names what failed and where (a migration
/// version and name, a part of a connection URL, a SQLSTATE) but never a password, a row's
/// values or the server's message text, which may contain data; it is safe to log.
/// ``debugDescription`` adds the driver error kept in ``underlying``, for debugging only.
public struct PostgresStoreError: Error, Sendable, CustomStringConvertible, CustomDebugStringConvertible {
    /// What went wrong.
    public enum Code: String, Sendable, Hashable, CaseIterable, CustomStringConvertible {
        /// A connection URL is malformed; the message names the bad part.
        case invalidConnectionURL
        /// The server could not be reached, refused the credentials, or the connection broke.
        case connectionFailed
        /// A migration or the list of migrations is malformed (version, name, order, target).
        case invalidMigration
        /// A migration breaks a migration rule (see ``PostgresMigrationLintViolation``).
        case migrationLintFailed
        /// The migration advisory lock was not acquired within the allowed time.
        case migrationLockTimeout
        /// A migration was edited after it was applied: its SHA-256 differs from the recorded one.
        case appliedMigrationChanged
        /// The applied history does not match the known migrations: an unknown applied
        /// version, a migration inserted before applied ones, a reordering, or a cumulative
        /// checksum that differs.
        case migrationHistoryMismatch
        /// A migration's transaction failed and was rolled back; nothing of it was recorded.
        case migrationFailed
        /// A migration's bookkeeping could not be read back on a separate connection after
        /// its transaction committed.
        case readBackFailed
        /// A query outside a migration's own statements failed.
        case queryFailed
        /// A row read from the database is not a valid record of the SDK (a malformed decimal,
        /// an unknown status, a time out of range, a missing required value); the context names
        /// the table, the column and the row's key, never the value.
        case invalidRow
        /// The task was cancelled.
        case cancelled

        /// The case name, e.g. `migrationFailed`.
        public var description: String { rawValue }
    }

    /// What went wrong; compare errors by this.
    public var code: Code
    /// Where and what, without data: e.g. `migration 0003_capital_ledger: statement 2 of 5 failed`.
    public var context: String
    /// The SQLSTATE the server reported, when it reported one (e.g. `55P03`).
    public var sqlState: String?
    /// The error that caused this one (a `PSQLError` from postgres-nio, for instance). Its own
    /// description may contain data: keep it out of logs that leave the service.
    public var underlying: (any Error)?

    /// Creates an error.
    /// - Parameters:
    ///   - code: What went wrong.
    ///   - context: Where and what, without data.
    ///   - sqlState: The server's SQLSTATE, if any.
    ///   - underlying: The causing error, if any.
    public init(code: Code, context: String, sqlState: String? = nil, underlying: (any Error)? = nil) {
        self.code = code
        self.context = context
        self.sqlState = sqlState
        self.underlying = underlying
    }

    /// `PostgresStoreError.<code>: <context> (SQLSTATE <state>)`; no data, safe to log.
    public var description: String {
        var text = "PostgresStoreError.\(code): \(context)"
        if let sqlState {
            text += " (SQLSTATE \(sqlState))"
        }
        return text
    }

    /// ``description`` followed by the underlying error's debug description, which may
    /// contain the server's message and the failed query: for debugging only.
    public var debugDescription: String {
        guard let underlying else { return description }
        return "\(description); underlying: \(String(reflecting: underlying))"
    }
}

extension PostgresStoreError {
    /// Wraps a driver error, keeping its SQLSTATE when the server sent one.
    static func wrapping(_ error: any Error, code: Code, context: String) -> PostgresStoreError {
        if let storeError = error as? PostgresStoreError {
            return storeError
        }
        if error is CancellationError {
            return PostgresStoreError(code: .cancelled, context: context, underlying: error)
        }
        return PostgresStoreError(code: code, context: context, sqlState: sqlState(of: error), underlying: error)
    }

    /// The SQLSTATE of a server error, if `error` is one.
    static func sqlState(of error: any Error) -> String? {
        if let psqlError = error as? PSQLError {
            return psqlError.serverInfo?[.sqlState]
        }
        return nil
    }
}
