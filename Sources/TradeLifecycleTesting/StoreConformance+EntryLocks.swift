import TradeLifecycle

extension StoreConformance {
    /// The checks of ``TradeLifecycle/EntryLockStore``.
    public static var entryLockChecks: [Check] {
        [
            entryLockIsExclusiveUntilExpiry,
            fencingTokensStrictlyIncrease,
            expiredEntryLockIsTakenOver,
            entryLockRenewalExtendsAndKeepsToken,
            entryLockRenewalAfterExpiryFails,
            entryLockReleaseNeedsTheOwner,
            fenceCheckRefusesStaleLeases,
            invalidEntryLockInputsChangeNothing,
            concurrentEntryLockAcquisitionsHaveOneWinner,
            fenceCheckGuardsWritesInATransaction,
        ]
    }

    static let ttl30s: Int64 = 30_000_000

    static func owner(_ name: String, _ c: CheckContext) -> EntryLockOwner {
        Fixture.unchecked { () throws(InputError) in try EntryLockOwner("\(c.tag)-\(name)") }
    }

    static func acquired(_ acquisition: EntryLockAcquisition, _ what: String, _ c: CheckContext) throws(ConformanceFailure) -> EntryLease {
        guard case .acquired(let lease) = acquisition else {
            throw c.failure("\(what): expected the lock to be acquired, got \(acquisition)")
        }
        return lease
    }

    /// `owner` acquires the lock of (`profile`, `symbol`), which must be free.
    static func acquire(_ owner: EntryLockOwner, _ symbol: String, of profile: ProfileID, ttl: Int64, at now: Timestamp,
                        _ what: String, _ store: any Store, _ c: CheckContext) async throws -> EntryLease {
        try acquired(try await store.acquireEntryLock(profileID: profile, symbol: symbol, owner: owner, ttlMicroseconds: ttl, now: now),
                     what, c)
    }

    /// A lease that names the key and token of `lease` but another owner: what a non-owner has.
    static func impostor(of lease: EntryLease, owner: EntryLockOwner) -> EntryLease {
        EntryLease(profileID: lease.profileID, symbol: lease.symbol, owner: owner, fencingToken: lease.fencingToken,
                   acquiredAt: lease.acquiredAt, expiresAt: lease.expiresAt)
    }

    /// Acquire, contention, expiry time.
    public static let entryLockIsExclusiveUntilExpiry = Check(
        "entryLockIsExclusiveUntilExpiry", .entryLocks,
        "an acquired lock reports its owner, token and expiry (now + TTL), and another owner is told the holder and expiry until then"
    ) { store, c in
        let profile = c.profile("p1")
        let a = owner("A", c), b = owner("B", c)
        let lease = try await acquire(a, "BTC-USD", of: profile, ttl: ttl30s, at: Fixture.t0, "A acquires", store, c)
        try c.expectEqual(lease.owner, a, "owner of the lease")
        try c.expectEqual(lease.profileID, profile, "profile of the lease")
        try c.expectEqual(lease.symbol, "BTC-USD", "symbol of the lease")
        try c.expectEqual(lease.acquiredAt, Fixture.t0, "acquired_at")
        try c.expectEqual(lease.expiresAt, Fixture.time(30), "expires_at")
        try c.expectEqual(try await store.entryLock(profileID: profile, symbol: "BTC-USD"), lease, "stored lease")
        for (what, now) in [("at acquisition", Fixture.t0), ("1 s later", Fixture.time(1)),
                            ("1 µs before expiry", Timestamp(microsecondsSinceEpoch: Fixture.time(30).microsecondsSinceEpoch - 1))] {
            let contended = try await store.acquireEntryLock(profileID: profile, symbol: "BTC-USD", owner: b, ttlMicroseconds: ttl30s, now: now)
            try c.expectEqual(contended, .contended(holder: a, expiresAt: Fixture.time(30)), "B acquires \(what)")
        }
        try c.expectEqual(try await store.entryLock(profileID: profile, symbol: "BTC-USD"), lease, "stored lease after contention")
        let other = try await store.acquireEntryLock(profileID: profile, symbol: "ETH-USD", owner: b, ttlMicroseconds: ttl30s, now: Fixture.t0)
        _ = try acquired(other, "B acquires another symbol", c)
        let otherProfile = try await store.acquireEntryLock(profileID: c.profile("p2"), symbol: "BTC-USD", owner: b,
                                                            ttlMicroseconds: ttl30s, now: Fixture.t0)
        _ = try acquired(otherProfile, "B acquires the symbol of another profile", c)
        try c.expectEqual(try await store.entryLock(profileID: c.profile("p3"), symbol: "BTC-USD"), nil, "lock of an unknown key")
    }

