import TradeLifecycle

extension StoreConformance {
    /// The checks of ``TradeLifecycle/EventDedupeStore``.
    public static var eventDedupeChecks: [Check] {
        [
            recordIfNewIsTrueOncePerPair,
            purgeRemovesOnlyOlderEvents,
            blankEventKeysAreRefused,
            concurrentDuplicateEventsHaveOneWinner,
            eventRecordRollsBackWithTransaction,
        ]
    }

    /// The checks of ``TradeLifecycle/ExecutionLogStore``.
    public static var executionLogChecks: [Check] {
        [
            executionLogAppendsAHashChainPerProfile,
            executionLogAppendIsIdempotentByEntryID,
            executionLogReadsInPages,
            concurrentExecutionLogAppendsFormOneChain,
            executionLogAppendRollsBackWithTransaction,
        ]
    }

    // MARK: Event dedupe

    /// True exactly once per (source, event id).
    public static let recordIfNewIsTrueOncePerPair = Check(
        "recordIfNewIsTrueOncePerPair", .eventDedupe,
        "recordIfNew is true the first time for a (source, event id) pair and false after; other sources and ids are independent"
    ) { store, c in
        let source = "\(c.tag)-stream", other = "\(c.tag)-other"
        try c.expectEqual(try await store.recordIfNew(source: source, eventID: "e1", at: Fixture.t0), true, "first e1")
        try c.expectEqual(try await store.recordIfNew(source: source, eventID: "e1", at: Fixture.time(1)), false, "second e1")
        try c.expectEqual(try await store.recordIfNew(source: source, eventID: "e1", at: Fixture.t0), false, "third e1")
        try c.expectEqual(try await store.recordIfNew(source: other, eventID: "e1", at: Fixture.t0), true, "e1 of another source")
        try c.expectEqual(try await store.recordIfNew(source: source, eventID: "E1", at: Fixture.t0), true, "E1 (ids are case-sensitive)")
        try c.expectEqual(try await store.recordIfNew(source: source, eventID: "e2", at: Fixture.t0), true, "e2")
    }

    /// Purge deletes pairs recorded strictly before the cutoff.
    public static let purgeRemovesOnlyOlderEvents = Check(
        "purgeRemovesOnlyOlderEvents", .eventDedupe,
        "purgeEvents(olderThan:) deletes exactly the pairs recorded before the cutoff (a purged pair is new again), keeping a duplicate's first time"
    ) { store, c in
        let source = "\(c.tag)-stream"
        _ = try await store.recordIfNew(source: source, eventID: "old", at: Fixture.time(1))
        _ = try await store.recordIfNew(source: source, eventID: "edge", at: Fixture.time(5))
        _ = try await store.recordIfNew(source: source, eventID: "new", at: Fixture.time(10))
        // A duplicate delivered later keeps the first time: it must not extend the retention.
        _ = try await store.recordIfNew(source: source, eventID: "old", at: Fixture.time(9))
        try c.expectEqual(try await store.purgeEvents(olderThan: Fixture.time(5)), 1, "pairs purged before t+5s")
        try c.expectEqual(try await store.purgeEvents(olderThan: Fixture.time(5)), 0, "pairs purged by a second purge")
        try c.expectEqual(try await store.recordIfNew(source: source, eventID: "edge", at: Fixture.time(11)), false, "pair recorded at the cutoff")
        try c.expectEqual(try await store.recordIfNew(source: source, eventID: "new", at: Fixture.time(11)), false, "pair recorded after the cutoff")
        try c.expectEqual(try await store.recordIfNew(source: source, eventID: "old", at: Fixture.time(11)), true, "purged pair")
    }

    /// Blank keys are refused.
    public static let blankEventKeysAreRefused = Check(
        "blankEventKeysAreRefused", .eventDedupe,
        "recordIfNew with a blank source or event id is invalidChange"
    ) { store, c in
        for (source, eventID) in [("", "e1"), (" ", "e1"), ("\(c.tag)-s", ""), ("\(c.tag)-s", "\t")] {
            try await c.expectStoreError(.invalidChange, "recordIfNew(source: '\(source)', eventID: '\(eventID)')") {
                try await store.recordIfNew(source: source, eventID: eventID, at: Fixture.t0)
            }
        }
    }

    /// Concurrent duplicates: exactly one true.
    public static let concurrentDuplicateEventsHaveOneWinner = Check(
        "concurrentDuplicateEventsHaveOneWinner", .eventDedupe,
        "when many tasks record the same pair at once, exactly one is told it is new"
    ) { store, c in
        let source = "\(c.tag)-stream"
        for round in 0..<4 {
            let outcomes = try await race(c) { task throws(StoreError) in
                try await store.recordIfNew(source: source, eventID: "e\(round)", at: Fixture.time(Int64(task)))
            }
            var firsts = 0
            for outcome in outcomes {
                switch outcome {
                case .succeeded(_, let isNew): if isNew { firsts += 1 }
                case .failed(let task, let error): throw c.failure("round \(round) task \(task): recordIfNew threw \(error)")
                }
            }
            try c.expectEqual(firsts, 1, "round \(round): number of tasks told the event is new")
        }
    }

