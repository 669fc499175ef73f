import PostgresNIO
import TradeLifecycle

// MARK: - Event dedupe

extension PostgresOperations {
    func recordIfNew(source: String, eventID: String, at time: Timestamp) async throws(StoreError) -> Bool {
        try EventDedupeRules.validate(source: source, eventID: eventID)
        let rows = try await executor.rows("""
            INSERT INTO event_dedupe (source, event_id, recorded_at) VALUES (\(source), \(eventID), \(PostgresTimestamp(time)))
            ON CONFLICT (source, event_id) DO NOTHING
            RETURNING 1
            """, context: "recordIfNew \(source)")
        return !rows.isEmpty
    }

    func purgeEvents(olderThan cutoff: Timestamp) async throws(StoreError) -> Int {
        try await count("""
            WITH purged AS (DELETE FROM event_dedupe WHERE recorded_at < \(PostgresTimestamp(cutoff)) RETURNING 1)
            SELECT count(*) FROM purged
            """, context: "purgeEvents older than \(cutoff)")
    }
}

// MARK: - Execution log

extension PostgresOperations {
    /// The columns of an execution log entry, in the order ``readLogEntry(_:operation:)`` reads them.
    static let logColumnList = "entry_id, profile_id, order_id, action, reason, created_at, sequence, previous_hash, hash"

    static func readLogEntry(_ row: PostgresRow, operation: String) throws(StoreError) -> ExecutionLogEntry {
        var reader = PostgresRowReader(row, table: "execution_logs", operation: operation)
        return try readLogEntry(&reader)
    }

    /// Reads the entry columns that come next in `reader`'s row.
    static func readLogEntry(_ reader: inout PostgresRowReader) throws(StoreError) -> ExecutionLogEntry {
        reader.table = "execution_logs"
        guard let entryID = try reader.optionalParsed({ text throws(InputError) in try ExecutionLogEntryID(text) }) else {
            throw reader.invalid(column: "entry_id", "NULL: the entry was not written by a store (no entry id)")
        }
        reader.key = "entry_id \(entryID.rawValue)"
        let profileID = try reader.parsed { text throws(InputError) in try ProfileID(text) }
        let orderID = try reader.parsed { text throws(InputError) in try OrderID(text) }
        let action = try reader.parsed { text throws(InputError) in
            guard let action = ExecutionAction(rawValue: text) else {
                throw InputError(.unknownValue, field: "action", value: text, detail: "unknown execution action")
            }
            return action
        }
        let reason = try reader.text()
        let recordedAt = try reader.timestamp()
        let sequenceNumber = try reader.int64()
        let previousHash = try reader.optionalDigest() ?? ExecutionLogEntry.genesisHash
        let hash = try reader.digest()
        let record = ExecutionLogRecord(entryID: entryID, profileID: profileID, orderID: orderID, action: action,
                                        reason: reason, recordedAt: recordedAt)
        return ExecutionLogEntry(record: record, sequenceNumber: sequenceNumber, previousHash: previousHash, hash: hash)
    }

    /// The answer for a record whose entry id is stored already.
    static func repeated(_ record: ExecutionLogRecord, stored: ExecutionLogEntry, context: String) throws(StoreError) -> ExecutionLogAppend {
        guard stored.record == record else {
            throw StoreError(.conflict, context:
                "\(context): the entry id exists with other content (sequence \(stored.sequenceNumber) of profile \(stored.record.profileID))")
        }
        return ExecutionLogAppend(entry: stored, outcome: .alreadyExists)
    }

