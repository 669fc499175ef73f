/// What happened to an order, as the execution log records it (`action_enum` of
/// `reference/003_*`). Raw values are the words written to the log.
public enum ExecutionAction: String, Sendable, Hashable, CaseIterable, Codable {
    /// The order was recorded and sent (or is about to be sent) to the exchange.
    case submitted = "SUBMITTED"
    /// The order passed a check or approval before submission.
    case approved = "APPROVED"
    /// The exchange accepted the order.
    case executed = "EXECUTED"
    /// The exchange reported a fill.
    case filled = "FILLED"
    /// The exchange refused the order.
    case rejected = "REJECTED"
    /// The order was cancelled (by request, by the exchange, or by reconciliation).
    case cancelled = "CANCELLED"
    /// Reconciliation corrected the order to the exchange's truth.
    case recovered = "RECOVERED"
}

/// The idempotency id of an execution log entry: the same id always means the same entry, so a
/// retried write is recognised.
public struct ExecutionLogEntryID: TextIdentifier {
    /// The identifier as given.
    public let rawValue: String

    /// Creates an entry id.
    ///
    /// - Parameter rawValue: The identifier; kept exactly as given.
    /// - Throws: ``InputError`` with code ``InputError/Code/blank`` for blank text.
    public init(_ rawValue: String) throws(InputError) {
        guard !ProfileID.isBlank(rawValue) else {
            throw InputError(.blank, field: "entry_id", value: rawValue, detail: "an execution log entry id must not be blank")
        }
        self.rawValue = rawValue
    }

    init(uncheckedRawValue: String) {
        self.rawValue = uncheckedRawValue
    }

    /// A deterministic id made of parts: `LOG-` and 32 hex digits of the SHA-256 of the parts,
    /// each written as its UTF-8 length, `:`, and its bytes (so no two lists of parts collide by
    /// concatenation).
    ///
    /// - Parameter parts: What identifies the entry, such as `["fill", orderID, executionID]`.
    public static func deterministic(_ parts: [String]) -> ExecutionLogEntryID {
        var hasher = SHA256()
        for part in parts { ExecutionLogEntry.appendField(part, to: &hasher) }
        let hex = hasher.finalize().hexString
        return ExecutionLogEntryID(uncheckedRawValue: "LOG-" + hex.prefix(32))
    }
}

/// The content of an execution log entry, before the store gives it a place in the chain.
public struct ExecutionLogRecord: Sendable, Hashable {
    /// The idempotency id.
    public let entryID: ExecutionLogEntryID
    /// The profile; each profile has its own chain.
    public let profileID: ProfileID
    /// The order the entry is about.
    public let orderID: OrderID
    /// What happened.
    public let action: ExecutionAction
    /// Why, in words (an exchange message, a rule, a runbook step).
    public let reason: String
    /// When it happened. Use a time that a retry reproduces (the exchange's time, the order's
    /// `created_at`), since a retry with another time is a different record.
    public let recordedAt: Timestamp

    /// Creates a record.
    ///
    /// - Parameters:
    ///   - entryID: The idempotency id.
    ///   - profileID: The profile.
    ///   - orderID: The order.
    ///   - action: What happened.
    ///   - reason: Why.
    ///   - recordedAt: When.
    public init(entryID: ExecutionLogEntryID, profileID: ProfileID, orderID: OrderID, action: ExecutionAction,
                reason: String, recordedAt: Timestamp) {
        self.entryID = entryID
        self.profileID = profileID
        self.orderID = orderID
        self.action = action
        self.reason = reason
        self.recordedAt = recordedAt
    }
}

/// The end of a profile's chain: its last sequence number and hash.
public struct ExecutionLogHead: Sendable, Hashable {
    /// The last entry's sequence number (the number of entries).
    public let sequenceNumber: Int64
    /// The last entry's hash.
    public let hash: SHA256.Digest

    /// Creates a head.
    public init(sequenceNumber: Int64, hash: SHA256.Digest) {
        self.sequenceNumber = sequenceNumber
        self.hash = hash
    }
}

/// One entry of a profile's append-only execution log (`execution_logs`), chained to the entry
/// before it by hash.
///
/// ``hash`` is the SHA-256 of these fields, each written as its UTF-8 byte length in decimal,
/// `:`, and its UTF-8 bytes, in this order: ``previousHash`` (64 lowercase hex digits),
/// ``sequenceNumber`` (decimal), entry id, profile id, order id, action (`FILLED`), reason,
/// recorded-at (``Timestamp/description``, six fractional digits). PostgreSQL computes the same
/// with `sha256(convert_to(octet_length(f1) || ':' || f1 || …, 'UTF8'))`. The first entry of a
/// chain has sequence number 1 and the previous hash ``genesisHash`` (64 zeros).
public struct ExecutionLogEntry: Sendable, Hashable {
    /// The entry's content.
    public let record: ExecutionLogRecord
    /// The position in the profile's chain, from 1, without gaps.
    public let sequenceNumber: Int64
    /// The hash of the entry before, or ``genesisHash`` for the first.
    public let previousHash: SHA256.Digest
    /// The hash of this entry.
    public let hash: SHA256.Digest

