/// The identity of a trade lifecycle: `(profile_id, symbol, trade_id)`, the grouping of the
/// reference detection query.
///
/// Keys are ordered by profile, then symbol, then trade id, each by its UTF-8 bytes (as
/// PostgreSQL's `C` collation orders text), and are equal when their bytes are equal, as
/// PostgreSQL's `GROUP BY` compares text: `"é"` written precomposed and `"é"` written as `e` and a
/// combining accent are different symbols here, although Swift's `String` equality calls them
/// equal.
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

    /// Whether the keys have the same bytes.
    public static func == (lhs: LifecycleKey, rhs: LifecycleKey) -> Bool {
        UTF8Order.equal(lhs.tradeID.rawValue, rhs.tradeID.rawValue) && UTF8Order.equal(lhs.symbol, rhs.symbol)
            && UTF8Order.equal(lhs.profileID.rawValue, rhs.profileID.rawValue)
    }

    /// Hashes the keys' bytes.
    public func hash(into hasher: inout Hasher) {
        UTF8Order.hash(profileID.rawValue, into: &hasher)
        UTF8Order.hash(symbol, into: &hasher)
        UTF8Order.hash(tradeID.rawValue, into: &hasher)
    }

    /// Whether `lhs` sorts before `rhs`: by profile, then symbol, then trade id, each by UTF-8 bytes.
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

    /// Whether the texts have the same UTF-8 bytes (not merely canonically equivalent ones).
    static func equal(_ lhs: String, _ rhs: String) -> Bool {
        guard lhs.utf8.count == rhs.utf8.count else { return false }
        return compare(lhs, rhs) == 0
    }

    /// Feeds the UTF-8 bytes of `text`, and their count, to `hasher`.
    static func hash(_ text: String, into hasher: inout Hasher) {
        var contiguous = text
        contiguous.makeContiguousUTF8()
        _ = contiguous.utf8.withContiguousStorageIfAvailable { bytes in
            hasher.combine(bytes: UnsafeRawBufferPointer(bytes))
        }
        hasher.combine(text.utf8.count)
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

/// Text that is equal and hashed by its UTF-8 bytes, for dictionaries and sets that must group
/// text as PostgreSQL does.
struct UTF8Text: Hashable {
    let text: String

    static func == (lhs: UTF8Text, rhs: UTF8Text) -> Bool { UTF8Order.equal(lhs.text, rhs.text) }

    func hash(into hasher: inout Hasher) { UTF8Order.hash(text, into: &hasher) }
}
