/// The idempotency id of a ledger operation: a non-zero 128-bit number chosen by the caller.
///
/// The same id always names the same operation. Derive it deterministically from what the
/// operation stands for (the exchange's fill id, the order id and the word `cancel`, ...), so
/// that a redelivered exchange event or a retried request carries the id it had the first time
/// and ``CapitalLedger`` answers ``LedgerResult/exists`` instead of applying it twice.
///
/// Zero is not an id (an uninitialised value must never match a real one); ``CapitalLedger``
/// refuses it with ``LedgerError/Code/zeroOperationID``. The text and JSON form is the decimal
/// number (`"42"`), because JSON numbers lose precision beyond 2⁵³.
public struct LedgerOperationID: Sendable, Hashable, Comparable, Codable, CustomStringConvertible,
    ExpressibleByIntegerLiteral
{
    /// The number.
    public let value: UInt128

    /// Creates an id.
    ///
    /// - Parameter value: The number; zero is representable but refused by ``CapitalLedger``.
    @inlinable
    public init(_ value: UInt128) {
        self.value = value
    }

    /// Creates an id from an integer literal, as in `LedgerOperationID = 42`.
    public init(integerLiteral value: UInt64) {
        self.value = UInt128(value)
    }

    /// Parses the decimal text form.
    ///
    /// - Parameter text: Decimal digits only, no sign or white space.
    /// - Returns: The id, or `nil` when `text` is not a decimal number that fits in 128 bits.
    public init?(_ text: String) {
        guard !text.isEmpty, text.utf8.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }),
              let value = UInt128(text) else { return nil }
        self.value = value
    }

    /// The decimal text form.
    public var description: String { String(value) }

    @inlinable
    public static func < (lhs: LedgerOperationID, rhs: LedgerOperationID) -> Bool {
        lhs.value < rhs.value
    }

    /// Decodes the decimal text form from a JSON string.
    ///
    /// - Throws: `DecodingError.dataCorrupted` when the string is not a decimal 128-bit number.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let text = try container.decode(String.self)
        guard let id = LedgerOperationID(text) else {
            throw DecodingError.dataCorruptedError(
                in: container, debugDescription: "invalid ledger operation id '\(text)': expected decimal digits of a 128-bit number")
        }
        self = id
    }

    /// Encodes the decimal text form as a JSON string.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}

/// One change to the ledger, as the service requests it or as the exchange reports it, with its
/// idempotency id.
///
/// Requests (``Kind/allocate(profileID:amount:)``, ``Kind/deallocate(profileID:amount:)``,
/// ``Kind/reserveEntry(profileID:orderID:symbol:tradeID:side:quantity:limitPrice:)``) are refused
/// when they would leave `available` below zero. Facts
/// (``Kind/fill(profileID:orderID:quantity:price:)``, ``Kind/cancel(profileID:orderID:)``,
/// ``Kind/exit(profileID:symbol:tradeID:quantity:price:fee:)``) are always applied when they are
/// valid. See ``CapitalLedger/apply(_:)``.
public struct LedgerOperation: Sendable, Hashable, Codable {
    /// The idempotency id.
    public var id: LedgerOperationID
    /// What the operation does.
    public var kind: Kind

    /// Creates an operation.
    ///
    /// - Parameters:
    ///   - id: The idempotency id; the same id must always be sent with the same content.
    ///   - kind: What the operation does.
    public init(id: LedgerOperationID, kind: Kind) {
        self.id = id
        self.kind = kind
    }

    /// What a ledger operation does.
    public enum Kind: Sendable, Hashable, Codable {
        /// Request: add `amount` (> 0) to the profile's `allocated` capital.
        ///
        /// Never refused for capital: it only raises `available`, and is how an operator cures a
        /// violation.
        case allocate(profileID: ProfileID, amount: ExactDecimal)

        /// Request: take `amount` (> 0) out of the profile's `allocated` capital.
        ///
        /// Refused with ``LedgerResult/insufficientAvailable(available:required:)`` when
        /// `amount > available`. `allocated` itself may go below zero when realized profit is
        /// taken out.
        case deallocate(profileID: ProfileID, amount: ExactDecimal)

        /// Request: reserve `quantity * limitPrice` for an ENTRY order of the trade
        /// `(symbol, tradeID)` on `side`.
        ///
        /// Refused with ``LedgerResult/insufficientAvailable(available:required:)`` when the
        /// reservation exceeds `available`. The reservation is pending until fills post it and
        /// a cancel voids what is left.
        case reserveEntry(
            profileID: ProfileID, orderID: OrderID, symbol: String, tradeID: TradeID, side: PositionSide,
            quantity: ExactDecimal, limitPrice: ExactDecimal)

