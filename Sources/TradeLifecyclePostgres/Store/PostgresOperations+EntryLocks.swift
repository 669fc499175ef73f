import PostgresNIO
import TradeLifecycle

// MARK: - Entry locks

extension PostgresOperations {
    /// The longest TTL accepted when the database's clock sets expiries: 100 years, so that no
    /// expiry leaves the range of ``TradeLifecycle/Timestamp`` (years 0001-9999).
    static let maximumDatabaseClockTTLMicroseconds: Int64 = 100 * 366 * 86_400 * 1_000_000

    /// The first key of the transaction advisory locks that serialize acquisitions of one entry
    /// lock (`ELK1`); the two-key space of advisory locks is separate from the one-key space the
    /// migrator uses.
    static let entryLockAdvisoryNamespace: Int32 = 0x454C_4B31

    /// The time of a lock statement, bound as parameters in both modes so that every statement
    /// has one text: with ``PostgresStore/Configuration/EntryLockClock/caller`` "now" and the
    /// expiry are the caller's values; with ``PostgresStore/Configuration/EntryLockClock/database``
    /// "now" is `clock_timestamp()`, read once per statement, and the expiry is "now" plus the
    /// TTL in whole seconds plus microseconds (exact integer interval arithmetic).
    struct LockClock {
        let usesDatabase: Bool
        let now: PostgresTimestamp?
        let expiry: PostgresTimestamp?
        let ttlMicroseconds: Int64
    }

    /// Checks the inputs and returns the lock clock (`ttlMicroseconds` `nil` for a fence check).
    func lockClock(now: Timestamp, ttlMicroseconds: Int64?, context: String) throws(StoreError) -> LockClock {
        switch configuration.entryLockClock {
        case .caller:
            let expiry = try ttlMicroseconds.map { ttl throws(StoreError) in
                try EntryLockRules.expiry(from: now, ttlMicroseconds: ttl, context: context)
            }
            return LockClock(usesDatabase: false, now: PostgresTimestamp(now), expiry: expiry.map(PostgresTimestamp.init),
                             ttlMicroseconds: ttlMicroseconds ?? 0)
        case .database:
            if let ttl = ttlMicroseconds {
                guard ttl > 0 else {
                    throw StoreError(.invalidChange, context: "\(context): the lock TTL must be positive, got \(ttl) microseconds")
                }
                guard ttl <= Self.maximumDatabaseClockTTLMicroseconds else {
                    throw StoreError(.invalidChange, context: "\(context): the lock TTL of \(ttl) microseconds is longer than 100 years")
                }
            }
            return LockClock(usesDatabase: true, now: nil, expiry: nil, ttlMicroseconds: ttlMicroseconds ?? 0)
        }
    }

    static func readLease(_ row: PostgresRow, profileID: ProfileID, symbol: String, operation: String) throws(StoreError) -> EntryLease {
        var reader = PostgresRowReader(row, table: "entry_locks", operation: operation,
                                       key: "profile_id \(profileID.rawValue) symbol \(symbol)")
        let owner = try reader.parsed { text throws(InputError) in try EntryLockOwner(text) }
        let token = try reader.int64()
        let acquiredAt = try reader.timestamp()
        let expiresAt = try reader.timestamp()
        return EntryLease(profileID: profileID, symbol: symbol, owner: owner, fencingToken: FencingToken(token),
                          acquiredAt: acquiredAt, expiresAt: expiresAt)
    }

    func acquireEntryLock(profileID: ProfileID, symbol: String, owner: EntryLockOwner, ttlMicroseconds: Int64,
                          now: Timestamp) async throws(StoreError) -> EntryLockAcquisition {
        let context = "acquireEntryLock \(profileID)/\(symbol)"
        try EntryLockRules.requireSymbol(symbol, context: context)
        let clock = try lockClock(now: now, ttlMicroseconds: ttlMicroseconds, context: context)
        // One statement: insert the lease, or replace an expired one or the caller's own.
        // Acquisitions of one key are serialized by a transaction advisory lock taken first, so
        // "now" and the fencing token are read after every earlier acquisition of the key
        // committed: tokens of a key increase in the order its leases are handed out, even when
        // a released row is inserted afresh.
        for _ in 0..<8 {
            let acquired = try await executor.rows("""
                WITH serialized AS MATERIALIZED (
                    SELECT pg_advisory_xact_lock(\(Self.entryLockAdvisoryNamespace), hashtext(\(profileID.rawValue) || ':' || \(symbol)))),
                instant AS (
                    SELECT CASE WHEN \(clock.usesDatabase) THEN clock_timestamp() ELSE \(clock.now)::timestamptz END AS now
                    FROM serialized),
                clock AS (
                    SELECT now, CASE WHEN \(clock.usesDatabase)
                        THEN now + (\(clock.ttlMicroseconds)::bigint / 1000000) * interval '1 second'
                            + (\(clock.ttlMicroseconds)::bigint % 1000000) * interval '1 microsecond'
                        ELSE \(clock.expiry)::timestamptz END AS expiry
                    FROM instant)
                INSERT INTO entry_locks AS lock (profile_id, symbol, owner_token, fencing_token, acquired_at, expires_at)
                SELECT \(profileID.rawValue), \(symbol), \(owner.rawValue), nextval('entry_locks_fencing_token_seq'),
                    clock.now, clock.expiry
                FROM clock
                ON CONFLICT (profile_id, symbol) DO UPDATE SET owner_token = EXCLUDED.owner_token,
                    fencing_token = nextval('entry_locks_fencing_token_seq'), acquired_at = EXCLUDED.acquired_at,
                    expires_at = EXCLUDED.expires_at
                WHERE lock.expires_at <= EXCLUDED.acquired_at OR lock.owner_token = EXCLUDED.owner_token
                RETURNING owner_token, fencing_token, acquired_at, expires_at
                """, context: context)
            if let row = acquired.first {
                return .acquired(try Self.readLease(row, profileID: profileID, symbol: symbol, operation: context))
            }
            // Contended: name the holder. If the lease went away in between, try again.
            if let holder = try await entryLock(profileID: profileID, symbol: symbol), holder.owner != owner {
                return .contended(holder: holder.owner, expiresAt: holder.expiresAt)
            }
        }
        throw StoreError(.serializationFailure, context: "\(context): the lock changed hands during every attempt; retry")
    }

