/// The running sums of one lifecycle.
struct LifecycleAccumulator {
    let key: LifecycleKey
    /// The trade id's bytes kept inline, so that matching an order does not read the key's text.
    let tradeBytes: InlineText
    var entryQuantity: ExactDecimal = .zero
    var exitQuantity: ExactDecimal = .zero
    var firstEntryOrderID: OrderID?
    var firstEntryAt = Timestamp(microsecondsSinceEpoch: 0)
    var firstEntrySide: PositionSide?
    var lastFilledAt: Timestamp?
    /// Sum of quantity units of the priced ENTRY orders.
    var pricedQuantityUnits: UInt128 = 0
    /// Sum of quantity units times price units of the priced ENTRY orders, as 256 bits. Every
    /// priced quantity is part of entry_qty, which fits in 127 bits, so the sum of quantity
    /// units stays below 2^127 and the sum of products (each price below 2^127) below 2^254:
    /// neither addition can overflow.
    var weightedPriceHigh: UInt128 = 0
    var weightedPriceLow: UInt128 = 0

    init(key: LifecycleKey, tradeBytes: InlineText) {
        self.key = key
        self.tradeBytes = tradeBytes
    }

    /// Adds a counted order (filled or partially filled) of this lifecycle.
    mutating func add(_ order: UnsafePointer<Order>) throws(LifecycleError) {
        if let filledAt = order.pointee.filledAt, lastFilledAt.map({ $0 < filledAt }) ?? true {
            lastFilledAt = filledAt
        }
        guard let action = order.pointee.action else { return }
        let quantity = order.pointee.quantity ?? order.pointee.legacyQuantity ?? .zero
        switch action {
        case .exit:
            let (sum, overflow) = exitQuantity.addingReportingOverflow(quantity)
            if overflow { throw overflowError(order.pointee, sum: "exit_qty", value: exitQuantity) }
            exitQuantity = sum
        case .entry:
            guard quantity.isPositive else { return }
            let (sum, overflow) = entryQuantity.addingReportingOverflow(quantity)
            if overflow { throw overflowError(order.pointee, sum: "entry_qty", value: entryQuantity) }
            entryQuantity = sum
            let at = order.pointee.filledAt ?? order.pointee.createdAt
            if let first = firstEntryOrderID {
                if at < firstEntryAt || (at == firstEntryAt && UTF8Order.precedes(order.pointee.orderID.rawValue, first.rawValue)) {
                    firstEntryOrderID = order.pointee.orderID
                    firstEntryAt = at
                    firstEntrySide = order.pointee.side
                }
            } else {
                firstEntryOrderID = order.pointee.orderID
                firstEntryAt = at
                firstEntrySide = order.pointee.side
            }
            if let price = order.pointee.price, price.isPositive {
                let quantityUnits = quantity.units.magnitude
                pricedQuantityUnits &+= quantityUnits
                let product = quantityUnits.multipliedFullWidth(by: price.units.magnitude)
                let (low, carry) = weightedPriceLow.addingReportingOverflow(product.low)
                weightedPriceLow = low
                weightedPriceHigh &+= product.high &+ (carry ? 1 : 0)
            }
        }
    }

    func summary() throws(LifecycleError) -> LifecycleSummary {
        // Both sums are in 0...max, so the difference is in -max...max.
        let open = entryQuantity.subtractingReportingOverflow(exitQuantity).partialValue
        var average: ExactDecimal?
        if pricedQuantityUnits > 0 {
            // sum(q * p) / sum(q) in units is sum(qu * pu) / sum(qu): one rounding, half-even.
            // The quotient is at most the largest price, so it fits.
            guard weightedPriceHigh < pricedQuantityUnits else {
                throw LifecycleError(.overflow, orderID: firstEntryOrderID,
                                     detail: "lifecycle \(key): the average entry price is out of range")
            }
            let (quotient, remainder) = pricedQuantityUnits.dividingFullWidth((weightedPriceHigh, weightedPriceLow))
            guard let rounded = ExactDecimal.round(quotient: quotient, remainder: remainder, divisor: pricedQuantityUnits,
                                                   negative: false, rounding: .halfEven),
                  let value = ExactDecimal.signed(rounded, negative: false) else {
                throw LifecycleError(.overflow, orderID: firstEntryOrderID,
                                     detail: "lifecycle \(key): the average entry price is out of range")
            }
            average = value
        }
        return LifecycleSummary(
            key: key, entryQuantity: entryQuantity, exitQuantity: exitQuantity, openQuantity: open,
            side: firstEntrySide ?? .long, firstEntryOrderID: firstEntryOrderID,
            firstEntryAt: firstEntryOrderID == nil ? nil : firstEntryAt,
            averageEntryPrice: average, lastFilledAt: lastFilledAt)
    }

