/// The EXIT backfill planner (SPEC section 6, `reference/001_*`): a pure function from the
/// database's and the exchange's view of one profile to the rows to audit and insert.
///
/// For each open lifecycle of the profile (``LifecycleAnalysis/openLifecycles(profileID:)``,
/// in (symbol, trade_id) order):
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
        let analysis: LifecycleAnalysis
        do {
            analysis = try LifecycleAnalysis(orders: orders.lazy.filter { $0.profileID == profileID })
        } catch {
            throw BackfillError(.lifecycleAnalysisFailed, context: "planning profile \(profileID)", underlying: error)
        }
        let lifecycles = analysis.openLifecycles(profileID: profileID)
        var planning = BackfillPlanning(profileID: profileID, lifecycles: lifecycles, configuration: configuration, now: now)
        if !lifecycles.isEmpty {
            planning.readOrders(orders)
            planning.evaluateGates(profile: profile, positions: exchange.positions)
            planning.selectFills(exchange.fills)
            planning.allocateTaggedFills()
            planning.allocateFirstInFirstOut()
        }
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
struct BackfillPlanning {
    struct SymbolTrade: Hashable {
        let symbol: String
        let tradeID: TradeID
    }

    struct PoolKey: Hashable {
        let symbol: String
        let side: OrderSide
    }

    /// The open lifecycles of one symbol and side, and the untagged fills that close them.
    struct Pool {
        /// Lifecycle indices by (first ENTRY time, trade id).
        var lifecycles: [Int] = []
        /// Untagged fill indices, in fill order.
        var fills: [Int] = []
    }

    struct Portion {
        let fillIndex: Int
        let quantity: ExactDecimal
    }

    let profileID: ProfileID
    let lifecycles: [LifecycleSummary]
    let configuration: BackfillConfiguration
    let now: Timestamp

    private var indexBySymbolTrade: [SymbolTrade: Int] = [:]
    private var remaining: [ExactDecimal]
    private var gates: [BackfillReason?]
    private var portions: [[Portion]]
    private var pools: [Pool] = []
    private var poolIndex: [PoolKey: Int] = [:]
    private var fills: [ExchangeFill] = []

    // Facts from the orders.
    private var blockedTradeIDs = Set<TradeID>()
    private var recordedExitExchangeOrderIDs = Set<String>()
    private var exitClientOrderTags: [ClientOrderID: BackfillFillTag] = [:]
    private var tradeIDs = Set<TradeID>()

    init(profileID: ProfileID, lifecycles: [LifecycleSummary], configuration: BackfillConfiguration, now: Timestamp) {
        self.profileID = profileID
        self.lifecycles = lifecycles
        self.configuration = configuration
        self.now = now
        remaining = lifecycles.map(\.openQuantity)
        gates = Array(repeating: nil, count: lifecycles.count)
        portions = Array(repeating: [], count: lifecycles.count)
        indexBySymbolTrade.reserveCapacity(lifecycles.count)
        for (index, lifecycle) in lifecycles.enumerated() {
            indexBySymbolTrade[SymbolTrade(symbol: lifecycle.key.symbol, tradeID: lifecycle.key.tradeID)] = index
            let key = PoolKey(symbol: lifecycle.key.symbol, side: lifecycle.side.closingSide)
            if let pool = poolIndex[key] {
                pools[pool].lifecycles.append(index)
            } else {
                poolIndex[key] = pools.count
                pools.append(Pool(lifecycles: [index]))
            }
        }
        for pool in pools.indices {
            pools[pool].lifecycles.sort { left, right in
                let leftAt = lifecycles[left].firstEntryAt?.microsecondsSinceEpoch ?? .min
                let rightAt = lifecycles[right].firstEntryAt?.microsecondsSinceEpoch ?? .min
                if leftAt != rightAt { return leftAt < rightAt }
                return lifecycles[left].key.tradeID < lifecycles[right].key.tradeID
            }
        }
    }

    // MARK: Orders

