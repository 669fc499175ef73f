/// Persistence of entry locks: the `entry_locks` table, one row per profile and symbol
/// (`reference/002_*` phase 6).
///
/// Contract (checked by `TradeLifecycleTesting`'s conformance suite):
/// - Time is the `now` the caller passes; a lease is held while `now < expiresAt`. Every caller
///   of one store must read `now` from the same clock (see `Documentation/DistributedSafety.md`).
/// - ``acquireEntryLock(profileID:symbol:owner:ttlMicroseconds:now:)`` succeeds when the key has
///   no lease, an expired one, or one of the same owner; it hands out a fencing token strictly
///   greater than every token the store handed out before, for any key. Otherwise it reports
///   the holder and expiry and changes nothing.
/// - ``renewEntryLock(_:ttlMicroseconds:now:)`` and ``releaseEntryLock(_:now:)`` act only on the
///   caller's own current lease (same owner and fencing token); renewing an expired lease fails
///   even when nobody took it over. A renewal keeps the fencing token.
/// - ``checkEntryLockFence(_:now:)`` passes only for the key's current lease (same owner and
///   fencing token) while it is unexpired. Inside a transaction the check must hold the lock row
///   until the transaction ends (PostgreSQL: `SELECT … FOR UPDATE`), so that no acquisition can
///   replace the lease between the check and the guarded write.
/// - Every operation is atomic: concurrent acquisitions of one key yield at most one lease
///   unexpired at any `now`.
public protocol EntryLockStore: Sendable {
    /// Acquires the entry lock of a profile and symbol.
    ///
    /// - Parameters:
    ///   - profileID: The profile.
    ///   - symbol: The symbol; must not be blank.
    ///   - owner: The caller's owner token.
    ///   - ttlMicroseconds: How long the lease lasts unless renewed; positive.
    ///   - now: The current time.
    /// - Returns: ``EntryLockAcquisition/acquired(_:)`` with a new fencing token, or
    ///   ``EntryLockAcquisition/contended(holder:expiresAt:)``.
    /// - Throws: ``StoreError/Code/invalidChange`` for a blank symbol, a TTL that is not positive
    ///   or an expiry out of range.
    func acquireEntryLock(profileID: ProfileID, symbol: String, owner: EntryLockOwner, ttlMicroseconds: Int64,
                          now: Timestamp) async throws(StoreError) -> EntryLockAcquisition

    /// Extends the caller's unexpired lease to `now + ttlMicroseconds`, keeping its fencing token.
    ///
    /// - Returns: The renewed lease.
    /// - Throws: ``StoreError/Code/lockNotHeld`` when the lease expired, was released or was
    ///   replaced; ``StoreError/Code/invalidChange`` for a TTL that is not positive.
    func renewEntryLock(_ lease: EntryLease, ttlMicroseconds: Int64, now: Timestamp) async throws(StoreError) -> EntryLease

    /// Releases the caller's lease, so that the next acquisition need not wait for the expiry.
    ///
    /// - Throws: ``StoreError/Code/lockNotHeld`` when the key's lease is not this one (another
    ///   owner, a later acquisition, or no lease at all).
    func releaseEntryLock(_ lease: EntryLease, now: Timestamp) async throws(StoreError)

    /// The key's current lease, expired or not, or `nil` when there is none.
    func entryLock(profileID: ProfileID, symbol: String) async throws(StoreError) -> EntryLease?

    /// Checks that `lease` is still the key's current, unexpired lease: the fencing check of a
    /// write guarded by the lock.
    ///
    /// - Throws: ``StoreError/Code/staleFencingToken`` when the key's lease has another owner or
    ///   fencing token, is expired at `now`, or was released.
    func checkEntryLockFence(_ lease: EntryLease, now: Timestamp) async throws(StoreError)
}
