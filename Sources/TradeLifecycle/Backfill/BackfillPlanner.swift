/// The EXIT backfill planner (SPEC section 6, `reference/001_*`): a pure function from the
/// database's and the exchange's view of one profile to the rows to audit and insert.
///
/// For each open lifecycle of the profile (``LifecycleAnalysis/openLifecycles(profileID:)``,
/// in (symbol, trade_id) order; the closed lifecycles are not summarised):
///
/// 1. **Gates**, the first failing one wins and gives one `NO_GO` row with `filled_qty` nil:
///    `profile_not_paused` (pause required and the profile is not paused or unknown),
///    `exchange_not_flat` (an exchange position of the symbol has `|qty| > dust_abs_qty`; no
///    position is flat), `pending_lifecycle_blocker` (an order of the profile with that trade
///    id is pending or open).
/// 2. **Evidence**: exchange fills of the profile and symbol on the closing side (sell closes a
///    long, buy closes a short) with `filled_at` in `[now - lookback, now]` (both ends
///    inside) whose exchange order id is not on a filled or partially filled EXIT order of the
///    profile. Fills are taken in the order (`filled_at`, exchange order id, quantity, price,
///    client order id), which is total, so the plan does not depend on the input's order.
///    - *Tagged* fills first: a fill whose client order id equals the client order id of EXIT
///      orders of exactly one trade of the profile, or else contains exactly one trade id of
///      the profile (a trade id contained in another contained trade id, like `TRD-a1` in
///      `TRD-a10`, does not count), goes to that trade's lifecycle of the fill's symbol, up to
///      its remaining open quantity, when the fill is on that lifecycle's closing side.
///      **What the tagged trade cannot take is not used**: not by FIFO, not by any other
///      trade. A tagged fill is the exchange's record of that trade's exit; crediting its
///      excess to another trade would book a price and quantity that trade never traded. An
///      *ambiguous* fill (its client order id equals EXIT orders of several trades, or
///      contains several unrelated trade ids) is not used at all for the same reason.
///    - *Untagged* fills are shared out FIFO per (symbol, closing side): lifecycles by first
///      ENTRY time then trade id; each fill goes to the earliest lifecycle that still has
///      open quantity and whose first ENTRY is not later than the fill, and may be split
///      across lifecycles. What no lifecycle can take is not used.
///    - Gated lifecycles take their share like the others but produce no candidate rows.
/// 3. One `fill_evidence` row per evidence portion. Two portions of one trade with the same
///    `BFILL-` id (two fills with the same exchange order id in the same millisecond, as an
///    order sweeping several price levels reports) are **merged** into one row: the sum of the
///    quantities, the latest `filled_at`, and the quantity-weighted average price (the common
///    price when they agree; otherwise `Σ(qty × price) / Σ qty`, each product and the quotient
///    rounded half-even to 18 fractional digits). Their client order ids must agree, or the
///    plan fails with ``BackfillError/Code/conflictingFillEvidence``.
/// 4. `remainder = open_qty - covered`: a `dust_remainder` row (exchange order id `DUST`)
///    when `0 < remainder <= threshold`, a `NO_GO` row with reason
///    `missing_fill_evidence_for_large_remainder` and `filled_qty = remainder` above it. The
///    dust row's `filled_at` is the latest `filled_at` of the trade's filled or partially
///    filled orders and evidence rows (the first ENTRY's `filled_at ?? created_at` when none
///    has one); its price is the latest evidence row's price, else the average entry price.
///
/// Cost: one pass over the orders and the fills, sorts of the fills and lifecycles, hash
/// lookups; no step compares every fill with every lifecycle.
public enum BackfillPlanner {
    /// Plans the EXIT backfill of one profile.
    ///
    /// - Parameters:
    ///   - profileID: The profile.
    ///   - orders: The profile's orders (orders of other profiles are ignored).
    ///   - profile: The profile's pause state; `nil` when unknown (not paused).
    ///   - exchange: The exchange's positions and fills (other profiles' are ignored).
    ///   - configuration: The backfill settings; when disabled the plan has no rows.
    ///   - now: The planning time, the end of the evidence window.
    /// - Returns: The plan, rows in the order of SPEC section 9.
    /// - Throws: ``BackfillError`` with code ``BackfillError/Code/lifecycleAnalysisFailed``
    ///   (lifecycle sums out of range), ``BackfillError/Code/conflictingFillEvidence`` (merged
    ///   fills disagree on the client order id, or two lifecycles' rows would share a `BFILL-`
    ///   id), ``BackfillError/Code/overflow`` (an average price out of range) or
    ///   ``BackfillError/Code/invalidRow`` (a dust row without any time).
    public static func plan(profileID: ProfileID, orders: [Order], profile: TradingProfile?, exchange: ExchangeSnapshot,
                            configuration: BackfillConfiguration, now: Timestamp) throws(BackfillError) -> BackfillPlan {
        guard configuration.isEnabled else {
            return BackfillPlan(profileID: profileID, plannedAt: now, configuration: configuration,
                                openLifecycleCount: 0, rows: [])
        }
        // The open lifecycles only (closed ones are not summarised), with the same errors as
        // `LifecycleAnalysis(orders:)`, and the keys of the others, for containment tags.
        let analysis: ProfileOpenLifecycles
        do {
            // An array is read in place; a lazy filter would go order by order through the
            // generic path, so other profiles' orders (rare) are dropped into a new array.
            if orders.allSatisfy({ $0.profileID == profileID }) {
                analysis = try LifecycleAnalysis.openLifecycles(orders: orders, profileID: profileID)
            } else {
                analysis = try LifecycleAnalysis.openLifecycles(orders: orders.filter { $0.profileID == profileID }, profileID: profileID)
            }
        } catch {
            throw BackfillError(.lifecycleAnalysisFailed, context: "planning profile \(profileID)", underlying: error)
        }
        let lifecycles = analysis.summaries
        guard !lifecycles.isEmpty else {
            return BackfillPlan(profileID: profileID, plannedAt: now, configuration: configuration,
                                openLifecycleCount: 0, rows: [])
        }
        var planning = BackfillPlanning(profileID: profileID, lifecycles: lifecycles, fills: exchange.fills,
                                        configuration: configuration, now: now)
        planning.selectFills()
        planning.readOrders(orders)
        planning.sortFills()
        planning.evaluateGates(profile: profile, positions: exchange.positions)
        planning.allocateTaggedFills(closedLifecycleKeys: analysis.closedKeys)
        planning.allocateFirstInFirstOut()
        let rows = try planning.rows()
        return BackfillPlan(profileID: profileID, plannedAt: now, configuration: configuration,
                            openLifecycleCount: lifecycles.count, rows: rows)
    }
}