    private func overflowError(_ order: borrowing Order, sum: String, value: ExactDecimal) -> LifecycleError {
        LifecycleError(.overflow, orderID: order.orderID,
                       detail: "lifecycle \(key): \(sum) \(value) + quantity \(order.lifecycleQuantity) is out of range")
    }
}

/// The one pass of ``LifecycleAnalysis``: an open-addressing hash table from
/// `(profile_id, symbol, trade_id)` to the lifecycle's accumulator, read straight from the
/// orders' storage so that no order or key is copied per row.
struct LifecycleAnalysisBuilder {
    private var accumulators: [LifecycleAccumulator] = []
    /// The key hash of each accumulator, for growing the table.
    private var hashes: [UInt64] = []
    /// Per slot: 0 for an empty slot, else the high 32 bits of the key hash (a tag that spares
    /// most mismatching comparisons) and the accumulator index + 1 in the low 32 bits. The
    /// capacity is a power of two and at least twice the number of accumulators.
    private var slots: [UInt64]
    private var missingTradeID: [LifecycleAnomaly] = []
    /// The profile ids and symbols of the keys, one copy of each (by bytes).
    private var profiles: [UTF8Text: ProfileID] = [:]
    private var symbols: [UTF8Text: String] = [:]
    /// A per-analysis random seed, so that crafted ids cannot make the table degrade.
    private let seed: UInt64

    /// Masks every key hash; all ones except in tests, which make every key collide to check
    /// that keys are told apart by their bytes alone.
    private let hashMask: UInt64

    init(hashMask: UInt64 = .max) {
        var generator = SystemRandomNumberGenerator()
        seed = generator.next()
        slots = Array(repeating: 0, count: 1024)
        self.hashMask = hashMask
    }

    mutating func add(contentsOf orders: UnsafeBufferPointer<Order>) throws(LifecycleError) {
        guard let base = orders.baseAddress else { return }
        // Room for a lifecycle per four orders up front (address space only until used), so
        // that large inputs rarely move the accumulators while growing.
        accumulators.reserveCapacity(accumulators.count + orders.count / 4)
        hashes.reserveCapacity(hashes.count + orders.count / 4)
        for index in 0..<orders.count {
            try add(at: base + index)
        }
    }

    mutating func add(_ order: Order) throws(LifecycleError) {
        var copy = order
        try withUnsafeMutablePointer(to: &copy) { (pointer: UnsafeMutablePointer<Order>) throws(LifecycleError) -> Void in
            try add(at: UnsafePointer(pointer))
        }
    }

