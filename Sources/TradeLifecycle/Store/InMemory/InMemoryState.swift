/// The data of an ``InMemoryStore`` and the rules of each write, as plain synchronous code.
struct InMemoryState: Sendable {
    struct LiveEntryKey: Hashable, Sendable {
        let profileID: ProfileID
        let symbol: String
    }

    /// Where an order is kept: its profile and its insertion number within the profile.
    struct OrderLocation: Sendable {
        let profileID: ProfileID
        let sequence: Int
    }

    /// The orders of one profile, kept sorted by order id (UTF-8 byte order) between reads, so
    /// that reading all of them hands out the stored array itself (no copy, no sort).
    ///
    /// Inserts append; the next read sorts once. An order's insertion number (its
    /// ``OrderLocation/sequence``) never changes; ``rowOfSequence`` says where it sits now.
    struct ProfileOrders: Sendable {
        /// The orders; `rows[..<sortedCount]` are sorted by order id.
        var rows: [Order] = []
        var sortedCount = 0
        /// The insertion number of each row.
        var sequenceOfRow: [Int] = []
        /// The row of each insertion number.
        var rowOfSequence: [Int] = []

        var isSorted: Bool { sortedCount == rows.count }

        mutating func append(_ order: Order) -> Int {
            let sequence = rowOfSequence.count
            // An id after the last one keeps sorted rows sorted (ids arriving in order);
            // otherwise the next read sorts.
            if isSorted, rows.last.map({ UTF8Order.precedes($0.orderID.rawValue, order.orderID.rawValue) }) ?? true {
                sortedCount += 1
            }
            rowOfSequence.append(rows.count)
            sequenceOfRow.append(sequence)
            rows.append(order)
            return sequence
        }

        /// Sorts the rows by order id: each id's first 16 bytes as two big-endian integers
        /// decide, and only ids sharing them are compared in full.
        mutating func sort() {
            guard !isSorted else { return }
            var keys: [(high: UInt64, low: UInt64, index: Int)] = []
            keys.reserveCapacity(rows.count)
            for index in rows.indices {
                let (high, low) = UTF8Order.prefix(rows[index].orderID.rawValue)
                keys.append((high, low, index))
            }
            keys.sort { [rows] left, right in
                if left.high != right.high { return left.high < right.high }
                if left.low != right.low { return left.low < right.low }
                return UTF8Order.precedes(rows[left.index].orderID.rawValue, rows[right.index].orderID.rawValue)
            }
            var sorted: [Order] = []
            sorted.reserveCapacity(rows.count)
            var sequences: [Int] = []
            sequences.reserveCapacity(rows.count)
            for key in keys {
                sorted.append(rows[key.index])
                sequences.append(sequenceOfRow[key.index])
            }
            rows = sorted
            sequenceOfRow = sequences
            for (row, sequence) in sequenceOfRow.enumerated() { rowOfSequence[sequence] = row }
            sortedCount = rows.count
        }
    }

    /// Orders by profile.
    var orders: [ProfileID: ProfileOrders] = [:]
    /// Where every order id is kept (order ids are unique across profiles).
    var orderLocations: [OrderID: OrderLocation] = [:]
    /// The live ENTRY order of each profile and symbol.
    var liveEntries: [LiveEntryKey: OrderID] = [:]
    var profiles: [ProfileID: TradingProfile] = [:]
    var audit: [BackfillAuditKey: BackfillAuditRecord] = [:]
    var auditRowsByBatch: [BackfillBatchID: [Int]] = [:]
    /// The entry lock of each profile and symbol (expired leases stay until replaced or released).
    var entryLocks: [LiveEntryKey: EntryLease] = [:]
    /// The last fencing token handed out, for any key.
    var lastFencingToken: Int64 = 0
    /// Processed events by source and event id, with the time they were recorded.
    var processedEvents: [EventKey: Timestamp] = [:]
    /// The execution log of each profile, by sequence number (index = sequence number - 1).
    var executionLogs: [ProfileID: [ExecutionLogEntry]] = [:]
    /// Where each execution log entry id sits.
    var executionLogEntries: [ExecutionLogEntryID: ExecutionLogPosition] = [:]
    /// The capital ledger's history, by sequence number (index = sequence - 1).
    var ledgerEvents: [LedgerEvent] = []
    /// The position of each ledger operation id in ``ledgerEvents``.
    var ledgerEventIndex: [LedgerOperationID: Int] = [:]

    // MARK: Orders

    mutating func insertOrder(_ order: Order) throws(StoreError) -> InsertOutcome {
        if orderLocations[order.orderID] != nil { return .alreadyExists }
        let liveKey = Self.liveEntryKey(of: order)
        if let liveKey, let holder = liveEntries[liveKey] {
            throw StoreError(.uniqueViolation, context:
                "insertOrder \(order.orderID): profile \(order.profileID) already has a live ENTRY order \(holder) for \(order.symbol)")
        }
        let sequence = orders[order.profileID, default: ProfileOrders()].append(order)
        orderLocations[order.orderID] = OrderLocation(profileID: order.profileID, sequence: sequence)
        if let liveKey { liveEntries[liveKey] = order.orderID }
        return .inserted
    }

