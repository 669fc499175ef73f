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
        guard longest > 0 else { return }
        var ownerOfByte = [Int32](repeating: 0, count: bytes.count)
        for client in clientOrderIDs.indices {
            for offset in starts[client]..<starts[client + 1] { ownerOfByte[offset] = Int32(client) }
        }

        /// The windows of one length: an open-addressing table from window hash to the first
        /// window (start + 1; 0 for an empty slot), and the next window with the same hash by
        /// start, or -1.
        struct Table {
            var slotHashes: [UInt64]
            var slotStarts: [Int32]
            var nextWithSameHash: [Int32]
            var mask: Int { slotHashes.count - 1 }

            /// The slot of `hash`: where it is, or the empty slot where it goes.
            func slot(of hash: UInt64) -> Int {
                // The rolling hash's low bits are weak for short windows: mix before masking.
                var slot = Int(truncatingIfNeeded: ((hash ^ (hash >> 29)) &* 0xBF58_476D_1CE4_E5B9) >> 20) & mask
                while slotStarts[slot] != 0, slotHashes[slot] != hash { slot = (slot + 1) & mask }
                return slot
            }
        }
        /// The table of each window length, built when a trade id of that length comes.
        var tables = [Table?](repeating: nil, count: longest + 1)
        func buildTable(length: Int) {
            var power: UInt64 = 1
            for _ in 1..<length { power = power &* Self.base }
            var windows = 0
            for client in clientOrderIDs.indices { windows += Swift.max(0, starts[client + 1] - starts[client] - length + 1) }
            var capacity = 16
            while capacity < 2 * windows { capacity *= 2 }
            var table = Table(slotHashes: [UInt64](repeating: 0, count: capacity), slotStarts: [Int32](repeating: 0, count: capacity),
                              nextWithSameHash: [Int32](repeating: -1, count: bytes.count))
            for client in clientOrderIDs.indices where starts[client + 1] - starts[client] >= length {
                var start = starts[client]
                var hash = Self.hash(bytes[start..<(start + length)])
                while true {
                    let slot = table.slot(of: hash)
                    table.nextWithSameHash[start] = table.slotStarts[slot] - 1
                    table.slotHashes[slot] = hash
                    table.slotStarts[slot] = Int32(start + 1)
                    let end = start + length
                    guard end < starts[client + 1] else { break }
                    hash = (hash &- UInt64(bytes[start]) &* power) &* Self.base &+ UInt64(bytes[end])
                    start += 1
                }
            }
            tables[length] = table
        }

        /// The clients whose windows equal the trade id's bytes (the same client at most once).
        var hits: [Int] = []
        tradeIDs.forEach(longest: longest) { id in
            let length = id.count
            if tables[length] == nil { buildTable(length: length) }
            hits.removeAll(keepingCapacity: true)
            if let table = tables[length] {
                let hash = Self.hash(id)
                var candidate = table.slotStarts[table.slot(of: hash)] - 1
                while candidate >= 0 {
                    let start = Int(candidate)
                    if id.elementsEqual(bytes[start..<(start + length)]) {
                        let client = Int(ownerOfByte[start])
                        if !hits.contains(client) { hits.append(client) }
                    }
                    candidate = table.nextWithSameHash[start]
                }
            }
            return !hits.isEmpty
        } found: { tradeID in
            for client in hits where !found[client].contains(where: { $0.rawValue.utf8.elementsEqual(tradeID.rawValue.utf8) }) {
                found[client].append(tradeID)
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

/// The trade ids of a profile's orders, for containment tags: those of its lifecycles, open
/// and not, and those of its orders that no lifecycle counts. Read in place: the texts are
/// hashed where they are, without retaining them.
struct BackfillKnownTradeIDs {
    /// The profile's open lifecycles.
    let openLifecycles: [LifecycleSummary]
    /// The keys of the profile's other lifecycles.
    let closedLifecycleKeys: [LifecycleKey]
    /// Trade ids of orders that count toward no lifecycle.
    let uncounted: Set<TradeID>

    /// Calls `matches` with the UTF-8 bytes of every trade id of 1 to `longest` bytes, read in
    /// place, and `found` with the trade id right after `matches` returns `true`.
    func forEach(longest: Int, _ matches: (UnsafeBufferPointer<UInt8>) -> Bool, found: (TradeID) -> Void) {
        openLifecycles.withUnsafeBufferPointer { summaries in
            guard let base = summaries.baseAddress else { return }
            for index in summaries.indices {
                let summary = base + index
                let count = summary.pointee.key.tradeID.rawValue.utf8.count
                guard count > 0, count <= longest else { continue }
                let matched = summary.pointee.key.tradeID.rawValue.utf8.withContiguousStorageIfAvailable(matches)
                    ?? Array(summary.pointee.key.tradeID.rawValue.utf8).withUnsafeBufferPointer(matches)
                if matched { found(summary.pointee.key.tradeID) }
            }
        }
        closedLifecycleKeys.withUnsafeBufferPointer { keys in
            guard let base = keys.baseAddress else { return }
            for index in keys.indices {
                let key = base + index
                let count = key.pointee.tradeID.rawValue.utf8.count
                guard count > 0, count <= longest else { continue }
                let matched = key.pointee.tradeID.rawValue.utf8.withContiguousStorageIfAvailable(matches)
                    ?? Array(key.pointee.tradeID.rawValue.utf8).withUnsafeBufferPointer(matches)
                if matched { found(key.pointee.tradeID) }
            }
        }
        for tradeID in uncounted {
            let count = tradeID.rawValue.utf8.count
            guard count > 0, count <= longest else { continue }
            let matched = tradeID.rawValue.utf8.withContiguousStorageIfAvailable(matches)
                ?? Array(tradeID.rawValue.utf8).withUnsafeBufferPointer(matches)
            if matched { found(tradeID) }
        }
    }
}
