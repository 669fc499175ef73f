// The README's first example: one lifecycle whose EXIT the database missed, closed by the
// EXIT backfill from the exchange's fill evidence. Run it with `swift run FirstSteps`.
import TradeLifecycle

let store = InMemoryStore()                                  // or PostgresStore (TradeLifecyclePostgres)
let clock = ManualWallClock(try Timestamp("2026-02-15T12:00:00Z"))
let p1 = try ProfileID("p1")
try await store.saveProfile(TradingProfile(profileID: p1, isPaused: true, updatedAt: clock.now()))
_ = try await store.insertOrder(Order(orderID: try OrderID("o1"), profileID: p1, symbol: "BTC-USD",
    tradeID: try TradeID("TRD-a1"), action: .entry, side: .long, status: .filled, quantity: try ExactDecimal("1.5"),
    price: 100, filledAt: try Timestamp("2026-02-15T10:00:00Z"), createdAt: try Timestamp("2026-02-15T10:00:00Z")))
let exchange = ExchangeSnapshot(fills: [try ExchangeFill(profileID: p1, symbol: "BTC-USD", side: .sell,
    exchangeOrderID: "x9", clientOrderID: nil, quantity: try ExactDecimal("1.5"), price: 101,
    filledAt: try Timestamp("2026-02-15T11:00:00Z"))])
for dryRun in [true, false] {                                // plan first, then apply
    let configuration = try BackfillConfiguration(isEnabled: true, isDryRun: dryRun)
    let result = try await BackfillEngine(store: store, clock: clock, configuration: configuration)
        .run(profileID: p1, exchange: exchange)
    for row in result.records {                              // every row is also in the audit table
        print(row.tradeID, row.decision.rawValue, row.reason.rawValue, row.filledQuantity?.description ?? "-",
              row.backfillOrderID?.rawValue ?? "-")
    }
}
