/// The per-profile capital ledger (`reference/002_*` phase 3): balances, order reservations and
/// positions, with the invariant `available >= 0` never broken silently.
///
/// A `CapitalLedger` is a plain value: ``apply(_:)`` is a pure state transition, with no clock,
/// no I/O and no locks. Keep one behind an actor or a `Mutex` when several tasks share it, and
/// persist ``history`` (or each event ``apply(_:)`` appends) to rebuild it after a restart
/// with ``rebuild(from:)``.
///
/// ```swift
/// var ledger = CapitalLedger()
/// let p1 = try ProfileID("p1")
/// _ = try ledger.apply(LedgerOperation(id: 1, kind: .allocate(profileID: p1, amount: 1000)))
/// let result = try ledger.apply(LedgerOperation(id: 2, kind: .reserveEntry(
///     profileID: p1, orderID: try OrderID("o1"), symbol: "BTC-USD", tradeID: try TradeID("TRD-a1"),
///     side: .long, quantity: 2, limitPrice: 100)))
/// // result == .created; ledger.balances(of: p1).available == 800
/// ```
///
/// ## Rules
///
/// - **Requests** (allocate, deallocate, reserve entry) that would lower `available` below zero
///   are refused with ``LedgerResult/insufficientAvailable(available:required:)``; no balance
///   changes, and the refusal is recorded for the operation's id.
/// - **Facts** (fill, cancel, exit) are always applied when valid. One that leaves `available`
///   below zero returns ``LedgerResult/violation(available:)`` with the negative figure and is
///   counted in ``violationCount``. Nothing is clamped.
/// - Every operation is all-or-nothing: all figures are computed and checked for overflow
///   before anything changes.
/// - **Idempotency** follows TigerBeetle's `create_transfers`: the same id with the same content
///   answers ``LedgerResult/exists`` (or the recorded refusal again), the same id with other
///   content answers the first differing field (`existsWithDifferent…`). Invalid operations
///   throw ``LedgerError``, are not recorded and do not take the id.
///
/// ## Rounding
///
/// Every product and quotient rounds half-even to 18 fractional digits, once:
/// the reservation `quantity * limitPrice`; a fill's cost `quantity * price`; the released
/// share of a reservation `round(reserved * filledAfter / quantity) - round(reserved *
/// filledBefore / quantity)` (the last fill releases exactly what is left); the released share
/// of a cost basis `round(costBasis * exitQuantity / positionQuantity)` (the last exit releases
/// exactly what is left); an exit's proceeds `quantity * price`. The shares are computed on a
/// 256-bit intermediate, so they round once. The realized PnL of an exit is `proceeds -
/// released - fee` for a long and `released - proceeds - fee` for a short, which is
/// `(exitPrice - averageEntryPrice) * quantity - fee` (reversed for a short) with the same
/// figure released from `reservedForPositions`.
public struct CapitalLedger: Sendable, Equatable {
    /// Every recorded operation with its result, in sequence order (from 1, without gaps).
    ///
    /// Reading `count` and `last` is constant time; see ``LedgerHistory``.
    public var history: LedgerHistory { LedgerHistory(self) }
    /// How many facts have left a profile's `available` below zero, over all profiles.
    public private(set) var violationCount = 0

    // The id table, in two parts. An id greater than every id recorded before it (ids that
    // grow, as time-based ids do) is found in the history itself: `ascendingRuns` holds the
    // runs of consecutive history positions recorded with such ids, so their ids ascend along
    // a run and from one run to the next. Any other id is kept in `idIndex`, whose slot `n` is
    // the history position `unorderedIDEvents[n]`. An id greater than `newestID` is then free
    // without a lookup: a large ledger fed growing ids neither reads nor writes a table larger
    // than the processor's caches for every operation.
    private var newestID: UInt128 = 0
    private var ascendingRuns: [Range<Int>] = []
    private var idIndex = SlotIndex()
    private var unorderedIDEvents: [Int] = []
    // Each other index maps a key to a slot of the arrays below it. Keys (with their strings)
    // and figures are kept in separate arrays, so the hot path reads and writes figures without
    // reference counting. Entries are never removed: posted and voided reservations and flat
    // positions stay, so late facts are answered precisely.
    private var profileIndex = SlotIndex()
    private var accountIDs: [ProfileID] = []
    private var accounts: [ProfileAccount] = []
    private var orderIndex = SlotIndex()
    private var orderIDs: [OrderID] = []
    private var orders: [OrderRecord] = []
    private var positionIndex = SlotIndex()
    private var positionKeys: [PositionKey] = []
    private var positions: [PositionRecord] = []
    // The history, one record per event (slot = sequence - 1). A `created` event refers to the
    // account, order or position it created or changed, whose ids the tables above hold, so a
    // record has no strings and a fixed size; any other recorded event is kept whole in
    // `unusualEvents`.
    private var events: [EventRecord] = []
    private var unusualEvents: [LedgerEvent] = []

    /// Creates an empty ledger.
    public init() {}

    /// Reserves and commits memory for the history of `operationCount` recorded operations
    /// (80 bytes each), so that recording them neither reallocates the history nor waits for
    /// the operating system to map its pages: the memory is written now, as a service that
    /// sizes its ledger at start-up would have it. The tables of orders, positions and of ids
    /// that arrive smaller than an id recorded before them grow as needed.
    ///
    /// - Parameter operationCount: The number of operations expected.
    public mutating func reserveCapacity(_ operationCount: Int) {
        guard operationCount > events.count else { return }
        events = [EventRecord](unsafeUninitializedCapacity: operationCount) { buffer, count in
            // Every element is written (a record is plain data: nothing to release), and only
            // the recorded ones are counted.
            buffer.initialize(repeating: EventRecord(id: 0, kind: .unusual, slot: 0))
            _ = buffer.update(fromContentsOf: events)
            count = events.count
        }
    }
}

