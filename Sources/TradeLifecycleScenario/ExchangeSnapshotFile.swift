public import TradeLifecycle

/// An exchange snapshot file: what `trade-lifecycle backfill plan|apply --exchange FILE` reads.
///
/// One JSON object in the field style of a scenario's `exchange` object (SPEC section 9),
/// read with the same strict reader (decimals as strings, times as ISO-8601 strings, no
/// unknown field, the first error names its location, record and field):
///
/// | Path | Fields (`?`: may be absent or `null`) |
/// |---|---|
/// | top level | `positions`, `fills`, `openOrders?` |
/// | `positions[]` | `profileId`, `symbol`, `quantity` (signed decimal) |
/// | `fills[]` | `profileId`, `symbol`, `side` (`buy`/`sell`), `exchangeOrderId`, `clientOrderId?`, `quantity`, `price`, `filledAt` |
/// | `openOrders[]` | `profileId`, `symbol`, `side` (`buy`/`sell`), `exchangeOrderId`, `clientOrderId?`, `status`, `quantity`, `filledQuantity?` (0 when absent), `price?` |
///
/// Any non-blank `profileId` is accepted (the snapshot may cover several profiles; the
/// backfill reads the one it plans).
public enum ExchangeSnapshotFile {
    /// Reads an exchange snapshot file's content.
    ///
    /// - Parameter json: The UTF-8 bytes of the file.
    /// - Returns: The snapshot, records in file order.
    /// - Throws: ``ScenarioError`` naming the location, record and field of the first problem.
    public static func read(json: [UInt8]) throws(ScenarioError) -> ExchangeSnapshot {
        let rootValue = try JSONParser.parse(json)
        let root = try ScenarioFields(rootValue, location: "exchange snapshot")
        try root.rejectUnknownFields(allowed: ["positions", "fills", "openOrders"])
        var positions: [ExchangePosition] = []
        for (index, element) in try root.array("positions").enumerated() {
            positions.append(try Scenario.position(element, location: "positions[\(index)]", profiles: nil))
        }
        var fills: [ExchangeFill] = []
        for (index, element) in try root.array("fills").enumerated() {
            fills.append(try Scenario.fill(element, location: "fills[\(index)]", profiles: nil))
        }
        var openOrders: [ExchangeOrder] = []
        if case .object(let members) = rootValue, members.contains(where: { $0.name == "openOrders" && $0.value != .null }) {
            for (index, element) in try root.array("openOrders").enumerated() {
                openOrders.append(try openOrder(element, location: "openOrders[\(index)]"))
            }
        }
        return ExchangeSnapshot(openOrders: openOrders, positions: positions, fills: fills)
    }

    private static func openOrder(_ element: JSONValue, location: String) throws(ScenarioError) -> ExchangeOrder {
        var fields = try ScenarioFields(element, location: location)
        let exchangeOrderID = try fields.required("exchangeOrderId") { $0 }
        fields.record = "exchange order \(exchangeOrderID)"
        try fields.rejectUnknownFields(allowed: ["profileId", "symbol", "side", "exchangeOrderId", "clientOrderId", "status",
                                                 "quantity", "filledQuantity", "price"])
        let profileID = try Scenario.profileReference(fields, profiles: nil)
        let symbol = try fields.required("symbol") { $0 }
        let side = try fields.required("side") { text throws(InputError) in try OrderSide(parsing: text) }
        let clientOrderID = try fields.optional("clientOrderId") { ClientOrderID.normalized($0) } ?? nil
        let status = try fields.required("status") { text throws(InputError) in try OrderStatus(parsing: text) }
        let quantity = try fields.decimal("quantity")
        let filledQuantity = try fields.optionalDecimal("filledQuantity") ?? .zero
        let price = try fields.optionalDecimal("price")
        do {
            return try ExchangeOrder(profileID: profileID, symbol: symbol, exchangeOrderID: exchangeOrderID, clientOrderID: clientOrderID,
                                     side: side, status: status, quantity: quantity, filledQuantity: filledQuantity, price: price)
        } catch {
            throw ScenarioError(error, location: location, record: fields.record, field: error.field)
        }
    }
}