/// The trade a fill is tagged to.
enum BackfillFillTag: Equatable {
    /// Neither the client order id nor any contained trade id names a trade: FIFO.
    case untagged
    /// The fill goes to this trade only.
    case trade(TradeID)
    /// The client order id names several trades: the fill is not used.
    case ambiguous
}

/// The working state of one planning run.
///
/// Built for 10^6 orders and 10^5 lifecycles: one pass over the orders touching only the
/// fields it needs, index arrays instead of copies of fills, one flat list of evidence portions,
/// hash maps keyed only by what the fills mention.
struct BackfillPlanning {
    struct PoolKey: Hashable {
        let symbol: String
        let side: OrderSide
    }

    /// The open lifecycles of one symbol and side, and the untagged fills that close them.
    struct Pool {
        /// Lifecycle indices by (first ENTRY time, trade id).
        var lifecycles: [Int32] = []
        /// Untagged fill indices, in fill order.
        var fills: [Int32] = []
    }

    /// What the client order id of a candidate fill says, as far as known.
    enum ClientOrderIDTag {
        /// No EXIT order has this client order id (so far); containment not yet checked.
        case unresolved
        /// Resolved.
        case resolved(BackfillFillTag)
    }

    let profileID: ProfileID
    let lifecycles: [LifecycleSummary]
    let fills: [ExchangeFill]
    let configuration: BackfillConfiguration
    let now: Timestamp