// MARK: - Reading

extension CapitalLedger {
    /// The balances of a profile; all zero for a profile the ledger has not seen.
    ///
    /// - Parameter profileID: The profile.
    public func balances(of profileID: ProfileID) -> CapitalBalances {
        guard let slot = profileSlot(profileID, Self.hash(profileID)) else { return .zero }
        return accounts[slot].balances
    }

    /// How many facts have left this profile's `available` below zero.
    ///
    /// - Parameter profileID: The profile.
    public func violationCount(of profileID: ProfileID) -> Int {
        guard let slot = profileSlot(profileID, Self.hash(profileID)) else { return 0 }
        return accounts[slot].violationCount
    }

    /// The profiles the ledger holds balances for, in identifier order.
    public var profileIDs: [ProfileID] {
        accountIDs.sorted()
    }

    /// The reservation of an ENTRY order, pending, posted or voided; `nil` when none was made.
    ///
    /// - Parameters:
    ///   - orderID: The ENTRY order.
    ///   - profileID: The profile the order belongs to.
    public func reservation(of orderID: OrderID, in profileID: ProfileID) -> OrderReservation? {
        let probe = IndexProbe(hash: Self.hash(profileID, orderID)).reading(orderIndex)
        guard let slot = orderSlot(profileID, orderID, probe) else { return nil }
        return snapshot(ofOrder: slot)
    }

    /// Every reservation of a profile (pending, posted and voided), in order id order.
    ///
    /// - Parameter profileID: The profile.
    public func reservations(in profileID: ProfileID) -> [OrderReservation] {
        guard let account = profileSlot(profileID, Self.hash(profileID)) else { return [] }
        return orders.indices.filter { orders[$0].profileSlot == account }.map(snapshot(ofOrder:))
            .sorted { $0.orderID < $1.orderID }
    }

    /// The position of a trade, open or flat; `nil` when no entry was ever reserved for it.
    ///
    /// - Parameters:
    ///   - symbol: The symbol.
    ///   - tradeID: The trade.
    ///   - profileID: The profile.
    public func position(symbol: String, tradeID: TradeID, in profileID: ProfileID) -> LedgerPosition? {
        let probe = IndexProbe(hash: Self.hash(profileID, symbol, tradeID)).reading(positionIndex)
        guard let slot = positionSlot(profileID, symbol, tradeID, probe) else { return nil }
        return snapshot(ofPosition: slot)
    }

    /// Every position of a profile, open or flat, in (symbol, trade id) order.
    ///
    /// - Parameter profileID: The profile.
    public func positions(in profileID: ProfileID) -> [LedgerPosition] {
        guard let account = profileSlot(profileID, Self.hash(profileID)) else { return [] }
        return positions.indices.filter { positions[$0].profileSlot == account }.map(snapshot(ofPosition:))
            .sorted { ($0.symbol.utf8.lexicographicallyPrecedes($1.symbol.utf8))
                || ($0.symbol == $1.symbol && $0.tradeID < $1.tradeID) }
    }

    /// The event recorded for an operation id, or `nil` when the id is free.
    ///
    /// - Parameter id: The operation id.
    public func event(for id: LedgerOperationID) -> LedgerEvent? {
        eventSlot(id, idProbe(id)).map(recordedEvent(at:))
    }

    /// The number of recorded events.
    var recordedCount: Int { events.count }

    /// The recorded event at `slot` (sequence `slot + 1`), put back together.
    func recordedEvent(at slot: Int) -> LedgerEvent {
        let record = events[slot]
        let kind: LedgerOperation.Kind
        switch record.kind {
        case .unusual:
            return unusualEvents[record.slot]
        case .allocate:
            kind = .allocate(profileID: accountIDs[record.slot], amount: ExactDecimal(units: record.first))
        case .deallocate:
            kind = .deallocate(profileID: accountIDs[record.slot], amount: ExactDecimal(units: record.first))
        case .reserveEntry:
            let order = orders[record.slot]
            let key = positionKeys[order.positionSlot]
            kind = .reserveEntry(
                profileID: accountIDs[order.profileSlot], orderID: orderIDs[record.slot], symbol: key.symbol,
                tradeID: key.tradeID, side: order.side, quantity: ExactDecimal(units: record.first),
                limitPrice: ExactDecimal(units: record.second))
        case .fill:
            kind = .fill(
                profileID: accountIDs[orders[record.slot].profileSlot], orderID: orderIDs[record.slot],
                quantity: ExactDecimal(units: record.first), price: ExactDecimal(units: record.second))
        case .cancel:
            kind = .cancel(profileID: accountIDs[orders[record.slot].profileSlot], orderID: orderIDs[record.slot])
        case .exit:
            let key = positionKeys[record.slot]
            kind = .exit(
                profileID: accountIDs[positions[record.slot].profileSlot], symbol: key.symbol, tradeID: key.tradeID,
                quantity: ExactDecimal(units: record.first), price: ExactDecimal(units: record.second),
                fee: ExactDecimal(units: record.third))
        }
        return LedgerEvent(
            sequence: UInt64(slot + 1), operation: LedgerOperation(id: LedgerOperationID(record.id), kind: kind),
            result: .created)
    }

