/// The database's view of one profile, as reconciliation compares it with the exchange: the
/// profile's orders, its open lifecycles and its lifecycle anomalies (SPEC section 3).
///
/// Build it from the profile's rows of the `orders` table (and, for `missing_entry_order`, the
/// `trade_history` rows and positions that name trade ids); the lifecycles and anomalies are
/// computed by ``LifecycleAnalysis``.
public struct ReconciliationDatabaseView: Sendable {
    /// The profile.
    public let profileID: ProfileID
    /// The profile's orders, in the order given.
    public let orders: [Order]
    /// The profile's open lifecycles (`open_qty > 0`), ordered by (symbol, trade_id).
    public let openLifecycles: [LifecycleSummary]
    /// The profile's lifecycle anomalies, in the order of ``LifecycleAnalysis/anomalies``.
    public let anomalies: [LifecycleAnomaly]

    /// Builds the view of a profile from its orders and trade references.
    ///
    /// - Parameters:
    ///   - profileID: The profile.
    ///   - orders: Every order of the profile (any status, any order).
    ///   - references: The `trade_history` rows and positions of the profile that name a trade id.
    /// - Throws: ``ReconciliationError`` with code ``ReconciliationError/Code/inconsistentInput``
    ///   when an order or reference belongs to another profile or an order id occurs twice, or
    ///   ``ReconciliationError/Code/overflow`` when a lifecycle's sum is out of range.
    public init(profileID: ProfileID, orders: [Order], references: [TradeReference] = []) throws(ReconciliationError) {
        try Self.validate(profileID: profileID, orders: orders)
        for reference in references where reference.profileID != profileID {
            throw ReconciliationError(.inconsistentInput, profileID: profileID,
                                      detail: "trade reference \(reference.tradeID.rawValue) belongs to profile \(reference.profileID.rawValue)")
        }
        let analysis: LifecycleAnalysis
        do {
            analysis = try LifecycleAnalysis(orders: orders, references: references)
        } catch {
            throw ReconciliationError(error.code == .overflow ? .overflow : .inconsistentInput, profileID: profileID,
                                      detail: error.description, underlying: error)
        }
        self.init(unchecked: profileID, orders: orders, analysis: analysis)
    }

    /// Builds the view of a profile from its orders and an analysis of them.
    ///
    /// - Parameters:
    ///   - profileID: The profile.
    ///   - orders: Every order of the profile, the ones `analysis` was computed from.
    ///   - analysis: The lifecycle analysis of `orders` (it may cover other profiles too; only
    ///     `profileID`'s lifecycles and anomalies are taken).
    /// - Throws: ``ReconciliationError`` with code ``ReconciliationError/Code/inconsistentInput``
    ///   when an order belongs to another profile or an order id occurs twice.
    public init(profileID: ProfileID, orders: [Order], analysis: LifecycleAnalysis) throws(ReconciliationError) {
        try Self.validate(profileID: profileID, orders: orders)
        self.init(unchecked: profileID, orders: orders, analysis: analysis)
    }

    private init(unchecked profileID: ProfileID, orders: [Order], analysis: LifecycleAnalysis) {
        self.profileID = profileID
        self.orders = orders
        self.openLifecycles = analysis.openLifecycles(profileID: profileID)
        self.anomalies = analysis.anomalies(profileID: profileID)
    }

    private static func validate(profileID: ProfileID, orders: [Order]) throws(ReconciliationError) {
        var seen = Set<OrderID>(minimumCapacity: orders.count)
        for order in orders {
            guard order.profileID == profileID else {
                throw ReconciliationError(.inconsistentInput, profileID: profileID,
                                          detail: "\(order.recordName) belongs to profile \(order.profileID.rawValue)")
            }
            guard seen.insert(order.orderID).inserted else {
                throw ReconciliationError(.inconsistentInput, profileID: profileID,
                                          detail: "\(order.recordName) occurs twice")
            }
        }
    }
}