    private mutating func add(at order: UnsafePointer<Order>) throws(LifecycleError) {
        guard order.pointee.status.countsTowardLifecycle else { return }
        guard let tradeID = order.pointee.tradeID else {
            if let action = order.pointee.action {
                missingTradeID.append(.missingTradeID(orderID: order.pointee.orderID, profileID: order.pointee.profileID,
                                                      symbol: order.pointee.symbol, action: action))
            }
            return
        }
        var state = seed
        KeyHash.mix(order.pointee.profileID.rawValue, into: &state)
        KeyHash.mix(order.pointee.symbol, into: &state)
        let tradeBytes = KeyHash.mix(tradeID.rawValue, into: &state)
        let hash = KeyHash.finalize(state) & hashMask
        let tag = hash & 0xFFFF_FFFF_0000_0000
        let mask = slots.count - 1
        var slot = Int(truncatingIfNeeded: hash) & mask
        while true {
            let entry = slots[slot]
            if entry == 0 { break }
            if entry & 0xFFFF_FFFF_0000_0000 == tag {
                let index = Int(truncatingIfNeeded: entry & 0xFFFF_FFFF) - 1
                // Byte equality, as PostgreSQL groups text (not Swift's canonical equivalence).
                let sameTrade = tradeBytes.isComplete
                    ? accumulators[index].tradeBytes == tradeBytes
                    : UTF8Order.equal(accumulators[index].key.tradeID.rawValue, tradeID.rawValue)
                if sameTrade,
                   UTF8Order.equal(accumulators[index].key.symbol, order.pointee.symbol),
                   UTF8Order.equal(accumulators[index].key.profileID.rawValue, order.pointee.profileID.rawValue) {
                    try accumulators[index].add(order)
                    return
                }
            }
            slot = (slot + 1) & mask
        }
        // Keys share one copy of each profile id and symbol: they are few, so comparing an order
        // with a key reads text that stays in cache.
        var accumulator = LifecycleAccumulator(key: LifecycleKey(profileID: internedProfile(order.pointee.profileID),
                                                                 symbol: internedSymbol(order.pointee.symbol), tradeID: tradeID),
                                               tradeBytes: tradeBytes)
        try accumulator.add(order)
        guard accumulators.count < Int(UInt32.max) - 1 else {
            throw LifecycleError(.overflow, orderID: order.pointee.orderID, detail: "more than \(UInt32.max - 1) lifecycles in one analysis")
        }
        accumulators.append(accumulator)
        hashes.append(hash)
        slots[slot] = tag | UInt64(accumulators.count)
        if accumulators.count * 2 > slots.count { grow() }
    }

    private mutating func internedProfile(_ profileID: ProfileID) -> ProfileID {
        if let known = profiles[UTF8Text(text: profileID.rawValue)] { return known }
        profiles[UTF8Text(text: profileID.rawValue)] = profileID
        return profileID
    }

    private mutating func internedSymbol(_ symbol: String) -> String {
        if let known = symbols[UTF8Text(text: symbol)] { return known }
        symbols[UTF8Text(text: symbol)] = symbol
        return symbol
    }

    private mutating func grow() {
        let capacity = slots.count * 2
        var grown = [UInt64](repeating: 0, count: capacity)
        let mask = capacity - 1
        for (index, hash) in hashes.enumerated() {
            var slot = Int(truncatingIfNeeded: hash) & mask
            while grown[slot] != 0 { slot = (slot + 1) & mask }
            grown[slot] = (hash & 0xFFFF_FFFF_0000_0000) | UInt64(index + 1)
        }
        slots = grown
    }