    private func snapshot(ofOrder slot: Int) -> OrderReservation {
        let order = orders[slot]
        let key = positionKeys[order.positionSlot]
        return OrderReservation(
            profileID: accountIDs[order.profileSlot], orderID: orderIDs[slot], symbol: key.symbol,
            tradeID: key.tradeID, side: order.side, quantity: order.quantity, limitPrice: order.limitPrice,
            reservedAmount: order.reservedAmount, filledQuantity: order.filledQuantity,
            remainingAmount: order.remainingAmount, status: order.status)
    }

    private func snapshot(ofPosition slot: Int) -> LedgerPosition {
        let position = positions[slot]
        let key = positionKeys[slot]
        return LedgerPosition(
            profileID: accountIDs[position.profileSlot], symbol: key.symbol, tradeID: key.tradeID,
            side: position.side, quantity: position.quantity, costBasis: position.costBasis)
    }
}

// MARK: - Applying

extension CapitalLedger {
    /// Applies an operation, or answers it from the id table.
    ///
    /// In order: the operation's own content is validated; then its id is looked up (same
    /// content: ``LedgerResult/exists``, or the recorded
    /// ``LedgerResult/insufficientAvailable(available:required:)`` again; other content: the
    /// first differing field); then it is checked against the ledger's state, computed in full,
    /// and committed or refused. A recorded result appends one ``LedgerEvent`` to ``history``.
    ///
    /// - Parameter operation: The operation and its idempotency id.
    /// - Returns: ``LedgerResult/created``, ``LedgerResult/violation(available:)`` or
    ///   ``LedgerResult/insufficientAvailable(available:required:)`` (recorded), or
    ///   ``LedgerResult/exists`` or an `existsWithDifferent…` result (nothing changed).
    /// - Throws: ``LedgerError``, and then nothing changed and the id stays free. Content:
    ///   ``LedgerError/Code/zeroOperationID``, ``LedgerError/Code/nonPositiveAmount``,
    ///   ``LedgerError/Code/nonPositiveQuantity``, ``LedgerError/Code/nonPositivePrice``,
    ///   ``LedgerError/Code/negativeFee``, ``LedgerError/Code/blankSymbol``. State:
    ///   ``LedgerError/Code/orderExists``, ``LedgerError/Code/sideMismatch`` (reserve entry);
    ///   ``LedgerError/Code/orderNotFound``, ``LedgerError/Code/orderAlreadyFilled``,
    ///   ``LedgerError/Code/orderAlreadyCancelled`` (fill, cancel);
    ///   ``LedgerError/Code/fillExceedsRemainingQuantity`` (fill);
    ///   ``LedgerError/Code/positionNotFound``, ``LedgerError/Code/exitExceedsPositionQuantity``
    ///   (exit); ``LedgerError/Code/overflow`` (any).
    public mutating func apply(_ operation: borrowing LedgerOperation) throws(LedgerError) -> LedgerResult {
        try Self.validateContent(of: operation)
        let id = operation.id
        // Each case hashes its keys first and reads the first bucket of every index it needs
        // (the id's, unless the id is greater than every recorded one, and the keys') one after
        // the other, so that in a large ledger the cache misses of these independent reads
        // overlap instead of following one another.
        let result: LedgerResult
        var record: EventRecord
        let idProbe: IndexProbe?
        switch operation.kind {
        case .allocate(let profileID, let amount):
            idProbe = self.idProbe(id)
            if let answer = answer(to: operation, idProbe) { return answer }
            let slot: Int
            (result, slot) = try allocate(profileID, amount, id)
            record = EventRecord(id: id.value, kind: .allocate, slot: slot, first: amount.units)
        case .deallocate(let profileID, let amount):
            idProbe = self.idProbe(id)
            if let answer = answer(to: operation, idProbe) { return answer }
            let slot: Int
            (result, slot) = try deallocate(profileID, amount, id)
            record = EventRecord(id: id.value, kind: .deallocate, slot: slot, first: amount.units)
        case .reserveEntry(let profileID, let orderID, let symbol, let tradeID, let side, let quantity, let limitPrice):
            let order = IndexProbe(hash: Self.hash(profileID, orderID))
            let position = IndexProbe(hash: Self.hash(profileID, symbol, tradeID))
            idProbe = self.idProbe(id)
            let orderProbe = order.reading(orderIndex)
            let positionProbe = position.reading(positionIndex)
            if let answer = answer(to: operation, idProbe) { return answer }
            let slot: Int
            (result, slot) = try reserveEntry(
                profileID, orderID, symbol, tradeID, side, quantity, limitPrice, id, orderProbe, positionProbe)
            record = EventRecord(
                id: id.value, kind: .reserveEntry, slot: slot, first: quantity.units, second: limitPrice.units)
        case .fill(let profileID, let orderID, let quantity, let price):
            let order = IndexProbe(hash: Self.hash(profileID, orderID))
            idProbe = self.idProbe(id)
            let orderProbe = order.reading(orderIndex)
            if let answer = answer(to: operation, idProbe) { return answer }
            let slot: Int
            (result, slot) = try fill(profileID, orderID, quantity, price, id, orderProbe)
            record = EventRecord(id: id.value, kind: .fill, slot: slot, first: quantity.units, second: price.units)
        case .cancel(let profileID, let orderID):
            let order = IndexProbe(hash: Self.hash(profileID, orderID))
            idProbe = self.idProbe(id)
            let orderProbe = order.reading(orderIndex)
            if let answer = answer(to: operation, idProbe) { return answer }
            let slot: Int
            (result, slot) = try cancel(profileID, orderID, id, orderProbe)
            record = EventRecord(id: id.value, kind: .cancel, slot: slot)
        case .exit(let profileID, let symbol, let tradeID, let quantity, let price, let fee):
            let position = IndexProbe(hash: Self.hash(profileID, symbol, tradeID))
            idProbe = self.idProbe(id)
            let positionProbe = position.reading(positionIndex)
            if let answer = answer(to: operation, idProbe) { return answer }
            let slot: Int
            (result, slot) = try exit(profileID, symbol, tradeID, quantity, price, fee, id, positionProbe)
            record = EventRecord(
                id: id.value, kind: .exit, slot: slot, first: quantity.units, second: price.units, third: fee.units)
        }
        // Nothing above threw: record the operation under its id.
        if case .created = result {} else {
            record = EventRecord(id: id.value, kind: .unusual, slot: unusualEvents.count)
            unusualEvents.append(LedgerEvent(sequence: UInt64(events.count + 1), operation: copy operation, result: result))
        }
        if let idProbe {
            idIndex.append(idProbe.hash)
            unorderedIDEvents.append(events.count)
        } else {
            newestID = id.value
            if let last = ascendingRuns.indices.last, ascendingRuns[last].upperBound == events.count {
                ascendingRuns[last] = ascendingRuns[last].lowerBound..<(events.count + 1)
            } else {
                ascendingRuns.append(events.count..<(events.count + 1))
            }
        }
        events.append(record)
        return result
    }

