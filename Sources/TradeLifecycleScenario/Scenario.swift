public import TradeLifecycle

/// An offline backfill scenario (SPEC section 9): a planning time, the backfill settings, the
/// profiles' pause state, the orders and the exchange's positions and fills.
///
/// ## File format
///
/// One JSON object; decimals are strings (`"1.5"`, PostgreSQL `numeric` text), times are
/// ISO-8601 strings (`"2026-02-15T12:00:00.000Z"`). Every field listed is read and no other
/// field is accepted (a misspelt name is an error, never a silent default).
///
/// | Path | Fields (`?`: may be absent or `null`) |
/// |---|---|
/// | top level | `now`, `config`, `profiles`, `orders`, `exchange` |
/// | `config` | `enabled`, `dryRun`, `requirePause` (booleans), `dustAbsQty`, `dustRelPct` (decimals), `lookbackHours` (whole number) |
/// | `profiles[]` | `profileId`, `paused` (boolean) |
/// | `orders[]` | `orderId`, `profileId`, `symbol`, `status`, `tradeId?`, `action?` (`ENTRY`/`EXIT`), `side?` (`long`/`short`), `quantity?`, `qty?`, `price?`, `exchangeOrderId?`, `clientOrderId?`, `filledAt?` |
/// | `exchange` | `positions`, `fills` |
/// | `exchange.positions[]` | `profileId`, `symbol`, `quantity` (signed decimal) |
/// | `exchange.fills[]` | `profileId`, `symbol`, `side` (`buy`/`sell`), `exchangeOrderId`, `clientOrderId?`, `quantity`, `price`, `filledAt` |
///
/// Blank `tradeId`, `exchangeOrderId` and `clientOrderId` are `null` (the null policy of SPEC
/// section 2). An order's `created_at` is its `filledAt`, or `now` when it has none. Every
/// `profileId` of an order, position or fill must be one of `profiles`; profile ids and order
/// ids are unique.
///
/// The whole file is read and checked before anything is planned.
public struct Scenario: Sendable {
    /// `now`: the planning time (the end of the evidence window, `created_at` of audit rows).
    public let now: Timestamp
    /// `config`, with the throttle at its default.
    public let configuration: BackfillConfiguration
    /// `profiles`, in file order.
    public let profiles: [TradingProfile]
    /// `orders`, in file order.
    public let orders: [Order]
    /// `exchange`: positions and fills (no open orders).
    public let exchange: ExchangeSnapshot

    /// Creates a scenario from values.
    ///
    /// - Parameters:
    ///   - now: The planning time.
    ///   - configuration: The backfill settings.
    ///   - profiles: The profiles.
    ///   - orders: The orders.
    ///   - exchange: The exchange's positions and fills.
    public init(now: Timestamp, configuration: BackfillConfiguration, profiles: [TradingProfile], orders: [Order],
                exchange: ExchangeSnapshot) {
        self.now = now
        self.configuration = configuration
        self.profiles = profiles
        self.orders = orders
        self.exchange = exchange
    }

