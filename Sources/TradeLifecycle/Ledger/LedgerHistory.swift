/// The recorded events of a ``CapitalLedger``, in sequence order: element `i` is the event
/// with sequence `i + 1`.
///
/// A random-access collection of ``LedgerEvent``. The ledger keeps its history compactly (an
/// event that created something refers to the ledger's own copies of its profile, order,
/// symbol and trade ids instead of holding strings of its own), and each event is put back
/// together when it is read, identical to the one recorded. Reading `count` or `last` is
/// constant time. Use `Array(ledger.history)` where an array is needed (to edit a history
/// before passing it to ``CapitalLedger/rebuild(from:)``, for instance); a history compares
/// equal to an array of the same events.
///
/// A `LedgerHistory` is a snapshot: it does not change when the ledger goes on recording.
public struct LedgerHistory: RandomAccessCollection, Sendable, Hashable, Encodable, CustomStringConvertible {
    private let ledger: CapitalLedger

    init(_ ledger: CapitalLedger) {
        self.ledger = ledger
    }

    /// The position of the first event: 0.
    public var startIndex: Int { 0 }

    /// One past the position of the last event: the number of events.
    public var endIndex: Int { ledger.recordedCount }

    /// The event at `position` (its sequence is `position + 1`).
    ///
    /// - Parameter position: A valid position, `0..<count`.
    public subscript(position: Int) -> LedgerEvent {
        precondition(position >= 0 && position < endIndex, "ledger history position out of range")
        return ledger.recordedEvent(at: position)
    }

    /// Whether both hold the same events in the same order.
    public static func == (lhs: LedgerHistory, rhs: LedgerHistory) -> Bool {
        lhs.count == rhs.count && lhs.elementsEqual(rhs)
    }

    /// Whether the history holds exactly the events of the array, in its order.
    public static func == (lhs: LedgerHistory, rhs: [LedgerEvent]) -> Bool {
        lhs.count == rhs.count && lhs.elementsEqual(rhs)
    }

    /// Whether the history holds exactly the events of the array, in its order.
    public static func == (lhs: [LedgerEvent], rhs: LedgerHistory) -> Bool {
        rhs == lhs
    }

    /// Hashes the events in order, as an array of them would be hashed.
    public func hash(into hasher: inout Hasher) {
        hasher.combine(count)
        for event in self { hasher.combine(event) }
    }

    /// Encodes the events as an array (the same form as `[LedgerEvent]`, so it decodes as one).
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.unkeyedContainer()
        for event in self { try container.encode(event) }
    }

    /// The events as an array would describe them.
    public var description: String { Array(self).description }
}