    /// The answer from the id table when the operation's id is taken: the first differing
    /// field, the recorded refusal again, or `exists`; `nil` when the id is free.
    private func answer(
        to operation: borrowing LedgerOperation, _ idProbe: IndexProbe?
    ) -> LedgerResult? {
        guard let existing = eventSlot(operation.id, idProbe) else { return nil }
        let recorded = recordedEvent(at: existing)
        if let difference = recorded.operation.kind.firstDifference(from: operation.kind) {
            return difference
        }
        if case .insufficientAvailable = recorded.result { return recorded.result }
        return .exists
    }

    /// Rebuilds a ledger from a history by replaying its events in sequence order and checking
    /// that each one gives the result recorded for it (restart durability, `reference/002_*`
    /// phase 2).
    ///
    /// The rebuilt ledger equals the one that recorded the history: same balances,
    /// reservations, positions, id table, violation counts and history.
    ///
    /// - Parameter history: The recorded events, in any order (an array, or another ledger's
    ///   ``history``).
    /// - Returns: The ledger.
    /// - Throws: ``LedgerError`` with code ``LedgerError/Code/historyOutOfSequence`` when the
    ///   sequence numbers, sorted, are not 1, 2, 3, ... (a duplicate or a lost event), or
    ///   ``LedgerError/Code/historyMismatch`` when an event does not replay to its recorded
    ///   result.
    public static func rebuild(from history: some Sequence<LedgerEvent>) throws(LedgerError) -> CapitalLedger {
        var events = Array(history)
        if !events.indices.dropFirst().allSatisfy({ events[$0 - 1].sequence < events[$0].sequence }) {
            events.sort { $0.sequence < $1.sequence }
        }
        var ledger = CapitalLedger()
        ledger.reserveCapacity(events.count)
        for (offset, event) in events.enumerated() {
            let expected = UInt64(offset + 1)
            guard event.sequence == expected else {
                throw LedgerError(
                    .historyOutOfSequence, operationID: event.id, sequence: event.sequence, field: "sequence",
                    value: String(event.sequence), detail: "expected sequence \(expected): a duplicate or a lost event")
            }
            let replayed: LedgerResult
            do {
                replayed = try ledger.apply(event.operation)
            } catch {
                throw LedgerError(
                    .historyMismatch, operationID: event.id, sequence: event.sequence, field: "result",
                    value: event.result.code.rawValue, detail: "the recorded operation does not replay: \(error.detail)")
            }
            guard replayed == event.result, ledger.events.count == offset + 1 else {
                throw LedgerError(
                    .historyMismatch, operationID: event.id, sequence: event.sequence, field: "result",
                    value: "\(event.result)", detail: "the operation replays to \(replayed), not to the recorded result")
            }
        }
        return ledger
    }
}

// MARK: - Rules

extension CapitalLedger {
    private static func validateContent(of operation: LedgerOperation) throws(LedgerError) {
        let id = operation.id
        guard id.value != 0 else {
            throw LedgerError(.zeroOperationID, operationID: id, field: "id", value: "0",
                              detail: "the operation id must not be zero")
        }
        switch operation.kind {
        case .allocate(_, let amount), .deallocate(_, let amount):
            guard amount.isPositive else {
                throw LedgerError(.nonPositiveAmount, operationID: id, field: "amount", value: amount.description,
                                  detail: "the \(operation.kind.name) amount must be greater than zero")
            }
        case .reserveEntry(_, _, let symbol, _, _, let quantity, let limitPrice):
            try checkSymbol(symbol, id)
            try checkQuantity(quantity, id)
            try checkPrice(limitPrice, field: "limit_price", id)
        case .fill(_, _, let quantity, let price):
            try checkQuantity(quantity, id)
            try checkPrice(price, field: "price", id)
        case .cancel:
            break
        case .exit(_, let symbol, _, let quantity, let price, let fee):
            try checkSymbol(symbol, id)
            try checkQuantity(quantity, id)
            try checkPrice(price, field: "price", id)
            guard !fee.isNegative else {
                throw LedgerError(.negativeFee, operationID: id, field: "fee", value: fee.description,
                                  detail: "the exit fee must not be negative")
            }
        }
    }