    /// Fencing tokens increase with every acquisition, over all keys.
    public static let fencingTokensStrictlyIncrease = Check(
        "fencingTokensStrictlyIncrease", .entryLocks,
        "every acquisition (new key, same owner again, takeover after expiry, after release) hands out a token above every earlier one"
    ) { store, c in
        let p1 = c.profile("p1"), p2 = c.profile("p2")
        let a = owner("A", c), b = owner("B", c)
        var tokens: [FencingToken] = []
        func take(_ profile: ProfileID, _ symbol: String, _ who: EntryLockOwner, _ now: Timestamp, _ what: String) async throws -> EntryLease {
            let lease = try await acquire(who, symbol, of: profile, ttl: ttl30s, at: now, what, store, c)
            tokens.append(lease.fencingToken)
            return lease
        }
        _ = try await take(p1, "BTC-USD", a, Fixture.t0, "A acquires p1/BTC")
        _ = try await take(p2, "BTC-USD", a, Fixture.t0, "A acquires p2/BTC")
        _ = try await take(p1, "ETH-USD", b, Fixture.t0, "B acquires p1/ETH")
        _ = try await take(p1, "BTC-USD", a, Fixture.time(1), "A acquires p1/BTC again")
        let taken = try await take(p1, "BTC-USD", b, Fixture.time(40), "B takes p1/BTC over after expiry")
        try await store.releaseEntryLock(taken, now: Fixture.time(41))
        _ = try await take(p1, "BTC-USD", a, Fixture.time(42), "A acquires p1/BTC after the release")
        for index in tokens.indices.dropFirst() {
            try c.expect(tokens[index - 1] < tokens[index],
                         "fencing tokens in order of acquisition are not strictly increasing: \(tokens.map(\.rawValue))")
        }
    }

    /// An expired lock may be taken by another owner; the old holder loses it entirely.
    public static let expiredEntryLockIsTakenOver = Check(
        "expiredEntryLockIsTakenOver", .entryLocks,
        "at its expiry a lock can be taken by another owner with a higher token; the old holder can then neither renew, release nor pass the fence"
    ) { store, c in
        let profile = c.profile("p1")
        let a = owner("A", c), b = owner("B", c)
        let old = try await acquire(a, "BTC-USD", of: profile, ttl: ttl30s, at: Fixture.t0, "A acquires", store, c)
        let new = try await acquire(b, "BTC-USD", of: profile, ttl: ttl30s, at: Fixture.time(30), "B acquires at A's expiry", store, c)
        try c.expect(new.fencingToken > old.fencingToken, "B's token \(new.fencingToken) is not above A's \(old.fencingToken)")
        try c.expectEqual(new.expiresAt, Fixture.time(60), "B's expiry")
        try await c.expectStoreError(.staleFencingToken, "A's fence check after the takeover") {
            try await store.checkEntryLockFence(old, now: Fixture.time(31))
        }
        try await c.expectStoreError(.lockNotHeld, "A renews after the takeover") {
            try await store.renewEntryLock(old, ttlMicroseconds: ttl30s, now: Fixture.time(31))
        }
        try await c.expectStoreError(.lockNotHeld, "A releases after the takeover") {
            try await store.releaseEntryLock(old, now: Fixture.time(31))
        }
        try await store.checkEntryLockFence(new, now: Fixture.time(31))
        try c.expectEqual(try await store.entryLock(profileID: profile, symbol: "BTC-USD"), new, "stored lease (B's)")
        let contended = try await store.acquireEntryLock(profileID: profile, symbol: "BTC-USD", owner: a, ttlMicroseconds: ttl30s,
                                                         now: Fixture.time(31))
        try c.expectEqual(contended, .contended(holder: b, expiresAt: Fixture.time(60)), "A acquires while B holds")
    }