    // Lifecycles, by index in `lifecycles`.
    private var remaining: [ExactDecimal]
    private var gates: [BackfillReason?]
    /// The lifecycles of each symbol: a range of `lifecycles`, which is sorted by (symbol, trade id).
    private var symbolRanges: [String: Range<Int>] = [:]
    private var pools: [Pool] = []
    private var poolIndex: [PoolKey: Int] = [:]
    /// Trade ids with more than one open lifecycle (in several symbols).
    private var sharedTradeIDs = Set<TradeID>()

    // Fills.
    /// Indices of the fills that can be evidence, in fill order once sorted.
    private var candidates: [Int32] = []
    /// The pool of each fill (by fill index), or -1.
    private var poolOfFill: [Int32]
    /// Exchange order ids of candidate fills (a filter: no false negatives).
    private var candidateExchangeOrderIDs: BackfillTextFilter
    /// Exchange order ids of filled EXIT orders that may be those of candidate fills: every one
    /// that is, and maybe others (which no candidate fill has, so they change nothing).
    private var recordedExchangeOrderIDs = Set<String>()
    /// Client order ids of candidate fills and what they tag.
    private var clientOrderIDTags: [ClientOrderID: ClientOrderIDTag] = [:]
    /// Client order ids of candidate fills (a filter: no false negatives).
    private var candidateClientOrderIDs: BackfillTextFilter

    // Orders.
    private var blockedTradeIDs = Set<TradeID>()
    /// Trade ids of orders the lifecycle analysis does not count (for containment tags).
    private var uncountedTradeIDs = Set<TradeID>()

    // Evidence portions: lifecycle, rank of the fill in fill order, quantity.
    private var portionLifecycles: [Int32] = []
    private var portionRanks: [Int32] = []
    private var portionQuantities: [ExactDecimal] = []

    init(profileID: ProfileID, lifecycles: [LifecycleSummary], fills: [ExchangeFill],
         configuration: BackfillConfiguration, now: Timestamp) {
        self.profileID = profileID
        self.lifecycles = lifecycles
        self.fills = fills
        self.configuration = configuration
        self.now = now
        remaining = lifecycles.map(\.openQuantity)
        gates = Array(repeating: nil, count: lifecycles.count)
        poolOfFill = Array(repeating: -1, count: fills.count)
        candidateExchangeOrderIDs = BackfillTextFilter(capacity: fills.count)
        candidateClientOrderIDs = BackfillTextFilter(capacity: fills.count)

        var start = 0
        var tradeCounts: [TradeID: Int] = [:]
        tradeCounts.reserveCapacity(lifecycles.count)
        while start < lifecycles.count {
            let symbol = lifecycles[start].key.symbol
            var end = start
            var poolOfSide: [OrderSide: Int] = [:]
            while end < lifecycles.count, lifecycles[end].key.symbol == symbol {
                let side = lifecycles[end].side.closingSide
                let pool: Int
                if let existing = poolOfSide[side] {
                    pool = existing
                } else {
                    pool = pools.count
                    poolOfSide[side] = pool
                    poolIndex[PoolKey(symbol: symbol, side: side)] = pool
                    pools.append(Pool())
                }
                pools[pool].lifecycles.append(Int32(end))
                tradeCounts[lifecycles[end].key.tradeID, default: 0] += 1
                end += 1
            }
            symbolRanges[symbol] = start..<end
            start = end
        }
        for (tradeID, count) in tradeCounts where count > 1 { sharedTradeIDs.insert(tradeID) }
        for pool in pools.indices {
            pools[pool].lifecycles.sort { left, right in
                let leftLifecycle = lifecycles[Int(left)]
                let rightLifecycle = lifecycles[Int(right)]
                let leftAt = leftLifecycle.firstEntryAt?.microsecondsSinceEpoch ?? .min
                let rightAt = rightLifecycle.firstEntryAt?.microsecondsSinceEpoch ?? .min
                if leftAt != rightAt { return leftAt < rightAt }
                return leftLifecycle.key.tradeID < rightLifecycle.key.tradeID
            }
        }
    }

