// The EXIT backfill of reference/001 as code, scenario by scenario.
//
// Each scenario builds a trading desk from scratch: an in-memory store (the database), a
// simulated exchange, and a manual clock fixed at 2026-02-15T12:00:00Z, so every run prints the
// same table. A lifecycle is opened by buying on the exchange and recording the filled ENTRY in
// the database; the exchange then closes it (or not) without the database hearing of the EXIT,
// which is the gap the backfill repairs. Run it with `swift run BackfillDecisions`.

import TradeLifecycle

/// One profile's database, exchange and clock.
struct Desk {
    let clock: ManualWallClock
    let store = InMemoryStore()
    let exchange: SimulatedExchange
    let profileID: ProfileID
    let symbol = "BTC-USD"

    init(paused: Bool = true) async throws {
        clock = ManualWallClock(try Timestamp("2026-02-15T12:00:00.000Z"))
        exchange = SimulatedExchange(clock: clock)
        profileID = try ProfileID("p1")
        try await store.saveProfile(TradingProfile(profileID: profileID, isPaused: paused, updatedAt: clock.now()))
    }

    func hoursAgo(_ hours: Int) -> Timestamp {
        clock.now().advanced(byMicroseconds: -Timestamp.hours(hours)) ?? .min
    }

    /// Buys on the exchange and records the filled ENTRY of `trade` in the database.
    func enter(_ trade: String, quantity: ExactDecimal, price: ExactDecimal, hoursAgo hours: Int) async throws {
        let tradeID = try TradeID(trade)
        let client = ClientOrderID.deterministic(profileID: profileID, tradeID: tradeID, action: .entry, attempt: 1)
        let submitted = try await exchange.submit(profileID: profileID, symbol: symbol, side: .buy, quantity: quantity,
                                                  price: price, clientOrderID: client)
        let fill = try await exchange.fill(exchangeOrderID: submitted.exchangeOrderID, at: hoursAgo(hours))
        _ = try await store.insertOrder(try Order(
            orderID: OrderID("entry-\(trade)"), profileID: profileID, symbol: symbol, tradeID: tradeID, action: .entry,
            side: .long, status: .filled, quantity: quantity, filledQuantity: quantity, price: price,
            exchangeOrderID: submitted.exchangeOrderID, clientOrderID: client, filledAt: fill.filledAt, createdAt: fill.filledAt))
    }

    /// Sells on the exchange for `trade` (its deterministic EXIT client order id) without the
    /// database recording the EXIT.
    func exitOnExchangeOnly(_ trade: String, quantity: ExactDecimal, price: ExactDecimal, hoursAgo hours: Int,
                            attempt: Int = 1) async throws {
        let client = ClientOrderID.deterministic(profileID: profileID, tradeID: try TradeID(trade), action: .exit, attempt: attempt)
        let submitted = try await exchange.submit(profileID: profileID, symbol: symbol, side: .sell, quantity: quantity,
                                                  price: price, clientOrderID: client)
        try await exchange.fill(exchangeOrderID: submitted.exchangeOrderID, at: hoursAgo(hours))
    }

    /// Records a pending EXIT of `trade` in the database and sends it to the exchange, which
    /// fills it; the database row stays pending.
    func pendingExit(_ trade: String, quantity: ExactDecimal, price: ExactDecimal, hoursAgo hours: Int) async throws {
        let tradeID = try TradeID(trade)
        let client = ClientOrderID.deterministic(profileID: profileID, tradeID: tradeID, action: .exit, attempt: 1)
        let submitted = try await exchange.submit(profileID: profileID, symbol: symbol, side: .sell, quantity: quantity,
                                                  price: price, clientOrderID: client)
        _ = try await store.insertOrder(try Order(
            orderID: OrderID("exit-\(trade)"), profileID: profileID, symbol: symbol, tradeID: tradeID, action: .exit,
            side: .long, status: .pending, quantity: quantity, price: price, exchangeOrderID: submitted.exchangeOrderID,
            clientOrderID: client, createdAt: hoursAgo(hours)))
        try await exchange.fill(exchangeOrderID: submitted.exchangeOrderID, at: hoursAgo(hours))
    }

    func engine(apply: Bool) throws -> BackfillEngine {
        BackfillEngine(store: store, clock: clock,
                       configuration: try BackfillConfiguration(isEnabled: true, isDryRun: !apply))
    }

    /// Runs the backfill, reading the exchange through the gateway, and prints its rows.
    @discardableResult
    func run(_ step: String, apply: Bool) async throws -> BackfillRunResult {
        let result = try await engine(apply: apply).run(profileID: profileID, gateway: exchange)
        print("  \(step):")
        printTable(result.records)
        return result
    }

    /// The open quantity the database still shows.
    func printOpenLifecycles() async throws {
        let open = try await engine(apply: false).validate(profileID: profileID)
        let text = open.isEmpty ? "none" : open.map { "\($0.key.tradeID) \($0.openQuantity)" }.joined(separator: ", ")
        print("  open lifecycles in the database: \(text)")
    }
}

