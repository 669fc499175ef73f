import Testing
import TradeLifecycle
import TradeLifecycleScenario

/// The strict JSON reader behind `--exchange FILE` and scenario files, through
/// ``ExchangeSnapshotFile/read(json:)``: duplicate member names are found in small records and in
/// large objects alike, and a string's bytes are kept exactly when they are valid UTF-8 and
/// refused, with their line and column, when they are not.
@Suite("Snapshot JSON reader")
struct SnapshotJSONReaderTests {
    static let fillMembers = """
        "profileId": "p1", "symbol": "BTC-USD", "side": "sell", "exchangeOrderId": "x1", \
        "clientOrderId": null, "quantity": "1", "price": "100", "filledAt": "2026-02-15T11:00:00Z"
        """

    /// A snapshot of one fill whose object holds `extra` before its own members.
    static func snapshot(fill extra: String) -> [UInt8] {
        Array("{\"positions\": [], \"fills\": [{\(extra)\(fillMembers)}]}".utf8)
    }

    static func readError(_ bytes: [UInt8]) -> ScenarioError? {
        do {
            _ = try ExchangeSnapshotFile.read(json: bytes)
            return nil
        } catch {
            return error
        }
    }

    @Test("A valid fill reads with its values kept exactly")
    func validFill() throws {
        let snapshot = try ExchangeSnapshotFile.read(json: Self.snapshot(fill: ""))
        #expect(snapshot.fills.count == 1)
        #expect(snapshot.fills.first?.symbol == "BTC-USD")
        #expect(snapshot.fills.first?.exchangeOrderID == "x1")
    }

    @Test("A duplicate member is refused wherever it is in an object of any size",
          arguments: [0, 1, 7, 15, 16, 17, 40])
    func duplicateMembers(extraMembers: Int) throws {
        // `extraMembers` distinct names, then the fill's eight, then one of them again.
        let extra = (0..<extraMembers).map { "\"x\($0)\": 1, " }.joined()
        let again = extraMembers > 0 ? "x\(extraMembers / 2)" : "symbol"
        let bytes = Array("{\"positions\": [], \"fills\": [{\(extra)\(Self.fillMembers), \"\(again)\": 2}]}".utf8)
        let error = try #require(Self.readError(bytes))
        #expect(error.code == .malformedJSON)
        #expect(error.detail == "duplicate member \"\(again)\"", "\(error)")
        let column = bytes.count - "\"\(again)\": 2}]}".utf8.count + 1
        #expect(error.location == "line 1, column \(column)", "\(error)")

        // The same object without the repeated member is not a duplicate: its first extra member
        // is the first problem (an unknown field).
        if extraMembers > 0 {
            let error = try #require(Self.readError(Self.snapshot(fill: extra)))
            #expect(error.code == .unknownField)
            #expect(error.field == "x0", "\(error)")
        }
    }

    @Test("Names equal as Swift compares strings are duplicates in small and large objects",
          arguments: [0, 20])
    func canonicallyEquivalentNames(extraMembers: Int) throws {
        let extra = (0..<extraMembers).map { "\"x\($0)\": 1, " }.joined()
        // U+212A KELVIN SIGN is canonically equivalent to the letter K.
        let bytes = Array("{\"positions\": [], \"fills\": [{\(extra)\"K\": 1, \"\u{212A}\": 2, \(Self.fillMembers)}]}".utf8)
        let error = try #require(Self.readError(bytes))
        #expect(error.code == .malformedJSON)
        #expect(error.detail.hasPrefix("duplicate member"), "\(error)")
    }

    @Test("Non-ASCII text that is valid UTF-8 is kept byte for byte, with or without escapes",
          arguments: ["ÉTH-USD", "日本-USD", "BTC-\u{1F600}", "e\u{301}-USD"])
    func nonASCIIText(symbol: String) throws {
        let members = Self.fillMembers.replacing("BTC-USD", with: symbol)
        let snapshot = try ExchangeSnapshotFile.read(json: Array("{\"positions\": [], \"fills\": [{\(members)}]}".utf8))
        #expect(Array(snapshot.fills.first?.symbol.utf8 ?? "".utf8) == Array(symbol.utf8))

        let escaped = symbol.unicodeScalars.map { scalar -> String in
            scalar.isASCII ? String(scalar) : scalar.utf16.map { "\\u" + String($0, radix: 16, uppercase: false).leftPadded(to: 4) }.joined()
        }.joined()
        let escapedMembers = Self.fillMembers.replacing("BTC-USD", with: escaped)
        let fromEscapes = try ExchangeSnapshotFile.read(json: Array("{\"positions\": [], \"fills\": [{\(escapedMembers)}]}".utf8))
        #expect(Array(fromEscapes.fills.first?.symbol.utf8 ?? "".utf8) == Array(symbol.utf8))
    }

    @Test("Bytes that are not UTF-8 are refused with their line and column, in values and in names",
          arguments: [[0xFF], [0xC3], [0xC0, 0xAF], [0xED, 0xA0, 0x80], [0xF4, 0x90, 0x80, 0x80], [0x80]] as [[UInt8]])
    func invalidUTF8(bad: [UInt8]) throws {
        for inName in [false, true] {
            let prefix = Array("{\"positions\": [], \"fills\": [{".utf8)
            let bytes: [UInt8]
            if inName {
                bytes = prefix + Array("\"sym".utf8) + bad + Array("\": 1, \(Self.fillMembers)}]}".utf8)
            } else {
                let members = Array(Self.fillMembers.utf8)
                let symbolValue = Array("BTC-USD".utf8)
                let at = try #require(members.firstRange(of: symbolValue))
                bytes = prefix + members[..<at.lowerBound] + Array("BTC".utf8) + bad + members[at.upperBound...] + Array("}]}".utf8)
            }
            let error = try #require(Self.readError(bytes), "\(bad) in \(inName ? "a name" : "a value") was accepted")
            #expect(error.code == .malformedJSON)
            #expect(error.detail == "a string is not valid UTF-8", "\(error)")
            #expect(error.location.hasPrefix("line 1, column "), "\(error)")
        }
    }
}

private extension String {
    func leftPadded(to length: Int) -> String {
        String(repeating: "0", count: Swift.max(0, length - count)) + self
    }
}
