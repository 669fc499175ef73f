import PostgresNIO
import TradeLifecycle

// MARK: - Backfill audit

extension PostgresOperations {
    /// The columns of an audit record, in the order ``readAuditRecord(_:operation:)`` reads them.
    static let auditColumnList = """
        batch_id, row_number, profile_id, symbol, trade_id, decision, reason, open_qty::text AS open_qty, \
        filled_qty::text AS filled_qty, price::text AS price, backfill_order_id, exchange_order_id, \
        exchange_client_order_id, filled_at, created_at, reverted_at
        """

    /// How many records one INSERT writes (16 parameters each, below PostgreSQL's 65,535).
    static let auditRecordsPerStatement = 2_000

    static func readAuditRecord(_ row: PostgresRow, operation: String) throws(StoreError) -> BackfillAuditRecord {
        var reader = PostgresRowReader(row, table: "reconciliation_backfill_audit", operation: operation)
        let batchID = try reader.parsed { text throws(InputError) in try BackfillBatchID(text) }
        reader.key = "batch_id \(batchID.rawValue)"
        guard let rowNumber = try reader.optionalInt64() else {
            throw reader.invalid(column: "row_number", "NULL: the row was not written by a store (no row number)")
        }
        guard let row = Int(exactly: rowNumber), row >= 0 else {
            throw reader.invalid(column: "row_number", "negative or too large")
        }
        reader.key = "batch_id \(batchID.rawValue) row_number \(rowNumber)"
        let profileID = try reader.parsed { text throws(InputError) in try ProfileID(text) }
        let symbol = try reader.text()
        let tradeID = try reader.parsed { text throws(InputError) in try TradeID(text) }
        let decision = try reader.parsed { text throws(InputError) in try parseDecision(text) }
        let reason = try reader.parsed { text throws(InputError) in try parseReason(text) }
        let openQuantity = try reader.decimal()
        let filledQuantity = try reader.optionalDecimal()
        let price = try reader.optionalDecimal()
        let backfillOrderID = try reader.optionalParsed { text throws(InputError) in try OrderID(text) }
        let exchangeOrderID = try reader.optionalText()
        let clientOrderID = ClientOrderID.normalized(try reader.optionalText())
        let filledAt = try reader.optionalTimestamp()
        let createdAt = try reader.timestamp()
        let revertedAt = try reader.optionalTimestamp()
        return BackfillAuditRecord(
            batchID: batchID, rowNumber: row, profileID: profileID, symbol: symbol, tradeID: tradeID, decision: decision,
            reason: reason, openQuantity: openQuantity, filledQuantity: filledQuantity, price: price,
            backfillOrderID: backfillOrderID, exchangeOrderID: exchangeOrderID, exchangeClientOrderID: clientOrderID,
            filledAt: filledAt, createdAt: createdAt, revertedAt: revertedAt)
    }

    static func parseDecision(_ text: String) throws(InputError) -> BackfillDecision {
        guard let decision = BackfillDecision(rawValue: text) else {
            throw InputError(.unknownValue, field: "decision", value: text, detail: "unknown backfill decision")
        }
        return decision
    }

    static func parseReason(_ text: String) throws(InputError) -> BackfillReason {
        guard let reason = BackfillReason(rawValue: text) else {
            throw InputError(.unknownValue, field: "reason", value: text, detail: "unknown backfill reason")
        }
        return reason
    }

    func insertAuditRecords(_ records: [BackfillAuditRecord]) async throws(StoreError) {
        guard let first = records.first else { return }
        let context = "insertAuditRecords batch \(first.batchID) (\(records.count) records)"
        var keys = Set<BackfillAuditKey>()
        for record in records where !keys.insert(record.key).inserted {
            throw StoreError(.uniqueViolation, context: "\(context): batch \(record.batchID) row \(record.rowNumber) repeats within the call")
        }
        try await executor.atomically(context: context) { executor async throws(StoreError) -> Void in
            var start = 0
            while start < records.count {
                let chunk = records[start..<min(records.count, start + Self.auditRecordsPerStatement)]
                let written = try await executor.rows(Self.auditInsert(chunk), context: context)
                guard written.count == chunk.count else {
                    // The statement writes all of its rows or none: none means a key exists.
                    throw StoreError(.uniqueViolation, context: "\(context): a record's batch and row number exist already")
                }
                start += chunk.count
            }
        }
    }

