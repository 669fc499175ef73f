/// Where a reference to a trade id comes from.
public enum TradeReferenceSource: String, Sendable, Hashable, CaseIterable, Codable {
    /// A `trade_history` row.
    case tradeHistory = "trade_history"
    /// A position (the service's or the exchange's) attributed to a trade.
    case position
}

/// A record outside the `orders` table that names a trade id: a `trade_history` row or a
/// position. The lifecycle analysis reports ``LifecycleAnomaly/missingEntryOrder(profileID:symbol:tradeID:source:)``
/// for a reference whose trade has no filled ENTRY in its profile.
public struct TradeReference: Sendable, Hashable {
    /// The profile of the referencing record.
    public let profileID: ProfileID
    /// The symbol of the referencing record, when it has one.
    public let symbol: String?
    /// The referenced trade id.
    public let tradeID: TradeID
    /// Where the reference comes from.
    public let source: TradeReferenceSource

    /// Creates a reference.
    ///
    /// - Parameters:
    ///   - profileID: The profile.
    ///   - symbol: The symbol, when known.
    ///   - tradeID: The referenced trade id.
    ///   - source: Where the reference comes from.
    public init(profileID: ProfileID, symbol: String?, tradeID: TradeID, source: TradeReferenceSource) {
        self.profileID = profileID
        self.symbol = symbol
        self.tradeID = tradeID
        self.source = source
    }

    /// Whether the references have the same source and the same bytes in every text field (as
    /// ``LifecycleKey`` compares text).
    public static func == (lhs: TradeReference, rhs: TradeReference) -> Bool {
        guard lhs.source == rhs.source, UTF8Order.equal(lhs.tradeID.rawValue, rhs.tradeID.rawValue),
              UTF8Order.equal(lhs.profileID.rawValue, rhs.profileID.rawValue) else { return false }
        switch (lhs.symbol, rhs.symbol) {
        case let (left?, right?): return UTF8Order.equal(left, right)
        case (nil, nil): return true
        default: return false
        }
    }

    /// Hashes the bytes of the text fields and the source.
    public func hash(into hasher: inout Hasher) {
        UTF8Order.hash(profileID.rawValue, into: &hasher)
        UTF8Order.hash(tradeID.rawValue, into: &hasher)
        if let symbol { UTF8Order.hash(symbol, into: &hasher) } else { hasher.combine(-1) }
        hasher.combine(source)
    }
}

/// A lifecycle integrity problem found by ``LifecycleAnalysis`` (SPEC section 3), named as the
/// reference lifecycle reconciliation report names it (``kind``).
public enum LifecycleAnomaly: Sendable, Hashable, CustomStringConvertible {
    /// `orphan_exit`: the lifecycle has filled EXIT quantity but no filled ENTRY
    /// (`exit_qty > 0`, `entry_qty = 0`).
    case orphanExit(LifecycleKey, exitQuantity: ExactDecimal)
    /// `overclosed`: more was exited than entered (`exit_qty > entry_qty > 0`).
    case overclosed(LifecycleKey, entryQuantity: ExactDecimal, exitQuantity: ExactDecimal)
    /// `missing_entry_order`: a `trade_history` row or a position references a trade id that
    /// has no filled ENTRY in its profile.
    case missingEntryOrder(profileID: ProfileID, symbol: String?, tradeID: TradeID, source: TradeReferenceSource)
    /// `missing_trade_id`: a filled or partially filled ENTRY or EXIT order without trade id.
    case missingTradeID(orderID: OrderID, profileID: ProfileID, symbol: String, action: LifecycleAction)

    /// The report's name of the anomaly: `orphan_exit`, `overclosed`, `missing_entry_order`,
    /// `missing_trade_id`.
    public var kind: String {
        switch self {
        case .orphanExit: return "orphan_exit"
        case .overclosed: return "overclosed"
        case .missingEntryOrder: return "missing_entry_order"
        case .missingTradeID: return "missing_trade_id"
        }
    }

    /// The profile the anomaly belongs to.
    public var profileID: ProfileID {
        switch self {
        case .orphanExit(let key, _), .overclosed(let key, _, _): return key.profileID
        case .missingEntryOrder(let profileID, _, _, _), .missingTradeID(_, let profileID, _, _): return profileID
        }
    }

    /// The symbol concerned, when known.
    public var symbol: String? {
        switch self {
        case .orphanExit(let key, _), .overclosed(let key, _, _): return key.symbol
        case .missingEntryOrder(_, let symbol, _, _): return symbol
        case .missingTradeID(_, _, let symbol, _): return symbol
        }
    }

    /// The trade id concerned, when there is one.
    public var tradeID: TradeID? {
        switch self {
        case .orphanExit(let key, _), .overclosed(let key, _, _): return key.tradeID
        case .missingEntryOrder(_, _, let tradeID, _): return tradeID
        case .missingTradeID: return nil
        }
    }

    /// `kind profile/symbol/trade_id` and the values involved.
    public var description: String {
        switch self {
        case let .orphanExit(key, exitQuantity):
            return "orphan_exit \(key): exit_qty \(exitQuantity), no filled ENTRY"
        case let .overclosed(key, entryQuantity, exitQuantity):
            return "overclosed \(key): exit_qty \(exitQuantity) > entry_qty \(entryQuantity)"
        case let .missingEntryOrder(profileID, symbol, tradeID, source):
            return "missing_entry_order \(profileID.rawValue)/\(symbol ?? "-")/\(tradeID.rawValue): referenced by \(source.rawValue), no filled ENTRY"
        case let .missingTradeID(orderID, profileID, symbol, action):
            return "missing_trade_id \(profileID.rawValue)/\(symbol): \(action.rawValue) order \(orderID.rawValue) has no trade_id"
        }
    }
}