    func renewEntryLock(_ lease: EntryLease, ttlMicroseconds: Int64, now: Timestamp) async throws(StoreError) -> EntryLease {
        let context = "renewEntryLock \(lease.profileID)/\(lease.symbol) token \(lease.fencingToken)"
        let clock = try lockClock(now: now, ttlMicroseconds: ttlMicroseconds, context: context)
        // The lease's row is locked before "now" is read, so a wait for the lock cannot make a
        // lease that expired meanwhile look unexpired.
        let rows = try await executor.rows("""
            WITH locked AS MATERIALIZED (
                SELECT 1 FROM entry_locks
                WHERE profile_id = \(lease.profileID.rawValue) AND symbol = \(lease.symbol)
                    AND owner_token = \(lease.owner.rawValue) AND fencing_token = \(lease.fencingToken.rawValue)
                FOR UPDATE),
            instant AS (
                SELECT CASE WHEN \(clock.usesDatabase) THEN clock_timestamp() ELSE \(clock.now)::timestamptz END AS now
                FROM locked),
            clock AS (
                SELECT now, CASE WHEN \(clock.usesDatabase)
                    THEN now + (\(clock.ttlMicroseconds)::bigint / 1000000) * interval '1 second'
                        + (\(clock.ttlMicroseconds)::bigint % 1000000) * interval '1 microsecond'
                    ELSE \(clock.expiry)::timestamptz END AS expiry
                FROM instant)
            UPDATE entry_locks SET expires_at = clock.expiry
            FROM clock
            WHERE profile_id = \(lease.profileID.rawValue) AND symbol = \(lease.symbol) AND owner_token = \(lease.owner.rawValue)
                AND fencing_token = \(lease.fencingToken.rawValue) AND expires_at > clock.now
            RETURNING owner_token, fencing_token, acquired_at, expires_at
            """, context: context)
        guard let row = rows.first else {
            throw StoreError(.lockNotHeld, context: "\(context): the lease expired, was released or was replaced")
        }
        return try Self.readLease(row, profileID: lease.profileID, symbol: lease.symbol, operation: context)
    }

    func releaseEntryLock(_ lease: EntryLease) async throws(StoreError) {
        let context = "releaseEntryLock \(lease.profileID)/\(lease.symbol) token \(lease.fencingToken)"
        let rows = try await executor.rows("""
            DELETE FROM entry_locks
            WHERE profile_id = \(lease.profileID.rawValue) AND symbol = \(lease.symbol) AND owner_token = \(lease.owner.rawValue)
                AND fencing_token = \(lease.fencingToken.rawValue)
            RETURNING 1
            """, context: context)
        guard !rows.isEmpty else {
            throw StoreError(.lockNotHeld, context: "\(context): the caller does not hold the lock")
        }
    }

    func entryLock(profileID: ProfileID, symbol: String) async throws(StoreError) -> EntryLease? {
        let context = "entryLock \(profileID)/\(symbol)"
        let rows = try await executor.rows("""
            SELECT owner_token, fencing_token, acquired_at, expires_at FROM entry_locks
            WHERE profile_id = \(profileID.rawValue) AND symbol = \(symbol)
            """, context: context)
        return try rows.first.map { row throws(StoreError) in
            try Self.readLease(row, profileID: profileID, symbol: symbol, operation: context)
        }
    }

    func checkEntryLockFence(_ lease: EntryLease, now: Timestamp) async throws(StoreError) {
        let context = "checkEntryLockFence \(lease.profileID)/\(lease.symbol) token \(lease.fencingToken)"
        let clock = try lockClock(now: now, ttlMicroseconds: nil, context: context)
        // The lock row is locked first (FOR UPDATE, held to the end of the caller's transaction),
        // and "now" is read after that, so a wait for the lock cannot make the check stale.
        let rows = try await executor.rows("""
            WITH locked AS (
                SELECT owner_token, fencing_token, expires_at FROM entry_locks
                WHERE profile_id = \(lease.profileID.rawValue) AND symbol = \(lease.symbol)
                FOR UPDATE)
            SELECT owner_token, fencing_token,
                expires_at > CASE WHEN \(clock.usesDatabase) THEN clock_timestamp() ELSE \(clock.now)::timestamptz END
            FROM locked
            """, context: context)
        guard let row = rows.first else {
            throw StoreError(.staleFencingToken, context: "\(context): the lock is not held")
        }
        var reader = PostgresRowReader(row, table: "entry_locks", operation: context,
                                       key: "profile_id \(lease.profileID.rawValue) symbol \(lease.symbol)")
        let owner = try reader.text()
        let token = try reader.int64()
        let unexpired = try reader.bool()
        guard owner == lease.owner.rawValue, token == lease.fencingToken.rawValue else {
            throw StoreError(.staleFencingToken, context: "\(context): the current lease has token \(token)")
        }
        guard unexpired else {
            throw StoreError(.staleFencingToken, context: "\(context): the lease expired")
        }
    }
}
