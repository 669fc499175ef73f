/// The status of an order.
///
/// Text from databases and exchanges is read with ``init(parsing:)``, which accepts every alias
/// of SPEC section 3 case-insensitively, `-` equal to `_`, and rejects anything else.
/// ``rawValue`` is the text the SDK writes (the runbook's rollback writes `canceled`).
public enum OrderStatus: String, Sendable, Hashable, CaseIterable, Codable {
    /// Created, not yet acknowledged by the exchange (`new`, `pending`).
    case pending
    /// Resting on the exchange (`accepted`, `open`).
    case open
    /// Partly executed (`partially_filled`, `partial`).
    case partiallyFilled = "partially_filled"
    /// Completely executed.
    case filled
    /// Cancelled (`canceled`, `cancelled`).
    case cancelled = "canceled"
    /// Refused by the exchange.
    case rejected
    /// Ended by its time in force.
    case expired

    /// Parses status text, accepting every alias case-insensitively with `-` equal to `_`.
    ///
    /// - Parameter text: The status as stored or received.
    /// - Throws: ``InputError`` with code ``InputError/Code/unknownValue`` (field `status`) for
    ///   any other text; there is no silent default.
    public init(parsing text: String) throws(InputError) {
        switch VocabularyText.key(text) {
        case "new", "pending": self = .pending
        case "accepted", "open": self = .open
        case "partially_filled", "partial": self = .partiallyFilled
        case "filled": self = .filled
        case "canceled", "cancelled": self = .cancelled
        case "rejected": self = .rejected
        case "expired": self = .expired
        default:
            throw InputError(.unknownValue, field: "status", value: text,
                             detail: "unknown order status; expected one of new, pending, accepted, open, partially_filled, partial, filled, canceled, cancelled, rejected, expired")
        }
    }

    /// Whether no further transition is allowed (filled, cancelled, rejected, expired), apart
    /// from the two explicit corrections of ``OrderStateMachine``.
    public var isTerminal: Bool {
        switch self {
        case .filled, .cancelled, .rejected, .expired: return true
        case .pending, .open, .partiallyFilled: return false
        }
    }

    /// Whether the order is still working: pending, open or partially filled.
    public var isLive: Bool { !isTerminal }

    /// Whether the order's quantity counts toward a lifecycle (filled or partially filled).
    public var countsTowardLifecycle: Bool { self == .filled || self == .partiallyFilled }

    /// Whether the order blocks an EXIT backfill of its trade (pending or open).
    public var isPendingBlocker: Bool { self == .pending || self == .open }
}

/// Whether an order opens or closes a trade lifecycle.
public enum LifecycleAction: String, Sendable, Hashable, CaseIterable, Codable {
    /// Opens (or adds to) a position.
    case entry = "ENTRY"
    /// Closes (part of) a position.
    case exit = "EXIT"

    /// Parses `ENTRY` or `EXIT`, case-insensitively.
    ///
    /// - Parameter text: The action as stored or received.
    /// - Throws: ``InputError`` with code ``InputError/Code/unknownValue`` (field `action`).
    public init(parsing text: String) throws(InputError) {
        switch VocabularyText.key(text) {
        case "entry": self = .entry
        case "exit": self = .exit
        default:
            throw InputError(.unknownValue, field: "action", value: text, detail: "unknown action; expected ENTRY or EXIT")
        }
    }
}

/// The direction of a position: long profits when the price rises, short when it falls.
public enum PositionSide: String, Sendable, Hashable, CaseIterable, Codable {
    /// Bought to open, sold to close.
    case long
    /// Sold to open, bought to close.
    case short

    /// Parses `long` or `short`, case-insensitively.
    ///
    /// - Parameter text: The side as stored or received.
    /// - Throws: ``InputError`` with code ``InputError/Code/unknownValue`` (field `side`).
    public init(parsing text: String) throws(InputError) {
        switch VocabularyText.key(text) {
        case "long": self = .long
        case "short": self = .short
        default:
            throw InputError(.unknownValue, field: "side", value: text, detail: "unknown position side; expected long or short")
        }
    }

    /// The exchange side of a fill that closes a position of this side (sell closes a long).
    public var closingSide: OrderSide { self == .long ? .sell : .buy }

    /// The exchange side of a fill that opens a position of this side (buy opens a long).
    public var openingSide: OrderSide { self == .long ? .buy : .sell }
}

/// The side of an exchange order or fill.
public enum OrderSide: String, Sendable, Hashable, CaseIterable, Codable {
    /// A purchase.
    case buy
    /// A sale.
    case sell

    /// Parses `buy` or `sell`, case-insensitively.
    ///
    /// - Parameter text: The side as received from the exchange.
    /// - Throws: ``InputError`` with code ``InputError/Code/unknownValue`` (field `side`).
    public init(parsing text: String) throws(InputError) {
        switch VocabularyText.key(text) {
        case "buy": self = .buy
        case "sell": self = .sell
        default:
            throw InputError(.unknownValue, field: "side", value: text, detail: "unknown order side; expected buy or sell")
        }
    }
}

/// Normalising vocabulary text for comparison: ASCII lower case, `-` as `_`; no trimming.
enum VocabularyText {
    static func key(_ text: String) -> String {
        String(decoding: text.utf8.map { byte -> UInt8 in
            if byte >= UInt8(ascii: "A"), byte <= UInt8(ascii: "Z") { return byte | 0x20 }
            if byte == UInt8(ascii: "-") { return UInt8(ascii: "_") }
            return byte
        }, as: UTF8.self)
    }
}
