/// The identity of a trade lifecycle: `(profile_id, symbol, trade_id)`, the grouping of the
/// reference detection query.
///
/// Keys are ordered by profile, then symbol, then trade id, each by its UTF-8 bytes (as
/// PostgreSQL's `C` collation orders text).
public struct LifecycleKey: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// The profile the trade belongs to.
    public let profileID: ProfileID
    /// The traded symbol.
    public let symbol: String
    /// The trade id shared by the lifecycle's orders.
    public let tradeID: TradeID

    /// Creates a key.
    ///
    /// - Parameters:
    ///   - profileID: The profile.
    ///   - symbol: The symbol.
    ///   - tradeID: The trade id.
    public init(profileID: ProfileID, symbol: String, tradeID: TradeID) {
        self.profileID = profileID
        self.symbol = symbol
        self.tradeID = tradeID
    }

    public static func < (lhs: LifecycleKey, rhs: LifecycleKey) -> Bool {
        var order = UTF8Order.compare(lhs.profileID.rawValue, rhs.profileID.rawValue)
        if order != 0 { return order < 0 }
        order = UTF8Order.compare(lhs.symbol, rhs.symbol)
        if order != 0 { return order < 0 }
        return UTF8Order.compare(lhs.tradeID.rawValue, rhs.tradeID.rawValue) < 0
    }

    /// `profile/symbol/trade_id`.
    public var description: String { "\(profileID.rawValue)/\(symbol)/\(tradeID.rawValue)" }
}

/// Byte-wise comparison of the UTF-8 form of strings (PostgreSQL `C` collation).
enum UTF8Order {
    /// A negative number, zero or a positive number as `lhs` sorts before, with or after `rhs`.
    static func compare(_ lhs: String, _ rhs: String) -> Int {
        let fast = lhs.utf8.withContiguousStorageIfAvailable { left in
            rhs.utf8.withContiguousStorageIfAvailable { right in
                compare(left, right)
            }
        }
        if let result = fast ?? nil { return result }
        if lhs.utf8.elementsEqual(rhs.utf8) { return 0 }
        return lhs.utf8.lexicographicallyPrecedes(rhs.utf8) ? -1 : 1
    }

    static func compare(_ left: UnsafeBufferPointer<UInt8>, _ right: UnsafeBufferPointer<UInt8>) -> Int {
        let count = Swift.min(left.count, right.count)
        var index = 0
        while index < count {
            let a = left[index], b = right[index]
            if a != b { return a < b ? -1 : 1 }
            index += 1
        }
        return left.count == right.count ? 0 : (left.count < right.count ? -1 : 1)
    }

    /// The first 16 UTF-8 bytes of `text`, big-endian, zero-padded: comparing prefixes orders
    /// texts as `compare` does, except that equal prefixes need a full comparison.
    static func prefix(_ text: String) -> (UInt64, UInt64) {
        var high: UInt64 = 0
        var low: UInt64 = 0
        var count = 0
        for byte in text.utf8 {
            if count < 8 {
                high |= UInt64(byte) << (56 - 8 * UInt64(count))
            } else if count < 16 {
                low |= UInt64(byte) << (56 - 8 * UInt64(count - 8))
            } else {
                break
            }
            count += 1
        }
        return (high, low)
    }

    /// Whether `lhs` sorts before `rhs`.
    static func precedes(_ lhs: String, _ rhs: String) -> Bool { compare(lhs, rhs) < 0 }
}
