import Synchronization

/// The running sums of one lifecycle: everything adding an order reads or writes, and nothing
/// else (the key's text and the first ENTRY's order id live in the builder's cold arrays).
///
/// The layout keeps what matching an order reads (the trade id's bytes, the profile and symbol
/// numbers) and the quantity sums in the first 128 bytes; the weighted price sums, which only
/// priced ENTRY orders touch, come last.
struct LifecycleRecord {
    /// The trade id's bytes kept inline, so that matching an order does not read the key's text.
    let trade: InlineText
    /// The profile's number in the upper 32 bits, the symbol's in the lower 32 (see ``InternTable``).
    let group: UInt64
    var lastFilledAt: Int64 = 0
    var entryQuantity: ExactDecimal = .zero
    var exitQuantity: ExactDecimal = .zero
    /// Sum of quantity units of the priced ENTRY orders.
    var pricedQuantityUnits: UInt128 = 0
    var firstEntryAt: Int64 = 0
    var hasLastFilledAt = false
    var hasFirstEntry = false
    var firstEntrySide: PositionSide?
    /// Sum of quantity units times price units of the priced ENTRY orders, as 256 bits. Every
    /// priced quantity is part of entry_qty, which fits in 127 bits, so the sum of quantity
    /// units stays below 2^127 and the sum of products (each price below 2^127) below 2^254:
    /// neither addition can overflow.
    var weightedPriceHigh: UInt128 = 0
    var weightedPriceLow: UInt128 = 0

    init(trade: InlineText, group: UInt64) {
        self.trade = trade
        self.group = group
    }

    /// What adding an order did, for what the record does not hold itself.
    enum Outcome {
        /// The sums are updated; the first ENTRY is unchanged.
        case added
        /// The order is the new first ENTRY: the caller records its order id.
        case newFirstEntry
        /// The order is a filled ENTRY at the same time as the first ENTRY: the caller compares
        /// order ids and, if the order's sorts first, makes it the first ENTRY.
        case tiedFirstEntry
        /// entry_qty would leave the range of ``ExactDecimal``; nothing was changed.
        case entryOverflow
        /// exit_qty would leave the range of ``ExactDecimal``; nothing was changed.
        case exitOverflow
    }

    /// Adds a counted order (filled or partially filled) of this lifecycle.
    @inline(__always)
    mutating func add(_ order: UnsafePointer<Order>) -> Outcome {
        guard let action = order.pointee.action else {
            noteFill(order)
            return .added
        }
        let quantity = order.pointee.quantity ?? order.pointee.legacyQuantity ?? .zero
        switch action {
        case .exit:
            let (sum, overflow) = exitQuantity.addingReportingOverflow(quantity)
            if overflow { return .exitOverflow }
            exitQuantity = sum
            noteFill(order)
            return .added
        case .entry:
            guard quantity.isPositive else {
                noteFill(order)
                return .added
            }
            let (sum, overflow) = entryQuantity.addingReportingOverflow(quantity)
            if overflow { return .entryOverflow }
            entryQuantity = sum
            noteFill(order)
            if let price = order.pointee.price, price.isPositive {
                let quantityUnits = quantity.units.magnitude
                pricedQuantityUnits &+= quantityUnits
                let product = quantityUnits.multipliedFullWidth(by: price.units.magnitude)
                let (low, carry) = weightedPriceLow.addingReportingOverflow(product.low)
                weightedPriceLow = low
                weightedPriceHigh &+= product.high &+ (carry ? 1 : 0)
            }
            let at = (order.pointee.filledAt ?? order.pointee.createdAt).microsecondsSinceEpoch
            if hasFirstEntry {
                if at > firstEntryAt { return .added }
                if at == firstEntryAt { return .tiedFirstEntry }
            }
            hasFirstEntry = true
            firstEntryAt = at
            firstEntrySide = order.pointee.side
            return .newFirstEntry
        }
    }

