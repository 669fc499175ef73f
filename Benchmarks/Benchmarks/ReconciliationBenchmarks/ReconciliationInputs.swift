// The inputs of the reconciliation benchmarks: one profile's database view and an exchange
// snapshot of the same size, in agreement, so the diff does all of its matching work and finds
// nothing (the steady state of a reconciliation loop).
//
// Orders (count N, over 100 symbols):
// - even i: a filled ENTRY, its own trade `TRD-b<i>`, exchange order id `x<i>`, and for every
//   fourth order also client order id `c<i>`; the exchange reports one fill for it;
// - odd i: an open order with exchange order id `x<i>` and for i % 4 == 1 client order id
//   `c<i>`; the exchange lists it open (matched by client order id or by exchange order id).
// Snapshot: N/2 open orders, N/2 fills and one position per symbol equal to the sum of its open
// lifecycles. Quantities are 0.001 to 1 in steps of 0.001, so sums are exact decimals.

import TradeLifecycle

struct ReconciliationInputs: Sendable {
    let view: ReconciliationDatabaseView
    let orders: [Order]
    let snapshot: ExchangeSnapshot

    static let symbolCount = 100

    init(orderCount: Int) {
        do {
            let profile = try ProfileID("p1")
            let createdAt = try Timestamp("2026-02-15T00:00:00.000Z")
            var orders: [Order] = []
            orders.reserveCapacity(orderCount)
            var open: [ExchangeOrder] = []
            open.reserveCapacity(orderCount / 2 + 1)
            var fills: [ExchangeFill] = []
            fills.reserveCapacity(orderCount / 2 + 1)
            var positions = [ExactDecimal](repeating: .zero, count: Self.symbolCount)
            let symbols = (0..<Self.symbolCount).map { "SYM-\($0)" }
            let price: ExactDecimal = 100
            for index in 0..<orderCount {
                let symbolIndex = index % Self.symbolCount
                let symbol = symbols[symbolIndex]
                let quantity = ExactDecimal(units: Int128(index % 1000 + 1) * 1_000_000_000_000_000)  // 0.001...1
                let exchangeID = "x\(index)"
                let client = index % 4 < 2 ? try ClientOrderID("c\(index)") : nil
                if index % 2 == 0 {
                    let filledAt = createdAt.advanced(byMicroseconds: Int64(index))!
                    orders.append(try Order(
                        orderID: OrderID("o\(index)"), profileID: profile, symbol: symbol, tradeID: TradeID("TRD-b\(index)"),
                        action: .entry, side: .long, status: .filled, quantity: quantity, filledQuantity: quantity, price: price,
                        exchangeOrderID: exchangeID, clientOrderID: client, filledAt: filledAt, createdAt: createdAt))
                    fills.append(try ExchangeFill(profileID: profile, symbol: symbol, side: .buy, exchangeOrderID: exchangeID,
                                                  clientOrderID: client, quantity: quantity, price: price, filledAt: filledAt))
                    positions[symbolIndex] = try positions[symbolIndex].adding(quantity)
                } else {
                    orders.append(try Order(
                        orderID: OrderID("o\(index)"), profileID: profile, symbol: symbol, tradeID: TradeID("TRD-b\(index)"),
                        action: .entry, side: .long, status: .open, quantity: quantity, price: price,
                        exchangeOrderID: exchangeID, clientOrderID: client, createdAt: createdAt))
                    open.append(try ExchangeOrder(profileID: profile, symbol: symbol, exchangeOrderID: exchangeID, clientOrderID: client,
                                                  side: .buy, status: .open, quantity: quantity, price: price))
                }
            }
            let exchangePositions = try zip(symbols, positions).map { try ExchangePosition(profileID: profile, symbol: $0, quantity: $1) }
            self.orders = orders
            self.snapshot = ExchangeSnapshot(openOrders: open, positions: exchangePositions, fills: fills)
            self.view = try ReconciliationDatabaseView(profileID: profile, orders: orders)
        } catch {
            fatalError("reconciliation benchmark inputs: \(error)")
        }
    }

    /// The diff of the inputs must find nothing, or the benchmark would not measure the steady state.
    func checkAgreement() {
        do {
            let found = try ReconciliationDiff.discrepancies(database: view, exchange: snapshot)
            guard found.isEmpty else { fatalError("expected no discrepancy, found \(found.count): \(found.prefix(3))") }
        } catch {
            fatalError("reconciliation benchmark diff failed: \(error)")
        }
    }
}
