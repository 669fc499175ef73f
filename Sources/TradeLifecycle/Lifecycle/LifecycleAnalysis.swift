/// The trade lifecycles of a set of orders and their anomalies (SPEC section 3), computed in one
/// pass over the orders.
///
/// A lifecycle is `(profile_id, symbol, trade_id)` over the orders with status filled or
/// partially filled and a trade id, exactly as the reference detection query groups them:
/// `entry_qty` sums ``Order/lifecycleQuantity`` (`COALESCE(quantity, qty, 0)`) of ENTRY orders,
/// `exit_qty` that of EXIT orders, orders without action count as neither. Orders with another
/// status or without trade id form no lifecycle. Keys are compared by their bytes (see
/// ``LifecycleKey``).
///
/// A *filled ENTRY* is a counted ENTRY order with a positive quantity; an ENTRY row without
/// `quantity` and `qty` adds 0, as in the SQL, and is not one. The anomalies:
/// - `orphan_exit`: `exit_qty > 0` and `entry_qty = 0`;
/// - `overclosed`: `exit_qty > entry_qty > 0`;
/// - `missing_entry_order`: a ``TradeReference`` whose trade id has no filled ENTRY in any
///   lifecycle of its profile (whatever the symbol);
/// - `missing_trade_id`: a filled or partially filled order with an action and no trade id.
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
        try self.init(orders: orders, references: references, hashMask: .max)
    }

    /// The analysis with every key hash masked by `hashMask` (tests pass 0 to make all keys collide).
    init<Orders: Sequence>(orders: Orders, references: [TradeReference], hashMask: UInt64) throws(LifecycleError)
    where Orders.Element == Order {
        var builder = LifecycleAnalysisBuilder(hashMask: hashMask)
        try builder.add(orders: orders)
        // Consumed, so that `finish` takes the builder's storage over instead of copying it.
        let result = try (consume builder).finish(references: references)
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
        let end = lowerBound { UTF8Order.compare($0.key.profileID.rawValue, profileID.rawValue) <= 0 }
        return summaries[start..<end]
    }

    /// The anomalies of one profile, in the order of ``anomalies``.
    ///
    /// - Parameter profileID: The profile.
    public func anomalies(profileID: ProfileID) -> [LifecycleAnomaly] {
        anomalies.filter { UTF8Order.equal($0.profileID.rawValue, profileID.rawValue) }
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

extension LifecycleAnalysis {
    /// The open lifecycles of one profile, and the keys of its other lifecycles: for the
    /// backfill planner, which needs nothing else of an analysis.
    ///
    /// The same as ``openLifecycles(profileID:)`` and the keys of ``summaries(profileID:)`` of
    /// `LifecycleAnalysis(orders:)`, with the same errors, but the lifecycles that are not open
    /// are neither summarised nor sorted, and no anomaly is looked for.
    ///
    /// - Parameters:
    ///   - orders: The orders, in any order; order ids are expected to be unique.
    ///   - profileID: The profile (matched by its bytes, as ``summaries(profileID:)`` does).
    ///   - hashMask: Masks every key hash (tests pass 0 to make all keys collide).
    /// - Throws: ``LifecycleError`` with code ``LifecycleError/Code/overflow``, exactly when
    ///   `LifecycleAnalysis(orders:)` throws, with the same error.
    static func openLifecycles<Orders: Sequence>(orders: Orders, profileID: ProfileID,
                                                 hashMask: UInt64 = .max) throws(LifecycleError) -> ProfileOpenLifecycles
    where Orders.Element == Order {
        var builder = LifecycleAnalysisBuilder(hashMask: hashMask)
        try builder.add(orders: orders)
        return try (consume builder).finishOpenLifecycles(profileID: profileID)
    }
}

/// The open lifecycles of one profile and the keys of the rest
/// (``LifecycleAnalysis/openLifecycles(orders:profileID:hashMask:)``).
struct ProfileOpenLifecycles {
    /// The open lifecycles (`open_qty > 0`) of the profile, ordered by (symbol, trade_id) bytes,
    /// as ``LifecycleAnalysis/openLifecycles(profileID:)`` lists them.
    let summaries: [LifecycleSummary]
    /// The keys of the profile's lifecycles that are not open, in no particular order.
    let closedKeys: [LifecycleKey]
}

/// A trade id within a profile (the scope of `missing_entry_order`), compared by bytes.
struct TradeInProfile: Hashable {
    let profileID: ProfileID
    let tradeID: TradeID

    static func == (lhs: TradeInProfile, rhs: TradeInProfile) -> Bool {
        UTF8Order.equal(lhs.tradeID.rawValue, rhs.tradeID.rawValue) && UTF8Order.equal(lhs.profileID.rawValue, rhs.profileID.rawValue)
    }

    func hash(into hasher: inout Hasher) {
        UTF8Order.hash(profileID.rawValue, into: &hasher)
        UTF8Order.hash(tradeID.rawValue, into: &hasher)
    }
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
