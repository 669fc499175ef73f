/// The identifier of an order row (the `orders.order_id` primary key).
///
/// Rows inserted by the EXIT backfill have deterministic ids made by
/// ``backfill(profileID:tradeID:exchangeOrderID:filledAt:)``, so a re-run is recognised as a
/// duplicate by `ON CONFLICT (order_id) DO NOTHING`.
public struct OrderID: TextIdentifier {
    /// The identifier as given.
    public let rawValue: String

    /// The exchange order id the dust remainder row of a backfill hashes with.
    public static let dustExchangeOrderID = "DUST"

    /// Creates an order id.
    ///
    /// - Parameter rawValue: The identifier; kept exactly as given.
    /// - Throws: ``InputError`` with code ``InputError/Code/blank`` when `rawValue` is empty or
    ///   white space only.
    public init(_ rawValue: String) throws(InputError) {
        guard !ProfileID.isBlank(rawValue) else {
            throw InputError(.blank, field: "order_id", value: rawValue, detail: "an order id must not be blank")
        }
        self.rawValue = rawValue
    }

    init(uncheckedRawValue: String) {
        self.rawValue = uncheckedRawValue
    }

    /// Whether this is the id of a row the EXIT backfill inserted (`BFILL-` prefix).
    public var isBackfill: Bool { rawValue.utf8.starts(with: "BFILL-".utf8) }

    /// The deterministic id of a backfilled EXIT row:
    /// `BFILL-` + lowercase hex `md5("<profile_id>:<trade_id>:<exchange_order_id>:<filled_at>")`,
    /// with `filled_at` in the millisecond form `2026-02-15T09:30:00.123Z`.
    ///
    /// It equals, byte for byte, PostgreSQL's
    /// `'BFILL-' || md5(profile_id || ':' || trade_id || ':' || exchange_order_id || ':' ||
    /// to_char(filled_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'))`.
    ///
    /// - Parameters:
    ///   - profileID: The profile of the trade.
    ///   - tradeID: The trade the EXIT closes.
    ///   - exchangeOrderID: The exchange order id of the fill, or ``dustExchangeOrderID`` for
    ///     the dust remainder row.
    ///   - filledAt: The fill time; digits below the millisecond are truncated.
    /// - Returns: The 38-character order id.
    public static func backfill(profileID: ProfileID, tradeID: TradeID, exchangeOrderID: String, filledAt: Timestamp) -> OrderID {
        var md5 = MD5()
        md5.update(profileID.rawValue)
        md5.update(UInt8(ascii: ":"))
        md5.update(tradeID.rawValue)
        md5.update(UInt8(ascii: ":"))
        md5.update(exchangeOrderID)
        md5.update(UInt8(ascii: ":"))
        withUnsafeTemporaryAllocation(byteCount: 32, alignment: 1) { buffer in
            let count = filledAt.writeMillisecondText(into: buffer)
            md5.update(UnsafeRawBufferPointer(rebasing: buffer[..<count]))
        }
        return OrderID(uncheckedRawValue: IdentifierText.prefixedHex("BFILL-", md5.finalize()))
    }



}