    /// The previous hash of a chain's first entry: 32 zero bytes.
    public static let genesisHash = SHA256.Digest(uncheckedBytes: [UInt8](repeating: 0, count: 32))

    /// Creates an entry as read back from a store, without checking its hash (see
    /// ``ExecutionLogChain/verify(_:profileID:head:)``).
    public init(record: ExecutionLogRecord, sequenceNumber: Int64, previousHash: SHA256.Digest, hash: SHA256.Digest) {
        self.record = record
        self.sequenceNumber = sequenceNumber
        self.previousHash = previousHash
        self.hash = hash
    }

    /// Seals a record as the next entry after `head`: what a store appends.
    ///
    /// - Parameters:
    ///   - record: The content.
    ///   - head: The profile's current head, or `nil` for an empty chain.
    public init(sealing record: ExecutionLogRecord, after head: ExecutionLogHead?) {
        let sequenceNumber = (head?.sequenceNumber ?? 0) + 1
        let previousHash = head?.hash ?? Self.genesisHash
        self.init(record: record, sequenceNumber: sequenceNumber, previousHash: previousHash,
                  hash: Self.computeHash(of: record, sequenceNumber: sequenceNumber, previousHash: previousHash))
    }

    /// The hash the entry's fields give (equal to ``hash`` unless the entry was altered).
    public var computedHash: SHA256.Digest {
        Self.computeHash(of: record, sequenceNumber: sequenceNumber, previousHash: previousHash)
    }

    /// The head of a chain that ends with this entry.
    public var head: ExecutionLogHead { ExecutionLogHead(sequenceNumber: sequenceNumber, hash: hash) }

    static func computeHash(of record: ExecutionLogRecord, sequenceNumber: Int64, previousHash: SHA256.Digest) -> SHA256.Digest {
        var hasher = SHA256()
        appendField(previousHash.hexString, to: &hasher)
        appendField(String(sequenceNumber), to: &hasher)
        appendField(record.entryID.rawValue, to: &hasher)
        appendField(record.profileID.rawValue, to: &hasher)
        appendField(record.orderID.rawValue, to: &hasher)
        appendField(record.action.rawValue, to: &hasher)
        appendField(record.reason, to: &hasher)
        appendField(record.recordedAt.description, to: &hasher)
        return hasher.finalize()
    }

    static func appendField(_ field: String, to hasher: inout SHA256) {
        hasher.update(String(field.utf8.count))
        hasher.update(UInt8(ascii: ":"))
        hasher.update(field)
    }
}

/// The answer of ``ExecutionLogStore/appendExecutionLog(_:)``.
public struct ExecutionLogAppend: Sendable, Hashable {
    /// The entry as stored: the new one, or the one stored before under the same id.
    public let entry: ExecutionLogEntry
    /// ``InsertOutcome/inserted``, or ``InsertOutcome/alreadyExists`` for a retried record.
    public let outcome: InsertOutcome

    /// Creates an answer.
    public init(entry: ExecutionLogEntry, outcome: InsertOutcome) {
        self.entry = entry
        self.outcome = outcome
    }
}

/// The first place where a chain does not verify.
public struct ExecutionLogBreak: Sendable, Hashable, CustomStringConvertible {
    /// What is wrong.
    public enum Kind: String, Sendable, Hashable, CaseIterable {
        /// The entry at this place has another sequence number: an entry was removed, inserted
        /// or moved.
        case unexpectedSequenceNumber
        /// The entry's previous hash is not the hash of the entry before it.
        case previousHashMismatch
        /// The entry's fields do not give its hash: the entry was changed.
        case hashMismatch
        /// The entry belongs to another profile.
        case wrongProfile
        /// The chain ends before, or differs from, the head the store recorded: entries at the
        /// end were removed or changed.
        case headMismatch
    }

    /// The first sequence number that is missing, changed or out of place.
    public let sequenceNumber: Int64
    /// What is wrong.
    public let kind: Kind
    /// The values that disagree.
    public let detail: String

    /// Creates a break.
    public init(sequenceNumber: Int64, kind: Kind, detail: String) {
        self.sequenceNumber = sequenceNumber
        self.kind = kind
        self.detail = detail
    }

    public var description: String { "execution log breaks at sequence \(sequenceNumber): \(kind.rawValue): \(detail)" }
}

/// The result of verifying a chain.
public struct ExecutionLogVerification: Sendable, Hashable {
    /// How many entries verified before the first break (all of them when intact).
    public let verifiedCount: Int
    /// The first break, or `nil` when the chain is intact.
    public let firstBreak: ExecutionLogBreak?

    /// Whether every entry verified.
    public var isIntact: Bool { firstBreak == nil }

    /// Creates a result.
    public init(verifiedCount: Int, firstBreak: ExecutionLogBreak?) {
        self.verifiedCount = verifiedCount
        self.firstBreak = firstBreak
    }
}