func printTable(_ records: [BackfillAuditRecord]) {
    guard !records.isEmpty else {
        print("    (no rows: nothing is open)")
        return
    }
    let header = ["trade", "decision", "reason", "open", "filled", "price", "exchange order", "filled at", "backfill order id"]
    let rows = records.map { record in
        [record.tradeID.rawValue, record.decision.rawValue, record.reason.rawValue, record.openQuantity.description,
         record.filledQuantity?.description ?? "-", record.price?.description ?? "-", record.exchangeOrderID ?? "-",
         record.filledAt?.millisecondText ?? "-", record.backfillOrderID?.rawValue ?? "-"]
    }
    let widths = header.indices.map { column in ([header] + rows).map { $0[column].count }.max() ?? 0 }
    for line in [header] + rows {
        let cells = line.enumerated().map { column, text in
            column == line.count - 1 ? text : text + String(repeating: " ", count: widths[column] - text.count)
        }
        print("    " + cells.joined(separator: "  "))
    }
}

func scenario(_ title: String, _ body: () async throws -> Void) async throws {
    print("== \(title)")
    try await body()
    print("")
}

let oneAndAHalf = try ExactDecimal("1.5")

try await scenario("1. Evidence covers all: the exchange sold 1.5, the database missed the EXIT") {
    let desk = try await Desk()
    try await desk.enter("TRD-a1", quantity: oneAndAHalf, price: 100, hoursAgo: 2)
    try await desk.exitOnExchangeOnly("TRD-a1", quantity: oneAndAHalf, price: 101, hoursAgo: 1)
    try await desk.run("dry run", apply: false)
}

try await scenario("2. Dust remainder: fills cover all but 0.0008, within max(0.001, 0.2% of 1)") {
    let desk = try await Desk()
    try await desk.enter("TRD-b1", quantity: 1, price: 100, hoursAgo: 3)
    try await desk.exitOnExchangeOnly("TRD-b1", quantity: try ExactDecimal("0.9992"), price: 102, hoursAgo: 1)
    try await desk.run("dry run", apply: false)
}

try await scenario("3. Large remainder: 0.5 was sold 90 hours ago, outside the 72-hour lookback") {
    let desk = try await Desk()
    try await desk.enter("TRD-c1", quantity: 2, price: 100, hoursAgo: 100)
    try await desk.exitOnExchangeOnly("TRD-c1", quantity: try ExactDecimal("0.5"), price: 99, hoursAgo: 90)
    try await desk.exitOnExchangeOnly("TRD-c1", quantity: oneAndAHalf, price: 103, hoursAgo: 1, attempt: 2)
    try await desk.run("dry run", apply: false)
}

try await scenario("4. Profile not paused: the backfill only runs on a paused profile") {
    let desk = try await Desk(paused: false)
    try await desk.enter("TRD-d1", quantity: oneAndAHalf, price: 100, hoursAgo: 2)
    try await desk.exitOnExchangeOnly("TRD-d1", quantity: oneAndAHalf, price: 101, hoursAgo: 1)
    try await desk.run("dry run", apply: false)
}

try await scenario("5. Exchange not flat: the exchange still holds the position") {
    let desk = try await Desk()
    try await desk.enter("TRD-e1", quantity: oneAndAHalf, price: 100, hoursAgo: 2)
    try await desk.run("dry run", apply: false)
}

try await scenario("6. Pending blocker: an EXIT of the trade is still pending in the database") {
    let desk = try await Desk()
    try await desk.enter("TRD-f1", quantity: oneAndAHalf, price: 100, hoursAgo: 2)
    try await desk.pendingExit("TRD-f1", quantity: oneAndAHalf, price: 101, hoursAgo: 1)
    try await desk.run("dry run", apply: false)
}

try await scenario("7. Apply, then run again: the second run finds nothing open") {
    let desk = try await Desk()
    try await desk.enter("TRD-g1", quantity: oneAndAHalf, price: 100, hoursAgo: 2)
    try await desk.exitOnExchangeOnly("TRD-g1", quantity: oneAndAHalf, price: 101, hoursAgo: 1)
    try await desk.run("apply", apply: true)
    try await desk.printOpenLifecycles()
    try await desk.run("apply again", apply: true)
}

try await scenario("8. Roll back, then apply again: the BFILL row exists (cancelled), so SKIP_EXISTING") {
    let desk = try await Desk()
    try await desk.enter("TRD-h1", quantity: oneAndAHalf, price: 100, hoursAgo: 2)
    try await desk.exitOnExchangeOnly("TRD-h1", quantity: oneAndAHalf, price: 101, hoursAgo: 1)
    let applied = try await desk.run("apply", apply: true)
    let rollback = try await desk.engine(apply: true).rollback(batchID: applied.batchID)
    print("  rollback: \(rollback.cancelledOrderCount) order cancelled, \(rollback.revertedRecordCount) audit row reverted")
    try await desk.printOpenLifecycles()
    try await desk.run("apply again", apply: true)
    try await desk.printOpenLifecycles()
    print("  (the BFILL order id already exists, cancelled: nothing is inserted and the trade stays open for an operator)")
}