    /// One INSERT of `records` that writes nothing when any of their keys exists.
    static func auditInsert(_ records: ArraySlice<BackfillAuditRecord>) -> PostgresQuery {
        var bindings = PostgresBindings(capacity: records.count * 16)
        var sql = "WITH input (batch_id, row_number, profile_id, symbol, trade_id, decision, reason, open_qty, filled_qty, "
        sql += "price, backfill_order_id, exchange_order_id, exchange_client_order_id, filled_at, created_at, reverted_at) AS (VALUES "
        // Placeholders only: every value travels as a bound parameter.
        let casts = ["text", "bigint", "text", "text", "text", "text", "text", "numeric", "numeric", "numeric", "text", "text",
                     "text", "timestamptz", "timestamptz", "timestamptz"]
        for (index, record) in records.enumerated() {
            sql += index == 0 ? "(" : ", ("
            for (column, cast) in casts.enumerated() {
                sql += (column == 0 ? "$" : ", $") + String(bindings.count + column + 1) + "::" + cast
            }
            sql += ")"
            bindings.append(record.batchID.rawValue)
            bindings.append(Int64(record.rowNumber))
            bindings.append(record.profileID.rawValue)
            bindings.append(record.symbol)
            bindings.append(record.tradeID.rawValue)
            bindings.append(record.decision.rawValue)
            bindings.append(record.reason.rawValue)
            bindings.append(record.openQuantity.description)
            bindings.append(record.filledQuantity?.description)
            bindings.append(record.price?.description)
            bindings.append(record.backfillOrderID?.rawValue)
            bindings.append(record.exchangeOrderID)
            bindings.append(record.exchangeClientOrderID?.rawValue)
            bindings.append(record.filledAt.map(PostgresTimestamp.init))
            bindings.append(PostgresTimestamp(record.createdAt))
            bindings.append(record.revertedAt.map(PostgresTimestamp.init))
        }
        sql += """
            )
            INSERT INTO reconciliation_backfill_audit (batch_id, row_number, profile_id, symbol, trade_id, decision, reason,
                open_qty, filled_qty, price, backfill_order_id, exchange_order_id, exchange_client_order_id, filled_at,
                created_at, reverted_at)
            SELECT batch_id, row_number, profile_id, symbol, trade_id, decision, reason, open_qty, filled_qty, price,
                backfill_order_id, exchange_order_id, exchange_client_order_id, filled_at, created_at, reverted_at
            FROM input
            WHERE NOT EXISTS (
                SELECT 1 FROM reconciliation_backfill_audit existing JOIN input
                    ON existing.batch_id = input.batch_id AND existing.row_number = input.row_number)
            RETURNING 1
            """
        return PostgresQuery(unsafeSQL: sql, binds: bindings)
    }

    func updateAuditDecision(_ key: BackfillAuditKey, from expected: BackfillDecision,
                             to newDecision: BackfillDecision) async throws(StoreError) -> BackfillAuditRecord {
        let context = "updateAuditDecision batch \(key.batchID) row \(key.rowNumber)"
        let rows = try await executor.rows("""
            UPDATE reconciliation_backfill_audit SET decision = \(newDecision.rawValue)
            WHERE batch_id = \(key.batchID.rawValue) AND row_number = \(Int64(key.rowNumber)) AND decision = \(expected.rawValue)
            RETURNING \(unescaped: Self.auditColumnList)
            """, context: context)
        if let row = rows.first { return try Self.readAuditRecord(row, operation: context) }
        let current = try await executor.rows("""
            SELECT decision FROM reconciliation_backfill_audit
            WHERE batch_id = \(key.batchID.rawValue) AND row_number = \(Int64(key.rowNumber))
            """, context: context)
        guard let row = current.first else {
            throw StoreError(.notFound, context: "\(context): does not exist")
        }
        var reader = PostgresRowReader(row, table: "reconciliation_backfill_audit", operation: context,
                                       key: "batch_id \(key.batchID.rawValue) row_number \(key.rowNumber)")
        let decision = try reader.text()
        throw StoreError(.conflict, context: "\(context): is \(decision), expected \(expected.rawValue)")
    }

    func auditRecords(batchID: BackfillBatchID) async throws(StoreError) -> [BackfillAuditRecord] {
        let context = "auditRecords batch \(batchID)"
        let rows = try await executor.rows("""
            SELECT \(unescaped: Self.auditColumnList) FROM reconciliation_backfill_audit
            WHERE batch_id = \(batchID.rawValue) ORDER BY row_number
            """, context: context)
        var records: [BackfillAuditRecord] = []
        records.reserveCapacity(rows.count)
        for row in rows { records.append(try Self.readAuditRecord(row, operation: context)) }
        return records
    }

    func auditRecords(profileID: ProfileID, decision: BackfillDecision) async throws(StoreError) -> [BackfillAuditRecord] {
        let context = "auditRecords profile \(profileID) decision \(decision.rawValue)"
        let rows = try await executor.rows("""
            SELECT \(unescaped: Self.auditColumnList) FROM reconciliation_backfill_audit
            WHERE profile_id = \(profileID.rawValue) AND decision = \(decision.rawValue)
            ORDER BY created_at, batch_id COLLATE "C", row_number
            """, context: context)
        var records: [BackfillAuditRecord] = []
        records.reserveCapacity(rows.count)
        for row in rows { records.append(try Self.readAuditRecord(row, operation: context)) }
        return records
    }

    func markBatchReverted(_ batchID: BackfillBatchID, at time: Timestamp) async throws(StoreError) -> Int {
        try await count("""
            WITH marked AS (
                UPDATE reconciliation_backfill_audit SET reverted_at = \(PostgresTimestamp(time))
                WHERE batch_id = \(batchID.rawValue) AND reverted_at IS NULL
                RETURNING 1)
            SELECT count(*) FROM marked
            """, context: "markBatchReverted \(batchID)")
    }
}
