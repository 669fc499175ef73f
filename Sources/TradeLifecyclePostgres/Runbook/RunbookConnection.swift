import Logging
import PostgresNIO

/// Connections and queries of the runbook steps.
enum RunbookConnection {
    /// Connects, runs `body`, and closes the connection whatever happens.
    static func with<T>(
        _ settings: PostgresConnectionSettings,
        logger: Logger,
        _ body: (PostgresConnection) async throws(PostgresRunbookError) -> T
    ) async throws(PostgresRunbookError) -> T {
        let connection: PostgresConnection
        do {
            connection = try await PostgresConnection.connect(
                configuration: try settings.connectionConfiguration(),
                id: 1,
                logger: logger
            )
        } catch {
            if error is CancellationError {
                throw PostgresRunbookError(.cancelled, context: "cancelled while connecting")
            }
            throw PostgresRunbookError(
                .connectionFailed,
                context: "could not connect to \(settings.host):\(settings.port), database \(settings.database), as \(settings.username)",
                sqlState: PostgresStoreError.sqlState(of: error),
                underlying: error
            )
        }
        let result: Result<T, PostgresRunbookError>
        do {
            result = .success(try await body(connection))
        } catch {
            result = .failure(error)
        }
        try? await connection.close()
        return try result.get()
    }

    /// Runs `body` in a transaction: `BEGIN` (with `mode`, e.g. `ISOLATION LEVEL REPEATABLE
    /// READ READ ONLY`), then `COMMIT` when it returns or `ROLLBACK` when it throws.
    static func inTransaction<T>(
        _ connection: PostgresConnection,
        mode: String = "",
        logger: Logger,
        context: String,
        _ body: () async throws(PostgresRunbookError) -> T
    ) async throws(PostgresRunbookError) -> T {
        try await execute(mode.isEmpty ? "BEGIN" : "BEGIN \(mode)", on: connection, logger: logger, context: "\(context): BEGIN")
        let value: T
        do {
            value = try await body()
        } catch {
            try? await drain(PostgresQuery(unsafeSQL: "ROLLBACK"), on: connection, logger: logger)
            throw error
        }
        try await execute("COMMIT", on: connection, logger: logger, context: "\(context): COMMIT")
        return value
    }

    /// Sends one statement and drains its rows, so an error raised after the first row is not
    /// lost.
    static func drain(_ query: PostgresQuery, on connection: PostgresConnection, logger: Logger) async throws {
        let rows = try await connection.query(query, logger: logger)
        for try await _ in rows {}
    }

    static func execute(_ sql: String, on connection: PostgresConnection, logger: Logger,
                        context: String) async throws(PostgresRunbookError) {
        do {
            try await drain(PostgresQuery(unsafeSQL: sql), on: connection, logger: logger)
        } catch {
            throw wrap(error, context: context)
        }
    }

    /// A driver or cancellation error as a runbook error; runbook errors pass through.
    static func wrap(_ error: any Error, context: String) -> PostgresRunbookError {
        if let error = error as? PostgresRunbookError {
            return error
        }
        if error is CancellationError {
            return PostgresRunbookError(.cancelled, context: "\(context): cancelled")
        }
        let sqlState = PostgresStoreError.sqlState(of: error)
        if sqlState == nil, let psqlError = error as? PSQLError, psqlError.code == .serverClosedConnection || psqlError.code == .connectionError {
            return PostgresRunbookError(.connectionFailed, context: "\(context): the connection failed", underlying: error)
        }
        return PostgresRunbookError(.queryFailed, context: "\(context): the query failed", sqlState: sqlState, underlying: error)
    }
}
