import Foundation
import PostgresNIO
import TradeLifecycle

// MARK: - Ledger events

extension PostgresOperations {
    /// The JSON text of an event: sorted keys, decimals and ids as strings (their `Codable` forms).
    static func eventJSON(_ event: LedgerEvent, context: String) throws(StoreError) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        do {
            return String(decoding: try encoder.encode(event), as: UTF8.self)
        } catch {
            throw StoreError(.invalidChange, context: "\(context): the event does not encode as JSON")
        }
    }

    static func readLedgerEvent(_ row: PostgresRow, operation: String) throws(StoreError) -> LedgerEvent {
        var reader = PostgresRowReader(row, table: "ledger_events", operation: operation)
        let sequence = try reader.int64()
        reader.key = "sequence \(sequence)"
        let operationID = try reader.text()
        let json = try reader.text()
        let event: LedgerEvent
        do {
            event = try JSONDecoder().decode(LedgerEvent.self, from: Data(json.utf8))
        } catch {
            throw reader.invalid(column: "event", "not the JSON of a ledger event")
        }
        // Both sides: the columns the queries use must say what the event says.
        guard sequence > 0, event.sequence == UInt64(sequence) else {
            throw reader.invalid(column: "sequence", "differs from the event's sequence")
        }
        guard event.id.description == operationID else {
            throw reader.invalid(column: "operation_id", "differs from the event's operation id")
        }
        return event
    }

    func appendLedgerEvent(_ event: LedgerEvent) async throws(StoreError) {
        let context = "appendLedgerEvent \(event.id)"
        guard let sequence = Int64(exactly: event.sequence), sequence > 0 else {
            throw StoreError(.conflict, context: "\(context): sequence \(event.sequence) is not the next sequence")
        }
        let json = try Self.eventJSON(event, context: context)
        // Accepted only as the next sequence of this role's history; a unique violation (another
        // writer took the sequence, or the operation id is stored) writes nothing and, with
        // ON CONFLICT DO NOTHING, leaves the caller's transaction usable.
        let inserted = try await executor.rows("""
            INSERT INTO ledger_events (role_name, sequence, operation_id, profile_id, kind, event)
            SELECT current_user, \(sequence), \(event.id.description)::numeric, \(event.operation.kind.profileID.rawValue),
                \(event.operation.kind.name), \(json)::jsonb
            WHERE \(sequence) = COALESCE((SELECT max(sequence) FROM ledger_events WHERE role_name = current_user), 0) + 1
            ON CONFLICT DO NOTHING
            RETURNING 1
            """, context: context)
        guard inserted.isEmpty else { return }
        let rows = try await executor.rows("""
            SELECT COALESCE((SELECT max(sequence) FROM ledger_events WHERE role_name = current_user), 0),
                EXISTS (SELECT 1 FROM ledger_events WHERE role_name = current_user AND operation_id = \(event.id.description)::numeric)
            """, context: context)
        guard let row = rows.first else {
            throw StoreError(.unavailable, context: "\(context): the history's state was not returned")
        }
        var reader = PostgresRowReader(row, table: "ledger_events", operation: context, key: "operation_id \(event.id)")
        let last = try reader.int64()
        let operationStored = try reader.bool()
        if sequence == last + 1, operationStored {
            throw StoreError(.uniqueViolation, context: "\(context): the operation id is stored already")
        }
        throw StoreError(.conflict, context: "\(context): sequence \(event.sequence) is not the next sequence \(last + 1)")
    }

    func ledgerEvents(after: UInt64, limit: Int) async throws(StoreError) -> [LedgerEvent] {
        let context = "ledgerEvents after \(after)"
        guard limit > 0 else {
            throw StoreError(.invalidChange, context: "\(context): the limit must be positive, got \(limit)")
        }
        guard let start = Int64(exactly: after) else { return [] }
        let rows = try await executor.rows("""
            SELECT sequence, operation_id::text, event::text FROM ledger_events
            WHERE role_name = current_user AND sequence > \(start)
            ORDER BY sequence LIMIT \(Int64(limit))
            """, context: context)
        var events: [LedgerEvent] = []
        events.reserveCapacity(rows.count)
        for row in rows { events.append(try Self.readLedgerEvent(row, operation: context)) }
        return events
    }

    func ledgerEvent(for id: LedgerOperationID) async throws(StoreError) -> LedgerEvent? {
        let context = "ledgerEvent \(id)"
        let rows = try await executor.rows("""
            SELECT sequence, operation_id::text, event::text FROM ledger_events
            WHERE role_name = current_user AND operation_id = \(id.description)::numeric
            """, context: context)
        return try rows.first.map { row throws(StoreError) in try Self.readLedgerEvent(row, operation: context) }
    }

    func lastLedgerSequence() async throws(StoreError) -> UInt64 {
        let context = "lastLedgerSequence"
        let rows = try await executor.rows(
            "SELECT COALESCE(max(sequence), 0) FROM ledger_events WHERE role_name = current_user", context: context)
        guard let row = rows.first else { return 0 }
        var reader = PostgresRowReader(row, table: "ledger_events", operation: context, key: "max(sequence)")
        let last = try reader.int64()
        guard let value = UInt64(exactly: last) else { throw reader.invalid(column: "sequence", "negative") }
        return value
    }
}