    // MARK: Fills and orders

    /// Keeps the fills of the profile, inside the window, on the closing side of some open
    /// lifecycle of their symbol; notes their exchange and client order ids.
    mutating func selectFills() {
        let end = now.microsecondsSinceEpoch
        let (difference, overflow) = end.subtractingReportingOverflow(configuration.lookbackMicroseconds)
        let start = overflow ? Int64.min : difference
        for index in fills.indices {
            let at = fills[index].filledAt.microsecondsSinceEpoch
            guard start <= at, at <= end, fills[index].profileID == profileID,
                  let pool = poolIndex[PoolKey(symbol: fills[index].symbol, side: fills[index].side)] else { continue }
            poolOfFill[index] = Int32(pool)
            candidates.append(Int32(index))
            candidateExchangeOrderIDs.insert(fills[index].exchangeOrderID)
            if let clientOrderID = fills[index].clientOrderID {
                clientOrderIDTags[clientOrderID] = .unresolved
                candidateClientOrderIDs.insert(clientOrderID.rawValue)
            }
        }
    }

    /// One pass over the profile's orders: pending blockers, exchange order ids already on
    /// filled EXIT orders, the trades of EXIT client order ids that candidate fills carry, and
    /// the trade ids the lifecycle analysis does not see.
    mutating func readOrders(_ orders: [Order]) {
        orders.withUnsafeBufferPointer { orders in
            for index in orders.indices where orders[index].profileID == profileID {
                let status = orders[index].status
                let isExit = orders[index].action == .exit
                if isExit, status.countsTowardLifecycle, let exchangeOrderID = orders[index].exchangeOrderID,
                   candidateExchangeOrderIDs.mayContain(exchangeOrderID) {
                    recordedExchangeOrderIDs.insert(exchangeOrderID)
                }
                // Touch the trade id (a separate allocation) only when it is needed.
                if !status.countsTowardLifecycle, let tradeID = orders[index].tradeID {
                    uncountedTradeIDs.insert(tradeID)
                    if status.isPendingBlocker { blockedTradeIDs.insert(tradeID) }
                }
                if isExit, !clientOrderIDTags.isEmpty, let clientOrderID = orders[index].clientOrderID,
                   candidateClientOrderIDs.mayContain(clientOrderID.rawValue),
                   let tag = clientOrderIDTags[clientOrderID], let tradeID = orders[index].tradeID {
                    switch tag {
                    case .unresolved:
                        clientOrderIDTags[clientOrderID] = .resolved(.trade(tradeID))
                    case .resolved(.trade(let existing)) where existing != tradeID:
                        clientOrderIDTags[clientOrderID] = .resolved(.ambiguous)
                    case .resolved:
                        break
                    }
                }
            }
        }
    }

    /// Drops fills already recorded on EXIT orders and puts the rest into fill order.
    mutating func sortFills() {
        if !recordedExchangeOrderIDs.isEmpty {
            candidates.removeAll { recordedExchangeOrderIDs.contains(fills[Int($0)].exchangeOrderID) }
        }
        candidates.sort { Self.fillPrecedes(fills[Int($0)], fills[Int($1)]) }
    }

    /// The fill order: `filled_at`, exchange order id, then quantity, price and client order id
    /// so that the order is total (fills equal in all of these are interchangeable).
    static func fillPrecedes(_ left: ExchangeFill, _ right: ExchangeFill) -> Bool {
        if left.filledAt != right.filledAt { return left.filledAt < right.filledAt }
        if left.exchangeOrderID != right.exchangeOrderID {
            return UTF8Order.precedes(left.exchangeOrderID, right.exchangeOrderID)
        }
        if left.quantity != right.quantity { return left.quantity < right.quantity }
        if left.price != right.price { return left.price < right.price }
        switch (left.clientOrderID, right.clientOrderID) {
        case (nil, .some): return true
        case let (leftID?, rightID?): return leftID < rightID
        default: return false
        }
    }

    // MARK: Gates

