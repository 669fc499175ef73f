import Logging
import PostgresNIO
import Synchronization
import TradeLifecycle

/// Where the statements of a store operation run: on any pooled connection (each statement on
/// its own, multi-statement operations in a transaction of their own), or on the one connection
/// of a unit of work opened by ``PostgresStore/withTransaction(_:)``.
protocol PostgresExecutor: Sendable {
    /// Runs one statement and returns its rows.
    ///
    /// - Parameters:
    ///   - query: The statement; values are bound parameters, never part of the SQL text.
    ///   - context: The operation and ids, for errors.
    /// - Throws: ``StoreError`` mapped from the server's SQLSTATE (see ``PostgresErrors``).
    func rows(_ query: PostgresQuery, context: String) async throws(StoreError) -> [PostgresRow]

    /// Runs `body` atomically: directly when this executor is a unit of work already, otherwise
    /// inside `BEGIN` … `COMMIT` on one pooled connection, rolled back when `body` throws.
    func atomically<Value: Sendable>(
        context: String,
        _ body: (any PostgresExecutor) async throws(StoreError) -> Value
    ) async throws(StoreError) -> Value
}

/// Runs each statement on a pooled connection of a running `PostgresClient`.
struct PostgresPoolExecutor: PostgresExecutor {
    let client: PostgresClient
    let logger: Logger

    func rows(_ query: PostgresQuery, context: String) async throws(StoreError) -> [PostgresRow] {
        do {
            return try await client.withConnection { connection in
                try await PostgresTransactionExecutor.collect(query, on: connection, logger: logger)
            }
        } catch {
            throw PostgresErrors.storeError(error, context: context)
        }
    }

    func atomically<Value: Sendable>(
        context: String,
        _ body: (any PostgresExecutor) async throws(StoreError) -> Value
    ) async throws(StoreError) -> Value {
        let outcome: Result<Value, StoreError>
        do {
            outcome = try await client.withConnection { connection in
                await PostgresTransactionExecutor.run(on: connection, logger: logger, context: context, reporting: { $0 }) {
                    executor async throws(StoreError) in try await body(executor)
                }
            }
        } catch {
            // Only leasing the connection throws here: the unit of work reports through `outcome`.
            throw PostgresErrors.storeError(error, context: context)
        }
        return try outcome.get()
    }
}

/// Runs statements on the one connection of an open transaction, and remembers whether a
/// statement failed: PostgreSQL then refuses every further statement until `ROLLBACK`, so the
/// unit of work can only be rolled back.
final class PostgresTransactionExecutor: PostgresExecutor {
    enum State: Sendable {
        /// Statements may run.
        case active
        /// A statement failed; the transaction is aborted on the server.
        case failed(StoreError)
        /// The unit of work ended (committed or rolled back).
        case finished
    }

    let connection: PostgresConnection
    let logger: Logger
    private let state = Mutex<State>(.active)

    init(connection: PostgresConnection, logger: Logger) {
        self.connection = connection
        self.logger = logger
    }

    func rows(_ query: PostgresQuery, context: String) async throws(StoreError) -> [PostgresRow] {
        try requireActive(context: context)
        do {
            return try await Self.collect(query, on: connection, logger: logger)
        } catch {
            let mapped = PostgresErrors.storeError(error, context: context)
            state.withLock { state in
                if case .active = state { state = .failed(mapped) }
            }
            throw mapped
        }
    }

    func atomically<Value: Sendable>(
        context: String,
        _ body: (any PostgresExecutor) async throws(StoreError) -> Value
    ) async throws(StoreError) -> Value {
        try await body(self)
    }

    /// Throws unless statements may run: after a failed statement, the first failure again
    /// (with its code), and after the end of the unit of work `unavailable`.
    func requireActive(context: String) throws(StoreError) {
        let current = state.withLock { $0 }
        switch current {
        case .active:
            return
        case .failed(let first):
            throw StoreError(first.code, context: "\(context): the unit of work is aborted by an earlier failure (\(first.context))",
                             underlying: first.underlying)
        case .finished:
            throw StoreError(.unavailable, context: "\(context): the transaction was used after its unit of work ended")
        }
    }

    /// `BEGIN`.
    func begin(context: String) async throws(StoreError) {
        _ = try await rows("BEGIN", context: "\(context): BEGIN")
    }

    /// `COMMIT`, unless a statement failed: then `ROLLBACK` and that failure. Ends the unit of work.
    func commit(context: String) async throws(StoreError) {
        let current = state.withLock { $0 }
        if case .failed(let first) = current {
            await rollback()
            throw StoreError(first.code, context: "\(context): rolled back: an operation inside failed (\(first.context))",
                             underlying: first.underlying)
        }
        defer { finish() }
        _ = try await rows("COMMIT", context: "\(context): COMMIT")
    }

    /// `ROLLBACK`, ignoring its failure (a broken connection is not returned in a transaction:
    /// the pool drops it). Ends the unit of work.
    func rollback() async {
        defer { finish() }
        _ = try? await Self.collect("ROLLBACK", on: connection, logger: logger)
    }

    func finish() {
        state.withLock { $0 = .finished }
    }

    /// Runs `body` in a transaction on `connection`: `BEGIN`, the body, `COMMIT`; `ROLLBACK`
    /// when the body throws. What the body throws comes back unchanged; a failure of `BEGIN` or
    /// `COMMIT` (or of a statement inside, when the body returned anyway) as `failure(_:)` of
    /// its ``StoreError``.
    static func run<Value: Sendable, Failure: Error>(
        on connection: PostgresConnection, logger: Logger, context: String,
        isolation: isolated (any Actor)? = #isolation,
        reporting failure: (StoreError) -> Failure,
        _ body: (PostgresTransactionExecutor) async throws(Failure) -> Value
    ) async -> Result<Value, Failure> {
        let executor = PostgresTransactionExecutor(connection: connection, logger: logger)
        do {
            try await executor.begin(context: context)
        } catch {
            executor.finish()
            return .failure(failure(error))
        }
        let value: Value
        do {
            value = try await body(executor)
        } catch {
            await executor.rollback()
            return .failure(error)
        }
        do {
            try await executor.commit(context: context)
        } catch {
            return .failure(failure(error))
        }
        return .success(value)
    }

    /// Runs `query` on `connection` and collects its rows.
    static func collect(_ query: PostgresQuery, on connection: PostgresConnection, logger: Logger) async throws -> [PostgresRow] {
        var rows: [PostgresRow] = []
        for try await row in try await connection.query(query, logger: logger) {
            rows.append(row)
        }
        return rows
    }
}
