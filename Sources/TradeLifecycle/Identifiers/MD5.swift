/// The MD5 message digest (RFC 1321), in pure Swift.
///
/// MD5 is not used here for security: the package derives deterministic identifiers with it
/// (trade ids, backfill order ids, client order ids) that must equal, byte for byte, what
/// PostgreSQL's `md5()` computes over the same text.
///
/// Hashing allocates nothing: the chaining state and the 64-byte block buffer live inline in the
/// value. Feed bytes with any of the `update` methods, in as many pieces as convenient (the digest
/// does not depend on how the input is split), then call ``finalize()``.
///
/// ```swift
/// var md5 = MD5()
/// md5.update("p1:")
/// md5.update("BTCUSDT")
/// let hex = md5.finalize().hexString
/// ```
public struct MD5: Sendable {
    /// The four 32-bit chaining words `A`, `B`, `C`, `D` of RFC 1321 section 3.3.
    private struct State: Sendable {
        var a: UInt32 = 0x6745_2301
        var b: UInt32 = 0xefcd_ab89
        var c: UInt32 = 0x98ba_dcfe
        var d: UInt32 = 0x1032_5476
    }

    /// 64 bytes of inline storage for a partial block.
    private typealias Block = (UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64)

    /// The bytes in one MD5 block.
    private static let blockByteCount = 64

    private var state = State()
    private var buffer: Block = (0, 0, 0, 0, 0, 0, 0, 0)
    /// How many bytes at the start of `buffer` are waiting for a full block (0..<64).
    private var bufferedByteCount = 0
    /// The message length so far, in bytes, modulo 2^64 (RFC 1321 keeps the bit length modulo 2^64).
    private var messageByteCount: UInt64 = 0

    /// Creates a hasher with the initial state of RFC 1321.
    public init() {}

    /// Adds bytes to the message.
    ///
    /// - Parameter bytes: The bytes to add; they are read during the call only.
    public mutating func update(_ bytes: UnsafeRawBufferPointer) {
        guard var source = bytes.baseAddress, !bytes.isEmpty else { return }
        var remaining = bytes.count
        messageByteCount &+= UInt64(truncatingIfNeeded: remaining)

        if bufferedByteCount > 0 {
            let offset = bufferedByteCount
            let taken = Swift.min(Self.blockByteCount - offset, remaining)
            withUnsafeMutableBytes(of: &buffer) { block in
                (block.baseAddress.unsafelyUnwrapped + offset).copyMemory(from: source, byteCount: taken)
            }
            source += taken
            remaining -= taken
            bufferedByteCount = offset + taken
            guard bufferedByteCount == Self.blockByteCount else { return }
            compressBuffer()
            bufferedByteCount = 0
        }

        while remaining >= Self.blockByteCount {
            Self.compress(&state, block: source)
            source += Self.blockByteCount
            remaining -= Self.blockByteCount
        }

        if remaining > 0 {
            let tail = source
            let tailCount = remaining
            withUnsafeMutableBytes(of: &buffer) { block in
                block.baseAddress.unsafelyUnwrapped.copyMemory(from: tail, byteCount: tailCount)
            }
            bufferedByteCount = remaining
        }
    }

    /// Adds the UTF-8 bytes of a string to the message.
    ///
    /// A native Swift string is read in place, without copying.
    ///
    /// - Parameter string: The text whose UTF-8 encoding is added.
    public mutating func update(_ string: String) {
        let done: Void? = string.utf8.withContiguousStorageIfAvailable { utf8 in
            update(UnsafeRawBufferPointer(utf8))
        }
        if done == nil {
            for byte in string.utf8 { update(byte) }
        }
    }

    /// Adds one byte to the message.
    ///
    /// - Parameter byte: The byte to add.
    public mutating func update(_ byte: UInt8) {
        let offset = bufferedByteCount
        withUnsafeMutableBytes(of: &buffer) { block in
            block.storeBytes(of: byte, toByteOffset: offset, as: UInt8.self)
        }
        messageByteCount &+= 1
        if offset + 1 == Self.blockByteCount {
            compressBuffer()
            bufferedByteCount = 0
        } else {
            bufferedByteCount = offset + 1
        }
    }

    /// Adds a sequence of bytes to the message.
    ///
    /// Contiguous collections (`[UInt8]`, `ArraySlice<UInt8>`, `UnsafeBufferPointer<UInt8>`...)
    /// are read in place; other sequences are read one byte at a time.
    ///
    /// - Parameter bytes: The bytes to add.
    public mutating func update<Bytes: Sequence>(contentsOf bytes: Bytes) where Bytes.Element == UInt8 {
        let done: Void? = bytes.withContiguousStorageIfAvailable { contiguous in
            update(UnsafeRawBufferPointer(contiguous))
        }
        if done == nil {
            for byte in bytes { update(byte) }
        }
    }

