/// The capital ledger of a service, kept in memory and persisted event by event in a
/// ``LedgerEventStore`` (restart durability, `reference/002_*` phase 2).
///
/// The store is the source of truth: before every change the book reads the events other
/// writers (other processes) appended since it last looked and replays them, so several
/// processes can share one store. A change is computed on a copy and written as one event in the
/// caller's unit of work; the book adopts the copy only when told the unit committed
/// (``adopt(_:)``), so a rolled-back transaction leaves the book as it was.
public actor LedgerBook {
    /// The ledger as last adopted.
    public private(set) var ledger: CapitalLedger

    /// How many events a catch-up reads at once.
    static let pageSize = 1_000

    /// Creates a book holding `ledger` (empty by default).
    ///
    /// - Parameter ledger: The starting ledger; its history must be a prefix of the store's.
    public init(ledger: CapitalLedger = CapitalLedger()) {
        self.ledger = ledger
    }

    /// Rebuilds the ledger from every event in `store` (``CapitalLedger/rebuild(from:)``).
    ///
    /// - Parameter store: The store holding the history.
    /// - Returns: A book holding the rebuilt ledger.
    /// - Throws: ``CoordinationError`` with code ``CoordinationError/Code/store`` when the store
    ///   fails, or ``CoordinationError/Code/ledgerRefused`` with a ``LedgerError``
    ///   (``LedgerError/Code/historyOutOfSequence``, ``LedgerError/Code/historyMismatch``) when
    ///   the history does not replay.
    public static func load(from store: some LedgerEventStore) async throws(CoordinationError) -> LedgerBook {
        var events: [LedgerEvent] = []
        var after: UInt64 = 0
        do {
            while true {
                let page = try await store.ledgerEvents(after: after, limit: pageSize)
                events.append(contentsOf: page)
                guard let last = page.last, page.count == pageSize else { break }
                after = last.sequence
            }
        } catch {
            throw CoordinationError(.store, context: "LedgerBook.load", underlying: error)
        }
        do {
            return LedgerBook(ledger: try CapitalLedger.rebuild(from: events))
        } catch {
            throw CoordinationError(.ledgerRefused, context: "LedgerBook.load: the stored history does not replay", underlying: error)
        }
    }

    /// A change computed by ``apply(_:in:)``: the result and the ledger after it.
    public struct Change: Sendable {
        /// The ledger's answer to the operation.
        public let result: LedgerResult
        /// The ledger after the operation (and after the events caught up from the store).
        public let ledger: CapitalLedger
        /// Whether the operation appended an event to the store.
        public var appendedEvent: Bool
    }

    /// Applies an operation against the store's latest history and appends the event it records.
    ///
    /// Pass the transaction of the unit of work the change belongs to, and call ``adopt(_:)``
    /// with the change once the unit has committed.
    ///
    /// - Parameters:
    ///   - operation: The operation and its idempotency id.
    ///   - store: Where the history is (a transaction, or the store itself).
    /// - Returns: The change.
    /// - Throws: ``LedgerError`` when the operation is invalid or a stored event does not replay;
    ///   ``StoreError`` from the store (``StoreError/Code/conflict`` when another writer
    ///   appended the same sequence number first: retry the unit of work).
    public func apply(_ operation: LedgerOperation, in store: some LedgerEventStore) async throws -> Change {
        var candidate = try await caughtUp(with: store)
        let before = candidate.history.count
        let result = try candidate.apply(operation)
        var appended = false
        if candidate.history.count > before, let event = candidate.history.last {
            try await store.appendLedgerEvent(event)
            appended = true
        }
        return Change(result: result, ledger: candidate, appendedEvent: appended)
    }

    /// Keeps the ledger of a committed change, unless the book already holds a longer history.
    ///
    /// - Parameter change: A change whose unit of work committed.
    public func adopt(_ change: Change) {
        if change.ledger.history.count > ledger.history.count {
            ledger = change.ledger
        }
    }

    /// Reads and replays the events appended since the book's ledger, and adopts the result.
    ///
    /// - Parameter store: The store.
    /// - Returns: The ledger, up to date with the store.
    /// - Throws: As ``apply(_:in:)``.
    @discardableResult
    public func refresh(from store: some LedgerEventStore) async throws -> CapitalLedger {
        let current = try await caughtUp(with: store)
        if current.history.count > ledger.history.count { ledger = current }
        return ledger
    }

    /// The book's ledger with the store's newer events replayed, each checked against the
    /// result recorded for it.
    private func caughtUp(with store: some LedgerEventStore) async throws -> CapitalLedger {
        var candidate = ledger
        while true {
            let after = UInt64(candidate.history.count)
            let page = try await store.ledgerEvents(after: after, limit: Self.pageSize)
            for event in page {
                let expected = UInt64(candidate.history.count) + 1
                guard event.sequence == expected else {
                    throw LedgerError(.historyOutOfSequence, operationID: event.id, sequence: event.sequence, field: "sequence",
                                      value: String(event.sequence), detail: "expected sequence \(expected) from the store")
                }
                let replayed = try candidate.apply(event.operation)
                guard replayed == event.result, UInt64(candidate.history.count) == event.sequence else {
                    throw LedgerError(.historyMismatch, operationID: event.id, sequence: event.sequence, field: "result",
                                      value: "\(event.result)", detail: "the stored operation replays to \(replayed)")
                }
            }
            if page.count < Self.pageSize { return candidate }
        }
    }
}

extension LedgerOperationID {
    /// A deterministic operation id made of parts: the first 128 bits of the SHA-256 of the
    /// parts (each written as its UTF-8 length, `:`, and its bytes), never zero.
    ///
    /// - Parameter parts: What identifies the operation, such as `["fill", orderID, executionID]`.
    public static func deterministic(_ parts: [String]) -> LedgerOperationID {
        var hasher = SHA256()
        for part in parts { ExecutionLogEntry.appendField(part, to: &hasher) }
        let bytes = hasher.finalize().bytes
        var value: UInt128 = 0
        for byte in bytes.prefix(16) { value = value << 8 | UInt128(byte) }
        return LedgerOperationID(value == 0 ? 1 : value)
    }
}
