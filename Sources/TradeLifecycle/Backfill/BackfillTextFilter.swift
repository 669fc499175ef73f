/// A Bloom filter over texts that answers "certainly not in the set" exactly as `Set<String>`
/// would, so that the planner's pass over a million orders skips most hash-set lookups.
///
/// `String` equality is Unicode canonical equivalence, not byte equality, so a byte hash only
/// speaks for texts whose equality is byte equality: when every text added and the text asked
/// about are ASCII (a non-ASCII text such as U+212A KELVIN SIGN can equal the ASCII "K"). In any
/// other case ``mayContain(_:)`` answers `true` and the caller asks the exact set.
struct BackfillTextFilter {
    private var bits: [UInt64]
    private let mask: UInt64
    /// Whether every text added is ASCII.
    private var isASCII = true

    /// A filter sized for `capacity` texts (about 16 bits each).
    init(capacity: Int) {
        var words = 16
        while words * 4 < capacity { words *= 2 }
        bits = Array(repeating: 0, count: words)
        mask = UInt64(words * 64 - 1)
    }

    /// Adds a text.
    mutating func insert(_ text: String) {
        guard let (hash, ascii) = Self.hash(text), ascii else {
            isASCII = false
            return
        }
        set(hash & mask)
        set((hash >> 32) & mask)
    }

    /// `false` only when no text added is equal to `text`.
    func mayContain(_ text: String) -> Bool {
        guard isASCII, let (hash, ascii) = Self.hash(text), ascii else { return true }
        return isSet(hash & mask) && isSet((hash >> 32) & mask)
    }

    private mutating func set(_ bit: UInt64) {
        bits[Int(bit >> 6)] |= 1 << (bit & 63)
    }

    private func isSet(_ bit: UInt64) -> Bool {
        bits[Int(bit >> 6)] & (1 << (bit & 63)) != 0
    }

    /// A hash of the text's UTF-8 bytes and whether they are all ASCII; `nil` when the text
    /// has no contiguous UTF-8 storage.
    private static func hash(_ text: String) -> (UInt64, Bool)? {
        text.utf8.withContiguousStorageIfAvailable { bytes -> (UInt64, Bool) in
            var state: UInt64 = 0x243F_6A88_85A3_08D3 ^ UInt64(bytes.count)
            var high: UInt8 = 0
            for byte in bytes {
                high |= byte
                state = (state ^ UInt64(byte)) &* 0x100_0000_01B3
            }
            state ^= state >> 29
            state = state &* 0xBF58_476D_1CE4_E5B9
            state ^= state >> 32
            return (state, high < 0x80)
        }
    }
}
