/// The kinds of difference a reconciliation reports (SPEC section 5), in the order
/// ``ReconciliationDiff`` lists them within a symbol.
///
/// The first seven compare the database with the exchange; the last four are the lifecycle
/// anomalies of SPEC section 3, found in the database alone, with the reference report's names
/// as raw values.
public enum DiscrepancyKind: String, Sendable, Hashable, CaseIterable, Codable {
    /// A live order here that the exchange neither lists as open nor has a fill for.
    case orderMissingOnExchange
    /// An order the exchange lists as open that matches no order here.
    case orderMissingInDatabase
    /// An order whose status here differs from the exchange's.
    case orderStatusMismatch
    /// An order whose filled quantity here differs from the exchange's.
    case filledQuantityMismatch
    /// Open lifecycles here; the exchange is flat in the symbol.
    case ghostPosition
    /// An exchange position in a symbol without open lifecycles here.
    case untrackedPosition
    /// The signed open quantity here differs from the exchange position.
    case positionQuantityMismatch
    /// `orphan_exit`: filled EXIT quantity without a filled ENTRY.
    case orphanExit = "orphan_exit"
    /// `overclosed`: more exited than entered.
    case overclosed
    /// `missing_entry_order`: a reference to a trade id without a filled ENTRY.
    case missingEntryOrder = "missing_entry_order"
    /// `missing_trade_id`: a filled ENTRY or EXIT without trade id.
    case missingTradeID = "missing_trade_id"

    /// The kind of a lifecycle anomaly.
    ///
    /// - Parameter anomaly: The anomaly.
    public init(_ anomaly: LifecycleAnomaly) {
        switch anomaly {
        case .orphanExit: self = .orphanExit
        case .overclosed: self = .overclosed
        case .missingEntryOrder: self = .missingEntryOrder
        case .missingTradeID: self = .missingTradeID
        }
    }

    /// The position of the kind in the output order of ``ReconciliationDiff``.
    var rank: Int {
        switch self {
        case .orderMissingOnExchange: return 0
        case .orderMissingInDatabase: return 1
        case .orderStatusMismatch: return 2
        case .filledQuantityMismatch: return 3
        case .ghostPosition: return 4
        case .untrackedPosition: return 5
        case .positionQuantityMismatch: return 6
        case .orphanExit: return 7
        case .overclosed: return 8
        case .missingEntryOrder: return 9
        case .missingTradeID: return 10
        }
    }
}

/// Which id matched a database order to an exchange order or fill.
public enum OrderMatchKey: String, Sendable, Hashable, CaseIterable, Codable {
    /// `client_order_id`: tried first.
    case clientOrderID = "client_order_id"
    /// `exchange_order_id`: tried when the client order id does not match.
    case exchangeOrderID = "exchange_order_id"
}

/// What the exchange shows for one database order: the open order it lists, or else the fills
/// it reports for the order.
public struct ExchangeOrderEvidence: Sendable, Hashable {
    /// The id that matched: the open order's, or the client order id when any fill matched by it.
    public let matchedBy: OrderMatchKey
    /// The open order the exchange lists for the database order, if any.
    public let openOrder: ExchangeOrder?
    /// The exchange order id of the open order, or of the latest matched fill.
    public let exchangeOrderID: String
    /// The exchange's status of the order: the open order's status; ``OrderStatus/filled``
    /// when the order is not listed open and its fills add up to the order quantity; `nil` when
    /// it is not listed open and its fills add up to less (closed after a partial execution,
    /// or executed earlier than the snapshot's fills reach).
    public let status: OrderStatus?
    /// The exchange's filled quantity: the open order's, or the sum of the matched fills (a
    /// lower bound, as a snapshot carries recent fills only).
    public let filledQuantity: ExactDecimal
    /// How many fills matched the order.
    public let fillCount: Int
    /// The latest `filled_at` of the matched fills, if any.
    public let lastFilledAt: Timestamp?

    /// Creates evidence (the diff builds it; tests and handlers may too).
    ///
    /// - Parameters:
    ///   - matchedBy: The id that matched.
    ///   - openOrder: The open order, if listed.
    ///   - exchangeOrderID: The exchange order id.
    ///   - status: The exchange's status, `nil` when not known.
    ///   - filledQuantity: The exchange's filled quantity.
    ///   - fillCount: How many fills matched.
    ///   - lastFilledAt: The latest matched fill time.
    public init(matchedBy: OrderMatchKey, openOrder: ExchangeOrder?, exchangeOrderID: String, status: OrderStatus?,
                filledQuantity: ExactDecimal, fillCount: Int, lastFilledAt: Timestamp?) {
        self.matchedBy = matchedBy
        self.openOrder = openOrder
        self.exchangeOrderID = exchangeOrderID
        self.status = status
        self.filledQuantity = filledQuantity
        self.fillCount = fillCount
        self.lastFilledAt = lastFilledAt
    }
}

