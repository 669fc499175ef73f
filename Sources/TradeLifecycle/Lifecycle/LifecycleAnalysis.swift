/// The trade lifecycles of a set of orders and their anomalies (SPEC section 3), computed in one
/// pass over the orders.
///
/// A lifecycle is `(profile_id, symbol, trade_id)` over the orders with status filled or
/// partially filled and a trade id, exactly as the reference detection query groups them:
/// `entry_qty` sums ``Order/lifecycleQuantity`` (`COALESCE(quantity, qty, 0)`) of ENTRY orders,
/// `exit_qty` that of EXIT orders, orders without action count as neither. Orders with another
/// status or without trade id form no lifecycle.
///
/// Cost: linear in the number of orders and references, plus sorting the lifecycles.
/// The result does not depend on the order of the input.
public struct LifecycleAnalysis: Sendable {
    /// Every lifecycle, sorted by key.
    public let summaries: [LifecycleSummary]
    /// Every anomaly, in this order: `orphan_exit` and `overclosed` by lifecycle key, then
    /// `missing_entry_order` by (profile, trade id, symbol with absent first, source), then
    /// `missing_trade_id` by (profile, symbol, order id). Duplicate references are reported once.
    public let anomalies: [LifecycleAnomaly]

    /// Analyses orders and trade references.
    ///
    /// - Parameters:
    ///   - orders: The orders, in any order; order ids are expected to be unique.
    ///   - references: `trade_history` rows and positions that name a trade id.
    /// - Throws: ``LifecycleError`` with code ``LifecycleError/Code/overflow`` (naming the order
    ///   whose quantity did not fit) when a lifecycle's sum is outside the range of
    ///   ``ExactDecimal``.
    public init<Orders: Sequence>(orders: Orders, references: [TradeReference] = []) throws(LifecycleError)
    where Orders.Element == Order {
        var builder = LifecycleAnalysisBuilder()
        for order in orders {
            try builder.add(order)
        }
        let result = try builder.finish(references: references)
        summaries = result.summaries
        anomalies = result.anomalies
    }

    /// The lifecycle with this key, if the orders have one.
    ///
    /// - Parameter key: The lifecycle's key.
    public func summary(for key: LifecycleKey) -> LifecycleSummary? {
        let index = lowerBound { $0.key < key }
        guard index < summaries.count, summaries[index].key == key else { return nil }
        return summaries[index]
    }

    /// The open lifecycles (`open_qty > 0`) of a profile, ordered by (symbol, trade_id), as the
    /// reference detection query lists them.
    ///
    /// - Parameter profileID: The profile.
    public func openLifecycles(profileID: ProfileID) -> [LifecycleSummary] {
        summaries(profileID: profileID).filter(\.isOpen)
    }

    /// Every lifecycle of a profile, ordered by (symbol, trade_id).
    ///
    /// - Parameter profileID: The profile.
    public func summaries(profileID: ProfileID) -> ArraySlice<LifecycleSummary> {
        let start = lowerBound { UTF8Order.precedes($0.key.profileID.rawValue, profileID.rawValue) }
        var end = start
        while end < summaries.count, summaries[end].key.profileID == profileID { end += 1 }
        return summaries[start..<end]
    }

    /// The anomalies of one profile, in the order of ``anomalies``.
    ///
    /// - Parameter profileID: The profile.
    public func anomalies(profileID: ProfileID) -> [LifecycleAnomaly] {
        anomalies.filter { $0.profileID == profileID }
    }

    /// The first index whose summary does not satisfy `isBefore` (which must be monotone).
    private func lowerBound(_ isBefore: (LifecycleSummary) -> Bool) -> Int {
        var low = 0
        var high = summaries.count
        while low < high {
            let middle = low + (high - low) / 2
            if isBefore(summaries[middle]) { low = middle + 1 } else { high = middle }
        }
        return low
    }
}

/// The running sums of one lifecycle.
struct LifecycleAccumulator {
    let key: LifecycleKey
    var entryQuantity: ExactDecimal = .zero
    var exitQuantity: ExactDecimal = .zero
    var firstEntry: (orderID: OrderID, at: Timestamp, side: PositionSide?)?
    var lastFilledAt: Timestamp?
    /// Sum of quantity units of the priced ENTRY orders.
    var pricedQuantityUnits: UInt128 = 0
    /// Sum of quantity units times price units of the priced ENTRY orders (256 bits; it cannot
    /// overflow while the entry quantity fits, see `add`).
    var weightedPriceHigh: UInt128 = 0
    var weightedPriceLow: UInt128 = 0

    init(key: LifecycleKey) {
        self.key = key
    }