    /// Pads the message as RFC 1321 section 3.1 and 3.2 say and returns its digest.
    ///
    /// - Returns: The 128-bit digest of every byte added so far.
    public consuming func finalize() -> Digest {
        let messageBitCount = messageByteCount &<< 3
        let offset = bufferedByteCount
        // Append the 0x80 byte, then zeros up to 56 bytes modulo 64, then the bit length
        // as a little-endian 64-bit number.
        let needsExtraBlock = withUnsafeMutableBytes(of: &buffer) { block -> Bool in
            block.storeBytes(of: 0x80, toByteOffset: offset, as: UInt8.self)
            let zeroStart = offset + 1
            (block.baseAddress.unsafelyUnwrapped + zeroStart)
                .initializeMemory(as: UInt8.self, repeating: 0, count: Self.blockByteCount - zeroStart)
            return zeroStart > Self.blockByteCount - 8
        }
        if needsExtraBlock {
            compressBuffer()
            buffer = (0, 0, 0, 0, 0, 0, 0, 0)
        }
        buffer.7 = messageBitCount.littleEndian
        compressBuffer()
        return Digest(a: state.a, b: state.b, c: state.c, d: state.d)
    }

    /// The digest of the UTF-8 bytes of a string.
    ///
    /// - Parameter string: The text to hash.
    /// - Returns: `md5(string)`, as PostgreSQL's `md5(text)` computes it for a UTF-8 database.
    public static func hash(_ string: String) -> Digest {
        var md5 = MD5()
        md5.update(string)
        return md5.finalize()
    }

    /// The digest of a sequence of bytes.
    ///
    /// - Parameter bytes: The bytes to hash.
    /// - Returns: The digest of `bytes`.
    public static func hash<Bytes: Sequence>(_ bytes: Bytes) -> Digest where Bytes.Element == UInt8 {
        var md5 = MD5()
        md5.update(contentsOf: bytes)
        return md5.finalize()
    }

    /// Runs the compression function over the full block in `buffer`.
    private mutating func compressBuffer() {
        let block = buffer
        withUnsafeBytes(of: block) { bytes in
            Self.compress(&state, block: bytes.baseAddress.unsafelyUnwrapped)
        }
    }

