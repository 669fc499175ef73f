import TradeLifecycle

/// What a check body works with: unique identifiers for this run, fixtures, and expectations
/// that throw a ``ConformanceFailure`` naming the check.
struct CheckContext: Sendable {
    let checkName: String
    /// A random tag that makes this run's identifiers unique in a shared database.
    let tag: String

    init(checkName: String) {
        self.checkName = checkName
        var generator = SystemRandomNumberGenerator()
        let random = generator.next() as UInt64
        let hex = String(random, radix: 16)
        tag = "t" + String(repeating: "0", count: 16 - hex.count) + hex
    }

    // MARK: Expectations

    func failure(_ message: String) -> ConformanceFailure {
        ConformanceFailure(check: checkName, message: message)
    }

    func expect(_ condition: Bool, _ message: @autoclosure () -> String) throws(ConformanceFailure) {
        if !condition { throw failure(message()) }
    }

    func expectEqual<Value: Equatable>(_ actual: Value, _ expected: Value, _ what: String) throws(ConformanceFailure) {
        if actual != expected {
            throw failure("\(what): expected \(expected), got \(actual)")
        }
    }

    /// Runs `operation`, which must throw a ``StoreError`` with `code`.
    ///
    /// - Returns: The error, for further checks.
    @discardableResult
    func expectStoreError<Value>(_ code: StoreError.Code, _ what: String,
                                 _ operation: () async throws -> Value) async throws(ConformanceFailure) -> StoreError {
        do {
            let value = try await operation()
            throw failure("\(what): expected store error \(code.rawValue), but it succeeded with \(value)")
        } catch let error as StoreError {
            if error.code != code {
                throw failure("\(what): expected store error \(code.rawValue), got \(error.code.rawValue) (\(error))")
            }
            return error
        } catch let failure as ConformanceFailure {
            throw failure
        } catch {
            throw failure("\(what): expected store error \(code.rawValue), got \(type(of: error)): \(error)")
        }
    }

    /// Unwraps a value the check requires.
    func require<Value>(_ value: Value?, _ what: String) throws(ConformanceFailure) -> Value {
        guard let value else { throw failure("\(what): expected a value, got nil") }
        return value
    }

    // MARK: Identifiers

    func profile(_ name: String) -> ProfileID {
        Fixture.unchecked { () throws(InputError) in try ProfileID("\(tag)-\(name)") }
    }

    func orderID(_ name: String) -> OrderID {
        Fixture.unchecked { () throws(InputError) in try OrderID("\(tag)-\(name)") }
    }

    /// A `BFILL-` order id, unique to this run.
    func backfillOrderID(_ name: String) -> OrderID {
        Fixture.unchecked { () throws(InputError) in try OrderID("BFILL-\(tag)-\(name)") }
    }

    func tradeID(_ name: String) -> TradeID {
        Fixture.unchecked { () throws(InputError) in try TradeID("TRD-\(tag)-\(name)") }
    }

    func batchID(_ name: String) -> BackfillBatchID {
        Fixture.unchecked { () throws(InputError) in try BackfillBatchID("bf-\(tag)-\(name)") }
    }

    // MARK: Rows

    /// An order row with sensible defaults.
    func order(
        _ id: OrderID, profile: ProfileID, symbol: String = "BTC-USD", trade: TradeID? = nil,
        action: LifecycleAction? = .entry, side: PositionSide? = .long, status: OrderStatus = .pending,
        quantity: String? = "1.5", legacyQuantity: String? = nil, filled: String? = nil, price: String? = "100",
        exchangeOrderID: String? = nil, clientOrderID: String? = nil, filledAt: Timestamp? = nil,
        createdAt: Timestamp = Fixture.t0, updatedAt: Timestamp? = nil
    ) throws(ConformanceFailure) -> Order {
        do {
            return try Order(
                orderID: id, profileID: profile, symbol: symbol, tradeID: trade, action: action, side: side,
                status: status, quantity: quantity.map(Fixture.decimal), legacyQuantity: legacyQuantity.map(Fixture.decimal),
                filledQuantity: filled.map(Fixture.decimal), price: price.map(Fixture.decimal),
                exchangeOrderID: exchangeOrderID,
                clientOrderID: clientOrderID.map { text in Fixture.unchecked { () throws(InputError) in try ClientOrderID(text) } },
                filledAt: filledAt, createdAt: createdAt, updatedAt: updatedAt)
        } catch {
            throw failure("the check's own fixture is invalid: \(error)")
        }
    }

    /// An audit record with sensible defaults. Like every record the backfill engine writes, a
    /// record other than `NO_GO` has a `BFILL-` order id (by default one unique to the batch and
    /// row), which PostgreSQL's `chk_reconciliation_backfill_audit_backfill_order_id` requires.
    func auditRecord(
        batch: BackfillBatchID, row: Int, profile: ProfileID, symbol: String = "BTC-USD", trade: TradeID,
        decision: BackfillDecision = .pendingApply, reason: BackfillReason = .fillEvidence,
        openQuantity: String = "1.5", filledQuantity: String? = "1.5", price: String? = "101",
        backfillOrderID: OrderID? = nil, exchangeOrderID: String? = "x9", clientOrderID: String? = nil,
        filledAt: Timestamp? = Fixture.t0, createdAt: Timestamp = Fixture.t0, revertedAt: Timestamp? = nil
    ) -> BackfillAuditRecord {
        BackfillAuditRecord(
            batchID: batch, rowNumber: row, profileID: profile, symbol: symbol, tradeID: trade,
            decision: decision, reason: reason, openQuantity: Fixture.decimal(openQuantity),
            filledQuantity: filledQuantity.map(Fixture.decimal), price: price.map(Fixture.decimal),
            backfillOrderID: backfillOrderID ?? (decision == .noGo ? nil : self.backfillOrderID("\(batch.rawValue)-\(row)")),
            exchangeOrderID: exchangeOrderID,
            exchangeClientOrderID: clientOrderID.map { text in Fixture.unchecked { () throws(InputError) in try ClientOrderID(text) } },
            filledAt: filledAt, createdAt: createdAt, revertedAt: revertedAt)
    }
}

/// Fixed values of the checks.
enum Fixture {
    /// 2026-02-15T09:30:00Z.
    static let t0 = Timestamp(microsecondsSinceEpoch: 1_771_147_800_000_000)

    /// `t0` plus whole seconds.
    static func time(_ seconds: Int64) -> Timestamp {
        Timestamp(microsecondsSinceEpoch: t0.microsecondsSinceEpoch + seconds * 1_000_000)
    }

    /// A decimal from text the checks write themselves.
    static func decimal(_ text: String) -> ExactDecimal {
        unchecked { () throws(DecimalError) in try ExactDecimal(text) }
    }

    /// The value of a fixture expression that cannot fail for the literals the checks use.
    static func unchecked<Value, Failure: Error>(_ make: () throws(Failure) -> Value) -> Value {
        do {
            return try make()
        } catch {
            preconditionFailure("invalid conformance fixture: \(error)")
        }
    }
}