    func order(_ orderID: OrderID) -> Order? {
        guard let location = orderLocations[orderID], let profileOrders = orders[location.profileID] else { return nil }
        return profileOrders.rows[profileOrders.rowOfSequence[location.sequence]]
    }

    /// The orders matching `query`, sorted by order id. Reading every order of a profile hands
    /// out the stored (sorted) array without copying it.
    mutating func orders(matching query: OrderQuery) -> [Order] {
        guard orders[query.profileID] != nil else { return [] }
        orders[query.profileID]?.sort()
        guard let rows = orders[query.profileID]?.rows else { return [] }
        if query.symbol == nil, query.tradeID == nil, query.statuses == nil {
            // Every order kept under the profile's key has a profile id equal to the query's.
            return rows
        }
        return rows.filter(query.matches)
    }

    mutating func updateOrder(_ orderID: OrderID, change: OrderChange, at time: Timestamp) throws(StoreError) -> Order {
        guard let current = order(orderID) else {
            throw StoreError(.notFound, context: "updateOrder \(orderID): no such order")
        }
        let updated: Order
        do {
            updated = try current.applying(change, at: time)
        } catch {
            throw StoreError(.invalidChange, context: "updateOrder \(orderID)", underlying: error)
        }
        let oldKey = Self.liveEntryKey(of: current)
        let newKey = Self.liveEntryKey(of: updated)
        if let newKey, oldKey == nil, let holder = liveEntries[newKey], holder != orderID {
            throw StoreError(.uniqueViolation, context:
                "updateOrder \(orderID): profile \(updated.profileID) already has a live ENTRY order \(holder) for \(updated.symbol)")
        }
        if let oldKey, newKey == nil { liveEntries[oldKey] = nil }
        if let newKey { liveEntries[newKey] = orderID }
        if let location = orderLocations[orderID], let row = orders[location.profileID]?.rowOfSequence[location.sequence] {
            orders[location.profileID]?.rows[row] = updated
        }
        return updated
    }

    static func liveEntryKey(of order: Order) -> LiveEntryKey? {
        guard order.action == .entry, order.status.isLive else { return nil }
        return LiveEntryKey(profileID: order.profileID, symbol: order.symbol)
    }

    // MARK: Audit

    mutating func insertAuditRecords(_ records: [BackfillAuditRecord]) throws(StoreError) {
        var keys = Set<BackfillAuditKey>()
        for record in records {
            guard audit[record.key] == nil, keys.insert(record.key).inserted else {
                throw StoreError(.uniqueViolation, context:
                    "insertAuditRecords: batch \(record.batchID) row \(record.rowNumber) exists")
            }
        }
        for record in records {
            audit[record.key] = record
            auditRowsByBatch[record.batchID, default: []].append(record.rowNumber)
        }
    }

    mutating func updateAuditDecision(_ key: BackfillAuditKey, from expected: BackfillDecision,
                                      to newDecision: BackfillDecision) throws(StoreError) -> BackfillAuditRecord {
        guard var record = audit[key] else {
            throw StoreError(.notFound, context: "updateAuditDecision: batch \(key.batchID) row \(key.rowNumber) does not exist")
        }
        guard record.decision == expected else {
            throw StoreError(.conflict, context:
                "updateAuditDecision: batch \(key.batchID) row \(key.rowNumber) is \(record.decision.rawValue), expected \(expected.rawValue)")
        }
        record.decision = newDecision
        audit[key] = record
        return record
    }

    func auditRecords(batchID: BackfillBatchID) -> [BackfillAuditRecord] {
        (auditRowsByBatch[batchID] ?? []).sorted().compactMap { audit[BackfillAuditKey(batchID: batchID, rowNumber: $0)] }
    }

    func auditRecords(profileID: ProfileID, decision: BackfillDecision) -> [BackfillAuditRecord] {
        audit.values
            .filter { $0.profileID == profileID && $0.decision == decision }
            .sorted { ($0.createdAt, $0.batchID.rawValue, $0.rowNumber) < ($1.createdAt, $1.batchID.rawValue, $1.rowNumber) }
    }

    mutating func markBatchReverted(_ batchID: BackfillBatchID, at time: Timestamp) -> Int {
        var marked = 0
        for rowNumber in auditRowsByBatch[batchID] ?? [] {
            let key = BackfillAuditKey(batchID: batchID, rowNumber: rowNumber)
            if audit[key]?.revertedAt == nil {
                audit[key]?.revertedAt = time
                marked += 1
            }
        }
        return marked
    }
}