    /// The compression function of RFC 1321 section 3.4 over one 64-byte block, fully unrolled.
    ///
    /// - Parameters:
    ///   - state: The chaining words, updated in place.
    ///   - p: The first of 64 readable bytes; no alignment needed.
    @inline(__always)
    private static func compress(_ state: inout State, block p: UnsafeRawPointer) {
        @inline(__always) func word(_ index: Int) -> UInt32 {
            UInt32(littleEndian: p.loadUnaligned(fromByteOffset: index &* 4, as: UInt32.self))
        }
        let x0 = word(0), x1 = word(1), x2 = word(2), x3 = word(3)
        let x4 = word(4), x5 = word(5), x6 = word(6), x7 = word(7)
        let x8 = word(8), x9 = word(9), x10 = word(10), x11 = word(11)
        let x12 = word(12), x13 = word(13), x14 = word(14), x15 = word(15)

        var a = state.a
        var b = state.b
        var c = state.c
        var d = state.d

        a = stepF(a, b, c, d, x0,  0xd76aa478, 7)
        d = stepF(d, a, b, c, x1,  0xe8c7b756, 12)
        c = stepF(c, d, a, b, x2,  0x242070db, 17)
        b = stepF(b, c, d, a, x3,  0xc1bdceee, 22)
        a = stepF(a, b, c, d, x4,  0xf57c0faf, 7)
        d = stepF(d, a, b, c, x5,  0x4787c62a, 12)
        c = stepF(c, d, a, b, x6,  0xa8304613, 17)
        b = stepF(b, c, d, a, x7,  0xfd469501, 22)
        a = stepF(a, b, c, d, x8,  0x698098d8, 7)
        d = stepF(d, a, b, c, x9,  0x8b44f7af, 12)
        c = stepF(c, d, a, b, x10, 0xffff5bb1, 17)
        b = stepF(b, c, d, a, x11, 0x895cd7be, 22)
        a = stepF(a, b, c, d, x12, 0x6b901122, 7)
        d = stepF(d, a, b, c, x13, 0xfd987193, 12)
        c = stepF(c, d, a, b, x14, 0xa679438e, 17)
        b = stepF(b, c, d, a, x15, 0x49b40821, 22)

        a = stepG(a, b, c, d, x1,  0xf61e2562, 5)
        d = stepG(d, a, b, c, x6,  0xc040b340, 9)
        c = stepG(c, d, a, b, x11, 0x265e5a51, 14)
        b = stepG(b, c, d, a, x0,  0xe9b6c7aa, 20)
        a = stepG(a, b, c, d, x5,  0xd62f105d, 5)
        d = stepG(d, a, b, c, x10, 0x02441453, 9)
        c = stepG(c, d, a, b, x15, 0xd8a1e681, 14)
        b = stepG(b, c, d, a, x4,  0xe7d3fbc8, 20)
        a = stepG(a, b, c, d, x9,  0x21e1cde6, 5)
        d = stepG(d, a, b, c, x14, 0xc33707d6, 9)
        c = stepG(c, d, a, b, x3,  0xf4d50d87, 14)
        b = stepG(b, c, d, a, x8,  0x455a14ed, 20)
        a = stepG(a, b, c, d, x13, 0xa9e3e905, 5)
        d = stepG(d, a, b, c, x2,  0xfcefa3f8, 9)
        c = stepG(c, d, a, b, x7,  0x676f02d9, 14)
        b = stepG(b, c, d, a, x12, 0x8d2a4c8a, 20)

        a = stepH(a, b, c, d, x5,  0xfffa3942, 4)
        d = stepH(d, a, b, c, x8,  0x8771f681, 11)
        c = stepH(c, d, a, b, x11, 0x6d9d6122, 16)
        b = stepH(b, c, d, a, x14, 0xfde5380c, 23)
        a = stepH(a, b, c, d, x1,  0xa4beea44, 4)
        d = stepH(d, a, b, c, x4,  0x4bdecfa9, 11)
        c = stepH(c, d, a, b, x7,  0xf6bb4b60, 16)
        b = stepH(b, c, d, a, x10, 0xbebfbc70, 23)
        a = stepH(a, b, c, d, x13, 0x289b7ec6, 4)
        d = stepH(d, a, b, c, x0,  0xeaa127fa, 11)
        c = stepH(c, d, a, b, x3,  0xd4ef3085, 16)
        b = stepH(b, c, d, a, x6,  0x04881d05, 23)
        a = stepH(a, b, c, d, x9,  0xd9d4d039, 4)
        d = stepH(d, a, b, c, x12, 0xe6db99e5, 11)
        c = stepH(c, d, a, b, x15, 0x1fa27cf8, 16)
        b = stepH(b, c, d, a, x2,  0xc4ac5665, 23)

        a = stepI(a, b, c, d, x0,  0xf4292244, 6)
        d = stepI(d, a, b, c, x7,  0x432aff97, 10)
        c = stepI(c, d, a, b, x14, 0xab9423a7, 15)
        b = stepI(b, c, d, a, x5,  0xfc93a039, 21)
        a = stepI(a, b, c, d, x12, 0x655b59c3, 6)
        d = stepI(d, a, b, c, x3,  0x8f0ccc92, 10)
        c = stepI(c, d, a, b, x10, 0xffeff47d, 15)
        b = stepI(b, c, d, a, x1,  0x85845dd1, 21)
        a = stepI(a, b, c, d, x8,  0x6fa87e4f, 6)
        d = stepI(d, a, b, c, x15, 0xfe2ce6e0, 10)
        c = stepI(c, d, a, b, x6,  0xa3014314, 15)
        b = stepI(b, c, d, a, x13, 0x4e0811a1, 21)
        a = stepI(a, b, c, d, x4,  0xf7537e82, 6)
        d = stepI(d, a, b, c, x11, 0xbd3af235, 10)
        c = stepI(c, d, a, b, x2,  0x2ad7d2bb, 15)
        b = stepI(b, c, d, a, x9,  0xeb86d391, 21)

        state.a &+= a
        state.b &+= b
        state.c &+= c
        state.d &+= d
    }

    @inline(__always)
    private static func rotated(_ value: UInt32, by shift: UInt32) -> UInt32 {
        (value &<< shift) | (value &>> (32 &- shift))
    }

    /// Round 1: `a = b + ((a + F(b, c, d) + x + t) <<< s)` with `F = (b & c) | (~b & d)`.
    @inline(__always)
    private static func stepF(
        _ a: UInt32, _ b: UInt32, _ c: UInt32, _ d: UInt32, _ x: UInt32, _ t: UInt32, _ s: UInt32
    ) -> UInt32 {
        b &+ rotated(a &+ x &+ t &+ (d ^ (b & (c ^ d))), by: s)
    }