    private static func checkSymbol(_ symbol: String, _ id: LedgerOperationID) throws(LedgerError) {
        // Fast path: a visible ASCII character means the symbol is not blank.
        if symbol.utf8.contains(where: { $0 > 0x20 && $0 < 0x7F }) { return }
        guard !symbol.allSatisfy(\.isWhitespace) else {
            throw LedgerError(.blankSymbol, operationID: id, field: "symbol", value: symbol,
                              detail: "the symbol must not be blank")
        }
    }

    private static func checkQuantity(_ quantity: ExactDecimal, _ id: LedgerOperationID) throws(LedgerError) {
        guard quantity.isPositive else {
            throw LedgerError(.nonPositiveQuantity, operationID: id, field: "quantity", value: quantity.description,
                              detail: "the quantity must be greater than zero")
        }
    }

    private static func checkPrice(_ price: ExactDecimal, field: String, _ id: LedgerOperationID) throws(LedgerError) {
        guard price.isPositive else {
            throw LedgerError(.nonPositivePrice, operationID: id, field: field, value: price.description,
                              detail: "the price must be greater than zero")
        }
    }

    private mutating func allocate(
        _ profileID: ProfileID, _ amount: ExactDecimal, _ id: LedgerOperationID
    ) throws(LedgerError) -> (LedgerResult, slot: Int) {
        let profileHash = Self.hash(profileID)
        let slot = profileSlot(profileID, profileHash)
        let balances = slot.map { accounts[$0].balances } ?? .zero
        let allocated = try Self.sum(balances.allocated, amount, "allocated", id)
        let available = try Self.sum(balances.available, amount, "available", id)
        let target = slot ?? openAccount(profileID, profileHash)
        accounts[target].balances.allocated = allocated
        accounts[target].balances.available = available
        // Accepted even when `available` stays below zero: an allocation only raises it.
        return (.created, target)
    }

    private mutating func deallocate(
        _ profileID: ProfileID, _ amount: ExactDecimal, _ id: LedgerOperationID
    ) throws(LedgerError) -> (LedgerResult, slot: Int) {
        let slot = profileSlot(profileID, Self.hash(profileID))
        let balances = slot.map { accounts[$0].balances } ?? .zero
        let available = try Self.difference(balances.available, amount, "available", id)
        guard let slot, !available.isNegative else {
            return (.insufficientAvailable(available: balances.available, required: amount), -1)
        }
        let allocated = try Self.difference(balances.allocated, amount, "allocated", id)
        accounts[slot].balances.allocated = allocated
        accounts[slot].balances.available = available
        return (.created, slot)
    }

    private mutating func reserveEntry(
        _ profileID: ProfileID, _ orderID: OrderID, _ symbol: String, _ tradeID: TradeID, _ side: PositionSide,
        _ quantity: ExactDecimal, _ limitPrice: ExactDecimal, _ id: LedgerOperationID, _ order: IndexProbe,
        _ position: IndexProbe
    ) throws(LedgerError) -> (LedgerResult, slot: Int) {
        guard orderSlot(profileID, orderID, order) == nil else {
            throw LedgerError(.orderExists, operationID: id, field: "order_id", value: orderID.rawValue,
                              detail: "order \(orderID) of profile \(profileID) already has a reservation")
        }
        let existingPosition = positionSlot(profileID, symbol, tradeID, position)
        if let existingPosition {
            let position = positions[existingPosition]
            if position.side != side, position.quantity.isPositive || position.pendingOrderCount > 0 {
                throw LedgerError(
                    .sideMismatch, operationID: id, field: "side", value: side.rawValue,
                    detail: "trade \(tradeID) of \(symbol) in profile \(profileID) is \(position.side.rawValue) "
                        + "(open quantity \(position.quantity), \(position.pendingOrderCount) pending orders)")
            }
        }
        let amount = try Self.product(quantity, limitPrice, "reserved_amount", id)
        let profileHash = Self.hash(profileID)
        let existingAccount = profileSlot(profileID, profileHash)
        let balances = existingAccount.map { accounts[$0].balances } ?? .zero
        let reserved = try Self.sum(balances.reservedForOrders, amount, "reserved_for_orders", id)
        let available = try Self.difference(balances.available, amount, "available", id)
        if available.isNegative {
            return (.insufficientAvailable(available: balances.available, required: amount), -1)
        }
        // Commit.
        let account = existingAccount ?? openAccount(profileID, profileHash)
        accounts[account].balances.reservedForOrders = reserved
        accounts[account].balances.available = available
        let positionSlot: Int
        if let existingPosition {
            positionSlot = existingPosition
            positions[positionSlot].side = side
            positions[positionSlot].pendingOrderCount += 1
        } else {
            positionSlot = positionIndex.append(position.hash)
            positionKeys.append(PositionKey(symbol: symbol, tradeID: tradeID))
            positions.append(PositionRecord(
                profileSlot: account, side: side, quantity: .zero, costBasis: .zero, pendingOrderCount: 1))
        }
        let orderSlot = orderIndex.append(order.hash)
        orderIDs.append(orderID)
        orders.append(OrderRecord(
            profileSlot: account, positionSlot: positionSlot, side: side, quantity: quantity, limitPrice: limitPrice,
            reservedAmount: amount, filledQuantity: .zero, remainingAmount: amount, status: .pending))
        return (.created, orderSlot)
    }