    @inline(__always)
    private mutating func noteFill(_ order: UnsafePointer<Order>) {
        if let filledAt = order.pointee.filledAt?.microsecondsSinceEpoch, !hasLastFilledAt || lastFilledAt < filledAt {
            lastFilledAt = filledAt
            hasLastFilledAt = true
        }
    }

    /// The summary of the lifecycle with this key and first ENTRY.
    func summary(key: consuming LifecycleKey, firstEntryOrderID: consuming OrderID?) throws(LifecycleError) -> LifecycleSummary {
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
            firstEntryAt: hasFirstEntry ? Timestamp(microsecondsSinceEpoch: firstEntryAt) : nil,
            averageEntryPrice: average,
            lastFilledAt: hasLastFilledAt ? Timestamp(microsecondsSinceEpoch: lastFilledAt) : nil)
    }
}

/// The distinct texts of one key column (profile ids or symbols), each numbered in order of
/// first appearance, matched by their bytes. They are few, so the table stays in cache.
struct InternTable {
    /// The texts by number: the first order's copy of each.
    private(set) var texts: [String] = []
    private var inline: [InlineText] = []
    /// Text numbers by hash.
    private var index = SlotIndex()

    /// The number of the text with these bytes, numbering it if it is new.
    ///
    /// - Parameters:
    ///   - text: The text.
    ///   - bytes: Its bytes, as ``KeyHash/mix(_:into:)`` returned them.
    ///   - hash: The hash of its bytes.
    @inline(__always)
    mutating func number(of text: String, bytes: InlineText, hash: UInt64) -> UInt32 {
        // Byte equality, as PostgreSQL groups text (not Swift's canonical equivalence).
        let found = index.find(hash) { number in
            bytes.isComplete ? inline[number] == bytes : !inline[number].isComplete && UTF8Order.equal(texts[number], text)
        }
        if let found { return UInt32(truncatingIfNeeded: found) }
        texts.append(text)
        inline.append(bytes)
        return UInt32(truncatingIfNeeded: index.append(hash))
    }

    /// The rank of each text number in byte order of the texts.
    func ranks() -> [UInt32] {
        let order = texts.indices.sorted { UTF8Order.precedes(texts[$0], texts[$1]) }
        var rank = [UInt32](repeating: 0, count: texts.count)
        for (position, number) in order.enumerated() { rank[number] = UInt32(truncatingIfNeeded: position) }
        return rank
    }
}

/// The one pass of ``LifecycleAnalysis``: an open-addressing hash table from
/// `(profile_id, symbol, trade_id)` to the lifecycle's record, read straight from the orders'
/// storage so that no order or key is copied per row.
///
/// The work is memory-bound: per order, the texts of its profile and trade ids, a slot of the
/// table and the lifecycle's record are read at addresses that are unrelated from one order to
/// the next. Orders are therefore taken in batches, in stages: the texts of every order of the
/// batch are read first, then the keys are hashed and their slots read, then the records those
/// slots point to, and only then is each order added, in input order. Each stage issues the
/// reads of many orders before it waits for any of them, so the processor fetches them in
/// parallel instead of one after the other. The result is the one a plain loop gives.
struct LifecycleAnalysisBuilder {
    /// The orders of a batch.
    static let batchSize = 32

    private var records: [LifecycleRecord] = []
    /// Per record: the key (cold: read when a lifecycle is created, on a long trade id, and at the end).
    private var keys: [LifecycleKey?] = []
    /// Per record: the order id of the first ENTRY (cold: written when the first ENTRY changes).
    private var firstEntryOrderIDs: [OrderID?] = []
    /// Record indexes by key hash.
    private var index = SlotIndex(bucketCount: 1024)
    private var missingTradeID: [LifecycleAnomaly] = []
    /// The profile ids and symbols of the keys, one copy of each (by bytes), numbered.
    private var profiles = InternTable()
    /// The profile ids by number (the texts of ``profiles``).
    private var profileIDs: [ProfileID] = []
    private var symbols = InternTable()
    /// A per-analysis random seed, so that crafted ids cannot make the table degrade.
    private let seed: UInt64
    /// What the prefetching reads load, kept so that they are not optimised away.
    private var touched: UInt64 = 0
    /// Where each analysis leaves ``touched``: a store the optimiser cannot drop, so that it
    /// cannot drop the reads either. Its value means nothing.
    private static let touchedSink = Atomic<UInt64>(0)