    /// Renewal by the holder before expiry.
    public static let entryLockRenewalExtendsAndKeepsToken = Check(
        "entryLockRenewalExtendsAndKeepsToken", .entryLocks,
        "the holder renews an unexpired lease to now + TTL with the same token, and the lock stays its own until the new expiry"
    ) { store, c in
        let profile = c.profile("p1")
        let a = owner("A", c), b = owner("B", c)
        let lease = try await acquire(a, "BTC-USD", of: profile, ttl: ttl30s, at: Fixture.t0, "A acquires", store, c)
        let renewed = try await store.renewEntryLock(lease, ttlMicroseconds: ttl30s, now: Fixture.time(20))
        try c.expectEqual(renewed.fencingToken, lease.fencingToken, "token after renewal")
        try c.expectEqual(renewed.owner, a, "owner after renewal")
        try c.expectEqual(renewed.expiresAt, Fixture.time(50), "expiry after renewal")
        try c.expectEqual(try await store.entryLock(profileID: profile, symbol: "BTC-USD"), renewed, "stored lease after renewal")
        let contended = try await store.acquireEntryLock(profileID: profile, symbol: "BTC-USD", owner: b, ttlMicroseconds: ttl30s,
                                                         now: Fixture.time(40))
        try c.expectEqual(contended, .contended(holder: a, expiresAt: Fixture.time(50)), "B acquires after the old expiry, before the new")
        try await store.checkEntryLockFence(lease, now: Fixture.time(45))
        try await store.checkEntryLockFence(renewed, now: Fixture.time(45))
        try await c.expectStoreError(.lockNotHeld, "B renews A's lease") {
            try await store.renewEntryLock(impostor(of: renewed, owner: b), ttlMicroseconds: ttl30s, now: Fixture.time(45))
        }
    }

    /// Renewal after expiry fails even when nobody took the lock.
    public static let entryLockRenewalAfterExpiryFails = Check(
        "entryLockRenewalAfterExpiryFails", .entryLocks,
        "renewing a lease at or after its expiry is lockNotHeld even when nobody took the lock over, and changes nothing"
    ) { store, c in
        let profile = c.profile("p1")
        let a = owner("A", c)
        let lease = try await acquire(a, "BTC-USD", of: profile, ttl: ttl30s, at: Fixture.t0, "A acquires", store, c)
        for (what, now) in [("at expiry", Fixture.time(30)), ("after expiry", Fixture.time(31))] {
            try await c.expectStoreError(.lockNotHeld, "A renews \(what)") {
                try await store.renewEntryLock(lease, ttlMicroseconds: ttl30s, now: now)
            }
        }
        try c.expectEqual(try await store.entryLock(profileID: profile, symbol: "BTC-USD")?.expiresAt, Fixture.time(30),
                          "expiry after the refused renewals")
        try await c.expectStoreError(.staleFencingToken, "A's fence check after expiry") {
            try await store.checkEntryLockFence(lease, now: Fixture.time(31))
        }
    }