    private mutating func fill(
        _ profileID: ProfileID, _ orderID: OrderID, _ quantity: ExactDecimal, _ price: ExactDecimal,
        _ id: LedgerOperationID, _ probe: IndexProbe
    ) throws(LedgerError) -> (LedgerResult, slot: Int) {
        let slot = try pendingOrderSlot(profileID, orderID, id, probe)
        let order = orders[slot]
        let unfilled = try Self.difference(order.quantity, order.filledQuantity, "unfilled_quantity", id)
        guard quantity <= unfilled else {
            throw LedgerError(
                .fillExceedsRemainingQuantity, operationID: id, field: "quantity", value: quantity.description,
                detail: "order \(orderID) of profile \(profileID) has \(unfilled) of \(order.quantity) unfilled")
        }
        let filled = try Self.sum(order.filledQuantity, quantity, "filled_quantity", id)
        let isLast = filled == order.quantity
        // Telescoping shares: the released total after this fill is round(reserved * filled /
        // quantity), so rounding never strands or overdraws capital, and the last fill releases
        // exactly what is left.
        let releasedBefore = try Self.difference(order.reservedAmount, order.remainingAmount, "released", id)
        let releasedAfter = isLast
            ? order.reservedAmount
            : try Self.share(order.reservedAmount, filled, order.quantity, "released", id)
        let release = try Self.difference(releasedAfter, releasedBefore, "release", id)
        let cost = try Self.product(quantity, price, "cost", id)
        let position = positions[order.positionSlot]
        let positionQuantity = try Self.sum(position.quantity, quantity, "position_quantity", id)
        let costBasis = try Self.sum(position.costBasis, cost, "cost_basis", id)
        let balances = accounts[order.profileSlot].balances
        let reservedForOrders = try Self.difference(balances.reservedForOrders, release, "reserved_for_orders", id)
        let reservedForPositions = try Self.sum(balances.reservedForPositions, cost, "reserved_for_positions", id)
        let available = try Self.difference(try Self.sum(balances.available, release, "available", id), cost, "available", id)
        assert(!release.isNegative && release <= order.remainingAmount, "a fill releases part of what is reserved")
        // Commit.
        orders[slot].filledQuantity = filled
        orders[slot].remainingAmount = ExactDecimal(units: order.remainingAmount.units - release.units)
        if isLast {
            orders[slot].status = .posted
            positions[order.positionSlot].pendingOrderCount -= 1
        }
        positions[order.positionSlot].quantity = positionQuantity
        positions[order.positionSlot].costBasis = costBasis
        accounts[order.profileSlot].balances.reservedForOrders = reservedForOrders
        accounts[order.profileSlot].balances.reservedForPositions = reservedForPositions
        accounts[order.profileSlot].balances.available = available
        return (concludeFact(profileSlot: order.profileSlot, available: available), slot)
    }

    private mutating func cancel(
        _ profileID: ProfileID, _ orderID: OrderID, _ id: LedgerOperationID, _ probe: IndexProbe
    ) throws(LedgerError) -> (LedgerResult, slot: Int) {
        let slot = try pendingOrderSlot(profileID, orderID, id, probe)
        let order = orders[slot]
        let balances = accounts[order.profileSlot].balances
        let release = order.remainingAmount
        let reservedForOrders = try Self.difference(balances.reservedForOrders, release, "reserved_for_orders", id)
        let available = try Self.sum(balances.available, release, "available", id)
        // Commit.
        orders[slot].remainingAmount = .zero
        orders[slot].status = .voided
        positions[order.positionSlot].pendingOrderCount -= 1
        accounts[order.profileSlot].balances.reservedForOrders = reservedForOrders
        accounts[order.profileSlot].balances.available = available
        return (concludeFact(profileSlot: order.profileSlot, available: available), slot)
    }

    private mutating func exit(
        _ profileID: ProfileID, _ symbol: String, _ tradeID: TradeID, _ quantity: ExactDecimal, _ price: ExactDecimal,
        _ fee: ExactDecimal, _ id: LedgerOperationID, _ probe: IndexProbe
    ) throws(LedgerError) -> (LedgerResult, slot: Int) {
        guard let slot = positionSlot(profileID, symbol, tradeID, probe) else {
            throw LedgerError(.positionNotFound, operationID: id, field: "trade_id", value: tradeID.rawValue,
                              detail: "profile \(profileID) has no position for trade \(tradeID) of \(symbol)")
        }
        let position = positions[slot]
        guard quantity <= position.quantity else {
            throw LedgerError(
                .exitExceedsPositionQuantity, operationID: id, field: "quantity", value: quantity.description,
                detail: "the position of trade \(tradeID) of \(symbol) in profile \(profileID) is \(position.quantity)")
        }
        // Average cost: the exited share of the cost basis; the last exit releases what is left.
        let released = quantity == position.quantity
            ? position.costBasis
            : try Self.share(position.costBasis, quantity, position.quantity, "released_cost_basis", id)
        let proceeds = try Self.product(quantity, price, "proceeds", id)
        let gross = position.side == .long
            ? try Self.difference(proceeds, released, "realized_pnl", id)
            : try Self.difference(released, proceeds, "realized_pnl", id)
        let pnl = try Self.difference(gross, fee, "realized_pnl", id)
        let balances = accounts[position.profileSlot].balances
        let reservedForPositions = try Self.difference(
            balances.reservedForPositions, released, "reserved_for_positions", id)
        let realizedPnL = try Self.sum(balances.realizedPnL, pnl, "realized_pnl", id)
        let available = try Self.sum(try Self.sum(balances.available, released, "available", id), pnl, "available", id)
        assert(!released.isNegative && released <= position.costBasis, "an exit releases part of the cost basis")
        // Commit.
        positions[slot].quantity = ExactDecimal(units: position.quantity.units - quantity.units)
        positions[slot].costBasis = ExactDecimal(units: position.costBasis.units - released.units)
        accounts[position.profileSlot].balances.reservedForPositions = reservedForPositions
        accounts[position.profileSlot].balances.realizedPnL = realizedPnL
        accounts[position.profileSlot].balances.available = available
        return (concludeFact(profileSlot: position.profileSlot, available: available), slot)
    }