    /// Recording inside a rolled-back unit of work is undone.
    public static let eventRecordRollsBackWithTransaction = Check(
        "eventRecordRollsBackWithTransaction", .eventDedupe,
        "in a transactional store, a pair recorded by a transaction that throws is new again afterwards"
    ) { store, c in
        guard store.isTransactional else { return }
        let source = "\(c.tag)-stream"
        do {
            try await store.withTransaction { tx in
                _ = try await tx.recordIfNew(source: source, eventID: "e1", at: Fixture.t0)
                throw IntentionalRollback(round: 0)
            }
        } catch is IntentionalRollback {}
        try c.expectEqual(try await store.recordIfNew(source: source, eventID: "e1", at: Fixture.t0), true, "pair after the rollback")
    }

    // MARK: Execution log

    static func logRecord(_ c: CheckContext, _ name: String, profile: ProfileID, order: String = "o1",
                          action: ExecutionAction = .submitted, reason: String = "test", at: Timestamp = Fixture.t0) -> ExecutionLogRecord {
        ExecutionLogRecord(
            entryID: Fixture.unchecked { () throws(InputError) in try ExecutionLogEntryID("\(c.tag)-\(name)") },
            profileID: profile, orderID: c.orderID(order), action: action, reason: reason, recordedAt: at)
    }

    static func entryID(_ c: CheckContext, _ name: String) -> ExecutionLogEntryID {
        Fixture.unchecked { () throws(InputError) in try ExecutionLogEntryID("\(c.tag)-\(name)") }
    }

    /// Appends form a gapless, verifiable chain per profile.
    public static let executionLogAppendsAHashChainPerProfile = Check(
        "executionLogAppendsAHashChainPerProfile", .executionLog,
        "appends get sequence numbers 1, 2, 3 per profile, each entry the previous entry's hash and its own correct hash; the head and lookups agree"
    ) { store, c in
        let p1 = c.profile("p1"), p2 = c.profile("p2")
        let records = [
            logRecord(c, "a", profile: p1, action: .submitted, reason: "entry attempt 0", at: Fixture.time(1)),
            logRecord(c, "b", profile: p2, action: .submitted, at: Fixture.time(1)),
            logRecord(c, "c", profile: p1, action: .executed, reason: "accepted: x-1", at: Fixture.time(2)),
            logRecord(c, "d", profile: p1, action: .filled, reason: "fill 1.5 @ 100 | ünïcode", at: Fixture.time(3)),
            logRecord(c, "e", profile: p2, action: .cancelled, reason: "", at: Fixture.time(4)),
        ]
        var appended: [ExecutionLogEntry] = []
        for record in records {
            let append = try await store.appendExecutionLog(record)
            try c.expectEqual(append.outcome, .inserted, "append \(record.entryID)")
            try c.expectEqual(append.entry.record, record, "record of the appended entry \(record.entryID)")
            appended.append(append.entry)
        }
        try c.expectEqual(appended.map(\.sequenceNumber), [1, 1, 2, 3, 2], "sequence numbers in order of append")
        for profile in [p1, p2] {
            let chain = try await store.executionLog(profileID: profile, after: 0, limit: 100)
            try c.expectEqual(chain, appended.filter { $0.record.profileID == profile }, "chain of \(profile)")
            var previous = ExecutionLogEntry.genesisHash
            for entry in chain {
                try c.expectEqual(entry.previousHash, previous, "previous hash of \(profile) entry \(entry.sequenceNumber)")
                try c.expectEqual(entry.hash, entry.computedHash, "hash of \(profile) entry \(entry.sequenceNumber)")
                previous = entry.hash
            }
            try c.expectEqual(try await store.executionLogHead(profileID: profile), chain.last?.head, "head of \(profile)")
            let verification = try await ExecutionLogChain.verify(in: store, profileID: profile, pageSize: 2)
            try c.expect(verification.isIntact, "chain of \(profile) does not verify: \(String(describing: verification.firstBreak))")
            try c.expectEqual(verification.verifiedCount, chain.count, "entries verified for \(profile)")
        }
        for entry in appended {
            try c.expectEqual(try await store.executionLogEntry(entry.record.entryID), entry, "lookup of \(entry.record.entryID)")
        }
        try c.expectEqual(try await store.executionLogEntry(entryID(c, "absent")), nil, "lookup of an unknown entry id")
        try c.expectEqual(try await store.executionLogHead(profileID: c.profile("p3")), nil, "head of a profile without entries")
    }