    mutating func evaluateGates(profile: TradingProfile?, positions: [ExchangePosition]) {
        let isPaused = profile.map { $0.profileID == profileID && $0.isPaused } ?? false
        var notFlatSymbols = Set<String>()
        for position in positions
        where position.profileID == profileID && position.quantity.magnitude > configuration.dust.absoluteQuantity {
            notFlatSymbols.insert(position.symbol)
        }
        for index in lifecycles.indices {
            if configuration.requiresPause && !isPaused {
                gates[index] = .profileNotPaused
            } else if !notFlatSymbols.isEmpty && notFlatSymbols.contains(lifecycles[index].key.symbol) {
                gates[index] = .exchangeNotFlat
            } else if !blockedTradeIDs.isEmpty && blockedTradeIDs.contains(lifecycles[index].key.tradeID) {
                gates[index] = .pendingLifecycleBlocker
            }
        }
    }

    // MARK: Evidence

    /// Gives tagged fills to their trades and queues untagged fills for FIFO.
    ///
    /// - Parameter closedLifecycleKeys: The keys of the profile's lifecycles that are not open:
    ///   their trade ids, with those of ``lifecycles`` and ``uncountedTradeIDs``, are every
    ///   trade id of its orders, for containment tags.
    mutating func allocateTaggedFills(closedLifecycleKeys: [LifecycleKey]) {
        // Client order ids that no EXIT order names are tagged by the trade ids they contain.
        var unresolved: [ClientOrderID] = []
        for (clientOrderID, tag) in clientOrderIDTags {
            if case .unresolved = tag { unresolved.append(clientOrderID) }
        }
        if !unresolved.isEmpty {
            let containment = TradeIDContainmentIndex(
                clientOrderIDs: unresolved, tradeIDs: BackfillKnownTradeIDs(
                    openLifecycles: lifecycles, closedLifecycleKeys: closedLifecycleKeys, uncounted: uncountedTradeIDs))
            for (index, clientOrderID) in unresolved.enumerated() {
                clientOrderIDTags[clientOrderID] = .resolved(Self.containmentTag(containment.tradeIDs(containedInClientOrderIDAt: index)))
            }
        }
        let fills = self.fills
        fills.withUnsafeBufferPointer { fills in
            for rank in candidates.indices {
                let fillIndex = Int(candidates[rank])
                var tag = BackfillFillTag.untagged
                if let clientOrderID = fills[fillIndex].clientOrderID, case .resolved(let resolved)? = clientOrderIDTags[clientOrderID] {
                    tag = resolved
                }
                switch tag {
                case .untagged:
                    pools[Int(poolOfFill[fillIndex])].fills.append(Int32(rank))
                case .ambiguous:
                    continue
                case .trade(let tradeID):
                    guard let index = lifecycleIndex(symbol: fills[fillIndex].symbol, tradeID: tradeID),
                          lifecycles[index].side.closingSide == fills[fillIndex].side else { continue }
                    _ = take(fills[fillIndex].quantity, rank: rank, lifecycle: index)
                }
            }
        }
    }

    /// The open lifecycle of a symbol and trade id: a binary search within the symbol's range.
    private func lifecycleIndex(symbol: String, tradeID: TradeID) -> Int? {
        guard let range = symbolRanges[symbol] else { return nil }
        var low = range.lowerBound
        var high = range.upperBound
        while low < high {
            let middle = low + (high - low) / 2
            // `TradeID <` is UTF-8 byte order, as UTF8Order (which reads the bytes in place).
            if UTF8Order.precedes(lifecycles[middle].key.tradeID.rawValue, tradeID.rawValue) { low = middle + 1 } else { high = middle }
        }
        return low < range.upperBound && lifecycles[low].key.tradeID == tradeID ? low : nil
    }

    /// The tag of a client order id from the trade ids it contains: trade ids contained in
    /// another contained trade id are dropped; one left is a tag, several are ambiguous.
    static func containmentTag(_ contained: [TradeID]) -> BackfillFillTag {
        guard contained.count > 1 else { return contained.first.map { .trade($0) } ?? .untagged }
        let outermost = contained.filter { inner in
            !contained.contains { outer in
                outer != inner && ClientOrderID(uncheckedRawValue: outer.rawValue).contains(inner)
            }
        }
        return outermost.count == 1 ? .trade(outermost[0]) : .ambiguous
    }