    /// The slot of a pending order, or the error for a missing, filled or cancelled one.
    private func pendingOrderSlot(
        _ profileID: ProfileID, _ orderID: OrderID, _ id: LedgerOperationID, _ probe: IndexProbe
    ) throws(LedgerError) -> Int {
        guard let slot = orderSlot(profileID, orderID, probe) else {
            throw LedgerError(.orderNotFound, operationID: id, field: "order_id", value: orderID.rawValue,
                              detail: "profile \(profileID) has no reservation for order \(orderID)")
        }
        switch orders[slot].status {
        case .pending:
            return slot
        case .posted:
            throw LedgerError(.orderAlreadyFilled, operationID: id, field: "order_id", value: orderID.rawValue,
                              detail: "order \(orderID) of profile \(profileID) is fully filled")
        case .voided:
            throw LedgerError(.orderAlreadyCancelled, operationID: id, field: "order_id", value: orderID.rawValue,
                              detail: "order \(orderID) of profile \(profileID) is cancelled")
        }
    }

    /// The result of an applied fact: a counted violation when `available` is below zero.
    private mutating func concludeFact(profileSlot: Int, available: ExactDecimal) -> LedgerResult {
        guard available.isNegative else { return .created }
        violationCount += 1
        accounts[profileSlot].violationCount += 1
        return .violation(available: available)
    }

    private mutating func openAccount(_ profileID: ProfileID, _ hash: UInt64) -> Int {
        let slot = profileIndex.append(hash)
        accountIDs.append(profileID)
        accounts.append(ProfileAccount(balances: .zero, violationCount: 0))
        return slot
    }
}

// MARK: - Lookups

extension CapitalLedger {
    private static func hash(_ id: LedgerOperationID) -> UInt64 {
        LedgerHash.finalize(LedgerHash.combine(
            LedgerHash.combine(0x1D, UInt64(truncatingIfNeeded: id.value)), UInt64(truncatingIfNeeded: id.value >> 64)))
    }

    private static func hash(_ profileID: ProfileID) -> UInt64 {
        LedgerHash.finalize(LedgerHash.combine(0x9F, profileID.rawValue))
    }

    private static func hash(_ profileID: ProfileID, _ orderID: OrderID) -> UInt64 {
        LedgerHash.finalize(LedgerHash.combine(LedgerHash.combine(0x0D, profileID.rawValue), orderID.rawValue))
    }

    private static func hash(_ profileID: ProfileID, _ symbol: String, _ tradeID: TradeID) -> UInt64 {
        LedgerHash.finalize(LedgerHash.combine(
            LedgerHash.combine(LedgerHash.combine(0x05, profileID.rawValue), symbol), tradeID.rawValue))
    }

    /// Where to look `id` up: `nil` when it is greater than every id recorded (so it is free),
    /// else its probe in the table of unordered ids, with the first bucket read.
    @inline(__always)
    private func idProbe(_ id: LedgerOperationID) -> IndexProbe? {
        guard id.value <= newestID else { return nil }
        return IndexProbe(hash: Self.hash(id)).reading(idIndex)
    }

    /// The position in the history of the event recorded for `id`, or `nil` when it is free.
    private func eventSlot(_ id: LedgerOperationID, _ probe: IndexProbe?) -> Int? {
        guard let probe else { return nil }
        // The ids of the runs ascend: the last run whose first id is not above `id`, then the
        // position in it whose id is not below `id`.
        let runsAfter = Self.partitionPoint(0..<ascendingRuns.count) { events[ascendingRuns[$0].lowerBound].id > id.value }
        if runsAfter > 0 {
            let run = ascendingRuns[runsAfter &- 1]
            let position = Self.partitionPoint(run) { events[$0].id >= id.value }
            if position < run.upperBound, events[position].id == id.value { return position }
        }
        let slot = idIndex.find(probe.hash, firstBucket: probe.firstBucket) { events[unorderedIDEvents[$0]].id == id.value }
        return slot.map { unorderedIDEvents[$0] }
    }

    /// The first position of `range` where `isAtOrAbove` holds, given that it holds from some
    /// position to the end of `range` and nowhere before (binary search).
    @inline(__always)
    private static func partitionPoint(_ range: Range<Int>, where isAtOrAbove: (Int) -> Bool) -> Int {
        var low = range.lowerBound
        var high = range.upperBound
        while low < high {
            let middle = low &+ (high &- low) / 2
            if isAtOrAbove(middle) { high = middle } else { low = middle &+ 1 }
        }
        return low
    }