    /// Same id: same entry, or a conflict.
    public static let executionLogAppendIsIdempotentByEntryID = Check(
        "executionLogAppendIsIdempotentByEntryID", .executionLog,
        "appending an existing entry id with the same content answers the stored entry (alreadyExists); with other content it is conflict; neither appends"
    ) { store, c in
        let profile = c.profile("p1")
        let first = try await store.appendExecutionLog(logRecord(c, "a", profile: profile, action: .filled, reason: "fill"))
        let again = try await store.appendExecutionLog(logRecord(c, "a", profile: profile, action: .filled, reason: "fill"))
        try c.expectEqual(again, ExecutionLogAppend(entry: first.entry, outcome: .alreadyExists), "second append of the same record")
        let variants = [
            logRecord(c, "a", profile: profile, action: .cancelled, reason: "fill"),
            logRecord(c, "a", profile: profile, action: .filled, reason: "other"),
            logRecord(c, "a", profile: profile, order: "o2", action: .filled, reason: "fill"),
            logRecord(c, "a", profile: profile, action: .filled, reason: "fill", at: Fixture.time(1)),
            logRecord(c, "a", profile: c.profile("p2"), action: .filled, reason: "fill"),
        ]
        for variant in variants {
            try await c.expectStoreError(.conflict, "append of the entry id with other content") {
                try await store.appendExecutionLog(variant)
            }
        }
        try c.expectEqual(try await store.executionLogHead(profileID: profile), first.entry.head, "head after the retries")
        try c.expectEqual(try await store.executionLogHead(profileID: c.profile("p2")), nil, "head of the other profile")
        let next = try await store.appendExecutionLog(logRecord(c, "b", profile: profile))
        try c.expectEqual(next.entry.sequenceNumber, 2, "sequence number of the next entry")
    }

    /// Paged reads.
    public static let executionLogReadsInPages = Check(
        "executionLogReadsInPages", .executionLog,
        "executionLog(profileID:after:limit:) returns at most limit entries with sequence numbers above after, in order"
    ) { store, c in
        let profile = c.profile("p1")
        for index in 0..<7 {
            _ = try await store.appendExecutionLog(logRecord(c, "e\(index)", profile: profile, at: Fixture.time(Int64(index))))
        }
        let cases: [(Int64, Int, [Int64])] = [
            (0, 3, [1, 2, 3]), (3, 3, [4, 5, 6]), (6, 3, [7]), (7, 3, []), (2, 100, [3, 4, 5, 6, 7]), (0, 1, [1]),
        ]
        for (after, limit, expected) in cases {
            try c.expectEqual(try await store.executionLog(profileID: profile, after: after, limit: limit).map(\.sequenceNumber),
                              expected, "entries after \(after), limit \(limit)")
        }
    }

    /// Concurrent appends serialize into one chain.
    public static let concurrentExecutionLogAppendsFormOneChain = Check(
        "concurrentExecutionLogAppendsFormOneChain", .executionLog,
        "many tasks appending to one profile at once (some repeating an entry id) produce one gapless chain that verifies, each id once"
    ) { store, c in
        let profile = c.profile("p1")
        let outcomes = try await race(c) { task throws(StoreError) in
            // Pairs of tasks append the same record.
            try await store.appendExecutionLog(logRecord(c, "e\(task / 2)", profile: profile, reason: "task pair \(task / 2)"))
        }
        var inserted = 0
        for outcome in outcomes {
            switch outcome {
            case .succeeded(_, let append): if append.outcome == .inserted { inserted += 1 }
            case .failed(let task, let error): throw c.failure("task \(task): append threw \(error)")
            }
        }
        try c.expectEqual(inserted, concurrentTasks / 2, "entries appended")
        let chain = try await store.executionLog(profileID: profile, after: 0, limit: 1_000)
        try c.expectEqual(chain.map(\.sequenceNumber), Array(1...Int64(concurrentTasks / 2)), "sequence numbers")
        try c.expectEqual(Set(chain.map(\.record.entryID)).count, concurrentTasks / 2, "distinct entry ids in the chain")
        let verification = ExecutionLogChain.verify(chain, profileID: profile, head: try await store.executionLogHead(profileID: profile))
        try c.expect(verification.isIntact, "the chain does not verify: \(String(describing: verification.firstBreak))")
    }

    /// An append inside a rolled-back unit of work leaves no gap.
    public static let executionLogAppendRollsBackWithTransaction = Check(
        "executionLogAppendRollsBackWithTransaction", .executionLog,
        "in a transactional store, an append by a transaction that throws leaves no entry and no gap: the next append continues the chain"
    ) { store, c in
        guard store.isTransactional else { return }
        let profile = c.profile("p1")
        let first = try await store.appendExecutionLog(logRecord(c, "a", profile: profile))
        do {
            try await store.withTransaction { tx in
                _ = try await tx.appendExecutionLog(logRecord(c, "b", profile: profile))
                throw IntentionalRollback(round: 0)
            }
        } catch is IntentionalRollback {}
        try c.expectEqual(try await store.executionLogEntry(entryID(c, "b")), nil, "entry of the rolled-back transaction")
        try c.expectEqual(try await store.executionLogHead(profileID: profile), first.entry.head, "head after the rollback")
        let next = try await store.appendExecutionLog(logRecord(c, "c", profile: profile))
        try c.expectEqual(next.entry.sequenceNumber, 2, "sequence number after the rollback")
        try c.expectEqual(next.entry.previousHash, first.entry.hash, "previous hash after the rollback")
    }
}