    /// Masks every key hash; all ones except in tests, which make every key collide to check
    /// that keys are told apart by their bytes alone.
    private let hashMask: UInt64

    /// One order of a batch: its key's hash, profile and symbol numbers and trade id bytes;
    /// `group == .max` for an order that forms no lifecycle.
    struct Pending {
        var hash: UInt64
        var group: UInt64
        var trade: InlineText
    }

    init(hashMask: UInt64 = .max) {
        var generator = SystemRandomNumberGenerator()
        seed = generator.next()
        self.hashMask = hashMask
    }

    /// Adds orders; arrays and other contiguous collections are read in place, without copying
    /// each order.
    mutating func add<Orders: Sequence>(orders: Orders) throws(LifecycleError) where Orders.Element == Order {
        let failure = orders.withContiguousStorageIfAvailable { buffer -> LifecycleError? in
            do throws(LifecycleError) {
                try add(contentsOf: buffer)
                return nil
            } catch {
                return error
            }
        }
        switch failure {
        case .some(.some(let error)):
            throw error
        case .some(.none):
            break
        case .none:
            for order in orders {
                try add(order)
            }
        }
    }

    mutating func add(contentsOf orders: UnsafeBufferPointer<Order>) throws(LifecycleError) {
        guard let base = orders.baseAddress else { return }
        // Room for a lifecycle per two orders up front (address space only until used), so
        // that large inputs rarely move the records while growing.
        let expected = orders.count / 2
        records.reserveCapacity(records.count + expected)
        keys.reserveCapacity(keys.count + expected)
        firstEntryOrderIDs.reserveCapacity(firstEntryOrderIDs.count + expected)
        index.reserveCapacity(adding: expected)
        let failure = withUnsafeTemporaryAllocation(of: Pending.self, capacity: Self.batchSize) { pending -> LifecycleError? in
            var start = 0
            while start < orders.count {
                let count = Swift.min(Self.batchSize, orders.count - start)
                do throws(LifecycleError) {
                    try add(batch: base + start, count: count, pending: pending)
                } catch {
                    return error
                }
                start += count
            }
            return nil
        }
        if let failure { throw failure }
    }

    mutating func add(_ order: Order) throws(LifecycleError) {
        var copy = order
        let failure = withUnsafeMutablePointer(to: &copy) { pointer -> LifecycleError? in
            withUnsafeTemporaryAllocation(of: Pending.self, capacity: 1) { pending -> LifecycleError? in
                do throws(LifecycleError) {
                    try add(batch: UnsafePointer(pointer), count: 1, pending: pending)
                    return nil
                } catch {
                    return error
                }
            }
        }
        if let failure { throw failure }
    }

