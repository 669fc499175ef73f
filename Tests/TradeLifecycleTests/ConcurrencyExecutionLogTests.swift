import PropertyBased
import Testing
import TradeLifecycle

/// Tamper evidence of the execution log's hash chain: every edit, removal and reordering is found
/// at the first affected sequence number.
@Suite struct ConcurrencyExecutionLogTests {
    static let profile = try! ProfileID("p1")
    static let length = 8

    /// A chain of `count` entries written through the in-memory store, with its head.
    static func chain(count: Int = length) async throws -> ([ExecutionLogEntry], ExecutionLogHead?) {
        let store = InMemoryStore()
        for index in 0..<count {
            let action = ExecutionAction.allCases[index % ExecutionAction.allCases.count]
            _ = try await store.appendExecutionLog(ExecutionLogRecord(
                entryID: try ExecutionLogEntryID("e\(index)"), profileID: profile, orderID: try OrderID("o\(index / 2)"),
                action: action, reason: "reason \(index)",
                recordedAt: Timestamp(microsecondsSinceEpoch: 1_771_147_800_000_000 + Int64(index) * 1_000_000)))
        }
        let entries = try await store.executionLog(profileID: profile, after: 0, limit: 1_000)
        return (entries, try await store.executionLogHead(profileID: profile))
    }

    /// The entry with its record replaced and its stored hashes kept.
    static func edited(_ entry: ExecutionLogEntry, reason: String? = nil, action: ExecutionAction? = nil,
                       recordedAt: Timestamp? = nil, orderID: OrderID? = nil) -> ExecutionLogEntry {
        let record = entry.record
        let changed = ExecutionLogRecord(entryID: record.entryID, profileID: record.profileID, orderID: orderID ?? record.orderID,
                                         action: action ?? record.action, reason: reason ?? record.reason,
                                         recordedAt: recordedAt ?? record.recordedAt)
        return ExecutionLogEntry(record: changed, sequenceNumber: entry.sequenceNumber, previousHash: entry.previousHash, hash: entry.hash)
    }

    @Test func untouchedChainVerifies() async throws {
        let (entries, head) = try await Self.chain()
        let result = ExecutionLogChain.verify(entries, profileID: Self.profile, head: head)
        #expect(result.isIntact)
        #expect(result.verifiedCount == Self.length)
        #expect(ExecutionLogChain.verify([], profileID: Self.profile).isIntact)
    }

    @Test(arguments: 1...length)
    func editedFieldIsFoundAtItsSequenceNumber(_ sequence: Int) async throws {
        let (entries, head) = try await Self.chain()
        let index = sequence - 1
        let edits = [
            Self.edited(entries[index], reason: entries[index].record.reason + " "),
            Self.edited(entries[index], action: entries[index].record.action == .filled ? .cancelled : .filled),
            Self.edited(entries[index], recordedAt: Timestamp(microsecondsSinceEpoch: entries[index].record.recordedAt.microsecondsSinceEpoch + 1)),
            Self.edited(entries[index], orderID: try OrderID("o-forged")),
        ]
        for edit in edits {
            var tampered = entries
            tampered[index] = edit
            let result = ExecutionLogChain.verify(tampered, profileID: Self.profile, head: head)
            #expect(result.firstBreak?.sequenceNumber == Int64(sequence))
            #expect(result.firstBreak?.kind == .hashMismatch)
            #expect(result.verifiedCount == index)
        }
    }

    /// An editor who also recomputes the edited entry's hash is found at the next entry (or at
    /// the head, for the last entry).
    @Test(arguments: 1...length)
    func editedAndResealedEntryIsFoundAtTheNextLink(_ sequence: Int) async throws {
        let (entries, head) = try await Self.chain()
        let index = sequence - 1
        let original = entries[index].record
        let forged = ExecutionLogRecord(entryID: original.entryID, profileID: original.profileID, orderID: original.orderID,
                                        action: original.action, reason: "forged", recordedAt: original.recordedAt)
        var tampered = entries
        tampered[index] = ExecutionLogEntry(sealing: forged, after: index == 0 ? nil : entries[index - 1].head)
        let result = ExecutionLogChain.verify(tampered, profileID: Self.profile, head: head)
        if sequence < Self.length {
            #expect(result.firstBreak?.sequenceNumber == Int64(sequence + 1))
            #expect(result.firstBreak?.kind == .previousHashMismatch)
        } else {
            #expect(result.firstBreak?.sequenceNumber == Int64(sequence))
            #expect(result.firstBreak?.kind == .headMismatch)
        }
    }

    @Test(arguments: 1...length)
    func droppedEntryIsFoundAtItsSequenceNumber(_ sequence: Int) async throws {
        let (entries, head) = try await Self.chain()
        var tampered = entries
        tampered.remove(at: sequence - 1)
        let result = ExecutionLogChain.verify(tampered, profileID: Self.profile, head: head)
        #expect(result.firstBreak?.sequenceNumber == Int64(sequence))
        #expect(result.firstBreak?.kind == (sequence == Self.length ? .headMismatch : .unexpectedSequenceNumber))
    }

    /// Dropping an entry and renumbering the rest is found where the entry was.
    @Test(arguments: 1..<length)
    func droppedAndRenumberedEntryIsFoundAtItsSequenceNumber(_ sequence: Int) async throws {
        let (entries, head) = try await Self.chain()
        var tampered = Array(entries[..<(sequence - 1)])
        for entry in entries[sequence...] {
            tampered.append(ExecutionLogEntry(record: entry.record, sequenceNumber: entry.sequenceNumber - 1,
                                              previousHash: entry.previousHash, hash: entry.hash))
        }
        let result = ExecutionLogChain.verify(tampered, profileID: Self.profile, head: head)
        #expect(result.firstBreak?.sequenceNumber == Int64(sequence))
        #expect(result.firstBreak?.kind == .previousHashMismatch)
    }

