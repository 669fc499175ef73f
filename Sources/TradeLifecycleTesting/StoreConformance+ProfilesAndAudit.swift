import TradeLifecycle

extension StoreConformance {
    /// The checks of ``TradeLifecycle/ProfileStore``.
    public static var profileChecks: [Check] {
        [profileSaveReplacesAndReadsBack]
    }

    /// The checks of ``TradeLifecycle/BackfillAuditStore``.
    public static var backfillAuditChecks: [Check] {
        [
            auditRecordsReadBackByRowNumber,
            auditInsertWithExistingKeyWritesNothing,
            auditDecisionIsCompareAndSet,
            auditRecordsByProfileAndDecisionAreOrdered,
            batchRevertedAtIsSetOnce,
        ]
    }

    /// Profiles: unknown is `nil`, save creates or replaces.
    public static let profileSaveReplacesAndReadsBack = Check(
        "profileSaveReplacesAndReadsBack", .profiles,
        "profile(_:) is nil for an unknown profile; saveProfile creates, then replaces, the profile's state"
    ) { store, c in
        let p1 = c.profile("p1"), p2 = c.profile("p2")
        try c.expectEqual(try await store.profile(p1), nil, "unknown profile")
        let paused = TradingProfile(profileID: p1, isPaused: true, updatedAt: Fixture.time(1))
        try await store.saveProfile(paused)
        try c.expectEqual(try await store.profile(p1), paused, "saved profile")
        let resumed = TradingProfile(profileID: p1, isPaused: false, updatedAt: Fixture.time(2))
        try await store.saveProfile(resumed)
        try c.expectEqual(try await store.profile(p1), resumed, "replaced profile")
        try c.expectEqual(try await store.profile(p2), nil, "another profile after saving p1")
    }

    /// Audit rows of a batch read back in row order, every field as written.
    public static let auditRecordsReadBackByRowNumber = Check(
        "auditRecordsReadBackByRowNumber", .backfillAudit,
        "auditRecords(batchID:) returns the batch's records sorted by row number, every field as written"
    ) { store, c in
        let profile = c.profile("p1"), batch = c.batchID("b1")
        let trade = c.tradeID("a")
        let row0 = c.auditRecord(batch: batch, row: 0, profile: profile, trade: trade, decision: .noGo, reason: .profileNotPaused,
                                 filledQuantity: nil, price: nil, exchangeOrderID: nil, filledAt: nil)
        let row1 = c.auditRecord(batch: batch, row: 1, profile: profile, symbol: "ETH-USD", trade: trade, decision: .pendingApply,
                                 reason: .fillEvidence, openQuantity: "2.000000000000000001", filledQuantity: "0.75", price: "3100.5",
                                 backfillOrderID: c.backfillOrderID("1"), exchangeOrderID: "x-7", clientOrderID: "EXT-1",
                                 filledAt: Fixture.time(3), createdAt: Fixture.time(4))
        let row2 = c.auditRecord(batch: batch, row: 2, profile: profile, trade: trade, decision: .dryRun, reason: .dustRemainder,
                                 filledQuantity: "0.0001", exchangeOrderID: OrderID.dustExchangeOrderID, revertedAt: Fixture.time(9))
        try await store.insertAuditRecords([row2, row0])
        try await store.insertAuditRecords([row1])
        try c.expectEqual(try await store.auditRecords(batchID: batch), [row0, row1, row2], "records of the batch")
        try c.expectEqual(try await store.auditRecords(batchID: c.batchID("other")), [], "records of an unknown batch")
    }

    /// An insert with an existing key writes none of its records.
    public static let auditInsertWithExistingKeyWritesNothing = Check(
        "auditInsertWithExistingKeyWritesNothing", .backfillAudit,
        "insertAuditRecords with a key that exists (or repeats within the call) is uniqueViolation and writes none of the records"
    ) { store, c in
        let profile = c.profile("p1"), batch = c.batchID("b1"), trade = c.tradeID("a")
        let row0 = c.auditRecord(batch: batch, row: 0, profile: profile, trade: trade)
        try await store.insertAuditRecords([row0])
        let row1 = c.auditRecord(batch: batch, row: 1, profile: profile, trade: trade)
        let row0Again = c.auditRecord(batch: batch, row: 0, profile: profile, trade: trade, decision: .noGo, reason: .exchangeNotFlat)
        try await c.expectStoreError(.uniqueViolation, "insert of a new and an existing key") {
            try await store.insertAuditRecords([row1, row0Again])
        }
        try c.expectEqual(try await store.auditRecords(batchID: batch), [row0], "records after the refused insert")
        let row2 = c.auditRecord(batch: batch, row: 2, profile: profile, trade: trade)
        try await c.expectStoreError(.uniqueViolation, "insert repeating a key within the call") {
            try await store.insertAuditRecords([row2, row2])
        }
        try c.expectEqual(try await store.auditRecords(batchID: batch), [row0], "records after the refused repeating insert")
    }