    /// Reads a scenario file's content.
    ///
    /// - Parameter json: The UTF-8 bytes of the file.
    /// - Throws: ``ScenarioError`` naming the location, record and field of the first problem.
    public init(json: [UInt8]) throws(ScenarioError) {
        let root = try ScenarioFields(try JSONParser.parse(json), location: "")
        try root.rejectUnknownFields(allowed: ["now", "config", "profiles", "orders", "exchange"])
        now = try root.timestamp("now")
        configuration = try Self.configuration(try root.object("config"))

        var profiles: [TradingProfile] = []
        var profileIDs = Set<ProfileID>()
        for (index, element) in try root.array("profiles").enumerated() {
            var fields = try ScenarioFields(element, location: "profiles[\(index)]")
            let profileID = try fields.required("profileId") { text throws(InputError) in try ProfileID(text) }
            fields.record = "profile \(profileID.rawValue)"
            try fields.rejectUnknownFields(allowed: ["profileId", "paused"])
            guard profileIDs.insert(profileID).inserted else {
                throw fields.error(.duplicate, field: "profileId", "the profile id occurs twice")
            }
            profiles.append(TradingProfile(profileID: profileID, isPaused: try fields.bool("paused"), updatedAt: now))
        }
        self.profiles = profiles

        var orders: [Order] = []
        var orderIDs = Set<OrderID>()
        for (index, element) in try root.array("orders").enumerated() {
            let order = try Self.order(element, location: "orders[\(index)]", now: now, profiles: profileIDs)
            guard orderIDs.insert(order.orderID).inserted else {
                throw ScenarioError(.duplicate, location: "orders[\(index)]", record: order.recordName, field: "orderId",
                                    detail: "the order id occurs twice")
            }
            orders.append(order)
        }
        self.orders = orders

        let exchangeFields = try root.object("exchange")
        try exchangeFields.rejectUnknownFields(allowed: ["positions", "fills"])
        var positions: [ExchangePosition] = []
        for (index, element) in try exchangeFields.array("positions").enumerated() {
            positions.append(try Self.position(element, location: "exchange.positions[\(index)]", profiles: profileIDs))
        }
        var fills: [ExchangeFill] = []
        for (index, element) in try exchangeFields.array("fills").enumerated() {
            fills.append(try Self.fill(element, location: "exchange.fills[\(index)]", profiles: profileIDs))
        }
        exchange = ExchangeSnapshot(positions: positions, fills: fills)
    }

    private static func configuration(_ fields: ScenarioFields) throws(ScenarioError) -> BackfillConfiguration {
        try fields.rejectUnknownFields(allowed: ["enabled", "dryRun", "requirePause", "dustAbsQty", "dustRelPct", "lookbackHours"])
        let enabled = try fields.bool("enabled")
        let dryRun = try fields.bool("dryRun")
        let requirePause = try fields.bool("requirePause")
        let absolute = try fields.decimal("dustAbsQty")
        let relative = try fields.decimal("dustRelPct")
        let lookbackHours = try fields.wholeNumber("lookbackHours")
        let dust: DustPolicy
        do {
            dust = try DustPolicy(absoluteQuantity: absolute, relativeFraction: relative)
        } catch {
            let field = error.field == BackfillConfiguration.Variable.dustRelativeFraction.rawValue ? "dustRelPct" : "dustAbsQty"
            throw ScenarioError(error, location: fields.location, record: nil, field: field)
        }
        do {
            return try BackfillConfiguration(isEnabled: enabled, isDryRun: dryRun, requiresPause: requirePause, dust: dust,
                                             lookbackHours: lookbackHours)
        } catch {
            throw ScenarioError(error, location: fields.location, record: nil, field: "lookbackHours")
        }
    }

    /// The record's `profileId`, which must be one of `profiles` (any profile id when `nil`).
    static func profileReference(_ fields: ScenarioFields, profiles: Set<ProfileID>?) throws(ScenarioError) -> ProfileID {
        let profileID = try fields.required("profileId") { text throws(InputError) in try ProfileID(text) }
        guard profiles?.contains(profileID) ?? true else {
            throw fields.error(.unknownProfile, field: "profileId", "no profile '\(profileID.rawValue)' in profiles")
        }
        return profileID
    }

    private static let orderFields: [String] = [
        "orderId", "profileId", "symbol", "tradeId", "action", "side", "status", "quantity", "qty", "price",
        "exchangeOrderId", "clientOrderId", "filledAt",
    ]

    /// The scenario's name of a column the core names in its errors.
    private static let fieldNames = [
        "order_id": "orderId", "profile_id": "profileId", "trade_id": "tradeId", "qty": "qty",
        "exchange_order_id": "exchangeOrderId", "client_order_id": "clientOrderId", "filled_at": "filledAt",
    ]

