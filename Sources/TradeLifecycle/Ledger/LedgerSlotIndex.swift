// The lookup structure of the ledger's hot path: an open-addressing index from a 64-bit key hash
// to a dense slot number. Keys are not stored here: they live in the ledger's dense arrays
// (history, accounts, orders, positions), and `find` asks the caller whether a slot's key matches.
//
// Why not `Dictionary`: every `Dictionary` lookup with `String` keys runs SipHash through
// out-of-line runtime calls, which dominated the cost of an operation. Here the hash is a
// fixed, inlined multiply-rotate over the key's UTF-8 bytes. It is not seeded, so keys chosen
// to collide could make lookups slow (never wrong); the ledger's keys are chosen by the
// service that owns the profile.
//
// Why a bucket holds its slot next to its tag: in a large ledger each new key costs one cache
// miss on its bucket, and inserting it then writes the same line. Keeping 2-byte tags apart from
// 4-byte slots makes the searched array smaller but adds a store to a random line of the slot
// array on every insertion, which measured slower.

/// An index from key hashes to dense slots `0..<count`. Entries are never removed.
struct LedgerSlotIndex: Sendable {
    /// Each bucket: 0 when empty, else the hash's high 32 bits above `slot + 1`.
    private var buckets: [UInt64]
    /// The hash of each slot, in slot order (used to rebuild `buckets` when growing).
    private var hashes: [UInt64]

    init() {
        buckets = Array(repeating: 0, count: 16)
        hashes = []
    }

    /// The number of slots.
    var count: Int { hashes.count }

    /// Finds the slot whose key has `hash` and for which `matches` says yes.
    @inline(__always)
    func find(_ hash: UInt64, where matches: (Int) -> Bool) -> Int? {
        find(hash, firstBucket: firstBucket(hash), where: matches)
    }

    /// The bucket where the search for `hash` starts. Reading it early, together with the
    /// first buckets of other indexes, lets their cache misses overlap.
    @inline(__always)
    func firstBucket(_ hash: UInt64) -> UInt64 {
        buckets.withUnsafeBufferPointer { $0[Int(truncatingIfNeeded: hash) & ($0.count &- 1)] }
    }

    /// Finds the slot whose key has `hash` and for which `matches` says yes, given the bucket
    /// where the search starts (``firstBucket(_:)``, read from this index as it is now).
    @inline(__always)
    func find(_ hash: UInt64, firstBucket: UInt64, where matches: (Int) -> Bool) -> Int? {
        let mask = buckets.count &- 1
        let tag = hash >> 32
        var position = Int(truncatingIfNeeded: hash) & mask
        var bucket = firstBucket
        while true {
            if bucket == 0 { return nil }
            if bucket >> 32 == tag {
                let slot = Int(truncatingIfNeeded: bucket & 0xFFFF_FFFF) &- 1
                if matches(slot) { return slot }
            }
            position = (position &+ 1) & mask
            bucket = buckets[position]
        }
    }

    /// Adds the next slot (`count`) for a key with `hash` that is not in the index yet.
    ///
    /// - Returns: The new slot.
    @discardableResult
    mutating func append(_ hash: UInt64) -> Int {
        let slot = hashes.count
        precondition(slot < Int(UInt32.max) - 1, "the capital ledger holds at most 2^32 - 2 entries of one kind")
        hashes.append(hash)
        if hashes.count &* 2 > buckets.count {
            grow(to: buckets.count &* 2)
        } else {
            place(hash, slot: slot)
        }
        return slot
    }

    private mutating func place(_ hash: UInt64, slot: Int) {
        let mask = buckets.count &- 1
        var position = Int(truncatingIfNeeded: hash) & mask
        while buckets[position] != 0 { position = (position &+ 1) & mask }
        buckets[position] = (hash >> 32) << 32 | UInt64(slot &+ 1)
    }

    private mutating func grow(to size: Int) {
        buckets = Array(repeating: 0, count: size)
        for (slot, hash) in hashes.enumerated() { place(hash, slot: slot) }
    }
}

extension LedgerSlotIndex: Equatable {
    /// Two indexes are equal when they hold the same hashes in the same slots; the bucket
    /// layout depends on the capacity reserved and is not part of the value.
    static func == (lhs: LedgerSlotIndex, rhs: LedgerSlotIndex) -> Bool {
        lhs.hashes == rhs.hashes
    }
}

/// A key's hash and the first bucket of its search in an index, read ahead of the search.
struct IndexProbe: Sendable {
    let hash: UInt64
    let firstBucket: UInt64

