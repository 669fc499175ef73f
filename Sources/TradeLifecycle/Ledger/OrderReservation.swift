/// The capital reserved for one ENTRY order, as ``CapitalLedger`` holds it.
///
/// A reservation is *pending* from ``LedgerOperation/Kind/reserveEntry(profileID:orderID:symbol:tradeID:side:quantity:limitPrice:)``
/// on; fills *post* it share by share (the last fill posts what is left) and a cancel *voids*
/// what is left. Posted and voided reservations are kept, so a late fill or cancel is answered
/// precisely (``LedgerError/Code/orderAlreadyFilled``, ``LedgerError/Code/orderAlreadyCancelled``).
public struct OrderReservation: Sendable, Hashable {
    /// Where a reservation is in its life.
    public enum Status: String, Sendable, Hashable, CaseIterable, Codable {
        /// Some quantity is still unfilled and some capital still reserved.
        case pending
        /// The order is fully filled; its whole reservation was released by fills.
        case posted
        /// The order was cancelled; what was left of its reservation was released.
        case voided
    }

    /// The profile the order belongs to.
    public let profileID: ProfileID
    /// The ENTRY order.
    public let orderID: OrderID
    /// The symbol of the trade.
    public let symbol: String
    /// The trade the order opens.
    public let tradeID: TradeID
    /// The side of the position the order opens.
    public let side: PositionSide
    /// The order quantity.
    public let quantity: ExactDecimal
    /// The limit price the reservation was computed with.
    public let limitPrice: ExactDecimal
    /// The reservation when the order was placed: `quantity * limitPrice`, rounded half-even.
    public let reservedAmount: ExactDecimal
    /// The quantity filled so far.
    public let filledQuantity: ExactDecimal
    /// What is still reserved (zero once posted or voided).
    public let remainingAmount: ExactDecimal
    /// Where the reservation is in its life.
    public let status: Status

    /// The quantity not yet filled (zero once posted; what was left when voided).
    public var unfilledQuantity: ExactDecimal {
        ExactDecimal(units: quantity.units - filledQuantity.units)
    }
}