    /// One pass over the profile's orders: blockers, recorded EXIT exchange order ids, EXIT
    /// client order ids and every trade id (for tags).
    mutating func readOrders(_ orders: [Order]) {
        for order in orders where order.profileID == profileID {
            if let tradeID = order.tradeID {
                tradeIDs.insert(tradeID)
                if order.status.isPendingBlocker { blockedTradeIDs.insert(tradeID) }
                if order.action == .exit, let clientOrderID = order.clientOrderID {
                    switch exitClientOrderTags[clientOrderID] {
                    case nil: exitClientOrderTags[clientOrderID] = .trade(tradeID)
                    case .trade(let existing) where existing != tradeID: exitClientOrderTags[clientOrderID] = .ambiguous
                    default: break
                    }
                }
            }
            if order.action == .exit, order.status.countsTowardLifecycle, let exchangeOrderID = order.exchangeOrderID {
                recordedExitExchangeOrderIDs.insert(exchangeOrderID)
            }
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
        for (index, lifecycle) in lifecycles.enumerated() {
            if configuration.requiresPause && !isPaused {
                gates[index] = .profileNotPaused
            } else if notFlatSymbols.contains(lifecycle.key.symbol) {
                gates[index] = .exchangeNotFlat
            } else if blockedTradeIDs.contains(lifecycle.key.tradeID) {
                gates[index] = .pendingLifecycleBlocker
            }
        }
    }

    // MARK: Evidence

    /// Keeps the fills that can be evidence and sorts them into fill order.
    mutating func selectFills(_ exchangeFills: [ExchangeFill]) {
        let end = now.microsecondsSinceEpoch
        let (difference, overflow) = end.subtractingReportingOverflow(configuration.lookbackMicroseconds)
        let start = overflow ? Int64.min : difference
        fills = exchangeFills.filter { fill in
            let at = fill.filledAt.microsecondsSinceEpoch
            return fill.profileID == profileID && start <= at && at <= end
                && poolIndex[PoolKey(symbol: fill.symbol, side: fill.side)] != nil
                && !recordedExitExchangeOrderIDs.contains(fill.exchangeOrderID)
        }
        fills.sort(by: Self.fillPrecedes)
    }

    /// The fill order: `filled_at`, exchange order id, then quantity, price and client order id
    /// so that the order is total (fills equal in all of these are interchangeable).
    static func fillPrecedes(_ left: ExchangeFill, _ right: ExchangeFill) -> Bool {
        if left.filledAt != right.filledAt { return left.filledAt < right.filledAt }
        if left.exchangeOrderID != right.exchangeOrderID {
            return left.exchangeOrderID.utf8.lexicographicallyPrecedes(right.exchangeOrderID.utf8)
        }
        if left.quantity != right.quantity { return left.quantity < right.quantity }
        if left.price != right.price { return left.price < right.price }
        switch (left.clientOrderID, right.clientOrderID) {
        case (nil, .some): return true
        case let (leftID?, rightID?): return leftID < rightID
        default: return false
        }
    }

    /// Gives tagged fills to their trades and queues untagged fills for FIFO.
    mutating func allocateTaggedFills() {
        var containment: TradeIDContainmentIndex?
        var containmentTags: [ClientOrderID: BackfillFillTag] = [:]
        for (fillIndex, fill) in fills.enumerated() {
            var tag = BackfillFillTag.untagged
            if let clientOrderID = fill.clientOrderID {
                if let exitTag = exitClientOrderTags[clientOrderID] {
                    tag = exitTag
                } else if let cached = containmentTags[clientOrderID] {
                    tag = cached
                } else {
                    if containment == nil { containment = TradeIDContainmentIndex(tradeIDs) }
                    tag = Self.containmentTag(containment!.tradeIDs(containedIn: clientOrderID))
                    containmentTags[clientOrderID] = tag
                }
            }
            switch tag {
            case .untagged:
                // The pool exists: selectFills kept only fills with one.
                if let pool = poolIndex[PoolKey(symbol: fill.symbol, side: fill.side)] {
                    pools[pool].fills.append(fillIndex)
                }
            case .ambiguous:
                continue
            case .trade(let tradeID):
                guard let index = indexBySymbolTrade[SymbolTrade(symbol: fill.symbol, tradeID: tradeID)],
                      lifecycles[index].side.closingSide == fill.side else { continue }
                _ = take(fill.quantity, fillIndex: fillIndex, lifecycle: index)
            }
        }
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
    private mutating func take(_ quantity: ExactDecimal, fillIndex: Int, lifecycle index: Int) -> ExactDecimal {
        let open = remaining[index]
        guard open.isPositive, quantity.isPositive else { return quantity }
        let portion = Swift.min(quantity, open)
        // 0 < portion <= both operands, so neither difference can overflow.
        remaining[index] = open.subtractingReportingOverflow(portion).partialValue
        portions[index].append(Portion(fillIndex: fillIndex, quantity: portion))
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
            for fillIndex in pool.fills {
                let filledAt = fills[fillIndex].filledAt.microsecondsSinceEpoch
                while eligible < pool.lifecycles.count,
                      (lifecycles[pool.lifecycles[eligible]].firstEntryAt?.microsecondsSinceEpoch ?? .min) <= filledAt {
                    eligible += 1
                }
                var left = fills[fillIndex].quantity
                while left.isPositive, head < eligible {
                    let index = pool.lifecycles[head]
                    if !remaining[index].isPositive {
                        head += 1
                        continue
                    }
                    left = take(left, fillIndex: fillIndex, lifecycle: index)
                }
            }
        }
    }

    // MARK: Rows

    /// The planned rows, lifecycle by lifecycle.
    func rows() throws(BackfillError) -> [BackfillPlannedRow] {
        var rows: [BackfillPlannedRow] = []
        rows.reserveCapacity(lifecycles.count + fills.count)
        var backfillOrderIDs = Set<OrderID>()
        for (index, lifecycle) in lifecycles.enumerated() {
            let key = lifecycle.key
            if let gate = gates[index] {
                rows.append(noGoRow(lifecycle, reason: gate, filledQuantity: nil))
                continue
            }
            let evidence = try evidenceRows(lifecycle, portions: portions[index])
            var covered = ExactDecimal.zero
            for row in evidence {
                // Portions never exceed the open quantity, so the sum fits.
                covered = covered.addingReportingOverflow(row.filledQuantity ?? .zero).partialValue
            }
            let remainder = lifecycle.openQuantity.subtractingReportingOverflow(covered).partialValue
            var lifecycleRows = evidence
            switch configuration.dust.classify(remainder: remainder, openQuantity: lifecycle.openQuantity) {
            case .covered:
                break
            case .large:
                lifecycleRows.append(noGoRow(lifecycle, reason: .missingFillEvidenceForLargeRemainder, filledQuantity: remainder))
            case .dust:
                let latestFill = [lifecycle.lastFilledAt, evidence.last?.filledAt].compactMap { $0 }.max()
                guard let filledAt = latestFill ?? lifecycle.firstEntryAt else {
                    throw BackfillError(.invalidRow, context: "dust row of lifecycle \(key): no filled_at or created_at to date it")
                }
                let orderID = OrderID.backfill(profileID: profileID, tradeID: key.tradeID,
                                               exchangeOrderID: OrderID.dustExchangeOrderID, filledAt: filledAt)
                lifecycleRows.append(BackfillPlannedRow(
                    profileID: profileID, symbol: key.symbol, tradeID: key.tradeID, side: lifecycle.side,
                    reason: .dustRemainder, openQuantity: lifecycle.openQuantity, filledQuantity: remainder,
                    price: evidence.last?.price ?? lifecycle.averageEntryPrice, backfillOrderID: orderID,
                    exchangeOrderID: OrderID.dustExchangeOrderID, exchangeClientOrderID: nil, filledAt: filledAt))
            }
            for row in lifecycleRows {
                guard let orderID = row.backfillOrderID else { continue }
                guard backfillOrderIDs.insert(orderID).inserted else {
                    throw BackfillError(.conflictingFillEvidence, context:
                        "lifecycle \(key): row \(row.reason.rawValue) would reuse \(orderID) of another lifecycle of trade \(key.tradeID)")
                }
            }
            rows.append(contentsOf: lifecycleRows)
        }
        return rows
    }

    private func noGoRow(_ lifecycle: LifecycleSummary, reason: BackfillReason, filledQuantity: ExactDecimal?) -> BackfillPlannedRow {
        BackfillPlannedRow(
            profileID: profileID, symbol: lifecycle.key.symbol, tradeID: lifecycle.key.tradeID, side: lifecycle.side,
            reason: reason, openQuantity: lifecycle.openQuantity, filledQuantity: filledQuantity, price: nil,
            backfillOrderID: nil, exchangeOrderID: nil, exchangeClientOrderID: nil, filledAt: nil)
    }

    /// One `fill_evidence` row per portion, portions with the same `BFILL-` id merged, by
    /// (`filled_at`, exchange order id).
    private func evidenceRows(_ lifecycle: LifecycleSummary, portions: [Portion]) throws(BackfillError) -> [BackfillPlannedRow] {
        guard !portions.isEmpty else { return [] }
        let key = lifecycle.key
        // Fill indices follow the fill order, and a trade takes at most one portion of a fill.
        let ordered = portions.count > 1 ? portions.sorted { $0.fillIndex < $1.fillIndex } : portions

        struct Merged {
            let orderID: OrderID
            let exchangeOrderID: String
            let clientOrderID: ClientOrderID?
            var filledAt: Timestamp
            var parts: [(quantity: ExactDecimal, price: ExactDecimal)]
        }
        var merged: [Merged] = []
        var indexByOrderID: [OrderID: Int] = [:]
        for portion in ordered {
            let fill = fills[portion.fillIndex]
            let orderID = OrderID.backfill(profileID: profileID, tradeID: key.tradeID,
                                           exchangeOrderID: fill.exchangeOrderID, filledAt: fill.filledAt)
            if let existing = indexByOrderID[orderID] {
                guard merged[existing].clientOrderID == fill.clientOrderID else {
                    throw BackfillError(.conflictingFillEvidence, context:
                        "lifecycle \(key): fills of exchange order \(fill.exchangeOrderID) at \(fill.filledAt) share \(orderID) but have different client order ids")
                }
                merged[existing].filledAt = Swift.max(merged[existing].filledAt, fill.filledAt)
                merged[existing].parts.append((portion.quantity, fill.price))
            } else {
                indexByOrderID[orderID] = merged.count
                merged.append(Merged(orderID: orderID, exchangeOrderID: fill.exchangeOrderID, clientOrderID: fill.clientOrderID,
                                     filledAt: fill.filledAt, parts: [(portion.quantity, fill.price)]))
            }
        }
        if merged.count < ordered.count {
            // A merged row takes its latest time: restore the (filled_at, exchange order id) order.
            merged.sort { left, right in
                if left.filledAt != right.filledAt { return left.filledAt < right.filledAt }
                return left.exchangeOrderID.utf8.lexicographicallyPrecedes(right.exchangeOrderID.utf8)
            }
        }
        var rows: [BackfillPlannedRow] = []
        rows.reserveCapacity(merged.count)
        for row in merged {
            let (quantity, price) = try Self.combine(row.parts, context: "lifecycle \(key): \(row.orderID)")
            rows.append(BackfillPlannedRow(
                profileID: profileID, symbol: key.symbol, tradeID: key.tradeID, side: lifecycle.side,
                reason: .fillEvidence, openQuantity: lifecycle.openQuantity, filledQuantity: quantity, price: price,
                backfillOrderID: row.orderID, exchangeOrderID: row.exchangeOrderID,
                exchangeClientOrderID: row.clientOrderID, filledAt: row.filledAt))
        }
        return rows
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
