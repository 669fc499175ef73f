/// Finds which trade ids occur (as UTF-8 byte strings, like ``ClientOrderID/contains(_:)``) in
/// a set of client order ids, without comparing every client order id with every trade id.
///
/// The windows of the client order ids are indexed, not the trade ids: for each byte length
/// that some trade id has, a rolling hash slides over every client order id and each window's
/// hash goes into a table; each trade id of that length is then hashed once and looked up, and
/// a hit is confirmed by comparing the window's bytes with the trade id's. Cost: the client
/// order ids' bytes times the number of distinct trade id lengths (bot trade ids all have one
/// length), plus one hash and one lookup per trade id in a table as small as the client order
/// ids (the trade ids of a large profile are many more than the client order ids to tag).
struct TradeIDContainmentIndex {
    private static let base: UInt64 = 1_099_511_628_211

    /// The distinct trade ids found in each client order id (by bytes), in the order found.
    private var found: [[TradeID]]

    /// Searches every trade id that `tradeIDs` gives (one given several times counts once) in
    /// each of `clientOrderIDs`.
    ///
    /// - Parameters:
    ///   - clientOrderIDs: The client order ids, by index.
    ///   - tradeIDs: Calls its argument with every trade id; it is called once per distinct
    ///     trade id length plus once, and must give the same trade ids each time.
    init(clientOrderIDs: [ClientOrderID], tradeIDs: ((TradeID) -> Void) -> Void) {
        found = Array(repeating: [], count: clientOrderIDs.count)
        // The client order ids' bytes one after the other; `starts[i]..<starts[i + 1]` is id i.
        var bytes: [UInt8] = []
        var starts = [0]
        var longest = 0
        for id in clientOrderIDs {
            bytes.append(contentsOf: id.rawValue.utf8)
            starts.append(bytes.count)
            longest = Swift.max(longest, starts[starts.count - 1] - starts[starts.count - 2])
        }
        // The lengths a window can have (a native string's UTF-8 count is stored inline).
        var lengths = Set<Int>()
        if longest > 0 {
            tradeIDs { id in
                let length = id.rawValue.utf8.count
                if length > 0, length <= longest { lengths.insert(length) }
            }
        }
        guard !lengths.isEmpty else { return }
        var ownerOfByte = [Int32](repeating: 0, count: bytes.count)
        for client in clientOrderIDs.indices {
            for offset in starts[client]..<starts[client + 1] { ownerOfByte[offset] = Int32(client) }
        }
        /// The next window (by start) with the same hash, or -1; rebuilt for each length.
        var nextWithSameHash = [Int32](repeating: -1, count: bytes.count)
        for length in lengths.sorted() {
            var power: UInt64 = 1
            for _ in 1..<length { power = power &* Self.base }
            var firstByHash: [UInt64: Int32] = [:]
            for client in clientOrderIDs.indices where starts[client + 1] - starts[client] >= length {
                var start = starts[client]
                var hash = Self.hash(bytes[start..<(start + length)])
                while true {
                    nextWithSameHash[start] = firstByHash[hash] ?? -1
                    firstByHash[hash] = Int32(start)
                    let end = start + length
                    guard end < starts[client + 1] else { break }
                    hash = (hash &- UInt64(bytes[start]) &* power) &* Self.base &+ UInt64(bytes[end])
                    start += 1
                }
            }
            tradeIDs { id in
                let utf8 = id.rawValue.utf8
                guard utf8.count == length else { return }
                var candidate = firstByHash[Self.hash(utf8)] ?? -1
                while candidate >= 0 {
                    let start = Int(candidate)
                    if utf8.elementsEqual(bytes[start..<(start + length)]) {
                        let client = Int(ownerOfByte[start])
                        if !found[client].contains(where: { $0.rawValue.utf8.elementsEqual(utf8) }) {
                            found[client].append(id)
                        }
                    }
                    candidate = nextWithSameHash[start]
                }
            }
        }
    }

    private static func hash(_ bytes: some Sequence<UInt8>) -> UInt64 {
        var hash: UInt64 = 0
        for byte in bytes { hash = hash &* base &+ UInt64(byte) }
        return hash
    }

    /// The distinct trade ids (by bytes) that occur in the client order id at `index` of the
    /// initializer's list, in no particular order.
    func tradeIDs(containedInClientOrderIDAt index: Int) -> [TradeID] {
        found[index]
    }
}