    /// The accumulators' indices in key order (profile, symbol, trade id; UTF-8 bytes).
    ///
    /// Profiles and symbols are few and shared, so they are ranked once; trade ids are
    /// compared by their first 16 bytes packed into integers, and in full only on a tie.
    private func sortedIndices() -> [Int] {
        func ranks(_ text: (Int) -> String) -> [Int] {
            var rankOf: [UTF8Text: Int] = [:]
            var names: [String] = []
            var ids = [Int](repeating: 0, count: accumulators.count)
            for index in accumulators.indices {
                let name = text(index)
                if let id = rankOf[UTF8Text(text: name)] {
                    ids[index] = id
                } else {
                    rankOf[UTF8Text(text: name)] = names.count
                    ids[index] = names.count
                    names.append(name)
                }
            }
            let order = names.indices.sorted { UTF8Order.precedes(names[$0], names[$1]) }
            var rank = [Int](repeating: 0, count: names.count)
            for (position, id) in order.enumerated() { rank[id] = position }
            return ids.map { rank[$0] }
        }
        let profileRanks = ranks { accumulators[$0].key.profileID.rawValue }
        let symbolRanks = ranks { accumulators[$0].key.symbol }
        struct SortKey {
            var group: UInt64
            var tradePrefix: (UInt64, UInt64)
            var index: Int
        }
        var keys: [SortKey] = []
        keys.reserveCapacity(accumulators.count)
        for index in accumulators.indices {
            keys.append(SortKey(group: UInt64(profileRanks[index]) << 32 | UInt64(symbolRanks[index]),
                                tradePrefix: UTF8Order.prefix(accumulators[index].key.tradeID.rawValue), index: index))
        }
        keys.sort { lhs, rhs in
            if lhs.group != rhs.group { return lhs.group < rhs.group }
            if lhs.tradePrefix.0 != rhs.tradePrefix.0 { return lhs.tradePrefix.0 < rhs.tradePrefix.0 }
            if lhs.tradePrefix.1 != rhs.tradePrefix.1 { return lhs.tradePrefix.1 < rhs.tradePrefix.1 }
            return UTF8Order.precedes(accumulators[lhs.index].key.tradeID.rawValue, accumulators[rhs.index].key.tradeID.rawValue)
        }
        return keys.map(\.index)
    }

    consuming func finish(references: [TradeReference]) throws(LifecycleError) -> (summaries: [LifecycleSummary], anomalies: [LifecycleAnomaly]) {
        var summaries: [LifecycleSummary] = []
        summaries.reserveCapacity(accumulators.count)
        let order = sortedIndices()
        try accumulators.withUnsafeBufferPointer { (buffer: UnsafeBufferPointer<LifecycleAccumulator>) throws(LifecycleError) -> Void in
            for index in order {
                summaries.append(try buffer[index].summary())
            }
        }
        accumulators = []

        var anomalies: [LifecycleAnomaly] = []
        for index in summaries.indices {
            let entry = summaries[index].entryQuantity
            let exit = summaries[index].exitQuantity
            if entry.isPositive {
                if exit > entry {
                    anomalies.append(.overclosed(summaries[index].key, entryQuantity: entry, exitQuantity: exit))
                }
            } else if exit.isPositive {
                anomalies.append(.orphanExit(summaries[index].key, exitQuantity: exit))
            }
        }

        if !references.isEmpty {
            var tradesWithEntry = Set<TradeInProfile>()
            for index in summaries.indices where summaries[index].entryQuantity.isPositive {
                tradesWithEntry.insert(TradeInProfile(profileID: summaries[index].key.profileID, tradeID: summaries[index].key.tradeID))
            }
            var missingEntry = Set<TradeReference>()
            for reference in references
            where !tradesWithEntry.contains(TradeInProfile(profileID: reference.profileID, tradeID: reference.tradeID)) {
                missingEntry.insert(reference)
            }
            let sortedReferences = missingEntry.sorted { lhs, rhs in
                var order = UTF8Order.compare(lhs.profileID.rawValue, rhs.profileID.rawValue)
                if order != 0 { return order < 0 }
                order = UTF8Order.compare(lhs.tradeID.rawValue, rhs.tradeID.rawValue)
                if order != 0 { return order < 0 }
                switch (lhs.symbol, rhs.symbol) {
                case (nil, .some): return true
                case (.some, nil): return false
                case let (left?, right?):
                    order = UTF8Order.compare(left, right)
                    if order != 0 { return order < 0 }
                case (nil, nil): break
                }
                return lhs.source.rank < rhs.source.rank
            }
            for reference in sortedReferences {
                anomalies.append(.missingEntryOrder(profileID: reference.profileID, symbol: reference.symbol,
                                                    tradeID: reference.tradeID, source: reference.source))
            }
        }

        let sortedMissingTradeID = missingTradeID.sorted { lhs, rhs in
            guard case let .missingTradeID(leftOrder, leftProfile, leftSymbol, leftAction) = lhs,
                  case let .missingTradeID(rightOrder, rightProfile, rightSymbol, rightAction) = rhs else { return false }
            var order = UTF8Order.compare(leftProfile.rawValue, rightProfile.rawValue)
            if order != 0 { return order < 0 }
            order = UTF8Order.compare(leftSymbol, rightSymbol)
            if order != 0 { return order < 0 }
            order = UTF8Order.compare(leftOrder.rawValue, rightOrder.rawValue)
            if order != 0 { return order < 0 }
            return leftAction == .entry && rightAction == .exit
        }
        anomalies.append(contentsOf: sortedMissingTradeID)
        return (summaries, anomalies)
    }
}

