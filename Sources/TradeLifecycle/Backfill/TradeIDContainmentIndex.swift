/// Finds which of many trade ids occur (as UTF-8 byte strings, like
/// ``ClientOrderID/contains(_:)``) in a client order id, without comparing the client order id
/// with every trade id.
///
/// Trade ids are grouped by byte length; for each length present, a rolling hash slides over
/// the client order id and each window's hash is looked up; a hit is confirmed by comparing the
/// window's bytes with the trade id's. Cost per client order id: its length times the number of
/// distinct trade id lengths (bot trade ids all have one length).
struct TradeIDContainmentIndex {
    private static let base: UInt64 = 1_099_511_628_211

    private struct Table {
        let length: Int
        /// `base^(length-1)`, wrapping.
        let leadingPower: UInt64
        /// Window hash to the first trade id with that hash.
        var firstByHash: [UInt64: Int32] = [:]
    }

    private var tradeIDs: [TradeID] = []
    /// The next trade id with the same length and hash, or -1.
    private var nextWithSameHash: [Int32] = []
    private var tables: [Table] = []

    /// Indexes `ids`; duplicates are indexed once.
    init(_ ids: [TradeID]) {
        // Size every table first (a string's UTF-8 count is stored inline): no rehashing.
        var countByLength: [Int: Int] = [:]
        for id in ids {
            countByLength[id.rawValue.utf8.count, default: 0] += 1
        }
        var tableIndexByLength: [Int: Int] = [:]
        for (length, count) in countByLength.sorted(by: { $0.key < $1.key }) where length > 0 {
            var power: UInt64 = 1
            for _ in 1..<length { power = power &* Self.base }
            var table = Table(length: length, leadingPower: power)
            table.firstByHash.reserveCapacity(count)
            tableIndexByLength[length] = tables.count
            tables.append(table)
        }
        tradeIDs.reserveCapacity(ids.count)
        nextWithSameHash.reserveCapacity(ids.count)
        for id in ids {
            guard let tableIndex = tableIndexByLength[id.rawValue.utf8.count] else { continue }
            let hash = Self.hash(id.rawValue.utf8)
            var existing = tables[tableIndex].firstByHash[hash] ?? -1
            while existing >= 0, !tradeIDs[Int(existing)].rawValue.utf8.elementsEqual(id.rawValue.utf8) {
                existing = nextWithSameHash[Int(existing)]
            }
            guard existing < 0 else { continue }  // already indexed
            let index = Int32(tradeIDs.count)
            tradeIDs.append(id)
            nextWithSameHash.append(tables[tableIndex].firstByHash[hash] ?? -1)
            tables[tableIndex].firstByHash[hash] = index
        }
    }

    private static func hash(_ bytes: some Sequence<UInt8>) -> UInt64 {
        var hash: UInt64 = 0
        for byte in bytes { hash = hash &* base &+ UInt64(byte) }
        return hash
    }

    /// The distinct trade ids that occur in `clientOrderID`, in index order.
    func tradeIDs(containedIn clientOrderID: ClientOrderID) -> [TradeID] {
        var found: [Int32] = []
        let bytes = Array(clientOrderID.rawValue.utf8)
        for table in tables where table.length <= bytes.count {
            var hash = Self.hash(bytes[0..<table.length])
            var start = 0
            while true {
                var candidate = table.firstByHash[hash] ?? -1
                while candidate >= 0 {
                    let id = tradeIDs[Int(candidate)]
                    if !found.contains(candidate),
                       id.rawValue.utf8.elementsEqual(bytes[start..<(start + table.length)]) {
                        found.append(candidate)
                    }
                    candidate = nextWithSameHash[Int(candidate)]
                }
                let end = start + table.length
                guard end < bytes.count else { break }
                hash = (hash &- UInt64(bytes[start]) &* table.leadingPower) &* Self.base &+ UInt64(bytes[end])
                start += 1
            }
        }
        found.sort()
        return found.map { tradeIDs[Int($0)] }
    }
}