    /// Release needs the owner (and the current token).
    public static let entryLockReleaseNeedsTheOwner = Check(
        "entryLockReleaseNeedsTheOwner", .entryLocks,
        "release by a non-owner (or of a released lease) is lockNotHeld and changes nothing; the owner's release frees the lock at once"
    ) { store, c in
        let profile = c.profile("p1")
        let a = owner("A", c), b = owner("B", c)
        let lease = try await acquire(a, "BTC-USD", of: profile, ttl: ttl30s, at: Fixture.t0, "A acquires", store, c)
        try await c.expectStoreError(.lockNotHeld, "B releases A's lock") {
            try await store.releaseEntryLock(impostor(of: lease, owner: b), now: Fixture.time(1))
        }
        try c.expectEqual(try await store.entryLock(profileID: profile, symbol: "BTC-USD"), lease, "stored lease after B's release")
        try await store.checkEntryLockFence(lease, now: Fixture.time(1))
        try await store.releaseEntryLock(lease, now: Fixture.time(2))
        try c.expectEqual(try await store.entryLock(profileID: profile, symbol: "BTC-USD"), nil, "stored lease after A's release")
        try await c.expectStoreError(.lockNotHeld, "A releases again") {
            try await store.releaseEntryLock(lease, now: Fixture.time(3))
        }
        try await c.expectStoreError(.staleFencingToken, "A's fence check after its release") {
            try await store.checkEntryLockFence(lease, now: Fixture.time(3))
        }
        let next = try await acquire(b, "BTC-USD", of: profile, ttl: ttl30s, at: Fixture.time(3), "B acquires after the release", store, c)
        try c.expect(next.fencingToken > lease.fencingToken, "B's token \(next.fencingToken) is not above A's \(lease.fencingToken)")
    }

    /// The fencing check passes only for the current, unexpired lease.
    public static let fenceCheckRefusesStaleLeases = Check(
        "fenceCheckRefusesStaleLeases", .entryLocks,
        "the fence check passes for the current unexpired lease and is staleFencingToken for an older token of the same owner, a non-owner, or an expired lease"
    ) { store, c in
        let profile = c.profile("p1")
        let a = owner("A", c), b = owner("B", c)
        let first = try await acquire(a, "BTC-USD", of: profile, ttl: ttl30s, at: Fixture.t0, "A acquires", store, c)
        let second = try await acquire(a, "BTC-USD", of: profile, ttl: ttl30s, at: Fixture.time(5), "A acquires again", store, c)
        try c.expect(second.fencingToken > first.fencingToken, "the second token is not above the first")
        try await store.checkEntryLockFence(second, now: Fixture.time(6))
        try await c.expectStoreError(.staleFencingToken, "fence check with A's first token") {
            try await store.checkEntryLockFence(first, now: Fixture.time(6))
        }
        try await c.expectStoreError(.staleFencingToken, "fence check of a non-owner with A's token") {
            try await store.checkEntryLockFence(impostor(of: second, owner: b), now: Fixture.time(6))
        }
        try await c.expectStoreError(.staleFencingToken, "fence check at the expiry") {
            try await store.checkEntryLockFence(second, now: Fixture.time(35))
        }
        try await c.expectStoreError(.staleFencingToken, "fence check of a key never locked") {
            try await store.checkEntryLockFence(
                EntryLease(profileID: profile, symbol: "ETH-USD", owner: a, fencingToken: second.fencingToken,
                           acquiredAt: Fixture.t0, expiresAt: Fixture.time(30)), now: Fixture.time(6))
        }
    }