    /// Decisions change only by compare-and-set.
    public static let auditDecisionIsCompareAndSet = Check(
        "auditDecisionIsCompareAndSet", .backfillAudit,
        "updateAuditDecision changes the decision only when it is the expected one (conflict otherwise, notFound for an unknown key)"
    ) { store, c in
        let profile = c.profile("p1"), batch = c.batchID("b1"), trade = c.tradeID("a")
        let row = c.auditRecord(batch: batch, row: 0, profile: profile, trade: trade, decision: .pendingApply)
        try await store.insertAuditRecords([row])
        var applied = row
        applied.decision = .applied
        try c.expectEqual(try await store.updateAuditDecision(row.key, from: .pendingApply, to: .applied), applied, "returned record")
        try c.expectEqual(try await store.auditRecords(batchID: batch), [applied], "stored record after the change")
        try await c.expectStoreError(.conflict, "second change from pendingApply") {
            try await store.updateAuditDecision(row.key, from: .pendingApply, to: .skipExisting)
        }
        try c.expectEqual(try await store.auditRecords(batchID: batch), [applied], "stored record after the conflict")
        try await c.expectStoreError(.notFound, "change of an unknown key") {
            try await store.updateAuditDecision(BackfillAuditKey(batchID: batch, rowNumber: 7), from: .pendingApply, to: .applied)
        }
        try c.expectEqual(try await store.auditRecords(batchID: batch), [applied], "records after the unknown key")
    }

    /// Records by profile and decision, sorted by creation time, batch and row number.
    public static let auditRecordsByProfileAndDecisionAreOrdered = Check(
        "auditRecordsByProfileAndDecisionAreOrdered", .backfillAudit,
        "auditRecords(profileID:decision:) returns the profile's records with that decision by created_at, batch id, row number"
    ) { store, c in
        let p1 = c.profile("p1"), p2 = c.profile("p2"), trade = c.tradeID("a")
        let bA = c.batchID("A"), bB = c.batchID("B")
        let records = [
            c.auditRecord(batch: bB, row: 1, profile: p1, trade: trade, decision: .pendingApply, createdAt: Fixture.time(5)),
            c.auditRecord(batch: bB, row: 0, profile: p1, trade: trade, decision: .pendingApply, createdAt: Fixture.time(5)),
            c.auditRecord(batch: bA, row: 3, profile: p1, trade: trade, decision: .pendingApply, createdAt: Fixture.time(5)),
            c.auditRecord(batch: bA, row: 0, profile: p1, trade: trade, decision: .pendingApply, createdAt: Fixture.time(7)),
            c.auditRecord(batch: bA, row: 1, profile: p1, trade: trade, decision: .applied, createdAt: Fixture.time(1)),
            c.auditRecord(batch: bA, row: 2, profile: p2, trade: trade, decision: .pendingApply, createdAt: Fixture.time(1)),
        ]
        try await store.insertAuditRecords(records)
        let keys = try await store.auditRecords(profileID: p1, decision: .pendingApply).map(\.key)
        let expected = [(bA, 3), (bB, 0), (bB, 1), (bA, 0)].map { BackfillAuditKey(batchID: $0.0, rowNumber: $0.1) }
        try c.expectEqual(keys.map(Self.describe), expected.map(Self.describe), "pendingApply records of p1")
        try c.expectEqual(try await store.auditRecords(profileID: p1, decision: .applied).map(\.key).map(Self.describe),
                          [Self.describe(BackfillAuditKey(batchID: bA, rowNumber: 1))], "applied records of p1")
        try c.expectEqual(try await store.auditRecords(profileID: p2, decision: .applied), [], "applied records of p2")
    }

    static func describe(_ key: BackfillAuditKey) -> String { "\(key.batchID)#\(key.rowNumber)" }

    /// `reverted_at` is set once per record.
    public static let batchRevertedAtIsSetOnce = Check(
        "batchRevertedAtIsSetOnce", .backfillAudit,
        "markBatchReverted sets reverted_at on the batch's unmarked records, returns how many, and never moves an existing reverted_at"
    ) { store, c in
        let profile = c.profile("p1"), trade = c.tradeID("a")
        let batch = c.batchID("b1"), other = c.batchID("b2")
        try await store.insertAuditRecords([
            c.auditRecord(batch: batch, row: 0, profile: profile, trade: trade),
            c.auditRecord(batch: batch, row: 1, profile: profile, trade: trade, revertedAt: Fixture.time(3)),
            c.auditRecord(batch: batch, row: 2, profile: profile, trade: trade, decision: .noGo, reason: .exchangeNotFlat),
            c.auditRecord(batch: other, row: 0, profile: profile, trade: trade),
        ])
        try c.expectEqual(try await store.markBatchReverted(batch, at: Fixture.time(10)), 2, "records marked the first time")
        try c.expectEqual(try await store.auditRecords(batchID: batch).map(\.revertedAt),
                          [Fixture.time(10), Fixture.time(3), Fixture.time(10)], "reverted_at after the first mark")
        try c.expectEqual(try await store.markBatchReverted(batch, at: Fixture.time(20)), 0, "records marked the second time")
        try c.expectEqual(try await store.auditRecords(batchID: batch).map(\.revertedAt),
                          [Fixture.time(10), Fixture.time(3), Fixture.time(10)], "reverted_at after the second mark")
        try c.expectEqual(try await store.auditRecords(batchID: other).map(\.revertedAt), [nil], "reverted_at of another batch")
        try c.expectEqual(try await store.markBatchReverted(c.batchID("absent"), at: Fixture.time(20)), 0, "records of an unknown batch")
    }
}