    /// Adds `count` orders from `base`, in order (see the type's comment for the stages).
    private mutating func add(batch base: UnsafePointer<Order>, count: Int,
                              pending: UnsafeMutableBufferPointer<Pending>) throws(LifecycleError) {
        var touched = self.touched
        // Stage 1: the texts of the profile and trade ids (the symbols are short enough to be
        // held in the order itself, as in the benchmarks, or are few and shared).
        for index in 0..<count {
            let order = base + index
            guard order.pointee.status.countsTowardLifecycle, let tradeID = order.pointee.tradeID else { continue }
            touched &+= Self.touch(tradeID.rawValue) &+ Self.touch(order.pointee.profileID.rawValue)
        }
        // Stage 2: the keys and their hashes.
        for index in 0..<count {
            let order = base + index
            guard order.pointee.status.countsTowardLifecycle, order.pointee.tradeID != nil else {
                pending[index].group = .max
                continue
            }
            var profileState = seed
            let profileBytes = Self.mix(order, .profile, into: &profileState)
            let profile = profiles.number(of: order.pointee.profileID.rawValue, bytes: profileBytes,
                                          hash: KeyHash.finalize(profileState) & hashMask)
            if Int(truncatingIfNeeded: profile) == profileIDs.count { profileIDs.append(order.pointee.profileID) }
            var symbolState = seed
            let symbolBytes = Self.mix(order, .symbol, into: &symbolState)
            let symbol = symbols.number(of: order.pointee.symbol, bytes: symbolBytes,
                                        hash: KeyHash.finalize(symbolState) & hashMask)
            let group = UInt64(profile) << 32 | UInt64(symbol)
            var state = seed ^ (group &* 0x9E37_79B9_7F4A_7C15)
            let trade = Self.mix(order, .trade, into: &state)
            pending[index] = Pending(hash: KeyHash.finalize(state) & hashMask, group: group, trade: trade)
        }
        // Stage 3: the slot each key hash lands on, then the record it points to (its first two
        // cache lines), each for the whole batch before any is used.
        records.withUnsafeBufferPointer { records in
            for position in 0..<count where pending[position].group != .max {
                touched &+= index.firstBucket(pending[position].hash)
            }
            for position in 0..<count where pending[position].group != .max {
                guard let record = SlotIndex.slot(in: index.firstBucket(pending[position].hash)) else { continue }
                touched &+= records[record].group &+ UInt64(truncatingIfNeeded: records[record].exitQuantity.units)
            }
        }
        self.touched = touched
        // Stage 4: each order, in input order.
        for index in 0..<count {
            let order = base + index
            if pending[index].group == .max {
                guard order.pointee.status.countsTowardLifecycle, order.pointee.tradeID == nil,
                      let action = order.pointee.action else { continue }
                missingTradeID.append(.missingTradeID(orderID: order.pointee.orderID, profileID: order.pointee.profileID,
                                                      symbol: order.pointee.symbol, action: action))
                continue
            }
            try add(order, pending: pending[index])
        }
    }

    /// A text of the key.
    enum KeyField {
        case profile, symbol, trade
    }

    /// ``KeyHash/mix(_:into:)`` of one of an order's key texts, read in place through the
    /// order's pointer (passing the text itself would retain and release its storage).
    @inline(__always)
    private static func mix(_ order: UnsafePointer<Order>, _ field: KeyField, into state: inout UInt64) -> InlineText {
        var mixed = state
        let inline: InlineText?
        switch field {
        case .profile:
            inline = order.pointee.profileID.rawValue.utf8.withContiguousStorageIfAvailable { bytes -> InlineText in
                KeyHash.mix(UnsafeRawBufferPointer(bytes), into: &mixed)
                return InlineText(UnsafeRawBufferPointer(bytes))
            }
        case .symbol:
            inline = order.pointee.symbol.utf8.withContiguousStorageIfAvailable { bytes -> InlineText in
                KeyHash.mix(UnsafeRawBufferPointer(bytes), into: &mixed)
                return InlineText(UnsafeRawBufferPointer(bytes))
            }
        case .trade:
            inline = order.pointee.tradeID?.rawValue.utf8.withContiguousStorageIfAvailable { bytes -> InlineText in
                KeyHash.mix(UnsafeRawBufferPointer(bytes), into: &mixed)
                return InlineText(UnsafeRawBufferPointer(bytes))
            }
        }
        if let inline {
            state = mixed
            return inline
        }
        return mixNonContiguous(order, field, into: &state)
    }

