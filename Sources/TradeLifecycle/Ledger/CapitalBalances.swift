/// The capital balances of one profile (`reference/002_*` phase 3).
///
/// `available = allocated - reservedForOrders - reservedForPositions + realizedPnL`, and the
/// invariant is `available >= 0`. ``CapitalLedger`` keeps `available` up to date with every
/// change (so reading it cannot overflow) and never lets a request lower it below zero; a fact
/// from the exchange that does is reported as ``LedgerResult/violation(available:)``.
public struct CapitalBalances: Sendable, Hashable, CustomStringConvertible {
    /// Capital allocated to the profile: changed only by allocate and deallocate. May go below
    /// zero when realized profit is deallocated.
    public internal(set) var allocated: ExactDecimal
    /// Capital reserved for pending ENTRY orders: the sum of their remaining reservations.
    /// Never negative.
    public internal(set) var reservedForOrders: ExactDecimal
    /// Capital held in open positions: the sum of their cost bases. Never negative.
    public internal(set) var reservedForPositions: ExactDecimal
    /// Profit and loss realized by exits, net of fees.
    public internal(set) var realizedPnL: ExactDecimal
    /// `allocated - reservedForOrders - reservedForPositions + realizedPnL`.
    public internal(set) var available: ExactDecimal

    /// The balances of a profile the ledger has not seen: all zero.
    public static let zero = CapitalBalances(
        allocated: .zero, reservedForOrders: .zero, reservedForPositions: .zero, realizedPnL: .zero, available: .zero)

    init(
        allocated: ExactDecimal, reservedForOrders: ExactDecimal, reservedForPositions: ExactDecimal,
        realizedPnL: ExactDecimal, available: ExactDecimal
    ) {
        self.allocated = allocated
        self.reservedForOrders = reservedForOrders
        self.reservedForPositions = reservedForPositions
        self.realizedPnL = realizedPnL
        self.available = available
    }

    /// Whether the invariant `available >= 0` holds.
    public var satisfiesInvariant: Bool { !available.isNegative }

    public var description: String {
        "allocated \(allocated), reserved_for_orders \(reservedForOrders), "
            + "reserved_for_positions \(reservedForPositions), realized_pnl \(realizedPnL), available \(available)"
    }
}