    /// Round 2: `G = (b & d) | (c & ~d)`. The two terms share no bits, so `|` is `+`, which lets
    /// `c & ~d` join the sum before `b` (the previous step's result) is known.
    @inline(__always)
    private static func stepG(
        _ a: UInt32, _ b: UInt32, _ c: UInt32, _ d: UInt32, _ x: UInt32, _ t: UInt32, _ s: UInt32
    ) -> UInt32 {
        b &+ rotated(a &+ x &+ t &+ (c & ~d) &+ (b & d), by: s)
    }

    /// Round 3: `H = b ^ c ^ d`.
    @inline(__always)
    private static func stepH(
        _ a: UInt32, _ b: UInt32, _ c: UInt32, _ d: UInt32, _ x: UInt32, _ t: UInt32, _ s: UInt32
    ) -> UInt32 {
        b &+ rotated(a &+ x &+ t &+ (b ^ c ^ d), by: s)
    }

    /// Round 4: `I = c ^ (b | ~d)`.
    @inline(__always)
    private static func stepI(
        _ a: UInt32, _ b: UInt32, _ c: UInt32, _ d: UInt32, _ x: UInt32, _ t: UInt32, _ s: UInt32
    ) -> UInt32 {
        b &+ rotated(a &+ x &+ t &+ (c ^ (b | ~d)), by: s)
    }
}

extension MD5 {
    /// A 128-bit MD5 digest.
    ///
    /// Its text form, ``hexString`` (also ``description``), is the 32 lowercase hexadecimal
    /// digits PostgreSQL's `md5()` returns.
    public struct Digest: Sendable, Hashable, CustomStringConvertible {
        // The final chaining words; the digest bytes are each word in little-endian order.
        private let a: UInt32
        private let b: UInt32
        private let c: UInt32
        private let d: UInt32

        fileprivate init(a: UInt32, b: UInt32, c: UInt32, d: UInt32) {
            self.a = a
            self.b = b
            self.c = c
            self.d = d
        }

        /// The 16 digest bytes, in the order RFC 1321 prints them.
        ///
        /// This allocates an array; use ``writeHex(into:)`` where allocation matters.
        public var bytes: [UInt8] {
            var result: [UInt8] = []
            result.reserveCapacity(16)
            for word in [a, b, c, d] {
                for shift in stride(from: UInt32(0), to: 32, by: 8) {
                    result.append(UInt8(truncatingIfNeeded: word &>> shift))
                }
            }
            return result
        }

        /// The 32 lowercase hexadecimal digits of the digest.
        public var hexString: String {
            String(unsafeUninitializedCapacity: 32) { utf8 in
                writeHex(into: UnsafeMutableRawBufferPointer(utf8))
                return 32
            }
        }

        /// The 32 lowercase hexadecimal digits of the digest; the same as ``hexString``.
        public var description: String { hexString }

        /// Writes the 32 lowercase hexadecimal digits of the digest as ASCII bytes, allocating nothing.
        ///
        /// - Parameter buffer: Where to write; the first 32 bytes are overwritten.
        /// - Precondition: `buffer.count >= 32`.
        public func writeHex(into buffer: UnsafeMutableRawBufferPointer) {
            precondition(buffer.count >= 32, "MD5.Digest.writeHex needs 32 bytes, got \(buffer.count)")
            let base = buffer.baseAddress.unsafelyUnwrapped
            @inline(__always) func hexDigit(_ nibble: UInt32) -> UInt8 {
                // 0-9 -> "0"-"9", 10-15 -> "a"-"f"
                UInt8(truncatingIfNeeded: nibble < 10 ? 0x30 &+ nibble : 0x57 &+ nibble)
            }
            @inline(__always) func write(_ word: UInt32, at offset: Int) {
                var byteIndex = 0
                while byteIndex < 4 {
                    let byte = (word &>> UInt32(truncatingIfNeeded: byteIndex &* 8)) & 0xff
                    base.storeBytes(of: hexDigit(byte &>> 4), toByteOffset: offset &+ byteIndex &* 2, as: UInt8.self)
                    base.storeBytes(of: hexDigit(byte & 0x0f), toByteOffset: offset &+ byteIndex &* 2 &+ 1, as: UInt8.self)
                    byteIndex &+= 1
                }
            }
            write(a, at: 0)
            write(b, at: 8)
            write(c, at: 16)
            write(d, at: 24)
        }
    }
}