    /// ``mix(_:_:into:)`` for text without contiguous UTF-8 storage (bridged strings).
    @inline(never)
    private static func mixNonContiguous(_ order: UnsafePointer<Order>, _ field: KeyField, into state: inout UInt64) -> InlineText {
        switch field {
        case .profile: return KeyHash.mix(order.pointee.profileID.rawValue, into: &state)
        case .symbol: return KeyHash.mix(order.pointee.symbol, into: &state)
        case .trade: return KeyHash.mix(order.pointee.tradeID?.rawValue ?? "", into: &state)
        }
    }

    /// Reads the first and the last byte of `text`'s storage, so that the cache holds them.
    @inline(__always)
    private static func touch(_ text: String) -> UInt64 {
        text.utf8.withContiguousStorageIfAvailable { bytes -> UInt64 in
            guard let first = bytes.first, let last = bytes.last else { return 0 }
            return UInt64(first) &+ UInt64(last)
        } ?? 0
    }

    /// Adds a counted order with a trade id to its lifecycle, creating the lifecycle if new.
    @inline(__always)
    private mutating func add(_ order: UnsafePointer<Order>, pending: Pending) throws(LifecycleError) {
        // Byte equality, as PostgreSQL groups text (not Swift's canonical equivalence).
        let found = index.find(pending.hash) { record in
            records[record].group == pending.group
                && (pending.trade.isComplete
                    ? records[record].trade == pending.trade
                    : !records[record].trade.isComplete
                        && UTF8Order.equal(keys[record]?.tradeID.rawValue ?? "", order.pointee.tradeID?.rawValue ?? ""))
        }
        if let found {
            try add(order, toRecord: found)
            return
        }
        // A pending order with a key has a trade id.
        guard let tradeID = order.pointee.tradeID else { return }
        guard records.count < Int(UInt32.max) - 1 else {
            throw LifecycleError(.overflow, orderID: order.pointee.orderID, detail: "more than \(UInt32.max - 1) lifecycles in one analysis")
        }
        // Keys share one copy of each profile id and symbol.
        let profileID = profileIDs[Int(truncatingIfNeeded: pending.group >> 32)]
        let symbol = symbols.texts[Int(truncatingIfNeeded: pending.group & 0xFFFF_FFFF)]
        records.append(LifecycleRecord(trade: pending.trade, group: pending.group))
        keys.append(LifecycleKey(profileID: profileID, symbol: symbol, tradeID: tradeID))
        firstEntryOrderIDs.append(nil)
        index.append(pending.hash)
        try add(order, toRecord: records.count - 1)
    }

    @inline(__always)
    private mutating func add(_ order: UnsafePointer<Order>, toRecord index: Int) throws(LifecycleError) {
        switch records[index].add(order) {
        case .added:
            break
        case .newFirstEntry:
            firstEntryOrderIDs[index] = order.pointee.orderID
        case .tiedFirstEntry:
            if let first = firstEntryOrderIDs[index], UTF8Order.precedes(order.pointee.orderID.rawValue, first.rawValue) {
                firstEntryOrderIDs[index] = order.pointee.orderID
                records[index].firstEntrySide = order.pointee.side
            }
        case .entryOverflow:
            throw overflowError(order, index: index, sum: "entry_qty", value: records[index].entryQuantity)
        case .exitOverflow:
            throw overflowError(order, index: index, sum: "exit_qty", value: records[index].exitQuantity)
        }
    }

    private func overflowError(_ order: UnsafePointer<Order>, index: Int, sum: String, value: ExactDecimal) -> LifecycleError {
        LifecycleError(.overflow, orderID: order.pointee.orderID,
                       detail: "lifecycle \(keys[index].map(\.description) ?? ""): \(sum) \(value) + quantity \(order.pointee.lifecycleQuantity) is out of range")
    }

    /// A record's place in key order: ranked profile and symbol, then the trade id's prefix.
    private struct SortKey {
        var group: UInt64
        var tradePrefix: (UInt64, UInt64)
        var index: Int
    }