    /// Moves `min(quantity, remaining)` of a fill to a lifecycle.
    ///
    /// - Returns: What is left of `quantity`.
    private mutating func take(_ quantity: ExactDecimal, rank: Int, lifecycle index: Int) -> ExactDecimal {
        let open = remaining[index]
        guard open.isPositive, quantity.isPositive else { return quantity }
        let portion = Swift.min(quantity, open)
        // 0 < portion <= both operands, so neither difference can overflow.
        remaining[index] = open.subtractingReportingOverflow(portion).partialValue
        portionLifecycles.append(Int32(index))
        portionRanks.append(Int32(rank))
        portionQuantities.append(portion)
        return quantity.subtractingReportingOverflow(portion).partialValue
    }

    /// Shares out the untagged fills of each pool, first in first out.
    mutating func allocateFirstInFirstOut() {
        for poolNumber in pools.indices {
            let pool = pools[poolNumber]
            // Lifecycles before `head` have no open quantity left (it only ever decreases);
            // lifecycles before `eligible` started no later than the current fill (fills come
            // in time order, so `eligible` only grows).
            var head = 0
            var eligible = 0
            for rank in pool.fills {
                let fill = fills[Int(candidates[Int(rank)])]
                let filledAt = fill.filledAt.microsecondsSinceEpoch
                while eligible < pool.lifecycles.count,
                      (lifecycles[Int(pool.lifecycles[eligible])].firstEntryAt?.microsecondsSinceEpoch ?? .min) <= filledAt {
                    eligible += 1
                }
                var left = fill.quantity
                while left.isPositive, head < eligible {
                    let index = Int(pool.lifecycles[head])
                    if !remaining[index].isPositive {
                        head += 1
                        continue
                    }
                    left = take(left, rank: Int(rank), lifecycle: index)
                }
            }
        }
    }

    // MARK: Rows

    /// The planned rows, lifecycle by lifecycle.
    func rows() throws(BackfillError) -> [BackfillPlannedRow] {
        // Group the portions by lifecycle (counting sort, stable), each group in fill order.
        var groupStart = [Int](repeating: 0, count: lifecycles.count + 1)
        for lifecycle in portionLifecycles { groupStart[Int(lifecycle) + 1] += 1 }
        for index in lifecycles.indices { groupStart[index + 1] += groupStart[index] }
        var next = groupStart
        var grouped = [Int](repeating: 0, count: portionLifecycles.count)
        for (portion, lifecycle) in portionLifecycles.enumerated() {
            grouped[next[Int(lifecycle)]] = portion
            next[Int(lifecycle)] += 1
        }

        var rows: [BackfillPlannedRow] = []
        rows.reserveCapacity(lifecycles.count + portionLifecycles.count)
        var sharedBackfillOrderIDs = Set<OrderID>()
        /// The evidence rows of the current lifecycle (one buffer for all).
        var evidence: [EvidenceRow] = []
        for (index, lifecycle) in lifecycles.enumerated() {
            let key = lifecycle.key
            if let gate = gates[index] {
                rows.append(noGoRow(lifecycle, reason: gate, filledQuantity: nil))
                continue
            }
            let group = groupStart[index]..<groupStart[index + 1]
            // Sorted in place (a slice taken first would copy itself to sort).
            if group.count > 1 { grouped[group].sort { [portionRanks] in portionRanks[$0] < portionRanks[$1] } }
            let portions = grouped[group]
            let firstRow = rows.count
            let covered = try appendEvidenceRows(lifecycle, portions: portions, to: &rows, scratch: &evidence)
            let remainder = lifecycle.openQuantity.subtractingReportingOverflow(covered).partialValue
            switch configuration.dust.classify(remainder: remainder, openQuantity: lifecycle.openQuantity) {
            case .covered:
                break
            case .large:
                rows.append(noGoRow(lifecycle, reason: .missingFillEvidenceForLargeRemainder, filledQuantity: remainder))
            case .dust:
                let lastEvidence = rows.count > firstRow ? rows[rows.count - 1] : nil
                var latestFill = lifecycle.lastFilledAt
                if let evidenceAt = lastEvidence?.filledAt, latestFill.map({ $0 < evidenceAt }) ?? true {
                    latestFill = evidenceAt
                }
                guard let filledAt = latestFill ?? lifecycle.firstEntryAt else {
                    throw BackfillError(.invalidRow, context: "dust row of lifecycle \(key): no filled_at or created_at to date it")
                }
                let orderID = OrderID.backfill(profileID: profileID, tradeID: key.tradeID,
                                               exchangeOrderID: OrderID.dustExchangeOrderID, filledAt: filledAt)
                rows.append(BackfillPlannedRow(
                    profileID: profileID, symbol: key.symbol, tradeID: key.tradeID, side: lifecycle.side,
                    reason: .dustRemainder, openQuantity: lifecycle.openQuantity, filledQuantity: remainder,
                    price: lastEvidence?.price ?? lifecycle.averageEntryPrice, backfillOrderID: orderID,
                    exchangeOrderID: OrderID.dustExchangeOrderID, exchangeClientOrderID: nil, filledAt: filledAt))
            }
            // Rows of different lifecycles can share a BFILL- id only through a shared trade id.
            if sharedTradeIDs.contains(key.tradeID) {
                for row in rows[firstRow...] {
                    guard let orderID = row.backfillOrderID else { continue }
                    guard sharedBackfillOrderIDs.insert(orderID).inserted else {
                        throw BackfillError(.conflictingFillEvidence, context:
                            "lifecycle \(key): row \(row.reason.rawValue) would reuse \(orderID) of another lifecycle of trade \(key.tradeID)")
                    }
                }
            }
        }
        return rows
    }

