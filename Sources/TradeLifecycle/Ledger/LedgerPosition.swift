/// An open or closed position of a trade in one profile, as ``CapitalLedger`` holds it: its
/// quantity and its cost basis (what entering it cost, at fill prices, less the share released
/// by exits).
public struct LedgerPosition: Sendable, Hashable {
    /// The profile the position belongs to.
    public let profileID: ProfileID
    /// The symbol.
    public let symbol: String
    /// The trade.
    public let tradeID: TradeID
    /// Long or short.
    public let side: PositionSide
    /// The open quantity; zero once fully exited.
    public let quantity: ExactDecimal
    /// The cost basis of the open quantity: part of the profile's `reservedForPositions`.
    public let costBasis: ExactDecimal

    /// Whether nothing is open.
    public var isFlat: Bool { quantity.isZero }

    /// The average entry price `costBasis / quantity`, rounded half-even; `nil` when flat.
    ///
    /// - Throws: ``DecimalError`` with code ``DecimalError/Code/overflow`` when the quotient is out
    ///   of range (a cost basis enormous against a tiny quantity).
    public func averageEntryPrice() throws(DecimalError) -> ExactDecimal? {
        guard quantity.isPositive else { return nil }
        return try costBasis.divided(by: quantity)
    }
}