    init(hash: UInt64, firstBucket: UInt64 = 0) {
        self.hash = hash
        self.firstBucket = firstBucket
    }

    /// The probe with the first bucket of `index` read.
    @inline(__always)
    func reading(_ index: LedgerSlotIndex) -> IndexProbe {
        IndexProbe(hash: hash, firstBucket: index.firstBucket(hash))
    }
}

/// The fixed hash the ledger's indexes use.
enum LedgerHash {
    private static let multiplier: UInt64 = 0x9E37_79B9_7F4A_7C15

    /// Folds a 64-bit word into a running hash.
    @inline(__always)
    static func combine(_ hash: UInt64, _ word: UInt64) -> UInt64 {
        let mixed = (hash ^ word) &* multiplier
        return (mixed << 27) | (mixed >> 37)
    }

    /// A final avalanche (MurmurHash3's fmix64), so that both the low bits (bucket position)
    /// and the high bits (tag) depend on every input bit.
    @inline(__always)
    static func finalize(_ hash: UInt64) -> UInt64 {
        var value = hash
        value ^= value >> 33
        value &*= 0xFF51_AFD7_ED55_8CCD
        value ^= value >> 33
        value &*= 0xC4CE_B9FE_1A85_EC53
        value ^= value >> 33
        return value
    }

    /// Folds the UTF-8 bytes of `text`, then its length, into a running hash.
    @inline(__always)
    static func combine(_ hash: UInt64, _ text: String) -> UInt64 {
        if let folded = text.utf8.withContiguousStorageIfAvailable({ combine(hash, bytes: $0) }) {
            return folded
        }
        var contiguous = text
        return contiguous.withUTF8 { combine(hash, bytes: $0) }
    }

    /// Whether two strings have the same UTF-8 bytes. The ledger matches keys by their bytes
    /// (as it hashes them), so the id it keeps for a key is byte for byte the one an operation
    /// names, and the history it puts back together is exactly what was recorded.
    @inline(__always)
    static func sameBytes(_ lhs: String, _ rhs: String) -> Bool {
        // The same representation (the same storage, or the same small string) is the same
        // bytes: the common case of an operation naming a key with the string it was created
        // with, and the first test `String ==` makes too.
        if unsafeBitCast(lhs, to: (UInt64, UInt64).self) == unsafeBitCast(rhs, to: (UInt64, UInt64).self) {
            return true
        }
        return sameBytesOutOfLine(lhs, rhs)
    }

    @inline(never)
    private static func sameBytesOutOfLine(_ lhs: String, _ rhs: String) -> Bool {
        guard lhs.utf8.count == rhs.utf8.count else { return false }
        let compared = lhs.utf8.withContiguousStorageIfAvailable { left in
            rhs.utf8.withContiguousStorageIfAvailable { right in sameBytes(left, right) }
        }
        if let compared, let same = compared { return same }
        return lhs.utf8.elementsEqual(rhs.utf8)
    }

    @inline(__always)
    private static func sameBytes(_ lhs: UnsafeBufferPointer<UInt8>, _ rhs: UnsafeBufferPointer<UInt8>) -> Bool {
        let count = lhs.count
        guard count == rhs.count else { return false }
        guard let left = lhs.baseAddress, let right = rhs.baseAddress else { return true }
        if left == right { return true }
        let leftRaw = UnsafeRawPointer(left)
        let rightRaw = UnsafeRawPointer(right)
        var offset = 0
        while offset &+ 8 <= count {
            if leftRaw.loadUnaligned(fromByteOffset: offset, as: UInt64.self)
                != rightRaw.loadUnaligned(fromByteOffset: offset, as: UInt64.self) { return false }
            offset &+= 8
        }
        while offset < count {
            if left[offset] != right[offset] { return false }
            offset &+= 1
        }
        return true
    }

    @inline(__always)
    private static func combine(_ hash: UInt64, bytes: UnsafeBufferPointer<UInt8>) -> UInt64 {
        var result = hash
        let count = bytes.count
        guard let base = bytes.baseAddress else { return combine(result, 0) }
        let raw = UnsafeRawPointer(base)
        var offset = 0
        while offset &+ 8 <= count {
            result = combine(result, UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: offset, as: UInt64.self)))
            offset &+= 8
        }
        var tail: UInt64 = 0
        var shift: UInt64 = 0
        while offset < count {
            tail |= UInt64(base[offset]) << shift
            shift &+= 8
            offset &+= 1
        }
        return combine(combine(result, tail), UInt64(truncatingIfNeeded: count))
    }
}