        /// Fact: the ENTRY order `orderID` was filled for `quantity` (> 0) at `price` (> 0).
        ///
        /// Releases the filled share of the order's reservation and adds
        /// `quantity * price` to `reservedForPositions` and to the position's cost basis.
        case fill(profileID: ProfileID, orderID: OrderID, quantity: ExactDecimal, price: ExactDecimal)

        /// Fact: the ENTRY order `orderID` was cancelled (or expired); what is left of its
        /// reservation is released.
        case cancel(profileID: ProfileID, orderID: OrderID)

        /// Fact: `quantity` (> 0) of the position `(symbol, tradeID)` was closed at `price` (> 0),
        /// paying `fee` (>= 0).
        ///
        /// Releases the exited share of the position's cost basis (average cost) and adds the
        /// realized profit or loss, net of `fee`, to `realizedPnL`.
        case exit(
            profileID: ProfileID, symbol: String, tradeID: TradeID, quantity: ExactDecimal, price: ExactDecimal,
            fee: ExactDecimal)

        /// The profile the operation belongs to.
        public var profileID: ProfileID {
            switch self {
            case .allocate(let profileID, _), .deallocate(let profileID, _), .cancel(let profileID, _):
                return profileID
            case .reserveEntry(let profileID, _, _, _, _, _, _), .fill(let profileID, _, _, _),
                .exit(let profileID, _, _, _, _, _):
                return profileID
            }
        }

        /// The runbook word for the kind: `allocate`, `deallocate`, `reserve_entry`, `fill`,
        /// `cancel` or `exit`.
        public var name: String {
            switch self {
            case .allocate: return "allocate"
            case .deallocate: return "deallocate"
            case .reserveEntry: return "reserve_entry"
            case .fill: return "fill"
            case .cancel: return "cancel"
            case .exit: return "exit"
            }
        }

        /// Whether the kind is a request the service makes (allocate, deallocate, reserve entry),
        /// as opposed to a fact reported by the exchange (fill, cancel, exit).
        public var isRequest: Bool {
            switch self {
            case .allocate, .deallocate, .reserveEntry: return true
            case .fill, .cancel, .exit: return false
            }
        }
    }
}

// MARK: - Content comparison

extension LedgerOperation.Kind {
    /// The first field, in the documented order (kind, profile, order, symbol, trade id, side,
    /// amount, quantity, price, fee), in which `other` differs from `self`; `nil` when the
    /// content is the same.
    func firstDifference(from other: LedgerOperation.Kind) -> LedgerResult? {
        switch (self, other) {
        case (.allocate(let p1, let a1), .allocate(let p2, let a2)),
            (.deallocate(let p1, let a1), .deallocate(let p2, let a2)):
            if p1 != p2 { return .existsWithDifferentProfile }
            if a1 != a2 { return .existsWithDifferentAmount }
            return nil
        case (.reserveEntry(let p1, let o1, let s1, let t1, let d1, let q1, let l1),
              .reserveEntry(let p2, let o2, let s2, let t2, let d2, let q2, let l2)):
            if p1 != p2 { return .existsWithDifferentProfile }
            if o1 != o2 { return .existsWithDifferentOrder }
            if s1 != s2 { return .existsWithDifferentSymbol }
            if t1 != t2 { return .existsWithDifferentTradeID }
            if d1 != d2 { return .existsWithDifferentSide }
            if q1 != q2 { return .existsWithDifferentQuantity }
            if l1 != l2 { return .existsWithDifferentPrice }
            return nil
        case (.fill(let p1, let o1, let q1, let r1), .fill(let p2, let o2, let q2, let r2)):
            if p1 != p2 { return .existsWithDifferentProfile }
            if o1 != o2 { return .existsWithDifferentOrder }
            if q1 != q2 { return .existsWithDifferentQuantity }
            if r1 != r2 { return .existsWithDifferentPrice }
            return nil
        case (.cancel(let p1, let o1), .cancel(let p2, let o2)):
            if p1 != p2 { return .existsWithDifferentProfile }
            if o1 != o2 { return .existsWithDifferentOrder }
            return nil
        case (.exit(let p1, let s1, let t1, let q1, let r1, let f1), .exit(let p2, let s2, let t2, let q2, let r2, let f2)):
            if p1 != p2 { return .existsWithDifferentProfile }
            if s1 != s2 { return .existsWithDifferentSymbol }
            if t1 != t2 { return .existsWithDifferentTradeID }
            if q1 != q2 { return .existsWithDifferentQuantity }
            if r1 != r2 { return .existsWithDifferentPrice }
            if f1 != f2 { return .existsWithDifferentFee }
            return nil
        default:
            return .existsWithDifferentKind
        }
    }
}