    private func profileSlot(_ profileID: ProfileID, _ hash: UInt64) -> Int? {
        profileIndex.find(hash) { LedgerHash.sameBytes(accountIDs[$0].rawValue, profileID.rawValue) }
    }

    private func orderSlot(_ profileID: ProfileID, _ orderID: OrderID, _ probe: IndexProbe) -> Int? {
        orderIndex.find(probe.hash, firstBucket: probe.firstBucket) {
            LedgerHash.sameBytes(orderIDs[$0].rawValue, orderID.rawValue)
                && LedgerHash.sameBytes(accountIDs[orders[$0].profileSlot].rawValue, profileID.rawValue)
        }
    }

    private func positionSlot(_ profileID: ProfileID, _ symbol: String, _ tradeID: TradeID, _ probe: IndexProbe) -> Int? {
        positionIndex.find(probe.hash, firstBucket: probe.firstBucket) {
            LedgerHash.sameBytes(positionKeys[$0].tradeID.rawValue, tradeID.rawValue)
                && LedgerHash.sameBytes(positionKeys[$0].symbol, symbol)
                && LedgerHash.sameBytes(accountIDs[positions[$0].profileSlot].rawValue, profileID.rawValue)
        }
    }
}

// MARK: - Checked arithmetic

extension CapitalLedger {
    private static func sum(
        _ lhs: ExactDecimal, _ rhs: ExactDecimal, _ field: StaticString, _ id: LedgerOperationID
    ) throws(LedgerError) -> ExactDecimal {
        let (value, overflow) = lhs.addingReportingOverflow(rhs)
        if overflow { throw overflowError("\(lhs) + \(rhs)", field, id) }
        return value
    }

    private static func difference(
        _ lhs: ExactDecimal, _ rhs: ExactDecimal, _ field: StaticString, _ id: LedgerOperationID
    ) throws(LedgerError) -> ExactDecimal {
        let (value, overflow) = lhs.subtractingReportingOverflow(rhs)
        if overflow { throw overflowError("\(lhs) - \(rhs)", field, id) }
        return value
    }

    /// `lhs * rhs`, rounded half-even.
    private static func product(
        _ lhs: ExactDecimal, _ rhs: ExactDecimal, _ field: StaticString, _ id: LedgerOperationID
    ) throws(LedgerError) -> ExactDecimal {
        do {
            return try lhs.multiplied(by: rhs, rounding: .halfEven)
        } catch {
            throw overflowError("\(lhs) * \(rhs)", field, id)
        }
    }

    /// `value * numerator / denominator`, rounded half-even once.
    private static func share(
        _ value: ExactDecimal, _ numerator: ExactDecimal, _ denominator: ExactDecimal, _ field: StaticString,
        _ id: LedgerOperationID
    ) throws(LedgerError) -> ExactDecimal {
        guard let share = value.multiplied(by: numerator, dividedBy: denominator, rounding: .halfEven) else {
            throw overflowError("\(value) * \(numerator) / \(denominator)", field, id)
        }
        return share
    }

    private static func overflowError(_ expression: String, _ field: StaticString, _ id: LedgerOperationID) -> LedgerError {
        LedgerError(.overflow, operationID: id, field: "\(field)", value: expression,
                    detail: "the result is outside the range of an exact decimal")
    }
}

// MARK: - Storage records

/// The balances and violation count of one profile (its id is in `accountIDs`).
private struct ProfileAccount: Sendable, Hashable {
    var balances: CapitalBalances
    var violationCount: Int
}

/// The figures of an order reservation (its id is in `orderIDs`; its symbol and trade id are
/// those of its position).
private struct OrderRecord: Sendable, Hashable {
    let profileSlot: Int
    let positionSlot: Int
    let side: PositionSide
    let quantity: ExactDecimal
    let limitPrice: ExactDecimal
    let reservedAmount: ExactDecimal
    var filledQuantity: ExactDecimal
    var remainingAmount: ExactDecimal
    var status: OrderReservation.Status
}

/// The figures of a position (its symbol and trade id are in `positionKeys`).
private struct PositionRecord: Sendable, Hashable {
    let profileSlot: Int
    var side: PositionSide
    var quantity: ExactDecimal
    var costBasis: ExactDecimal
    /// Pending ENTRY orders of this trade: while there are any, the side cannot change.
    var pendingOrderCount: Int
}

/// One event of the history. A `created` event keeps its figures and the slot of the account
/// (allocate, deallocate), order (reserve entry, fill, cancel) or position (exit) it applied to;
/// the ids of its operation are those of that slot. Any other event is kept whole at `slot` of
/// `unusualEvents`.
private struct EventRecord: Sendable, Hashable {
    enum Kind: UInt8, Sendable, Hashable {
        case allocate, deallocate, reserveEntry, fill, cancel, exit, unusual
    }

    /// The operation id.
    let id: UInt128
    /// Up to three figures of the operation, as units: the amount; the quantity and the limit
    /// or fill price; the quantity, price and fee of an exit.
    let first: Int128
    let second: Int128
    let third: Int128
    let slot: Int
    let kind: Kind

    init(id: UInt128, kind: Kind, slot: Int, first: Int128 = 0, second: Int128 = 0, third: Int128 = 0) {
        self.id = id
        self.first = first
        self.second = second
        self.third = third
        self.slot = slot
        self.kind = kind
    }
}

/// The symbol and trade id of a position.
private struct PositionKey: Sendable, Hashable {
    let symbol: String
    let tradeID: TradeID
}