    func appendExecutionLog(_ record: ExecutionLogRecord) async throws(StoreError) -> ExecutionLogAppend {
        let context = "appendExecutionLog \(record.entryID)"
        let profile = record.profileID.rawValue
        return try await executor.atomically(context: context) { executor async throws(StoreError) -> ExecutionLogAppend in
            // Lock the profile's head row (creating it for the first entry), and look the entry id up.
            let heads = try await executor.rows("""
                WITH head AS (
                    INSERT INTO execution_log_heads AS existing (profile_id) VALUES (\(profile))
                    ON CONFLICT (profile_id) DO UPDATE SET profile_id = existing.profile_id
                    RETURNING sequence_number, hash)
                SELECT head.sequence_number, head.hash, stored.*
                FROM head LEFT JOIN (
                    SELECT \(unescaped: Self.logColumnList) FROM execution_logs WHERE entry_id = \(record.entryID.rawValue)
                ) AS stored ON true
                """, context: context)
            guard let row = heads.first else {
                throw StoreError(.unavailable, context: "\(context): the head of profile \(record.profileID) was not returned")
            }
            var reader = PostgresRowReader(row, table: "execution_log_heads", operation: context, key: "profile_id \(profile)")
            let headSequence = try reader.int64()
            let headHash = try reader.optionalDigest()
            if !reader.isNextNull {
                return try Self.repeated(record, stored: Self.readLogEntry(&reader), context: context)
            }
            let head: ExecutionLogHead?
            switch (headSequence, headHash) {
            case (0, nil): head = nil
            case (let sequence, let hash?) where sequence > 0: head = ExecutionLogHead(sequenceNumber: sequence, hash: hash)
            default: throw reader.invalid(column: "hash", "the head's sequence number and hash disagree")
            }
            let entry = ExecutionLogEntry(sealing: record, after: head)
            let previous: String? = head == nil ? nil : entry.previousHash.hexString
            let written = try await executor.rows("""
                WITH inserted AS (
                    INSERT INTO execution_logs (sequence, profile_id, order_id, action, reason, created_at, previous_hash, hash, entry_id)
                    VALUES (\(entry.sequenceNumber), \(profile), \(record.orderID.rawValue), \(record.action.rawValue),
                        \(record.reason), \(PostgresTimestamp(record.recordedAt)), \(previous), \(entry.hash.hexString),
                        \(record.entryID.rawValue))
                    ON CONFLICT (entry_id) DO NOTHING
                    RETURNING 1),
                moved AS (
                    UPDATE execution_log_heads SET sequence_number = \(entry.sequenceNumber), hash = \(entry.hash.hexString),
                        updated_at = now()
                    WHERE profile_id = \(profile) AND EXISTS (SELECT 1 FROM inserted)
                    RETURNING 1)
                SELECT (SELECT count(*) FROM inserted), (SELECT count(*) FROM moved)
                """, context: context)
            guard let counts = written.first else {
                throw StoreError(.unavailable, context: "\(context): the append returned no counts")
            }
            var countReader = PostgresRowReader(counts, table: "execution_logs", operation: context, key: "entry_id \(record.entryID)")
            let inserted = try countReader.int64()
            let moved = try countReader.int64()
            if inserted == 1 && moved == 1 {
                return ExecutionLogAppend(entry: entry, outcome: .inserted)
            }
            guard inserted == 0 else {
                throw StoreError(.unavailable, context: "\(context): the head of profile \(record.profileID) did not move with the entry")
            }
            // The entry id was stored in the meantime (or belongs to a profile this role may not see).
            guard let stored = try await Self.logEntry(record.entryID, executor: executor, context: context) else {
                throw StoreError(.conflict, context: "\(context): the entry id exists in a profile this connection may not read")
            }
            return try Self.repeated(record, stored: stored, context: context)
        }
    }

    static func logEntry(_ entryID: ExecutionLogEntryID, executor: any PostgresExecutor, context: String) async throws(StoreError) -> ExecutionLogEntry? {
        let rows = try await executor.rows(
            "SELECT \(unescaped: logColumnList) FROM execution_logs WHERE entry_id = \(entryID.rawValue)", context: context)
        return try rows.first.map { row throws(StoreError) in try readLogEntry(row, operation: context) }
    }

    func executionLog(profileID: ProfileID, after: Int64, limit: Int) async throws(StoreError) -> [ExecutionLogEntry] {
        let context = "executionLog \(profileID)"
        guard limit > 0 else {
            throw StoreError(.invalidChange, context: "\(context): the limit must be positive, got \(limit)")
        }
        let rows = try await executor.rows("""
            SELECT \(unescaped: Self.logColumnList) FROM execution_logs
            WHERE profile_id = \(profileID.rawValue) AND sequence > \(after)
            ORDER BY sequence LIMIT \(Int64(limit))
            """, context: context)
        var entries: [ExecutionLogEntry] = []
        entries.reserveCapacity(rows.count)
        for row in rows { entries.append(try Self.readLogEntry(row, operation: context)) }
        return entries
    }

    func executionLogEntry(_ entryID: ExecutionLogEntryID) async throws(StoreError) -> ExecutionLogEntry? {
        try await Self.logEntry(entryID, executor: executor, context: "executionLogEntry \(entryID)")
    }

    func executionLogHead(profileID: ProfileID) async throws(StoreError) -> ExecutionLogHead? {
        let context = "executionLogHead \(profileID)"
        let rows = try await executor.rows(
            "SELECT sequence_number, hash FROM execution_log_heads WHERE profile_id = \(profileID.rawValue)", context: context)
        guard let row = rows.first else { return nil }
        var reader = PostgresRowReader(row, table: "execution_log_heads", operation: context, key: "profile_id \(profileID.rawValue)")
        let sequence = try reader.int64()
        guard let hash = try reader.optionalDigest() else {
            guard sequence == 0 else { throw reader.invalid(column: "hash", "NULL for a chain that is not empty") }
            return nil
        }
        guard sequence > 0 else { throw reader.invalid(column: "sequence_number", "zero with a hash") }
        return ExecutionLogHead(sequenceNumber: sequence, hash: hash)
    }
}
