import Logging
import PostgresNIO
import TradeLifecycle

/// Reads `orders` rows selected with ``RunbookSQL/orderColumns`` into the core's ``Order``,
/// with the core's own validation: every numeric is parsed from PostgreSQL's text by
/// ``ExactDecimal``, every time is read exactly (binary microseconds) and must be within
/// ``Timestamp``'s range, every status, action and side goes through the core's parsers. A row the core refuses stops the read with
/// ``PostgresRunbookError/Code-swift.enum/invalidRow`` naming the order, field and value.
enum RunbookOrderRow {
    typealias Columns = (
        String, String, String, String?, String?, String?, String,
        String?, String?, String?, String?,
        String?, String?,
        PostgresTimestamp?, PostgresTimestamp?, PostgresTimestamp?
    )

    /// Runs `query` and reads every row as an order.
    static func read(_ query: PostgresQuery, on connection: PostgresConnection, logger: Logger,
                     context: String) async throws(PostgresRunbookError) -> [Order] {
        var orders: [Order] = []
        do {
            let rows = try await connection.query(query, logger: logger)
            for try await row in rows {
                orders.append(try order(try columns(row)))
            }
        } catch {
            throw RunbookConnection.wrap(error, context: context)
        }
        return orders
    }

    /// The columns of one row, cell by cell: the values of `row.decode(Columns.self)`, whose
    /// parameter-pack decoding looks up type metadata for every row (a profile of the plan's
    /// read of 320,000 rows showed it as a large part of the read).
    static func columns(_ row: PostgresRow) throws -> Columns {
        var cells = row.makeIterator()
        func next() throws -> PostgresCell {
            guard let cell = cells.next() else { throw PostgresDecodingError.Code.missingData }
            return cell
        }
        func text() throws -> String { try next().decode(String.self) }
        func optionalText() throws -> String? { try next().decode(String?.self) }
        func time() throws -> PostgresTimestamp? { try next().decode(PostgresTimestamp?.self) }
        guard row.count == 16 else { throw PostgresDecodingError.Code.missingData }
        return (try text(), try text(), try text(), try optionalText(), try optionalText(), try optionalText(), try text(),
                try optionalText(), try optionalText(), try optionalText(), try optionalText(),
                try optionalText(), try optionalText(),
                try time(), try time(), try time())
    }

    /// One row as an order.
    static func order(_ columns: Columns) throws(PostgresRunbookError) -> Order {
        let (orderIDText, profileIDText, symbol, tradeIDText, actionText, sideText, statusText,
             quantityText, qtyText, filledQuantityText, priceText,
             exchangeOrderID, clientOrderIDText, filledAtValue, createdAtValue, updatedAtValue) = columns
        do throws(InputError) {
            let orderID = try OrderID(orderIDText)
            let profileID = try ProfileID(profileIDText)
            let status = try OrderStatus(parsing: statusText)
            let action = try actionText.map { text throws(InputError) in try LifecycleAction(parsing: text) }
            let side = try sideText.map { text throws(InputError) in try PositionSide(parsing: text) }
            let quantity = try decimal(quantityText, field: "quantity")
            let qty = try decimal(qtyText, field: "qty")
            let filledQuantity = try decimal(filledQuantityText, field: "filled_quantity")
            let price = try decimal(priceText, field: "price")
            let filledAt = try timestamp(filledAtValue, field: "filled_at")
            guard let createdAt = try timestamp(createdAtValue, field: "created_at") else {
                throw InputError(.missing, field: "created_at", value: "NULL", record: nil, detail: "created_at must not be NULL")
            }
            let updatedAt = try timestamp(updatedAtValue, field: "updated_at")
            return try Order(
                orderID: orderID, profileID: profileID, symbol: symbol, tradeID: TradeID.normalized(tradeIDText),
                action: action, side: side, status: status, quantity: quantity, legacyQuantity: qty,
                filledQuantity: filledQuantity, price: price, exchangeOrderID: exchangeOrderID,
                clientOrderID: ClientOrderID.normalized(clientOrderIDText), filledAt: filledAt,
                createdAt: createdAt, updatedAt: updatedAt)
        } catch {
            // The record is named here only, so that reading a valid row builds no message text.
            let error = error.inRecord("order \(orderIDText)")
            throw PostgresRunbookError(.invalidRow, context: "a row of orders does not read as the core reads it", underlying: error)
        }
    }

    private static func decimal(_ text: String?, field: String) throws(InputError) -> ExactDecimal? {
        guard let text else { return nil }
        return try ExactDecimal(text, field: field)
    }

    private static func timestamp(_ value: PostgresTimestamp?, field: String) throws(InputError) -> Timestamp? {
        guard let value else { return nil }
        guard let timestamp = value.timestamp else {
            throw InputError(.outOfRange, field: field, value: "\(value.microsecondsSince2000) microseconds after 2000-01-01", record: nil,
                             detail: "not a time the SDK can represent (years 0001 to 9999)")
        }
        return timestamp
    }
}