/// The database's and the exchange's quantity of one profile in one symbol.
public struct PositionComparison: Sendable, Hashable {
    /// The profile.
    public let profileID: ProfileID
    /// The symbol.
    public let symbol: String
    /// The trade ids of the open lifecycles of the symbol, sorted.
    public let tradeIDs: [TradeID]
    /// The signed sum of the open lifecycles' open quantities: long positive, short negative.
    public let databaseQuantity: ExactDecimal
    /// The exchange's signed net position (zero when it lists none).
    public let exchangeQuantity: ExactDecimal

    /// Creates a comparison.
    ///
    /// - Parameters:
    ///   - profileID: The profile.
    ///   - symbol: The symbol.
    ///   - tradeIDs: The open lifecycles' trade ids.
    ///   - databaseQuantity: The signed open quantity here.
    ///   - exchangeQuantity: The exchange's signed position.
    public init(profileID: ProfileID, symbol: String, tradeIDs: [TradeID], databaseQuantity: ExactDecimal,
                exchangeQuantity: ExactDecimal) {
        self.profileID = profileID
        self.symbol = symbol
        self.tradeIDs = tradeIDs
        self.databaseQuantity = databaseQuantity
        self.exchangeQuantity = exchangeQuantity
    }
}

/// One difference between the database's view of a profile and the exchange's, or a lifecycle
/// anomaly of the database, with the profile, the symbol and the ids involved.
///
/// ``ReconciliationDiff`` documents the rule that produces each case.
public enum Discrepancy: Sendable, Hashable, CustomStringConvertible {
    /// A live order (pending, open, partially filled) with an exchange or client order id that
    /// the exchange does not list as open and has no fill for.
    case orderMissingOnExchange(Order)
    /// An order the exchange lists as open whose client order id and exchange order id match
    /// no order here.
    case orderMissingInDatabase(ExchangeOrder)
    /// The database order's status differs from what the exchange shows.
    case orderStatusMismatch(Order, exchange: ExchangeOrderEvidence)
    /// The statuses agree (or cannot be compared) but the filled quantities differ.
    case filledQuantityMismatch(Order, exchange: ExchangeOrderEvidence)
    /// Open lifecycles in a symbol in which the exchange is flat.
    case ghostPosition(PositionComparison)
    /// An exchange position in a symbol without open lifecycles.
    case untrackedPosition(PositionComparison)
    /// Open lifecycles and an exchange position whose quantities differ.
    case positionQuantityMismatch(PositionComparison)
    /// A lifecycle anomaly of SPEC section 3.
    case lifecycleAnomaly(LifecycleAnomaly)

    /// The kind.
    public var kind: DiscrepancyKind {
        switch self {
        case .orderMissingOnExchange: return .orderMissingOnExchange
        case .orderMissingInDatabase: return .orderMissingInDatabase
        case .orderStatusMismatch: return .orderStatusMismatch
        case .filledQuantityMismatch: return .filledQuantityMismatch
        case .ghostPosition: return .ghostPosition
        case .untrackedPosition: return .untrackedPosition
        case .positionQuantityMismatch: return .positionQuantityMismatch
        case .lifecycleAnomaly(let anomaly): return DiscrepancyKind(anomaly)
        }
    }

    /// The profile concerned.
    public var profileID: ProfileID {
        switch self {
        case .orderMissingOnExchange(let order), .orderStatusMismatch(let order, _), .filledQuantityMismatch(let order, _):
            return order.profileID
        case .orderMissingInDatabase(let order):
            return order.profileID
        case .ghostPosition(let position), .untrackedPosition(let position), .positionQuantityMismatch(let position):
            return position.profileID
        case .lifecycleAnomaly(let anomaly):
            return anomaly.profileID
        }
    }

    /// The symbol concerned; `nil` only for a `missing_entry_order` whose reference has no symbol.
    public var symbol: String? {
        switch self {
        case .orderMissingOnExchange(let order), .orderStatusMismatch(let order, _), .filledQuantityMismatch(let order, _):
            return order.symbol
        case .orderMissingInDatabase(let order):
            return order.symbol
        case .ghostPosition(let position), .untrackedPosition(let position), .positionQuantityMismatch(let position):
            return position.symbol
        case .lifecycleAnomaly(let anomaly):
            return anomaly.symbol
        }
    }