    private func noGoRow(_ lifecycle: LifecycleSummary, reason: BackfillReason, filledQuantity: ExactDecimal?) -> BackfillPlannedRow {
        BackfillPlannedRow(
            profileID: profileID, symbol: lifecycle.key.symbol, tradeID: lifecycle.key.tradeID, side: lifecycle.side,
            reason: reason, openQuantity: lifecycle.openQuantity, filledQuantity: filledQuantity, price: nil,
            backfillOrderID: nil, exchangeOrderID: nil, exchangeClientOrderID: nil, filledAt: nil)
    }

    /// What makes two portions of one trade share a `BFILL-` id.
    private struct MergeKey: Hashable {
        let exchangeOrderID: String
        let millisecond: Int64
    }

    /// One evidence row of a lifecycle before it is written: one portion, or several merged.
    private struct EvidenceRow {
        let rank: Int32
        var quantity: ExactDecimal
        var price: ExactDecimal
        var filledAt: Timestamp
        /// Every (quantity, price) part once a second portion is merged in.
        var parts: [(quantity: ExactDecimal, price: ExactDecimal)]?
    }

    /// Appends one `fill_evidence` row per portion, portions with the same `BFILL-` id (same
    /// exchange order id and `filled_at` millisecond) merged, by (`filled_at`, exchange order id).
    ///
    /// - Returns: The quantity covered.
    private func appendEvidenceRows(_ lifecycle: LifecycleSummary, portions: ArraySlice<Int>, to rows: inout [BackfillPlannedRow],
                                    scratch evidence: inout [EvidenceRow]) throws(BackfillError) -> ExactDecimal {
        guard !portions.isEmpty else { return .zero }
        let key = lifecycle.key
        evidence.removeAll(keepingCapacity: true)
        // Rows by BFILL- id key, for lifecycles with many portions (a scan serves the few).
        var rowByKey: [MergeKey: Int] = [:]
        let usesMap = portions.count > 16
        var covered = ExactDecimal.zero
        for portion in portions {
            let rank = portionRanks[portion]
            let quantity = portionQuantities[portion]
            let fill = fills[Int(candidates[Int(rank)])]
            // Portions never exceed the open quantity, so the sum fits.
            covered = covered.addingReportingOverflow(quantity).partialValue
            let mergeKey = MergeKey(exchangeOrderID: fill.exchangeOrderID, millisecond: Self.millisecond(fill.filledAt))
            let existing: Int?
            if usesMap {
                existing = rowByKey[mergeKey]
                if existing == nil { rowByKey[mergeKey] = evidence.count }
            } else {
                existing = evidence.firstIndex { [fills, candidates] row in
                    let other = Int(candidates[Int(row.rank)])
                    return fills[other].exchangeOrderID == mergeKey.exchangeOrderID
                        && Self.millisecond(fills[other].filledAt) == mergeKey.millisecond
                }
            }
            if let existing {
                let first = fills[Int(candidates[Int(evidence[existing].rank)])]
                guard first.clientOrderID == fill.clientOrderID else {
                    throw BackfillError(.conflictingFillEvidence, context:
                        "lifecycle \(key): fills of exchange order \(fill.exchangeOrderID) at \(fill.filledAt.millisecondText) share one BFILL- id but have different client order ids")
                }
                var row = evidence[existing]
                var parts = row.parts ?? [(row.quantity, row.price)]
                parts.append((quantity, fill.price))
                (row.quantity, row.price) = try Self.combine(parts, context: "lifecycle \(key): exchange order \(fill.exchangeOrderID)")
                row.parts = parts
                row.filledAt = Swift.max(row.filledAt, fill.filledAt)
                evidence[existing] = row
            } else {
                evidence.append(EvidenceRow(rank: rank, quantity: quantity, price: fill.price, filledAt: fill.filledAt))
            }
        }
        if evidence.count < portions.count {
            // A merged row takes its latest time: restore the (filled_at, exchange order id) order.
            evidence.sort { [fills, candidates] left, right in
                if left.filledAt != right.filledAt { return left.filledAt < right.filledAt }
                return UTF8Order.precedes(fills[Int(candidates[Int(left.rank)])].exchangeOrderID,
                                          fills[Int(candidates[Int(right.rank)])].exchangeOrderID)
            }
        }
        for row in evidence {
            let fill = fills[Int(candidates[Int(row.rank)])]
            rows.append(BackfillPlannedRow(
                profileID: profileID, symbol: key.symbol, tradeID: key.tradeID, side: lifecycle.side,
                reason: .fillEvidence, openQuantity: lifecycle.openQuantity, filledQuantity: row.quantity, price: row.price,
                backfillOrderID: OrderID.backfill(profileID: profileID, tradeID: key.tradeID,
                                                  exchangeOrderID: fill.exchangeOrderID, filledAt: row.filledAt),
                exchangeOrderID: fill.exchangeOrderID, exchangeClientOrderID: fill.clientOrderID, filledAt: row.filledAt))
        }
        return covered
    }

    /// The millisecond of a time, as the `BFILL-` id's text truncates it (toward the past).
    static func millisecond(_ time: Timestamp) -> Int64 {
        let microseconds = time.microsecondsSinceEpoch
        let quotient = microseconds / 1000
        return microseconds % 1000 < 0 ? quotient - 1 : quotient
    }

    /// The total quantity and the quantity-weighted average price of merged portions.
    static func combine(_ parts: [(quantity: ExactDecimal, price: ExactDecimal)],
                        context: String) throws(BackfillError) -> (quantity: ExactDecimal, price: ExactDecimal) {
        let first = parts[0]
        guard parts.count > 1 else { return first }
        var quantity = ExactDecimal.zero
        var notional = ExactDecimal.zero
        let samePrice = parts.allSatisfy { $0.price == first.price }
        do {
            for part in parts {
                quantity = try quantity.adding(part.quantity)
                if !samePrice { notional = try notional.adding(try part.quantity.multiplied(by: part.price)) }
            }
            return (quantity, samePrice ? first.price : try notional.divided(by: quantity))
        } catch {
            throw BackfillError(.overflow, context: "\(context): merged fill quantity or average price out of range", underlying: error)
        }
    }
}