    private static func order(_ element: JSONValue, location: String, now: Timestamp,
                              profiles: Set<ProfileID>) throws(ScenarioError) -> Order {
        var fields = try ScenarioFields(element, location: location)
        let orderID = try fields.required("orderId") { text throws(InputError) in try OrderID(text) }
        fields.record = "order \(orderID.rawValue)"
        try fields.rejectUnknownFields(allowed: orderFields)
        let profileID = try profileReference(fields, profiles: profiles)
        let symbol = try fields.required("symbol") { $0 }
        let status = try fields.required("status") { text throws(InputError) in try OrderStatus(parsing: text) }
        let tradeID = try fields.optional("tradeId") { TradeID.normalized($0) } ?? nil
        let action = try fields.optional("action") { text throws(InputError) in try LifecycleAction(parsing: text) }
        let side = try fields.optional("side") { text throws(InputError) in try PositionSide(parsing: text) }
        let quantity = try fields.optionalDecimal("quantity")
        let legacyQuantity = try fields.optionalDecimal("qty")
        let price = try fields.optionalDecimal("price")
        let exchangeOrderID = try fields.optional("exchangeOrderId") { $0 }
        let clientOrderID = try fields.optional("clientOrderId") { ClientOrderID.normalized($0) } ?? nil
        let filledAt = try fields.optionalTimestamp("filledAt")
        do {
            return try Order(orderID: orderID, profileID: profileID, symbol: symbol, tradeID: tradeID, action: action, side: side,
                             status: status, quantity: quantity, legacyQuantity: legacyQuantity, price: price,
                             exchangeOrderID: exchangeOrderID, clientOrderID: clientOrderID, filledAt: filledAt,
                             createdAt: filledAt ?? now)
        } catch {
            throw ScenarioError(error, location: location, record: fields.record, field: fieldNames[error.field] ?? error.field)
        }
    }

    static func position(_ element: JSONValue, location: String, profiles: Set<ProfileID>?) throws(ScenarioError) -> ExchangePosition {
        var fields = try ScenarioFields(element, location: location)
        try fields.rejectUnknownFields(allowed: ["profileId", "symbol", "quantity"])
        let profileID = try profileReference(fields, profiles: profiles)
        let symbol = try fields.required("symbol") { $0 }
        fields.record = "position \(profileID.rawValue)/\(symbol)"
        let quantity = try fields.decimal("quantity")
        do {
            return try ExchangePosition(profileID: profileID, symbol: symbol, quantity: quantity)
        } catch {
            throw ScenarioError(error, location: location, record: fields.record, field: error.field)
        }
    }

    /// The fields of a fill (one list shared by every fill: a snapshot may hold 10^5 of them).
    static let fillFields: [String] = ["profileId", "symbol", "side", "exchangeOrderId", "clientOrderId", "quantity", "price", "filledAt"]

    static func fill(_ element: JSONValue, location: String, profiles: Set<ProfileID>?) throws(ScenarioError) -> ExchangeFill {
        var fields = try ScenarioFields(element, location: location)
        let exchangeOrderID = try fields.required("exchangeOrderId") { $0 }
        fields.record = "fill \(exchangeOrderID)"
        try fields.rejectUnknownFields(allowed: fillFields)
        let profileID = try profileReference(fields, profiles: profiles)
        let symbol = try fields.required("symbol") { $0 }
        let side = try fields.required("side") { text throws(InputError) in try OrderSide(parsing: text) }
        let clientOrderID = try fields.optional("clientOrderId") { ClientOrderID.normalized($0) } ?? nil
        let quantity = try fields.decimal("quantity")
        let price = try fields.decimal("price")
        let filledAt = try fields.timestamp("filledAt")
        do {
            return try ExchangeFill(profileID: profileID, symbol: symbol, side: side, exchangeOrderID: exchangeOrderID,
                                    clientOrderID: clientOrderID, quantity: quantity, price: price, filledAt: filledAt)
        } catch {
            throw ScenarioError(error, location: location, record: fields.record, field: error.field)
        }
    }
}
