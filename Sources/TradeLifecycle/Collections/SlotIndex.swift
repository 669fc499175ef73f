// The lookup structure of the ledger's and the lifecycle analysis's hot paths: an
// open-addressing index from a 64-bit key hash to a dense slot number. Keys are not stored here:
// they live in the caller's dense arrays (the ledger's accounts, orders and positions, the
// analysis's lifecycle records and key texts), and `find` asks the caller whether a slot's key
// matches.
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
struct SlotIndex: Sendable {
    /// Each bucket: 0 when empty, else the hash's high 32 bits above `slot + 1`.
    private var buckets: [UInt64]
    /// The hash of each slot, in slot order (used to rebuild `buckets` when growing).
    private var hashes: [UInt64]

    /// An empty index of `bucketCount` buckets (a power of two), doubled whenever more than half
    /// are taken.
    init(bucketCount: Int = 16) {
        precondition(bucketCount >= 2 && bucketCount & (bucketCount - 1) == 0, "a power of two")
        buckets = Array(repeating: 0, count: bucketCount)
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

    /// The slot a bucket holds, whatever its key; `nil` for an empty bucket.
    @inline(__always)
    static func slot(in bucket: UInt64) -> Int? {
        bucket == 0 ? nil : Int(truncatingIfNeeded: bucket & 0xFFFF_FFFF) &- 1
    }

    /// Makes room for `count` more slots' hashes (the buckets grow as they fill).
    mutating func reserveCapacity(adding count: Int) {
        hashes.reserveCapacity(hashes.count + count)
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
        precondition(slot < Int(UInt32.max) - 1, "a slot index holds at most 2^32 - 2 slots")
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

extension SlotIndex: Equatable {
    /// Two indexes are equal when they hold the same hashes in the same slots; the bucket
    /// layout depends on the capacity reserved and is not part of the value.
    static func == (lhs: SlotIndex, rhs: SlotIndex) -> Bool {
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
    func reading(_ index: SlotIndex) -> IndexProbe {
        IndexProbe(hash: hash, firstBucket: index.firstBucket(hash))
    }
}