/// Verification of execution log chains: pure functions over entries as read from a store.
public enum ExecutionLogChain {
    /// Verifies a profile's chain, in the order given.
    ///
    /// Walks the entries from sequence number 1: each must have the next sequence number, the
    /// previous entry's hash as its previous hash, and the hash its fields give. Any changed,
    /// removed, inserted or reordered entry breaks the chain at the first affected sequence
    /// number. With `head`, entries removed from the end are found too.
    ///
    /// Limits: whoever can rewrite every entry from some point on and the head can forge a
    /// consistent chain; anchor heads outside the database (see
    /// `Documentation/DistributedSafety.md`).
    ///
    /// - Parameters:
    ///   - entries: The profile's entries, as the store returns them (by sequence number).
    ///   - profileID: The profile the chain belongs to.
    ///   - head: The head the store recorded, if known.
    /// - Returns: The number of entries verified and the first break, if any.
    public static func verify(_ entries: [ExecutionLogEntry], profileID: ProfileID,
                              head: ExecutionLogHead? = nil) -> ExecutionLogVerification {
        var verifier = Verifier(profileID: profileID)
        for entry in entries {
            if let broken = verifier.consume(entry) {
                return ExecutionLogVerification(verifiedCount: verifier.verifiedCount, firstBreak: broken)
            }
        }
        return ExecutionLogVerification(verifiedCount: verifier.verifiedCount, firstBreak: verifier.finish(head: head))
    }

    /// Verifies a profile's chain as stored, reading it in pages.
    ///
    /// - Parameters:
    ///   - store: The store.
    ///   - profileID: The profile.
    ///   - pageSize: Entries per read; positive.
    /// - Returns: The result, against the store's recorded head.
    /// - Throws: ``StoreError`` from the store.
    public static func verify(in store: some ExecutionLogStore, profileID: ProfileID,
                              pageSize: Int = 1_000) async throws(StoreError) -> ExecutionLogVerification {
        let head = try await store.executionLogHead(profileID: profileID)
        var verifier = Verifier(profileID: profileID)
        var after: Int64 = 0
        while true {
            let page = try await store.executionLog(profileID: profileID, after: after, limit: max(1, pageSize))
            for entry in page {
                if let broken = verifier.consume(entry) {
                    return ExecutionLogVerification(verifiedCount: verifier.verifiedCount, firstBreak: broken)
                }
            }
            guard let last = page.last, page.count >= max(1, pageSize) else { break }
            after = last.sequenceNumber
        }
        return ExecutionLogVerification(verifiedCount: verifier.verifiedCount, firstBreak: verifier.finish(head: head))
    }

    struct Verifier {
        let profileID: ProfileID
        var expected: Int64 = 1
        var previous = ExecutionLogEntry.genesisHash
        var verifiedCount = 0

        init(profileID: ProfileID) {
            self.profileID = profileID
        }

        mutating func consume(_ entry: ExecutionLogEntry) -> ExecutionLogBreak? {
            if entry.record.profileID != profileID {
                return ExecutionLogBreak(sequenceNumber: expected, kind: .wrongProfile,
                                         detail: "entry \(entry.record.entryID) belongs to profile \(entry.record.profileID), not \(profileID)")
            }
            if entry.sequenceNumber != expected {
                let detail = entry.sequenceNumber > expected
                    ? "expected sequence \(expected), found \(entry.sequenceNumber): entry \(expected) is missing or moved"
                    : "expected sequence \(expected), found \(entry.sequenceNumber): an entry is repeated or moved"
                return ExecutionLogBreak(sequenceNumber: expected, kind: .unexpectedSequenceNumber, detail: detail)
            }
            if entry.previousHash != previous {
                return ExecutionLogBreak(sequenceNumber: expected, kind: .previousHashMismatch,
                                         detail: "previous hash \(entry.previousHash), but the entry before hashes to \(previous)")
            }
            let computed = entry.computedHash
            if computed != entry.hash {
                return ExecutionLogBreak(sequenceNumber: expected, kind: .hashMismatch,
                                         detail: "stored hash \(entry.hash), but the fields hash to \(computed)")
            }
            previous = entry.hash
            expected += 1
            verifiedCount += 1
            return nil
        }

        func finish(head: ExecutionLogHead?) -> ExecutionLogBreak? {
            guard let head else { return nil }
            let last = expected - 1
            if head.sequenceNumber > last {
                return ExecutionLogBreak(sequenceNumber: expected, kind: .headMismatch,
                                         detail: "the recorded head is at sequence \(head.sequenceNumber), the chain ends at \(last)")
            }
            if head.sequenceNumber < last {
                return ExecutionLogBreak(sequenceNumber: head.sequenceNumber + 1, kind: .headMismatch,
                                         detail: "the recorded head is at sequence \(head.sequenceNumber), the chain goes on to \(last)")
            }
            if last > 0, head.hash != previous {
                return ExecutionLogBreak(sequenceNumber: last, kind: .headMismatch,
                                         detail: "the recorded head hash \(head.hash) differs from the last entry's \(previous)")
            }
            return nil
        }
    }
}
