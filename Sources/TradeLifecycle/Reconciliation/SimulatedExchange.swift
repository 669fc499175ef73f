/// An error of ``SimulatedExchange``.
public struct SimulatedExchangeError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What went wrong.
    public enum Code: String, Sendable, Hashable, CaseIterable {
        /// No order has the exchange order id.
        case unknownOrder
        /// The order is no longer open (filled or cancelled).
        case orderNotOpen
        /// A quantity, price or id is not acceptable (not positive, above what is left, blank,
        /// a sum out of range).
        case invalidInput
        /// A failure asked for with ``SimulatedExchange/failNextSnapshots(_:)``.
        case injectedFailure
    }

    /// What went wrong.
    public let code: Code
    /// The ids and values involved.
    public let detail: String

    /// Creates an error.
    ///
    /// - Parameters:
    ///   - code: What went wrong.
    ///   - detail: The ids and values involved.
    public init(_ code: Code, detail: String) {
        self.code = code
        self.detail = detail
    }

    public var description: String { "simulated exchange error \(code.rawValue): \(detail)" }
}

/// An exchange in memory for tests and examples: it keeps orders, positions and fills, lets the
/// caller submit, fill and cancel orders, and serves snapshots as an ``ExchangeGateway``.
///
/// Exchange order ids are `SIM-00000001`, `SIM-00000002`, … in submission order, so runs are
/// deterministic. A submission whose client order id the profile already used returns the
/// existing order (the exchange recognises a retried submission). Fills move the profile's net
/// position: a buy adds, a sell subtracts.
public actor SimulatedExchange: ExchangeGateway {
    private struct PositionKey: Hashable {
        let profileID: ProfileID
        let symbol: String
    }

    private struct ClientKey: Hashable {
        let profileID: ProfileID
        let clientOrderID: ClientOrderID
    }

    private let clock: any WallClock
    private var submittedCount = 0
    private var orders: [String: ExchangeOrder] = [:]
    private var orderIDsByClientID: [ClientKey: String] = [:]
    private var positions: [PositionKey: ExactDecimal] = [:]
    private var fills: [ExchangeFill] = []
    private var snapshotFailuresLeft = 0

    /// Creates an exchange with no orders, positions or fills.
    ///
    /// - Parameter clock: The time of fills made without an explicit time.
    public init(clock: any WallClock) {
        self.clock = clock
    }

    /// Submits an order; it rests open until filled or cancelled.
    ///
    /// - Parameters:
    ///   - profileID: The profile (account).
    ///   - symbol: The symbol.
    ///   - side: Buy or sell.
    ///   - quantity: The order quantity; positive.
    ///   - price: The limit price; positive where present.
    ///   - clientOrderID: The client order id; a known one returns the existing order.
    /// - Returns: The open order (or the existing order for a known client order id).
    /// - Throws: ``SimulatedExchangeError`` with code ``SimulatedExchangeError/Code/invalidInput``.
    @discardableResult
    public func submit(profileID: ProfileID, symbol: String, side: OrderSide, quantity: ExactDecimal,
                       price: ExactDecimal? = nil, clientOrderID: ClientOrderID? = nil) throws(SimulatedExchangeError) -> ExchangeOrder {
        if let clientOrderID, let existing = orderIDsByClientID[ClientKey(profileID: profileID, clientOrderID: clientOrderID)],
           let order = orders[existing] {
            return order
        }
        let exchangeOrderID = Self.exchangeOrderID(number: submittedCount + 1)
        let order: ExchangeOrder
        do {
            order = try ExchangeOrder(profileID: profileID, symbol: symbol, exchangeOrderID: exchangeOrderID,
                                      clientOrderID: clientOrderID, side: side, status: .open, quantity: quantity, price: price)
        } catch {
            throw SimulatedExchangeError(.invalidInput, detail: error.description)
        }
        submittedCount += 1
        orders[exchangeOrderID] = order
        if let clientOrderID {
            orderIDsByClientID[ClientKey(profileID: profileID, clientOrderID: clientOrderID)] = exchangeOrderID
        }
        return order
    }

    /// Executes (part of) an open order.
    ///
    /// - Parameters:
    ///   - exchangeOrderID: The order.
    ///   - quantity: How much executes; all that is left when `nil`.
    ///   - price: The execution price; the order's limit price when `nil`.
    ///   - filledAt: When it executes; the clock's time when `nil`.
    /// - Returns: The fill.
    /// - Throws: ``SimulatedExchangeError``: ``SimulatedExchangeError/Code/unknownOrder``,
    ///   ``SimulatedExchangeError/Code/orderNotOpen``, or ``SimulatedExchangeError/Code/invalidInput``
    ///   for a quantity not in (0, left], a missing or non-positive price, or a position out of range.
    @discardableResult
    public func fill(exchangeOrderID: String, quantity: ExactDecimal? = nil, price: ExactDecimal? = nil,
                     at filledAt: Timestamp? = nil) throws(SimulatedExchangeError) -> ExchangeFill {
        let order = try openOrder(exchangeOrderID)
        let left = order.quantity.subtractingReportingOverflow(order.filledQuantity).partialValue
        let executed = quantity ?? left
        guard executed.isPositive, executed <= left else {
            throw SimulatedExchangeError(.invalidInput, detail: "exchange order \(exchangeOrderID): fill quantity \(executed) is not in (0, \(left)]")
        }
        guard let fillPrice = price ?? order.price else {
            throw SimulatedExchangeError(.invalidInput, detail: "exchange order \(exchangeOrderID): a fill of an order without limit price needs a price")
        }
        let fill = try record(profileID: order.profileID, symbol: order.symbol, side: order.side, exchangeOrderID: exchangeOrderID,
                              clientOrderID: order.clientOrderID, quantity: executed, price: fillPrice, filledAt: filledAt ?? clock.now())
        // executed <= left = quantity - filled, so the sum stays within quantity.
        let filled = order.filledQuantity.addingReportingOverflow(executed).partialValue
        orders[exchangeOrderID] = order.with(status: filled == order.quantity ? .filled : .partiallyFilled, filledQuantity: filled)
        return fill
    }

    /// Cancels what is left of an open order.
    ///
    /// - Parameter exchangeOrderID: The order.
    /// - Returns: The cancelled order.
    /// - Throws: ``SimulatedExchangeError/Code/unknownOrder`` or ``SimulatedExchangeError/Code/orderNotOpen``.
    @discardableResult
    public func cancel(exchangeOrderID: String) throws(SimulatedExchangeError) -> ExchangeOrder {
        let order = try openOrder(exchangeOrderID)
        let cancelled = order.with(status: .cancelled, filledQuantity: order.filledQuantity)
        orders[exchangeOrderID] = cancelled
        return cancelled
    }

    /// Records an execution of an order the simulator did not take (placed elsewhere, such as
    /// by hand on the exchange); it moves the position like any fill.
    ///
    /// - Parameters:
    ///   - profileID: The profile.
    ///   - symbol: The symbol.
    ///   - side: Buy or sell.
    ///   - exchangeOrderID: The exchange order id of the execution.
    ///   - clientOrderID: Its client order id, if any.
    ///   - quantity: The executed quantity.
    ///   - price: The execution price.
    ///   - filledAt: When it executed; the clock's time when `nil`.
    /// - Returns: The fill.
    /// - Throws: ``SimulatedExchangeError`` with code ``SimulatedExchangeError/Code/invalidInput``.
    @discardableResult
    public func recordFill(profileID: ProfileID, symbol: String, side: OrderSide, exchangeOrderID: String,
                           clientOrderID: ClientOrderID? = nil, quantity: ExactDecimal, price: ExactDecimal,
                           at filledAt: Timestamp? = nil) throws(SimulatedExchangeError) -> ExchangeFill {
        try record(profileID: profileID, symbol: symbol, side: side, exchangeOrderID: exchangeOrderID,
                   clientOrderID: clientOrderID, quantity: quantity, price: price, filledAt: filledAt ?? clock.now())
    }

    /// Sets a profile's net position in a symbol, as if changed outside the simulator.
    ///
    /// - Parameters:
    ///   - profileID: The profile.
    ///   - symbol: The symbol; not blank.
    ///   - quantity: The signed net quantity; zero is flat.
    /// - Throws: ``SimulatedExchangeError`` with code ``SimulatedExchangeError/Code/invalidInput``
    ///   for a blank symbol.
    public func setPosition(profileID: ProfileID, symbol: String, quantity: ExactDecimal) throws(SimulatedExchangeError) {
        do {
            _ = try ExchangePosition(profileID: profileID, symbol: symbol, quantity: quantity)
        } catch {
            throw SimulatedExchangeError(.invalidInput, detail: error.description)
        }
        positions[PositionKey(profileID: profileID, symbol: symbol)] = quantity
    }

    /// Makes the next `count` snapshots fail with ``SimulatedExchangeError/Code/injectedFailure``.
    ///
    /// - Parameter count: How many snapshots fail.
    public func failNextSnapshots(_ count: Int) {
        snapshotFailuresLeft = max(0, count)
    }

    /// The order with the exchange order id, in any status.
    ///
    /// - Parameter exchangeOrderID: The order.
    public func order(exchangeOrderID: String) -> ExchangeOrder? {
        orders[exchangeOrderID]
    }

    /// The exchange's view of a profile: its open orders by exchange order id, its non-flat
    /// positions by symbol, and its fills since `since` (inclusive) by filled_at, then exchange
    /// order id.
    ///
    /// - Parameters:
    ///   - profileID: The profile.
    ///   - since: The earliest fill time.
    /// - Returns: The snapshot.
    /// - Throws: ``SimulatedExchangeError`` with code ``SimulatedExchangeError/Code/injectedFailure``
    ///   when a failure was asked for.
    public func snapshot(profileID: ProfileID, fillsSince since: Timestamp) async throws -> ExchangeSnapshot {
        if snapshotFailuresLeft > 0 {
            snapshotFailuresLeft -= 1
            throw SimulatedExchangeError(.injectedFailure, detail: "snapshot of profile \(profileID.rawValue)")
        }
        let open = orders.values
            .filter { $0.profileID == profileID && $0.status.isLive }
            .sorted { $0.exchangeOrderID.utf8.lexicographicallyPrecedes($1.exchangeOrderID.utf8) }
        let held = positions
            .filter { $0.key.profileID == profileID && !$0.value.isZero }
            .sorted { $0.key.symbol.utf8.lexicographicallyPrecedes($1.key.symbol.utf8) }
            .map { ExchangePosition(unchecked: profileID, symbol: $0.key.symbol, quantity: $0.value) }
        let recent = fills
            .filter { $0.profileID == profileID && $0.filledAt >= since }
            .sorted { lhs, rhs in
                lhs.filledAt != rhs.filledAt ? lhs.filledAt < rhs.filledAt
                    : lhs.exchangeOrderID.utf8.lexicographicallyPrecedes(rhs.exchangeOrderID.utf8)
            }
        return ExchangeSnapshot(openOrders: open, positions: held, fills: recent)
    }

    private func openOrder(_ exchangeOrderID: String) throws(SimulatedExchangeError) -> ExchangeOrder {
        guard let order = orders[exchangeOrderID] else {
            throw SimulatedExchangeError(.unknownOrder, detail: "exchange order \(exchangeOrderID)")
        }
        guard order.status.isLive else {
            throw SimulatedExchangeError(.orderNotOpen, detail: "exchange order \(exchangeOrderID) is \(order.status.rawValue)")
        }
        return order
    }

    private func record(profileID: ProfileID, symbol: String, side: OrderSide, exchangeOrderID: String,
                        clientOrderID: ClientOrderID?, quantity: ExactDecimal, price: ExactDecimal,
                        filledAt: Timestamp) throws(SimulatedExchangeError) -> ExchangeFill {
        let fill: ExchangeFill
        do {
            fill = try ExchangeFill(profileID: profileID, symbol: symbol, side: side, exchangeOrderID: exchangeOrderID,
                                    clientOrderID: clientOrderID, quantity: quantity, price: price, filledAt: filledAt)
        } catch {
            throw SimulatedExchangeError(.invalidInput, detail: error.description)
        }
        let key = PositionKey(profileID: profileID, symbol: symbol)
        let current = positions[key] ?? .zero
        let (moved, overflow) = side == .buy ? current.addingReportingOverflow(quantity) : current.subtractingReportingOverflow(quantity)
        guard !overflow else {
            throw SimulatedExchangeError(.invalidInput, detail: "position \(profileID.rawValue)/\(symbol): \(current) moved by \(quantity) is out of range")
        }
        positions[key] = moved
        fills.append(fill)
        return fill
    }

    private static func exchangeOrderID(number: Int) -> String {
        let digits = String(number)
        return "SIM-" + String(repeating: "0", count: max(0, 8 - digits.count)) + digits
    }
}
