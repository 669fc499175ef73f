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