    /// Bad inputs are refused without writing.
    public static let invalidEntryLockInputsChangeNothing = Check(
        "invalidEntryLockInputsChangeNothing", .entryLocks,
        "a TTL that is not positive or a blank symbol is invalidChange and no lock is written"
    ) { store, c in
        let profile = c.profile("p1")
        let a = owner("A", c)
        for ttl: Int64 in [0, -1] {
            try await c.expectStoreError(.invalidChange, "acquire with a TTL of \(ttl) µs") {
                try await store.acquireEntryLock(profileID: profile, symbol: "BTC-USD", owner: a, ttlMicroseconds: ttl, now: Fixture.t0)
            }
        }
        try c.expectEqual(try await store.entryLock(profileID: profile, symbol: "BTC-USD"), nil, "lock after the refused acquisitions")
        try await c.expectStoreError(.invalidChange, "acquire with a blank symbol") {
            try await store.acquireEntryLock(profileID: profile, symbol: " ", owner: a, ttlMicroseconds: ttl30s, now: Fixture.t0)
        }
        let lease = try await acquire(a, "BTC-USD", of: profile, ttl: ttl30s, at: Fixture.t0, "A acquires", store, c)
        try await c.expectStoreError(.invalidChange, "renew with a TTL of 0") {
            try await store.renewEntryLock(lease, ttlMicroseconds: 0, now: Fixture.time(1))
        }
        try c.expectEqual(try await store.entryLock(profileID: profile, symbol: "BTC-USD"), lease, "lease after the refused renewal")
    }

    /// Concurrent acquisitions of one key: one lease.
    public static let concurrentEntryLockAcquisitionsHaveOneWinner = Check(
        "concurrentEntryLockAcquisitionsHaveOneWinner", .entryLocks,
        "when many owners acquire one lock at once, exactly one gets it and every other is told that owner is the holder"
    ) { store, c in
        let profile = c.profile("p1")
        let outcomes = try await race(c) { task throws(StoreError) in
            try await store.acquireEntryLock(profileID: profile, symbol: "BTC-USD", owner: owner("T\(task)", c),
                                             ttlMicroseconds: ttl30s, now: Fixture.t0)
        }
        var leases: [EntryLease] = []
        var holders: [EntryLockOwner] = []
        for outcome in outcomes {
            switch outcome {
            case .succeeded(_, .acquired(let lease)): leases.append(lease)
            case .succeeded(_, .contended(let holder, _)): holders.append(holder)
            case .failed(let task, let error): throw c.failure("task \(task): acquire threw \(error)")
            }
        }
        try c.expectEqual(leases.count, 1, "number of owners that acquired the lock")
        try c.expect(holders.allSatisfy { $0 == leases[0].owner }, "a contended answer names another holder than the winner \(leases[0].owner)")
        try c.expectEqual(try await store.entryLock(profileID: profile, symbol: "BTC-USD"), leases[0], "stored lease (the winner's)")
    }

    /// Inside a unit of work, the fence check guards the write.
    public static let fenceCheckGuardsWritesInATransaction = Check(
        "fenceCheckGuardsWritesInATransaction", .entryLocks,
        "a transaction that checks the fence and then inserts an ENTRY commits with the current lease; with a stale lease it throws staleFencingToken and, in a transactional store, writes nothing"
    ) { store, c in
        let profile = c.profile("p1")
        let a = owner("A", c), b = owner("B", c)
        let old = try await acquire(a, "BTC-USD", of: profile, ttl: ttl30s, at: Fixture.t0, "A acquires", store, c)
        let new = try await acquire(b, "BTC-USD", of: profile, ttl: ttl30s, at: Fixture.time(31), "B takes over", store, c)
        let stale = try c.order(c.orderID("e-a"), profile: profile, status: .pending)
        try await c.expectStoreError(.staleFencingToken, "A's guarded insert after the takeover") {
            try await store.withTransaction { tx in
                try await tx.checkEntryLockFence(old, now: Fixture.time(32))
                return try await tx.insertOrder(stale)
            }
        }
        try c.expectEqual(try await store.order(stale.orderID), nil, "A's ENTRY after its refused guarded insert")
        let current = try c.order(c.orderID("e-b"), profile: profile, status: .pending)
        let outcome = try await store.withTransaction { tx in
            try await tx.checkEntryLockFence(new, now: Fixture.time(32))
            return try await tx.insertOrder(current)
        }
        try c.expectEqual(outcome, .inserted, "B's guarded insert")
        try c.expectEqual(try await store.order(current.orderID), current, "B's ENTRY")
    }
}
