public import TradeLifecycle

/// Phase A of the lifecycle integrity plan: the row counts of `orders` and `trade_history`,
/// read with the plan's two queries unchanged.
public struct RunbookSnapshot: Sendable, Hashable {
    /// `orders_total`: every order.
    public var ordersTotal: Int64
    /// `orders_missing_trade_id`: orders whose `trade_id` is NULL or `btrim(trade_id) = ''`.
    public var ordersMissingTradeID: Int64
    /// `history_total`: every `trade_history` row.
    public var historyTotal: Int64
    /// `history_missing_trade_id`: history rows whose `trade_id` is NULL or blank.
    public var historyMissingTradeID: Int64

    /// Creates a snapshot.
    ///
    /// - Parameters: The counts of the same names.
    public init(ordersTotal: Int64, ordersMissingTradeID: Int64, historyTotal: Int64, historyMissingTradeID: Int64) {
        self.ordersTotal = ordersTotal
        self.ordersMissingTradeID = ordersMissingTradeID
        self.historyTotal = historyTotal
        self.historyMissingTradeID = historyMissingTradeID
    }
}

/// The dry run of the legacy trade id backfill: what the core's ``LegacyTradeIDPlan`` assigns
/// to the database's lifecycle rows without a trade id.
public struct LegacyTradeIDBackfill: Sendable, Hashable {
    /// The plan: assignments, orphan EXITs (left NULL), overclosing EXITs.
    public var plan: LegacyTradeIDPlan
    /// How many rows were read (lifecycle rows that count toward a lifecycle, without a
    /// usable trade id).
    public var rowsRead: Int
    /// Rows whose `trade_id` is blank text rather than NULL, in order id order. The core
    /// treats them as NULL (and plans them), but the update only fills NULLs: applying is
    /// refused until they are normalized (`UPDATE orders SET trade_id = NULL WHERE btrim(trade_id) = ''`).
    public var blankTradeIDOrders: [OrderID]

    /// Creates a dry run result.
    ///
    /// - Parameters: The fields of the same names.
    public init(plan: LegacyTradeIDPlan, rowsRead: Int, blankTradeIDOrders: [OrderID]) {
        self.plan = plan
        self.rowsRead = rowsRead
        self.blankTradeIDOrders = blankTradeIDOrders
    }
}

/// What applying the legacy trade id backfill wrote.
public struct LegacyTradeIDApplyResult: Sendable, Hashable {
    /// The plan applied, computed inside the transaction from rows locked `FOR UPDATE`.
    public var plan: LegacyTradeIDPlan
    /// Rows the `UPDATE ... WHERE order_id = $2 AND trade_id IS NULL` statements changed;
    /// equal to the number of assignments (otherwise nothing is committed).
    public var updatedCount: Int
    /// Assigned orders that, read back after the commit on the same connection, carry their
    /// assigned trade id.
    public var verifiedCount: Int

    /// Creates a result.
    ///
    /// - Parameters: The fields of the same names.
    public init(plan: LegacyTradeIDPlan, updatedCount: Int, verifiedCount: Int) {
        self.plan = plan
        self.updatedCount = updatedCount
        self.verifiedCount = verifiedCount
    }
}

/// The lifecycle reconciliation report of one profile (phase C): its lifecycles and the
/// anomalies the core's ``LifecycleAnalysis`` finds over its orders and the `trade_history`
/// rows that reference a trade id.
public struct LifecycleReport: Sendable, Hashable {
    /// The profile.
    public var profileID: ProfileID
    /// How many orders were read.
    public var orderCount: Int
    /// How many `trade_history` rows name a trade id.
    public var historyReferenceCount: Int
    /// How many lifecycles the profile has.
    public var lifecycleCount: Int
    /// The open lifecycles (`open_qty > 0`), by (symbol, trade_id).
    public var openLifecycles: [LifecycleSummary]
    /// The anomalies: `orphan_exit`, `overclosed`, `missing_entry_order`, `missing_trade_id`,
    /// in the order of ``LifecycleAnalysis/anomalies``.
    public var anomalies: [LifecycleAnomaly]

    /// Whether the report has no anomaly.
    public var isClean: Bool { anomalies.isEmpty }

    /// Creates a report.
    ///
    /// - Parameters: The fields of the same names.
    public init(profileID: ProfileID, orderCount: Int, historyReferenceCount: Int, lifecycleCount: Int,
                openLifecycles: [LifecycleSummary], anomalies: [LifecycleAnomaly]) {
        self.profileID = profileID
        self.orderCount = orderCount
        self.historyReferenceCount = historyReferenceCount
        self.lifecycleCount = lifecycleCount
        self.openLifecycles = openLifecycles
        self.anomalies = anomalies
    }
}

/// A named constraint and whether PostgreSQL has validated it (`pg_constraint.convalidated`).
public struct RunbookConstraintState: Sendable, Hashable {
    /// `conname`.
    public var name: String
    /// `convalidated`: `false` while the constraint is `NOT VALID`.
    public var isValidated: Bool

    /// Creates a state.
    ///
    /// - Parameters:
    ///   - name: `conname`.
    ///   - isValidated: `convalidated`.
    public init(name: String, isValidated: Bool) {
        self.name = name
        self.isValidated = isValidated
    }
}

/// The constraint and index listing of phase B.
public struct RunbookConstraintListing: Sendable, Hashable {
    /// The five constraints of the reference plan, as its `pg_constraint` query returns them
    /// (absent ones are missing), sorted by name.
    public var referenceConstraints: [RunbookConstraintState]
    /// The other constraints the schema adds `NOT VALID` (migration 0005), sorted by name.
    public var additionalConstraints: [RunbookConstraintState]
    /// The `idx_%trade_id%` indexes of `orders` and `trade_history`, as the plan's `pg_indexes`
    /// query returns them, sorted.
    public var indexes: [String]

    /// Creates a listing.
    ///
    /// - Parameters: The fields of the same names.
    public init(referenceConstraints: [RunbookConstraintState], additionalConstraints: [RunbookConstraintState], indexes: [String]) {
        self.referenceConstraints = referenceConstraints
        self.additionalConstraints = additionalConstraints
        self.indexes = indexes
    }
}

/// The outcome of one `ALTER TABLE ... VALIDATE CONSTRAINT` statement.
public struct RunbookConstraintValidation: Sendable, Hashable {
    /// The constraint.
    public var name: String
    /// The statement sent, exactly.
    public var statement: String
    /// `nil` when the statement succeeded (the constraint is validated); otherwise the
    /// SQLSTATE of the failure (`23514`: rows break it; `42704`: it does not exist), or
    /// `"unknown"` when the server sent none.
    public var failureSQLState: String?

    /// Whether the statement succeeded.
    public var succeeded: Bool { failureSQLState == nil }

    /// Creates an outcome.
    ///
    /// - Parameters: The fields of the same names.
    public init(name: String, statement: String, failureSQLState: String?) {
        self.name = name
        self.statement = statement
        self.failureSQLState = failureSQLState
    }
}