    mutating func add(_ order: Order) throws(LifecycleError) {
        if let filledAt = order.filledAt, lastFilledAt.map({ $0 < filledAt }) ?? true {
            lastFilledAt = filledAt
        }
        guard let action = order.action else { return }
        let quantity = order.lifecycleQuantity
        switch action {
        case .exit:
            let (sum, overflow) = exitQuantity.addingReportingOverflow(quantity)
            if overflow { throw Self.overflow(order, key: key, sum: "exit_qty", value: exitQuantity) }
            exitQuantity = sum
        case .entry:
            guard quantity.isPositive else { return }
            let (sum, overflow) = entryQuantity.addingReportingOverflow(quantity)
            if overflow { throw Self.overflow(order, key: key, sum: "entry_qty", value: entryQuantity) }
            entryQuantity = sum
            let at = order.filledAt ?? order.createdAt
            if let first = firstEntry {
                if at < first.at || (at == first.at && UTF8Order.precedes(order.orderID.rawValue, first.orderID.rawValue)) {
                    firstEntry = (order.orderID, at, order.side)
                }
            } else {
                firstEntry = (order.orderID, at, order.side)
            }
            if let price = order.price, price.isPositive {
                // Every priced quantity is part of entry_qty, which fits in 127 bits, so the sum
                // of quantity units stays below 2^127 and the sum of products (each price below
                // 2^127) below 2^254: neither addition can overflow.
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
                throw LifecycleError(.overflow, orderID: firstEntry?.orderID,
                                     detail: "lifecycle \(key): the average entry price is out of range")
            }
            let (quotient, remainder) = pricedQuantityUnits.dividingFullWidth((weightedPriceHigh, weightedPriceLow))
            guard let rounded = ExactDecimal.round(quotient: quotient, remainder: remainder, divisor: pricedQuantityUnits,
                                                   negative: false, rounding: .halfEven),
                  let value = ExactDecimal.signed(rounded, negative: false) else {
                throw LifecycleError(.overflow, orderID: firstEntry?.orderID,
                                     detail: "lifecycle \(key): the average entry price is out of range")
            }
            average = value
        }
        return LifecycleSummary(
            key: key, entryQuantity: entryQuantity, exitQuantity: exitQuantity, openQuantity: open,
            side: firstEntry?.side ?? .long, firstEntryOrderID: firstEntry?.orderID, firstEntryAt: firstEntry?.at,
            averageEntryPrice: average, lastFilledAt: lastFilledAt)
    }

    static func overflow(_ order: Order, key: LifecycleKey, sum: String, value: ExactDecimal) -> LifecycleError {
        LifecycleError(.overflow, orderID: order.orderID, from: nil, to: nil,
                       detail: "lifecycle \(key): \(sum) \(value) + quantity \(order.lifecycleQuantity) is out of range")
    }
}

/// The one pass of ``LifecycleAnalysis``.
struct LifecycleAnalysisBuilder {
    private var indexByKey: [LifecycleKey: Int] = [:]
    private var accumulators: [LifecycleAccumulator] = []
    private var missingTradeID: [LifecycleAnomaly] = []

    mutating func add(_ order: Order) throws(LifecycleError) {
        guard order.status.countsTowardLifecycle else { return }
        guard let tradeID = order.tradeID else {
            if let action = order.action {
                missingTradeID.append(.missingTradeID(orderID: order.orderID, profileID: order.profileID,
                                                      symbol: order.symbol, action: action))
            }
            return
        }
        let key = LifecycleKey(profileID: order.profileID, symbol: order.symbol, tradeID: tradeID)
        if let index = indexByKey[key] {
            try accumulators[index].add(order)
        } else {
            indexByKey[key] = accumulators.count
            var accumulator = LifecycleAccumulator(key: key)
            try accumulator.add(order)
            accumulators.append(accumulator)
        }
    }

    consuming func finish(references: [TradeReference]) throws(LifecycleError) -> (summaries: [LifecycleSummary], anomalies: [LifecycleAnomaly]) {
        var summaries: [LifecycleSummary] = []
        summaries.reserveCapacity(accumulators.count)
        for accumulator in accumulators {
            summaries.append(try accumulator.summary())
        }
        summaries.sort { $0.key < $1.key }

        var anomalies: [LifecycleAnomaly] = []
        var tradesWithEntry = Set<TradeInProfile>()
        for summary in summaries {
            if summary.entryQuantity.isPositive {
                tradesWithEntry.insert(TradeInProfile(profileID: summary.key.profileID, tradeID: summary.key.tradeID))
                if summary.exitQuantity > summary.entryQuantity {
                    anomalies.append(.overclosed(summary.key, entryQuantity: summary.entryQuantity, exitQuantity: summary.exitQuantity))
                }
            } else if summary.exitQuantity.isPositive {
                anomalies.append(.orphanExit(summary.key, exitQuantity: summary.exitQuantity))
            }
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

/// A trade id within a profile (the scope of `missing_entry_order`).
struct TradeInProfile: Hashable {
    let profileID: ProfileID
    let tradeID: TradeID
}

extension TradeReferenceSource {
    /// The position of the source in the anomaly order.
    var rank: Int {
        switch self {
        case .tradeHistory: return 0
        case .position: return 1
        }
    }
}
