import PostgresNIO
import TradeLifecycle

/// The mapping of driver and server errors to ``StoreError`` codes.
///
/// The server's SQLSTATE decides the code; the driver's error is kept, wrapped in a
/// ``PostgresStoreError`` (code ``PostgresStoreError/Code-swift.enum/queryFailed``, with the
/// SQLSTATE), as the store error's `underlying`. Neither description carries row data or the
/// server's message text.
enum PostgresErrors {
    /// The store error for a failed statement, connection lease or transaction command.
    ///
    /// | SQLSTATE | Code |
    /// |---|---|
    /// | `23505` unique violation | ``StoreError/Code/uniqueViolation`` |
    /// | `23xxx` other integrity violations, `22xxx` data exceptions | ``StoreError/Code/invalidChange`` |
    /// | `40001` serialization failure, `40P01` deadlock | ``StoreError/Code/serializationFailure`` |
    /// | `42501` insufficient privilege (row level security, append-only tables) | ``StoreError/Code/permissionDenied`` |
    /// | anything else, and errors without a server (connection, pool, cancellation) | ``StoreError/Code/unavailable`` |
    static func storeError(_ error: any Error, context: String) -> StoreError {
        if let storeError = error as? StoreError {
            return storeError
        }
        let sqlState = PostgresStoreError.sqlState(of: error)
        let wrapped = PostgresStoreError.wrapping(error, code: .queryFailed, context: context)
        return StoreError(code(forSQLState: sqlState), context: context + (sqlState.map { " (SQLSTATE \($0))" } ?? ""),
                          underlying: wrapped)
    }

    /// The store error code of a SQLSTATE (`nil`: no server error).
    static func code(forSQLState sqlState: String?) -> StoreError.Code {
        guard let sqlState else { return .unavailable }
        switch sqlState {
        case "23505":
            return .uniqueViolation
        case "40001", "40P01":
            return .serializationFailure
        case "42501":
            return .permissionDenied
        default:
            if sqlState.hasPrefix("23") || sqlState.hasPrefix("22") { return .invalidChange }
            return .unavailable
        }
    }

    /// The name of the constraint a server error names, if any.
    static func constraintName(of error: StoreError) -> String? {
        guard let wrapped = error.underlying as? PostgresStoreError, let psqlError = wrapped.underlying as? PSQLError else {
            return nil
        }
        return psqlError.serverInfo?[.constraintName]
    }

    /// A store error for a row that is not a valid record: code ``StoreError/Code/unavailable``
    /// with a ``PostgresStoreError`` of code ``PostgresStoreError/Code-swift.enum/invalidRow``.
    ///
    /// - Parameters:
    ///   - table: The table read.
    ///   - column: The column whose value is not valid.
    ///   - key: The row's key, such as `order_id o7`.
    ///   - problem: What is wrong, without the value.
    ///   - operation: The store operation.
    static func invalidRow(table: String, column: String, key: String, problem: String, operation: String) -> StoreError {
        let where_ = "table \(table), column \(column), row \(key)"
        return StoreError(.unavailable, context: "\(operation): invalid row: \(where_): \(problem)",
                          underlying: PostgresStoreError(code: .invalidRow, context: "\(where_): \(problem)"))
    }
}
