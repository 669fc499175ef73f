/// The decision recorded for one row of an EXIT backfill run (`reconciliation_backfill_audit.decision`).
public enum BackfillDecision: String, Sendable, Hashable, CaseIterable, Codable {
    /// A candidate row planned in dry-run mode; nothing was inserted.
    case dryRun = "DRY_RUN"
    /// A candidate row whose EXIT insert is under way (written before the insert).
    case pendingApply = "PENDING_APPLY"
    /// The EXIT row was inserted.
    case applied = "APPLIED"
    /// The EXIT row's order id already existed; nothing was inserted.
    case skipExisting = "SKIP_EXISTING"
    /// The trade did not pass a gate, or its remainder is too large to close without evidence.
    case noGo = "NO_GO"
}

/// Why a backfill row was planned as it was (`reconciliation_backfill_audit.reason`).
public enum BackfillReason: String, Sendable, Hashable, CaseIterable, Codable {
    /// An exchange fill on the closing side explains this part of the open quantity.
    case fillEvidence = "fill_evidence"
    /// The unexplained remainder is at most the dust threshold.
    case dustRemainder = "dust_remainder"
    /// Pause is required and the profile is not paused (or unknown).
    case profileNotPaused = "profile_not_paused"
    /// The exchange position of the symbol is larger than the dust quantity.
    case exchangeNotFlat = "exchange_not_flat"
    /// An order of the trade is still pending or open.
    case pendingLifecycleBlocker = "pending_lifecycle_blocker"
    /// The unexplained remainder is larger than the dust threshold.
    case missingFillEvidenceForLargeRemainder = "missing_fill_evidence_for_large_remainder"
}

/// The identifier of one backfill run; every audit row of the run carries it.
public struct BackfillBatchID: TextIdentifier {
    /// The identifier as given.
    public let rawValue: String

    /// Creates a batch id.
    ///
    /// - Throws: ``InputError`` with code ``InputError/Code/blank`` for blank text.
    public init(_ rawValue: String) throws(InputError) {
        guard !ProfileID.isBlank(rawValue) else {
            throw InputError(.blank, field: "batch_id", value: rawValue, detail: "a batch id must not be blank")
        }
        self.rawValue = rawValue
    }

    /// A new batch id: `bf-` followed by the start time in microseconds and 64 random bits in hex.
    ///
    /// - Parameter now: The run's start time.
    public static func make(at now: Timestamp) -> BackfillBatchID {
        var generator = SystemRandomNumberGenerator()
        let random = generator.next() as UInt64
        let hex = String(random, radix: 16)
        let padded = String(repeating: "0", count: 16 - hex.count) + hex
        return BackfillBatchID(unchecked: "bf-\(now.microsecondsSinceEpoch)-\(padded)")
    }

    private init(unchecked rawValue: String) {
        self.rawValue = rawValue
    }
}

/// One row of `reconciliation_backfill_audit`: every planned row of a backfill run, `NO_GO`
/// included.
public struct BackfillAuditRecord: Sendable, Hashable {
    /// `batch_id`: the run.
    public let batchID: BackfillBatchID
    /// The row's position within its batch (0, 1, 2, …); with ``batchID`` the row's key.
    public let rowNumber: Int
    /// `profile_id`.
    public let profileID: ProfileID
    /// `symbol`.
    public let symbol: String
    /// `trade_id`.
    public let tradeID: TradeID
    /// `decision`.
    public var decision: BackfillDecision
    /// `reason`.
    public let reason: BackfillReason
    /// `open_qty`: the lifecycle's open quantity when planned.
    public let openQuantity: ExactDecimal
    /// `filled_qty`: the quantity this row closes, or the uncovered remainder of a large-remainder
    /// NO_GO; `nil` for gate NO_GO rows.
    public let filledQuantity: ExactDecimal?
    /// `price`.
    public let price: ExactDecimal?
    /// `backfill_order_id`: the deterministic `BFILL-` id of the EXIT row; `nil` for NO_GO rows.
    public let backfillOrderID: OrderID?
    /// `exchange_order_id`: the fill's exchange order id, or `DUST`.
    public let exchangeOrderID: String?
    /// `exchange_client_order_id`: the fill's client order id.
    public let exchangeClientOrderID: ClientOrderID?
    /// `filled_at`.
    public let filledAt: Timestamp?
    /// `created_at`.
    public let createdAt: Timestamp
    /// `reverted_at`: when the batch was rolled back.
    public var revertedAt: Timestamp?

    /// Creates an audit record.
    public init(batchID: BackfillBatchID, rowNumber: Int, profileID: ProfileID, symbol: String, tradeID: TradeID,
                decision: BackfillDecision, reason: BackfillReason, openQuantity: ExactDecimal,
                filledQuantity: ExactDecimal?, price: ExactDecimal?, backfillOrderID: OrderID?,
                exchangeOrderID: String?, exchangeClientOrderID: ClientOrderID?, filledAt: Timestamp?,
                createdAt: Timestamp, revertedAt: Timestamp? = nil) {
        self.batchID = batchID
        self.rowNumber = rowNumber
        self.profileID = profileID
        self.symbol = symbol
        self.tradeID = tradeID
        self.decision = decision
        self.reason = reason
        self.openQuantity = openQuantity
        self.filledQuantity = filledQuantity
        self.price = price
        self.backfillOrderID = backfillOrderID
        self.exchangeOrderID = exchangeOrderID
        self.exchangeClientOrderID = exchangeClientOrderID
        self.filledAt = filledAt
        self.createdAt = createdAt
        self.revertedAt = revertedAt
    }

    /// The record's key: batch and row number.
    public var key: BackfillAuditKey { BackfillAuditKey(batchID: batchID, rowNumber: rowNumber) }
}

/// The key of an audit record: its batch and row number.
public struct BackfillAuditKey: Sendable, Hashable {
    /// The batch.
    public let batchID: BackfillBatchID
    /// The row number within the batch.
    public let rowNumber: Int

    /// Creates a key.
    public init(batchID: BackfillBatchID, rowNumber: Int) {
        self.batchID = batchID
        self.rowNumber = rowNumber
    }
}
