import Crypto
import Foundation
import PropertyBased
import Testing
import TradeLifecycle

/// The reference digest from swift-crypto (BoringSSL), independent of the code under test.
private func referenceHex(_ bytes: [UInt8]) -> String {
    Insecure.MD5.hash(data: bytes).map { byte in
        let hex = String(byte, radix: 16)
        return byte < 16 ? "0" + hex : hex
    }.joined()
}

/// Feeds `bytes` to `md5` in pieces whose sizes cycle through `chunkSizes` (each at least 1).
private func update(_ md5: inout MD5, with bytes: [UInt8], chunkSizes: [Int]) {
    var start = 0
    var nextChunk = 0
    while start < bytes.count {
        let end = min(bytes.count, start + max(1, chunkSizes[nextChunk % chunkSizes.count]))
        bytes[start..<end].withUnsafeBytes { md5.update($0) }
        start = end
        nextChunk += 1
    }
}

@Suite struct MD5Tests {
    /// The test suite of RFC 1321, appendix A.5.
    @Test(arguments: [
        ("", "d41d8cd98f00b204e9800998ecf8427e"),
        ("a", "0cc175b9c0f1b6a831c399e269772661"),
        ("abc", "900150983cd24fb0d6963f7d28e17f72"),
        ("message digest", "f96b697d7cb7938d525a2f31aaf161d0"),
        ("abcdefghijklmnopqrstuvwxyz", "c3fcd3d76192e4007dfb496cca67e13b"),
        ("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789", "d174ab98d277d9f5a5611c2c9f419d9f"),
        (
            "12345678901234567890123456789012345678901234567890123456789012345678901234567890",
            "57edf4a22be3c955ac49da2e2107b67a"
        ),
    ])
    func rfc1321TestSuite(message: String, expectedHex: String) {
        #expect(MD5.hash(message).hexString == expectedHex)
        #expect(MD5.hash(Array(message.utf8)).hexString == expectedHex)
        #expect(MD5.hash(message).description == expectedHex)

        var byteByByte = MD5()
        for byte in message.utf8 { byteByByte.update(byte) }
        #expect(byteByByte.finalize().hexString == expectedHex)

        var buffered = MD5()
        Array(message.utf8).withUnsafeBytes { buffered.update($0) }
        #expect(buffered.finalize().hexString == expectedHex)
    }

    /// Digests PostgreSQL 15's `md5(text)` returned in a UTF-8 database.
    @Test(arguments: [
        ("BTCUSDT", "abfa6eeb99b722f0151713f9c425d38d"),
        ("profile-1:TRD-0001:ENTRY:1", "3a02e6e4db2d8a16cb9bdb551d4a3eca"),
        ("p1:TRD-abc:12345:2026-02-15T09:30:00.123Z", "521ef925418efc9cd1785d6e981fbac0"),
        ("prix:€:ü:日本:🙂", "82bc247f0b943c676c8315e8fa777c66"),
        (String(repeating: "Ωx", count: 77), "f7de19acd2812b6a2f136aa38a48c2a3"),
    ])
    func matchesPostgreSQL(text: String, expectedHex: String) {
        #expect(MD5.hash(text).hexString == expectedHex)
    }

