/// The owner token of an entry lock: who holds it. Every process (or every attempt) uses its own
/// token; renewing and releasing a lock need it.
public struct EntryLockOwner: TextIdentifier {
    /// The token as given.
    public let rawValue: String

    /// Creates an owner token.
    ///
    /// - Parameter rawValue: The token; kept exactly as given.
    /// - Throws: ``InputError`` with code ``InputError/Code/blank`` for empty or white-space-only text.
    public init(_ rawValue: String) throws(InputError) {
        guard !ProfileID.isBlank(rawValue) else {
            throw InputError(.blank, field: "owner_token", value: rawValue, detail: "an entry lock owner token must not be blank")
        }
        self.rawValue = rawValue
    }

    /// A new random owner token: `owner-` followed by 128 random bits in hex.
    public static func random() -> EntryLockOwner {
        var generator = SystemRandomNumberGenerator()
        var text = "owner-"
        for _ in 0..<2 {
            let hex = String(generator.next() as UInt64, radix: 16)
            text += String(repeating: "0", count: 16 - hex.count) + hex
        }
        return EntryLockOwner(uncheckedRawValue: text)
    }

    init(uncheckedRawValue: String) {
        self.rawValue = uncheckedRawValue
    }
}

/// A fencing token: a number handed out with every acquisition of an entry lock, strictly
/// greater than every token the store handed out before (for any profile and symbol).
///
/// A write guarded by a lock presents its lease; the store refuses it unless the token is the one
/// of the lock's current, unexpired lease. A holder that was paused past its lease (and replaced)
/// therefore cannot write with its old token.
public struct FencingToken: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// The token's value (PostgreSQL `bigint`, from a sequence).
    public let rawValue: Int64

    /// Creates a token, for instance when reading one back from a store.
    ///
    /// - Parameter rawValue: The value.
    public init(_ rawValue: Int64) {
        self.rawValue = rawValue
    }

    public static func < (lhs: FencingToken, rhs: FencingToken) -> Bool { lhs.rawValue < rhs.rawValue }

    public var description: String { String(rawValue) }
}

/// A held entry lock of a profile and symbol (a row of `entry_locks`).
public struct EntryLease: Sendable, Hashable, CustomStringConvertible {
    /// The profile.
    public let profileID: ProfileID
    /// The symbol.
    public let symbol: String
    /// Who holds the lock.
    public let owner: EntryLockOwner
    /// The token of this acquisition.
    public let fencingToken: FencingToken
    /// When the lock was acquired (by this acquisition).
    public let acquiredAt: Timestamp
    /// When the lease ends unless renewed: the lease is held while `now < expiresAt`.
    public let expiresAt: Timestamp

    /// Creates a lease, for instance when reading one back from a store.
    ///
    /// - Parameters:
    ///   - profileID: The profile.
    ///   - symbol: The symbol.
    ///   - owner: The holder.
    ///   - fencingToken: The acquisition's token.
    ///   - acquiredAt: When it was acquired.
    ///   - expiresAt: When it ends unless renewed.
    public init(profileID: ProfileID, symbol: String, owner: EntryLockOwner, fencingToken: FencingToken,
                acquiredAt: Timestamp, expiresAt: Timestamp) {
        self.profileID = profileID
        self.symbol = symbol
        self.owner = owner
        self.fencingToken = fencingToken
        self.acquiredAt = acquiredAt
        self.expiresAt = expiresAt
    }

    /// Whether the lease is still held at `now` by its own expiry (the store may know of a
    /// renewal or a takeover this value does not show).
    ///
    /// - Parameter now: The time to judge by.
    public func isUnexpired(at now: Timestamp) -> Bool { now < expiresAt }

    public var description: String {
        "entry lock \(profileID.rawValue)/\(symbol) held by \(owner.rawValue) with fencing token \(fencingToken) until \(expiresAt)"
    }
}

/// The answer to an attempt to acquire an entry lock.
public enum EntryLockAcquisition: Sendable, Hashable {
    /// The lock is the caller's, with a new fencing token.
    case acquired(EntryLease)
    /// Another owner holds an unexpired lease.
    case contended(holder: EntryLockOwner, expiresAt: Timestamp)

    /// The lease, when the lock was acquired.
    public var lease: EntryLease? {
        if case .acquired(let lease) = self { return lease }
        return nil
    }
}

/// The rules of entry locks as plain functions, shared by the stores.
public enum EntryLockRules {
    /// The expiry of a lease taken or renewed at `now` for `ttlMicroseconds`.
    ///
    /// - Parameters:
    ///   - now: The time of the acquisition or renewal.
    ///   - ttlMicroseconds: The time to live; must be positive.
    ///   - context: The operation, for the error.
    /// - Returns: `now + ttlMicroseconds`.
    /// - Throws: ``StoreError`` with code ``StoreError/Code/invalidChange`` when the TTL is not
    ///   positive or the expiry is past ``Timestamp/max``.
    public static func expiry(from now: Timestamp, ttlMicroseconds: Int64, context: String) throws(StoreError) -> Timestamp {
        guard ttlMicroseconds > 0 else {
            throw StoreError(.invalidChange, context: "\(context): the lock TTL must be positive, got \(ttlMicroseconds) microseconds")
        }
        guard let expiry = now.advanced(byMicroseconds: ttlMicroseconds) else {
            throw StoreError(.invalidChange, context: "\(context): the lock expiry \(now) + \(ttlMicroseconds) microseconds is out of range")
        }
        return expiry
    }

    /// Checks that a symbol is not blank.
    ///
    /// - Throws: ``StoreError`` with code ``StoreError/Code/invalidChange``.
    public static func requireSymbol(_ symbol: String, context: String) throws(StoreError) {
        guard !ProfileID.isBlank(symbol) else {
            throw StoreError(.invalidChange, context: "\(context): the symbol must not be blank")
        }
    }
}
