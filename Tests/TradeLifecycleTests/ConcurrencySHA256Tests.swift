import Crypto
import PropertyBased
import Testing
import TradeLifecycle

/// SHA-256 of the core against the FIPS 180-4 example vectors and against swift-crypto.
@Suite struct ConcurrencySHA256Tests {
    /// FIPS 180-4 / NIST CSRC example messages and digests.
    static let vectors: [(String, String)] = [
        ("", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
        ("abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
        ("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
         "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"),
        ("abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu",
         "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1"),
    ]

    @Test(arguments: vectors.indices)
    func fipsVector(_ index: Int) {
        let (message, digest) = Self.vectors[index]
        #expect(TradeLifecycle.SHA256.hash(message).hexString == digest)
    }

    @Test func oneMillionLetterA() {
        var hasher = TradeLifecycle.SHA256()
        let chunk = [UInt8](repeating: UInt8(ascii: "a"), count: 1_000)
        for _ in 0..<1_000 { hasher.update(contentsOf: chunk) }
        #expect(hasher.finalize().hexString == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
    }

    /// Every length around the padding boundaries (55, 56, 63, 64 bytes...) against swift-crypto.
    @Test func paddingBoundariesMatchSwiftCrypto() {
        for length in 0...200 {
            let bytes = (0..<length).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) }
            let expected = Array(Crypto.SHA256.hash(data: bytes))
            #expect(TradeLifecycle.SHA256.hash(bytes).bytes == expected, "length \(length)")
        }
    }

    @Test func randomMessagesMatchSwiftCryptoInAnySplit() async {
        await propertyCheck(count: 300, input: Gen.uint8(in: 0...255).array(of: 0...400), Gen.int(in: 0...400)) { bytes, split in
            let expected = Array(Crypto.SHA256.hash(data: bytes))
            #expect(TradeLifecycle.SHA256.hash(bytes).bytes == expected)
            var hasher = TradeLifecycle.SHA256()
            let cut = min(split, bytes.count)
            hasher.update(contentsOf: bytes[..<cut])
            hasher.update(contentsOf: bytes[cut...])
            #expect(hasher.finalize().bytes == expected, "split at \(cut)")
        }
    }

    @Test func hexTextRoundTrips() {
        let digest = TradeLifecycle.SHA256.hash("abc")
        #expect(TradeLifecycle.SHA256.Digest(hexString: digest.hexString) == digest)
        #expect(TradeLifecycle.SHA256.Digest(hexString: digest.hexString.uppercased()) == digest)
        #expect(TradeLifecycle.SHA256.Digest(hexString: String(digest.hexString.dropLast())) == nil)
        #expect(TradeLifecycle.SHA256.Digest(hexString: String(digest.hexString.dropLast()) + "g") == nil)
    }
}