    /// Record indices in key order (profile, symbol, trade id; UTF-8 bytes).
    ///
    /// Profiles and symbols are few and numbered, so they are ranked once; trade ids are
    /// compared by their first 16 bytes packed into integers, and in full only on a tie.
    ///
    /// - Parameter indices: The records to sort (each at most once).
    private func sortedIndices(of indices: some Collection<Int>) -> [Int] {
        let profileRanks = profiles.ranks()
        let symbolRanks = symbols.ranks()
        var sortKeys: [SortKey] = []
        sortKeys.reserveCapacity(indices.count)
        for index in indices {
            let group = records[index].group
            let rankedGroup = UInt64(profileRanks[Int(truncatingIfNeeded: group >> 32)]) << 32
                | UInt64(symbolRanks[Int(truncatingIfNeeded: group & 0xFFFF_FFFF)])
            sortKeys.append(SortKey(group: rankedGroup, tradePrefix: tradePrefix(index), index: index))
        }
        sortKeys.sort { lhs, rhs in
            if lhs.group != rhs.group { return lhs.group < rhs.group }
            if lhs.tradePrefix.0 != rhs.tradePrefix.0 { return lhs.tradePrefix.0 < rhs.tradePrefix.0 }
            if lhs.tradePrefix.1 != rhs.tradePrefix.1 { return lhs.tradePrefix.1 < rhs.tradePrefix.1 }
            return UTF8Order.precedes(keys[lhs.index]?.tradeID.rawValue ?? "", keys[rhs.index]?.tradeID.rawValue ?? "")
        }
        return sortKeys.map(\.index)
    }

    /// The first 16 bytes of a record's trade id, as ``UTF8Order/prefix(_:)`` packs them.
    @inline(__always)
    private func tradePrefix(_ index: Int) -> (UInt64, UInt64) {
        #if _endian(little)
        let trade = records[index].trade
        // Inline words hold the bytes in memory order, zero-padded: byte-swapped they are the
        // big-endian packing of the prefix.
        if trade.isComplete { return (trade.word0.byteSwapped, trade.word1.byteSwapped) }
        #endif
        return UTF8Order.prefix(keys[index]?.tradeID.rawValue ?? "")
    }

    /// The summary of the lifecycle at `order[position]`, its key and first ENTRY moved out of
    /// the side arrays rather than copied (no retain and release of their texts); `nil` when
    /// they were taken already.
    ///
    /// Key order is unrelated to the order of the records, so each step first reads the record,
    /// key and first ENTRY a few lifecycles ahead in `order`: they are then fetched in parallel.
    @inline(__always)
    private mutating func takeSummary(at position: Int, of order: [Int],
                                      touched: inout UInt64) throws(LifecycleError) -> LifecycleSummary? {
        let lookahead = 8
        if position + lookahead < order.count {
            let ahead = order[position + lookahead]
            touched &+= records.withUnsafeBufferPointer { records in
                records[ahead].group &+ UInt64(truncatingIfNeeded: records[ahead].exitQuantity.units)
                    &+ UInt64(truncatingIfNeeded: records[ahead].weightedPriceLow)
            }
            // A byte of each, read as raw memory (reading the values would retain their texts).
            touched &+= keys.withUnsafeBufferPointer { keys in
                UInt64(UnsafeRawPointer(keys.baseAddress! + ahead).load(as: UInt8.self))
            }
            touched &+= firstEntryOrderIDs.withUnsafeBufferPointer { ids in
                UInt64(UnsafeRawPointer(ids.baseAddress! + ahead).load(as: UInt8.self))
            }
        }
        let index = order[position]
        var key: LifecycleKey?
        var firstEntryOrderID: OrderID?
        swap(&key, &keys[index])
        swap(&firstEntryOrderID, &firstEntryOrderIDs[index])
        guard let key else { return nil }
        return try records[index].summary(key: key, firstEntryOrderID: firstEntryOrderID)
    }