    /// The database order concerned, if any.
    public var orderID: OrderID? {
        switch self {
        case .orderMissingOnExchange(let order), .orderStatusMismatch(let order, _), .filledQuantityMismatch(let order, _):
            return order.orderID
        case .lifecycleAnomaly(.missingTradeID(let orderID, _, _, _)):
            return orderID
        case .orderMissingInDatabase, .ghostPosition, .untrackedPosition, .positionQuantityMismatch, .lifecycleAnomaly:
            return nil
        }
    }

    /// The trade ids concerned: the order's, the open lifecycles' of the symbol, or the
    /// anomaly's.
    public var tradeIDs: [TradeID] {
        switch self {
        case .orderMissingOnExchange(let order), .orderStatusMismatch(let order, _), .filledQuantityMismatch(let order, _):
            return order.tradeID.map { [$0] } ?? []
        case .orderMissingInDatabase:
            return []
        case .ghostPosition(let position), .untrackedPosition(let position), .positionQuantityMismatch(let position):
            return position.tradeIDs
        case .lifecycleAnomaly(let anomaly):
            return anomaly.tradeID.map { [$0] } ?? []
        }
    }

    /// The exchange order id concerned: the exchange's where it showed the order, else the
    /// database order's.
    public var exchangeOrderID: String? {
        switch self {
        case .orderMissingOnExchange(let order):
            return order.exchangeOrderID
        case .orderMissingInDatabase(let order):
            return order.exchangeOrderID
        case .orderStatusMismatch(_, let evidence), .filledQuantityMismatch(_, let evidence):
            return evidence.exchangeOrderID
        case .ghostPosition, .untrackedPosition, .positionQuantityMismatch, .lifecycleAnomaly:
            return nil
        }
    }

    /// The client order id concerned, if any.
    public var clientOrderID: ClientOrderID? {
        switch self {
        case .orderMissingOnExchange(let order):
            return order.clientOrderID
        case .orderMissingInDatabase(let order):
            return order.clientOrderID
        case .orderStatusMismatch(let order, let evidence), .filledQuantityMismatch(let order, let evidence):
            return order.clientOrderID ?? evidence.openOrder?.clientOrderID
        case .ghostPosition, .untrackedPosition, .positionQuantityMismatch, .lifecycleAnomaly:
            return nil
        }
    }

    /// `kind profile/symbol: ids and values`.
    public var description: String {
        let prefix = "\(kind.rawValue) \(profileID.rawValue)/\(symbol ?? "-")"
        switch self {
        case .orderMissingOnExchange(let order):
            return "\(prefix): order \(order.orderID.rawValue) is \(order.status.rawValue) here"
                + " (exchange order id \(order.exchangeOrderID ?? "none"), client order id \(order.clientOrderID?.rawValue ?? "none"));"
                + " the exchange lists no open order and no fill for it"
        case .orderMissingInDatabase(let order):
            return "\(prefix): exchange order \(order.exchangeOrderID) (client order id \(order.clientOrderID?.rawValue ?? "none"),"
                + " \(order.status.rawValue)) matches no order here"
        case let .orderStatusMismatch(order, evidence):
            return "\(prefix): order \(order.orderID.rawValue) is \(order.status.rawValue) here,"
                + " exchange order \(evidence.exchangeOrderID) (by \(evidence.matchedBy.rawValue)) is"
                + " \(evidence.status?.rawValue ?? "closed after a partial execution") with filled quantity \(evidence.filledQuantity)"
        case let .filledQuantityMismatch(order, evidence):
            return "\(prefix): order \(order.orderID.rawValue) has filled quantity \(ReconciliationDiff.databaseFilledQuantity(of: order)) here,"
                + " exchange order \(evidence.exchangeOrderID) (by \(evidence.matchedBy.rawValue)) \(evidence.filledQuantity)"
        case .ghostPosition(let position):
            return "\(prefix): open lifecycles \(Self.list(position.tradeIDs)) hold \(position.databaseQuantity); the exchange is flat"
        case .untrackedPosition(let position):
            return "\(prefix): the exchange holds \(position.exchangeQuantity); no open lifecycle here"
        case .positionQuantityMismatch(let position):
            return "\(prefix): open lifecycles \(Self.list(position.tradeIDs)) hold \(position.databaseQuantity),"
                + " the exchange holds \(position.exchangeQuantity)"
        case .lifecycleAnomaly(let anomaly):
            return anomaly.description
        }
    }

    private static func list(_ tradeIDs: [TradeID]) -> String {
        tradeIDs.map(\.rawValue).joined(separator: ",")
    }
}