/// A fast seeded hash of the UTF-8 bytes of a lifecycle key, 8 bytes at a time. It only spreads
/// keys over the table; equality is always checked on the text.
enum KeyHash {
    /// Mixes the UTF-8 bytes of `text` into `state`.
    ///
    /// - Returns: The bytes inline, when there are at most ``InlineText/capacity`` of them.
    @inline(__always) @discardableResult
    static func mix(_ text: String, into state: inout UInt64) -> InlineText {
        if let inline = text.utf8.withContiguousStorageIfAvailable({ bytes -> InlineText in
            mix(UnsafeRawBufferPointer(bytes), into: &state)
            return InlineText(UnsafeRawBufferPointer(bytes))
        }) {
            return inline
        }
        var contiguous = text
        contiguous.makeContiguousUTF8()
        return contiguous.utf8.withContiguousStorageIfAvailable { bytes -> InlineText in
            mix(UnsafeRawBufferPointer(bytes), into: &state)
            return InlineText(UnsafeRawBufferPointer(bytes))
        } ?? InlineText(UnsafeRawBufferPointer(start: nil, count: 0))
    }

    @inline(__always)
    static func mix(_ bytes: UnsafeRawBufferPointer, into state: inout UInt64) {
        var offset = 0
        let count = bytes.count
        while offset + 8 <= count {
            let word = bytes.loadUnaligned(fromByteOffset: offset, as: UInt64.self)
            state = (state ^ word) &* 0x9E37_79B9_7F4A_7C15
            state ^= state >> 29
            offset += 8
        }
        var tail: UInt64 = 0
        var shift: UInt64 = 0
        while offset < count {
            tail |= UInt64(bytes[offset]) << shift
            shift += 8
            offset += 1
        }
        // The length separates "ab" + "c" from "a" + "bc".
        state = (state ^ tail ^ (UInt64(count) << 56)) &* 0xBF58_476D_1CE4_E5B9
        state ^= state >> 31
    }

    @inline(__always)
    static func finalize(_ value: UInt64) -> UInt64 {
        var z = value
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// Up to 40 bytes of text held inline, zero-padded, with their count; equal exactly when the
/// texts' bytes are equal, provided both are complete (at most 40 bytes).
struct InlineText: Equatable {
    static let capacity = 40

    /// The byte count, or -1 when the text is longer than ``capacity``.
    var count: Int
    var word0: UInt64 = 0, word1: UInt64 = 0, word2: UInt64 = 0, word3: UInt64 = 0, word4: UInt64 = 0

    /// Whether all the text's bytes are held.
    var isComplete: Bool { count >= 0 }

    @inline(__always)
    init(_ bytes: UnsafeRawBufferPointer) {
        guard bytes.count <= Self.capacity else {
            count = -1
            return
        }
        count = bytes.count
        func word(_ index: Int) -> UInt64 {
            let start = index * 8
            if start + 8 <= bytes.count { return bytes.loadUnaligned(fromByteOffset: start, as: UInt64.self) }
            var value: UInt64 = 0
            var offset = start
            while offset < bytes.count {
                value |= UInt64(bytes[offset]) << (8 * UInt64(offset - start))
                offset += 1
            }
            return value
        }
        word0 = word(0)
        word1 = word(1)
        word2 = word(2)
        word3 = word(3)
        word4 = word(4)
    }
}
