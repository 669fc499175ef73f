import Testing
import TradeLifecycle

/// Builders for ledger tests: short names for the operations and decimal literals written as
/// text, so every expected figure in a test is visibly the hand-computed one.
enum L {
    static func decimal(_ text: String, sourceLocation: SourceLocation = #_sourceLocation) -> ExactDecimal {
        do {
            return try ExactDecimal(text)
        } catch {
            Issue.record("bad decimal literal '\(text)': \(error)", sourceLocation: sourceLocation)
            return .zero
        }
    }

    static func profile(_ text: String) -> ProfileID { try! ProfileID(text) }
    static func order(_ text: String) -> OrderID { try! OrderID(text) }
    static func trade(_ text: String) -> TradeID { try! TradeID(text) }

    static func allocate(_ id: UInt64, _ profile: ProfileID, _ amount: String) -> LedgerOperation {
        LedgerOperation(id: LedgerOperationID(UInt128(id)), kind: .allocate(profileID: profile, amount: decimal(amount)))
    }

    static func deallocate(_ id: UInt64, _ profile: ProfileID, _ amount: String) -> LedgerOperation {
        LedgerOperation(id: LedgerOperationID(UInt128(id)), kind: .deallocate(profileID: profile, amount: decimal(amount)))
    }

    static func reserve(
        _ id: UInt64, _ profile: ProfileID, _ order: OrderID, _ symbol: String, _ trade: TradeID, _ side: PositionSide,
        quantity: String, limitPrice: String
    ) -> LedgerOperation {
        LedgerOperation(id: LedgerOperationID(UInt128(id)), kind: .reserveEntry(
            profileID: profile, orderID: order, symbol: symbol, tradeID: trade, side: side,
            quantity: decimal(quantity), limitPrice: decimal(limitPrice)))
    }

    static func fill(_ id: UInt64, _ profile: ProfileID, _ order: OrderID, quantity: String, price: String) -> LedgerOperation {
        LedgerOperation(id: LedgerOperationID(UInt128(id)), kind: .fill(
            profileID: profile, orderID: order, quantity: decimal(quantity), price: decimal(price)))
    }

    static func cancel(_ id: UInt64, _ profile: ProfileID, _ order: OrderID) -> LedgerOperation {
        LedgerOperation(id: LedgerOperationID(UInt128(id)), kind: .cancel(profileID: profile, orderID: order))
    }

    static func exit(
        _ id: UInt64, _ profile: ProfileID, _ symbol: String, _ trade: TradeID, quantity: String, price: String,
        fee: String = "0"
    ) -> LedgerOperation {
        LedgerOperation(id: LedgerOperationID(UInt128(id)), kind: .exit(
            profileID: profile, symbol: symbol, tradeID: trade, quantity: decimal(quantity), price: decimal(price),
            fee: decimal(fee)))
    }

    /// The balances as text, in the order allocated, reserved for orders, reserved for
    /// positions, realized PnL, available.
    static func figures(_ balances: CapitalBalances) -> [String] {
        [balances.allocated, balances.reservedForOrders, balances.reservedForPositions, balances.realizedPnL,
         balances.available].map(\.description)
    }
}

extension CapitalLedger {
    /// Applies an operation that must not throw; a thrown error is recorded as a test failure.
    mutating func expectApply(_ operation: LedgerOperation, sourceLocation: SourceLocation = #_sourceLocation) -> LedgerResult? {
        do {
            return try apply(operation)
        } catch {
            Issue.record("unexpected ledger error: \(error)", sourceLocation: sourceLocation)
            return nil
        }
    }

    /// Applies an operation that must throw; returns the error's code.
    mutating func expectError(_ operation: LedgerOperation, sourceLocation: SourceLocation = #_sourceLocation) -> LedgerError.Code? {
        do {
            let result = try apply(operation)
            Issue.record("expected a ledger error, got \(result)", sourceLocation: sourceLocation)
            return nil
        } catch {
            return error.code
        }
    }
}
