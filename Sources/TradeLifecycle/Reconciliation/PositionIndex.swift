/// A hash index from text keys to positions in an array, for the reconciliation diff: open
/// addressing with linear probing, at most half full, one 64-bit word per slot.
///
/// The table stores positions, not keys: the caller tells whether the key at a position equals
/// the key looked up, so a table over a million orders costs 16 MiB and one memory access per
/// probe. A slot holds the upper 32 bits of the key's hash (to skip most unequal keys without
/// reading the array) and the position plus one (zero is an empty slot).
///
/// Keys are hashed with ``KeyHash`` (the lifecycle analysis's hash of UTF-8 bytes, eight at a
/// time) and a per-table random seed, so a fixed set of colliding keys cannot be prepared in
/// advance.
struct PositionIndex {
    private var slots: [UInt64]
    private let mask: Int
    private let seed: UInt64

    /// The largest position the table can hold.
    static let maximumPosition = Int(UInt32.max) - 1

    /// Creates an empty table for up to `capacity` keys.
    init(capacity: Int) {
        var size = 16
        while size < capacity * 2 { size <<= 1 }
        slots = [UInt64](repeating: 0, count: size)
        mask = size - 1
        var random = SystemRandomNumberGenerator()
        seed = random.next()
    }

    /// The hash of a key: ``KeyHash`` over its UTF-8 bytes with the table's seed.
    func hash(_ key: String) -> UInt64 {
        var state = seed
        KeyHash.mix(key, into: &state)
        return KeyHash.finalize(state)
    }

    /// Adds `position` under the key with `hash`. When a position with an equal key is there,
    /// it is replaced only if `replaces(holder)` is true.
    ///
    /// - Parameters:
    ///   - position: The position to add, at most ``maximumPosition``.
    ///   - hash: The key's ``hash(_:)``.
    ///   - isSameKey: Whether the key at a stored position equals the key added.
    ///   - replaces: Whether `position` takes the key from the position holding it.
    mutating func insert(_ position: Int, hash: UInt64, isSameKey: (Int) -> Bool, replaces: (Int) -> Bool) {
        precondition(position >= 0 && position <= Self.maximumPosition, "position \(position) out of range")
        let tag = hash >> 32
        var slot = Int(truncatingIfNeeded: hash) & mask
        while true {
            let entry = slots[slot]
            if entry == 0 {
                slots[slot] = tag << 32 | UInt64(position + 1)
                return
            }
            if entry >> 32 == tag {
                let holder = Int(entry & 0xFFFF_FFFF) - 1
                if isSameKey(holder) {
                    if replaces(holder) { slots[slot] = tag << 32 | UInt64(position + 1) }
                    return
                }
            }
            slot = (slot + 1) & mask
        }
    }

    /// The position stored under the key with `hash`, if any.
    ///
    /// - Parameters:
    ///   - hash: The key's ``hash(_:)``.
    ///   - isSameKey: Whether the key at a stored position equals the key looked up.
    func position(hash: UInt64, isSameKey: (Int) -> Bool) -> Int? {
        let tag = hash >> 32
        var slot = Int(truncatingIfNeeded: hash) & mask
        while true {
            let entry = slots[slot]
            if entry == 0 { return nil }
            if entry >> 32 == tag {
                let holder = Int(entry & 0xFFFF_FFFF) - 1
                if isSameKey(holder) { return holder }
            }
            slot = (slot + 1) & mask
        }
    }
}
