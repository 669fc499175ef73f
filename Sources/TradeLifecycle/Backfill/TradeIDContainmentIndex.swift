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

    /// Searches every trade id of `tradeIDs` (one given several times counts once) in each of
    /// `clientOrderIDs`.
    ///
    /// - Parameters:
    ///   - clientOrderIDs: The client order ids, by index.
    ///   - tradeIDs: The trade ids.
    init(clientOrderIDs: [ClientOrderID], tradeIDs: BackfillKnownTradeIDs) {
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
        let lengths = longest > 0 ? tradeIDs.lengths(upTo: longest) : []
        guard !lengths.isEmpty else { return }
        var ownerOfByte = [Int32](repeating: 0, count: bytes.count)
        for client in clientOrderIDs.indices {
            for offset in starts[client]..<starts[client + 1] { ownerOfByte[offset] = Int32(client) }
        }
        /// The next window (by start) with the same hash, or -1; rebuilt for each length.
        var nextWithSameHash = [Int32](repeating: -1, count: bytes.count)
        for length in lengths {
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
            tradeIDs.forEach(length: length) { id in
                let utf8 = id.rawValue.utf8
                let hash = utf8.withContiguousStorageIfAvailable { Self.hash($0) } ?? Self.hash(utf8)
                var candidate = firstByHash[hash] ?? -1
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

    private static func hash(_ bytes: UnsafeBufferPointer<UInt8>) -> UInt64 {
        var hash: UInt64 = 0
        for byte in bytes { hash = hash &* base &+ UInt64(byte) }
        return hash
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

/// The trade ids of a profile's orders, for containment tags: those of its lifecycles and
/// those of its orders that no lifecycle counts. Read in place, so that the many trade ids whose
/// length no client order id can hold are not touched beyond their (inline) length.
struct BackfillKnownTradeIDs {
    /// The profile's lifecycles.
    let summaries: ArraySlice<LifecycleSummary>
    /// Trade ids of orders that count toward no lifecycle.
    let uncounted: Set<TradeID>

    /// The distinct byte lengths of the trade ids, in `1...longest`, ascending.
    func lengths(upTo longest: Int) -> [Int] {
        var lengths: [Int] = []
        var last = -1
        func note(_ length: Int) {
            guard length != last else { return }
            last = length
            if length > 0, length <= longest, !lengths.contains(length) { lengths.append(length) }
        }
        summaries.withUnsafeBufferPointer { summaries in
            for index in summaries.indices { note(summaries[index].key.tradeID.rawValue.utf8.count) }
        }
        for tradeID in uncounted { note(tradeID.rawValue.utf8.count) }
        return lengths.sorted()
    }

    /// Calls `body` with every trade id of `length` bytes.
    func forEach(length: Int, _ body: (TradeID) -> Void) {
        summaries.withUnsafeBufferPointer { summaries in
            for index in summaries.indices where summaries[index].key.tradeID.rawValue.utf8.count == length {
                body(summaries[index].key.tradeID)
            }
        }
        for tradeID in uncounted where tradeID.rawValue.utf8.count == length { body(tradeID) }
    }
}
