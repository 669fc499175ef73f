/// The identifier of a trade lifecycle: the ENTRY and EXIT orders of one position share it.
///
/// Trade ids are normalised by one rule (SPEC section 2): `nil`, empty or white-space-only text
/// is no trade id (SQL `NULL`); any other text is kept exactly as given, so legacy and manual
/// ids read from a database are represented faithfully. Ids the SDK creates are
/// ``isBotFormat`` ids, `TRD-` followed by 32 lowercase hex digits of
/// `md5("<profile_id>:<symbol>:<entry_key>")` (see ``generate(profileID:symbol:entryKey:)``).
public struct TradeID: TextIdentifier {
    /// The identifier as given.
    public let rawValue: String

    /// Creates a trade id from non-blank text, kept exactly as given.
    ///
    /// - Parameter rawValue: The identifier.
    /// - Throws: ``InputError`` with code ``InputError/Code/blank`` when `rawValue` is empty or
    ///   white space only; use ``normalized(_:)`` to turn such text into `nil` instead.
    public init(_ rawValue: String) throws(InputError) {
        guard !ProfileID.isBlank(rawValue) else {
            throw InputError(.blank, field: "trade_id", value: rawValue,
                             detail: "a blank trade id is no trade id; normalise it to NULL")
        }
        self.rawValue = rawValue
    }

    /// Creates a trade id that must have the bot-originated format
    /// `^TRD-[A-Za-z0-9][A-Za-z0-9._-]{0,119}$`.
    ///
    /// - Parameter rawValue: The identifier.
    /// - Throws: ``InputError`` with code ``InputError/Code/blank`` or
    ///   ``InputError/Code/malformed``.
    public init(validatingBotFormat rawValue: String) throws(InputError) {
        try self.init(rawValue)
        guard isBotFormat else {
            throw InputError(.malformed, field: "trade_id", value: rawValue,
                             detail: "a bot-originated trade id must match ^TRD-[A-Za-z0-9][A-Za-z0-9._-]{0,119}$")
        }
    }

    init(uncheckedRawValue: String) {
        self.rawValue = uncheckedRawValue
    }

    /// Applies the trade id null policy: `nil`, empty and white-space-only text become `nil`;
    /// anything else is kept exactly as given.
    ///
    /// - Parameter rawValue: The trade id as stored or received.
    /// - Returns: The trade id, or `nil` for no trade id.
    public static func normalized(_ rawValue: String?) -> TradeID? {
        guard let rawValue, !ProfileID.isBlank(rawValue) else { return nil }
        return TradeID(uncheckedRawValue: rawValue)
    }

    /// Whether the id has the bot-originated format `^TRD-[A-Za-z0-9][A-Za-z0-9._-]{0,119}$`
    /// (the database constraint `chk_orders_trade_id_format`).
    public var isBotFormat: Bool {
        let bytes = Array(rawValue.utf8)
        guard bytes.count >= 5, bytes.count <= 4 + 120,
              bytes[0] == UInt8(ascii: "T"), bytes[1] == UInt8(ascii: "R"),
              bytes[2] == UInt8(ascii: "D"), bytes[3] == UInt8(ascii: "-") else { return false }
        guard Self.isAlphanumeric(bytes[4]) else { return false }
        for byte in bytes[5...] {
            guard Self.isAlphanumeric(byte) || byte == UInt8(ascii: ".") || byte == UInt8(ascii: "_")
                || byte == UInt8(ascii: "-") else { return false }
        }
        return true
    }

    private static func isAlphanumeric(_ byte: UInt8) -> Bool {
        (byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9"))
            || (byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z"))
            || (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z"))
    }

    /// The deterministic trade id of an entry signal:
    /// `TRD-` + lowercase hex `md5("<profile_id>:<symbol>:<entry_key>")`.
    ///
    /// - Parameters:
    ///   - profileID: The profile the trade belongs to.
    ///   - symbol: The traded symbol.
    ///   - entryKey: What identifies the entry signal: a signal id, or for legacy rows
    ///     ``legacyEntryKey(firstEntryOrderID:)``.
    /// - Returns: An id of the bot-originated format, the same for the same inputs.
    public static func generate(profileID: ProfileID, symbol: String, entryKey: String) -> TradeID {
        var md5 = MD5()
        md5.update(profileID.rawValue)
        md5.update(UInt8(ascii: ":"))
        md5.update(symbol)
        md5.update(UInt8(ascii: ":"))
        md5.update(entryKey)
        return TradeID(uncheckedRawValue: IdentifierText.prefixedHex("TRD-", md5.finalize()))
    }

    /// The entry key of a legacy lifecycle: `legacy:<first ENTRY order_id>`.
    ///
    /// - Parameter firstEntryOrderID: The order id of the lifecycle's first ENTRY order.
    public static func legacyEntryKey(firstEntryOrderID: OrderID) -> String {
        "legacy:" + firstEntryOrderID.rawValue
    }



}

/// Building the text of hash-derived identifiers without intermediate allocations.
enum IdentifierText {
    /// `prefix` followed by the 32 hex digits of `digest`, built in one allocation.
    static func prefixedHex(_ prefix: StaticString, _ digest: MD5.Digest) -> String {
        let prefixCount = prefix.utf8CodeUnitCount
        return String(unsafeUninitializedCapacity: prefixCount + 32) { buffer in
            prefix.withUTF8Buffer { source in
                for index in 0..<prefixCount { buffer[index] = source[index] }
            }
            digest.writeHex(into: UnsafeMutableRawBufferPointer(UnsafeMutableBufferPointer(rebasing: buffer[prefixCount...])))
            return prefixCount + 32
        }
    }
}
