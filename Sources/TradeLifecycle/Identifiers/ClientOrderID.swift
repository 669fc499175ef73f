/// The client order id sent to the exchange with a submission.
///
/// The SDK's own submissions use ``deterministic(profileID:tradeID:action:attempt:)`` so that a
/// retried submission carries the same id and the exchange (or reconciliation) recognises it.
/// Ids read from the exchange or a database may have any non-blank form.
public struct ClientOrderID: TextIdentifier {
    /// The identifier as given.
    public let rawValue: String

    /// Creates a client order id.
    ///
    /// - Parameter rawValue: The identifier; kept exactly as given.
    /// - Throws: ``InputError`` with code ``InputError/Code/blank`` when `rawValue` is empty or
    ///   white space only.
    public init(_ rawValue: String) throws(InputError) {
        guard !ProfileID.isBlank(rawValue) else {
            throw InputError(.blank, field: "client_order_id", value: rawValue, detail: "a client order id must not be blank")
        }
        self.rawValue = rawValue
    }

    /// Applies the null policy of optional ids: `nil`, empty and white-space-only text become `nil`.
    ///
    /// - Parameter rawValue: The id as stored or received.
    public static func normalized(_ rawValue: String?) -> ClientOrderID? {
        guard let rawValue, !ProfileID.isBlank(rawValue) else { return nil }
        return ClientOrderID(uncheckedRawValue: rawValue)
    }

    init(uncheckedRawValue: String) {
        self.rawValue = uncheckedRawValue
    }

    /// The deterministic client order id of a submission: `ENT-` or `EXT-` followed by the
    /// 32 lowercase hex digits of `md5("<profile_id>:<trade_id>:<ENTRY|EXIT>:<attempt>")`;
    /// 36 characters in all.
    ///
    /// - Parameters:
    ///   - profileID: The profile submitting.
    ///   - tradeID: The trade the order belongs to.
    ///   - action: ``LifecycleAction/entry`` or ``LifecycleAction/exit``.
    ///   - attempt: The attempt number, written in decimal; a retry of the same attempt reuses it.
    public static func deterministic(profileID: ProfileID, tradeID: TradeID, action: LifecycleAction, attempt: Int) -> ClientOrderID {
        var md5 = MD5()
        md5.update(profileID.rawValue)
        md5.update(UInt8(ascii: ":"))
        md5.update(tradeID.rawValue)
        md5.update(UInt8(ascii: ":"))
        md5.update(action.rawValue)
        md5.update(UInt8(ascii: ":"))
        md5.update(String(attempt))
        let prefix: StaticString = action == .entry ? "ENT-" : "EXT-"
        return ClientOrderID(uncheckedRawValue: IdentifierText.prefixedHex(prefix, md5.finalize()))
    }

    /// Whether `tradeID` occurs in this id (how the EXIT backfill tags a fill to a trade).
    ///
    /// - Parameter tradeID: The trade id to look for.
    public func contains(_ tradeID: TradeID) -> Bool {
        let needle = Array(tradeID.rawValue.utf8)
        let haystack = Array(rawValue.utf8)
        guard !needle.isEmpty, needle.count <= haystack.count else { return false }
        for start in 0...(haystack.count - needle.count) where haystack[start] == needle[0] {
            if haystack[start..<(start + needle.count)].elementsEqual(needle) { return true }
        }
        return false
    }



}