    consuming func finish(references: [TradeReference]) throws(LifecycleError) -> (summaries: [LifecycleSummary], anomalies: [LifecycleAnomaly]) {
        var summaries: [LifecycleSummary] = []
        summaries.reserveCapacity(records.count)
        var anomalies: [LifecycleAnomaly] = []
        let order = sortedIndices(of: records.indices)
        var touched = self.touched
        for position in order.indices {
            guard let summary = try takeSummary(at: position, of: order, touched: &touched) else { continue }
            let entry = summary.entryQuantity
            let exit = summary.exitQuantity
            if entry.isPositive {
                if exit > entry {
                    anomalies.append(.overclosed(summary.key, entryQuantity: entry, exitQuantity: exit))
                }
            } else if exit.isPositive {
                anomalies.append(.orphanExit(summary.key, exitQuantity: exit))
            }
            summaries.append(summary)
        }
        Self.touchedSink.store(touched, ordering: .relaxed)
        records = []
        keys = []
        firstEntryOrderIDs = []

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

extension LifecycleAnalysisBuilder {
    /// The open lifecycles of one profile and the keys of its closed lifecycles: what
    /// ``finish(references:)`` gives for them, without building, sorting or looking for
    /// anomalies in the closed lifecycles (see
    /// ``LifecycleAnalysis/openLifecycles(orders:profileID:hashMask:)``).
    ///
    /// `finish` throws when the average entry price of any lifecycle, open or closed, is out
    /// of range. Its first check is made here on every record, and when one fails `finish`
    /// itself runs, so that the error is the one it gives. Its other failures (rounding the
    /// quotient) cannot happen once that check passes, the average being at most the largest
    /// price; they are still reported for the open lifecycles, whose summaries are built.
    ///
    /// - Parameter profileID: The profile, matched by its bytes.
    consuming func finishOpenLifecycles(profileID: ProfileID) throws(LifecycleError) -> ProfileOpenLifecycles {
        let profile = profiles.texts.firstIndex { UTF8Order.equal($0, profileID.rawValue) }.map { UInt64($0) }
        var open: [Int] = []
        var averagesInRange = true
        records.withUnsafeBufferPointer { records in
            for index in records.indices {
                // The guard of `LifecycleRecord.summary`.
                if records[index].pricedQuantityUnits > 0 && records[index].weightedPriceHigh >= records[index].pricedQuantityUnits {
                    averagesInRange = false
                }
                // open_qty = entry_qty - exit_qty > 0.
                if records[index].group >> 32 == profile, records[index].entryQuantity > records[index].exitQuantity {
                    open.append(index)
                }
            }
        }
        guard averagesInRange else {
            _ = try finish(references: [])
            // Not reached: `finish` throws for the record that failed the check.
            throw LifecycleError(.overflow, orderID: nil, detail: "the average entry price of a lifecycle is out of range")
        }

        var summaries: [LifecycleSummary] = []
        summaries.reserveCapacity(open.count)
        let order = sortedIndices(of: open)
        var touched = self.touched
        for position in order.indices {
            guard let summary = try takeSummary(at: position, of: order, touched: &touched) else { continue }
            summaries.append(summary)
        }
        Self.touchedSink.store(touched, ordering: .relaxed)
        // The keys left are those of the lifecycles that are not open, moved out (not copied:
        // no retain of their texts); other profiles' keys (byte-different ids) are left out.
        var closedKeys: [LifecycleKey] = []
        if profile != nil {
            closedKeys.reserveCapacity(records.count - summaries.count)
            let onlyProfile = profiles.texts.count == 1
            for index in keys.indices where onlyProfile || records[index].group >> 32 == profile {
                if let key = keys[index].take() { closedKeys.append(key) }
            }
        }
        return ProfileOpenLifecycles(summaries: summaries, closedKeys: closedKeys)
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