    /// Lengths around the padding boundaries (55/56 bytes leave no room for the length) and
    /// several blocks, against swift-crypto.
    @Test(arguments: [0, 1, 54, 55, 56, 57, 63, 64, 65, 119, 120, 127, 128, 129, 1000, 4096, 100_003])
    func paddingBoundaries(length: Int) {
        let bytes = (0..<length).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) }
        #expect(MD5.hash(bytes).hexString == referenceHex(bytes))
    }

    /// A million `a`s: a message of 15,625 blocks whose bit length needs more than 16 bits.
    @Test func millionAs() {
        var md5 = MD5()
        let thousand = [UInt8](repeating: 0x61, count: 1000)
        for _ in 0..<1000 { md5.update(contentsOf: thousand) }
        #expect(md5.finalize().hexString == "7707d6ae4e027c70eea2a935c2296f21")
    }

    /// 10,000 random messages of 0-300 bytes, hashed in one piece and in random pieces,
    /// through every `update` overload, against swift-crypto.
    @Test func matchesSwiftCryptoOnRandomInputs() async {
        await propertyCheck(
            count: 10_000,
            input: Gen.uint8().array(of: 0...300), Gen.int(in: 1...80).array(of: 1...12)
        ) { bytes, chunkSizes in
            let expected = referenceHex(bytes)

            #expect(MD5.hash(bytes).hexString == expected)

            var whole = MD5()
            bytes.withUnsafeBytes { whole.update($0) }
            #expect(whole.finalize().hexString == expected)

            var chunked = MD5()
            update(&chunked, with: bytes, chunkSizes: chunkSizes)
            #expect(chunked.finalize().hexString == expected)

            // A sequence without contiguous storage takes the byte-at-a-time path.
            var lazy = MD5()
            lazy.update(contentsOf: bytes.lazy.map { $0 })
            #expect(lazy.finalize().hexString == expected)
        }
    }

    /// Splitting a message into pieces never changes its digest.
    @Test func chunkingNeverChangesTheDigest() async {
        await propertyCheck(
            count: 2_000,
            input: Gen.uint8().array(of: 0...700), Gen.int(in: 0...130).array(of: 1...20)
        ) { bytes, chunkSizes in
            let oneShot = MD5.hash(bytes)

            var chunked = MD5()
            update(&chunked, with: bytes, chunkSizes: chunkSizes)
            #expect(chunked.finalize() == oneShot)

            // Empty updates in between are no-ops.
            var withEmpty = MD5()
            var start = 0
            for size in chunkSizes {
                let end = min(bytes.count, start + size)
                bytes[start..<end].withUnsafeBytes { withEmpty.update($0) }
                withEmpty.update(contentsOf: [UInt8]())
                start = end
            }
            withEmpty.update(contentsOf: bytes[start...])
            #expect(withEmpty.finalize() == oneShot)
        }
    }

    /// Strings hash as their UTF-8 bytes, including non-ASCII text and strings that are not
    /// stored natively.
    @Test(arguments: ["", "p1:BTCUSDT:sig-42", "prix:€:ü:日本:🙂", String(repeating: "Ωx", count: 77)])
    func stringsHashAsUTF8(text: String) {
        let expected = referenceHex(Array(text.utf8))
        #expect(MD5.hash(text).hexString == expected)

        var pieces = MD5()
        for character in text { pieces.update(String(character)) }
        #expect(pieces.finalize().hexString == expected)

        let substringBacked = String(Substring(text))
        #expect(MD5.hash(substringBacked).hexString == expected)

        let bridged = NSString(string: text) as String
        #expect(MD5.hash(bridged).hexString == expected)
    }

    /// The same message hashed with a copy of a partly-fed hasher: values do not share state.
    @Test func hasherIsAValue() {
        var first = MD5()
        first.update("profile:")
        var second = first
        first.update("a")
        second.update("b")
        #expect(first.finalize().hexString == referenceHex(Array("profile:a".utf8)))
        #expect(second.finalize().hexString == referenceHex(Array("profile:b".utf8)))
    }

    @Test func digestForms() {
        let message = Array("The quick brown fox jumps over the lazy dog".utf8)
        let digest = MD5.hash(message)
        let reference = Array(Insecure.MD5.hash(data: message))

        #expect(digest.bytes == reference)
        #expect(digest.hexString == "9e107d9d372bb6826bd81d3542a419d6")
        #expect(digest.description == digest.hexString)

        var written = [UInt8](repeating: 0xFF, count: 40)
        written.withUnsafeMutableBytes { digest.writeHex(into: $0) }
        #expect(Array(written[..<32]) == Array(digest.hexString.utf8))
        #expect(written[32...].allSatisfy { $0 == 0xFF })

        #expect(digest == MD5.hash("The quick brown fox jumps over the lazy dog"))
        #expect(digest != MD5.hash("The quick brown fox jumps over the lazy dog."))
        #expect(Set([digest, MD5.hash(message), MD5.hash("")]).count == 2)
    }

    @Test func hexIsLowercaseAndCoversEveryDigit() async {
        await propertyCheck(count: 500, input: Gen.uint8().array(of: 0...40)) { bytes in
            let hex = MD5.hash(bytes).hexString
            #expect(hex.utf8.count == 32)
            #expect(hex.utf8.allSatisfy { (0x30...0x39).contains($0) || (0x61...0x66).contains($0) })
            #expect(hex == referenceHex(bytes))
        }
    }
}