    @Test(arguments: 1..<length)
    func swappedNeighboursAreFoundAtTheFirst(_ sequence: Int) async throws {
        let (entries, head) = try await Self.chain()
        var tampered = entries
        tampered.swapAt(sequence - 1, sequence)
        let result = ExecutionLogChain.verify(tampered, profileID: Self.profile, head: head)
        #expect(result.firstBreak?.sequenceNumber == Int64(sequence))
        #expect(result.firstBreak?.kind == .unexpectedSequenceNumber)
    }

    /// Swapping the contents of two entries while keeping the sequence numbers in place.
    @Test func swappedContentsAreFoundAtTheFirst() async throws {
        let (entries, head) = try await Self.chain()
        var tampered = entries
        let (a, b) = (entries[2], entries[5])
        tampered[2] = ExecutionLogEntry(record: b.record, sequenceNumber: a.sequenceNumber, previousHash: a.previousHash, hash: a.hash)
        tampered[5] = ExecutionLogEntry(record: a.record, sequenceNumber: b.sequenceNumber, previousHash: b.previousHash, hash: b.hash)
        let result = ExecutionLogChain.verify(tampered, profileID: Self.profile, head: head)
        #expect(result.firstBreak?.sequenceNumber == 3)
        #expect(result.firstBreak?.kind == .hashMismatch)
    }

    @Test func entryOfAnotherProfileIsFound() async throws {
        let (entries, head) = try await Self.chain()
        let other = try ProfileID("p2")
        let record = entries[3].record
        var tampered = entries
        tampered[3] = ExecutionLogEntry(sealing: ExecutionLogRecord(entryID: record.entryID, profileID: other, orderID: record.orderID,
                                                                     action: record.action, reason: record.reason,
                                                                     recordedAt: record.recordedAt),
                                        after: entries[2].head)
        let result = ExecutionLogChain.verify(tampered, profileID: Self.profile, head: head)
        #expect(result.firstBreak?.sequenceNumber == 4)
        #expect(result.firstBreak?.kind == .wrongProfile)
    }

    @Test func headBeyondTheChainIsFound() async throws {
        let (entries, head) = try await Self.chain()
        let head2 = try #require(head)
        let longer = ExecutionLogHead(sequenceNumber: head2.sequenceNumber + 2, hash: head2.hash)
        let result = ExecutionLogChain.verify(entries, profileID: Self.profile, head: longer)
        #expect(result.firstBreak?.sequenceNumber == Int64(Self.length + 1))
        #expect(result.firstBreak?.kind == .headMismatch)
        #expect(ExecutionLogChain.verify([], profileID: Self.profile, head: head).firstBreak?.sequenceNumber == 1)
    }

    /// Random tampering anywhere in a random chain: the verification names the first affected
    /// sequence number, as worked out from the tampering itself.
    @Test func randomTamperingIsFoundAtTheFirstAffectedEntry() async throws {
        let (entries, head) = try await Self.chain(count: 24)
        await propertyCheck(count: 300, input: Gen.int(in: 0...2), Gen.int(in: 1...23)) { operation, sequence in
            var tampered = entries
            let index = sequence - 1
            switch operation {
            case 0: tampered[index] = Self.edited(entries[index], reason: "x")
            case 1: tampered.remove(at: index)
            default: tampered.swapAt(index, index + 1)
            }
            let result = ExecutionLogChain.verify(tampered, profileID: Self.profile, head: head)
            #expect(result.firstBreak?.sequenceNumber == Int64(sequence), "operation \(operation) at \(sequence)")
        }
    }

    @Test func deterministicEntryIDsDependOnEveryPart() throws {
        let a = ExecutionLogEntryID.deterministic(["fill", "o1", "x1"])
        #expect(a == ExecutionLogEntryID.deterministic(["fill", "o1", "x1"]))
        #expect(a != ExecutionLogEntryID.deterministic(["fill", "o1x", "1"]))
        #expect(a != ExecutionLogEntryID.deterministic(["fill", "o1", "x2"]))
        #expect(a != ExecutionLogEntryID.deterministic(["fill:o1", "x1"]))
        #expect(a.rawValue.hasPrefix("LOG-") && a.rawValue.count == 36)
    }

    /// The hash is SHA-256 over the length-prefixed fields as documented, written out here by hand.
    @Test func hashFollowsTheDocumentedEncoding() throws {
        let record = ExecutionLogRecord(entryID: try ExecutionLogEntryID("e1"), profileID: try ProfileID("p1"),
                                        orderID: try OrderID("o1"), action: .filled, reason: "ok",
                                        recordedAt: Timestamp(microsecondsSinceEpoch: 1_771_147_800_000_000))
        let entry = ExecutionLogEntry(sealing: record, after: nil)
        let zeros = String(repeating: "0", count: 64)
        let message = "64:\(zeros)1:12:e12:p12:o16:FILLED2:ok27:2026-02-15T09:30:00.000000Z"
        #expect(entry.hash == TradeLifecycle.SHA256.hash(message))
        #expect(entry.sequenceNumber == 1)
        #expect(entry.previousHash.hexString == zeros)
    }
}
