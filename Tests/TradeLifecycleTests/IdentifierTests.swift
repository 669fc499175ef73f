import Crypto
import PropertyBased
import Testing
import TradeLifecycle
import TradeLifecycleTesting

/// An independent MD5 hex digest: swift-crypto's `Insecure.MD5` over the UTF-8 bytes.
private func oracleMD5Hex(_ text: String) -> String {
    Insecure.MD5.hash(data: Array(text.utf8)).map { byte in
        let hex = String(byte, radix: 16)
        return byte < 16 ? "0" + hex : hex
    }.joined()
}

@Suite struct TradeIDTests {
    @Test(arguments: [nil, "", " ", "   ", "\t", "\n \t"] as [String?])
    func blankTradeIDsNormalizeToNil(_ raw: String?) {
        #expect(TradeID.normalized(raw) == nil)
    }

    @Test(arguments: ["TRD-a1", " TRD-a1", "TRD-a1 ", "legacy-77", "x"])
    func nonBlankTradeIDsAreKeptExactly(_ raw: String) throws {
        let id = try #require(TradeID.normalized(raw))
        #expect(id.rawValue == raw)
        #expect(try TradeID(raw).rawValue == raw)
    }

    @Test func blankTradeIDIsATypedError() {
        #expect(throws: InputError.self) { try TradeID("  ") }
        do {
            _ = try TradeID(" ")
        } catch {
            #expect(error.code == .blank)
            #expect(error.field == "trade_id")
        }
    }

    @Test(arguments: [
        ("TRD-a", true), ("TRD-0", true), ("TRD-a.b_c-d", true),
        ("TRD-" + String(repeating: "a", count: 120), true),
        ("TRD-" + String(repeating: "a", count: 121), false),
        ("TRD-", false), ("TRD-.a", false), ("TRD-_a", false), ("TRD--a", false),
        ("trd-a", false), ("TRD-a:b", false), ("TRD-a b", false), (" TRD-a", false), ("TRD-é", false),
    ])
    func botFormat(_ raw: String, _ expected: Bool) throws {
        #expect(try TradeID(raw).isBotFormat == expected)
        if expected {
            #expect(try TradeID(validatingBotFormat: raw).rawValue == raw)
        } else {
            #expect(throws: InputError.self) { try TradeID(validatingBotFormat: raw) }
        }
    }

    @Test func generatedTradeIDIsTRDPlusMD5OfTheKey() throws {
        let id = TradeID.generate(profileID: try ProfileID("p1"), symbol: "BTC-USD", entryKey: "signal-42")
        #expect(id.rawValue == "TRD-" + oracleMD5Hex("p1:BTC-USD:signal-42"))
        #expect(id.isBotFormat)
    }

    @Test func legacyEntryKey() throws {
        #expect(TradeID.legacyEntryKey(firstEntryOrderID: try OrderID("o-17")) == "legacy:o-17")
    }

    @Test func generatedTradeIDsMatchTheOracle() async {
        let text = Gen.letterOrNumber.string(of: 1...20)
        await propertyCheck(count: 500, input: text, text, text) { profile, symbol, key in
            let id = TradeID.generate(profileID: try ProfileID(profile), symbol: symbol, entryKey: key)
            #expect(id.rawValue == "TRD-" + oracleMD5Hex("\(profile):\(symbol):\(key)"))
            #expect(id.isBotFormat)
        }
    }
}

@Suite struct BackfillOrderIDTests {
    /// The worked example of SPEC section 2: the filled_at text has exactly three digits and Z.
    @Test func specWorkedExample() throws {
        let filledAt = try Timestamp("2026-02-15T09:30:00.123Z")
        let id = OrderID.backfill(profileID: try ProfileID("p1"), tradeID: try TradeID("TRD-a1"),
                                  exchangeOrderID: "x9", filledAt: filledAt)
        #expect(id.rawValue == "BFILL-" + oracleMD5Hex("p1:TRD-a1:x9:2026-02-15T09:30:00.123Z"))
        #expect(id.rawValue.utf8.count == 38)
        #expect(id.isBackfill)
    }

    @Test func subMillisecondDigitsAreTruncated() throws {
        let profile = try ProfileID("p1")
        let trade = try TradeID("TRD-a1")
        let a = OrderID.backfill(profileID: profile, tradeID: trade, exchangeOrderID: "x9",
                                 filledAt: try Timestamp("2026-02-15T09:30:00.123999Z"))
        let b = OrderID.backfill(profileID: profile, tradeID: trade, exchangeOrderID: "x9",
                                 filledAt: try Timestamp("2026-02-15T09:30:00.123Z"))
        #expect(a == b)
        #expect(a.rawValue == "BFILL-" + oracleMD5Hex("p1:TRD-a1:x9:2026-02-15T09:30:00.123Z"))
    }

    @Test func dustRowUsesTheLiteralDUST() throws {
        let id = OrderID.backfill(profileID: try ProfileID("p1"), tradeID: try TradeID("TRD-a1"),
                                  exchangeOrderID: OrderID.dustExchangeOrderID,
                                  filledAt: try Timestamp("2026-02-15T11:00:00Z"))
        #expect(id.rawValue == "BFILL-" + oracleMD5Hex("p1:TRD-a1:DUST:2026-02-15T11:00:00.000Z"))
    }

    /// Cross-check against swift-crypto on random inputs, including microsecond timestamps.
    @Test func randomBackfillIDsMatchTheOracle() async {
        let text = Gen.letterOrNumber.string(of: 1...30)
        // 2000-01-01 ... 2100-01-01 in microseconds.
        let micros = Gen.int(in: 946_684_800_000_000...4_102_444_800_000_000)
        await propertyCheck(count: 2_000, input: text, text, text, micros) { profile, trade, exchange, time in
            let filledAt = Timestamp(microsecondsSinceEpoch: Int64(time))
            let id = OrderID.backfill(profileID: try ProfileID(profile), tradeID: try TradeID(trade),
                                      exchangeOrderID: exchange, filledAt: filledAt)
            #expect(id.rawValue == "BFILL-" + oracleMD5Hex("\(profile):\(trade):\(exchange):\(filledAt.millisecondText)"))
        }
    }

    @Test func blankOrderIDIsATypedError() {
        #expect(throws: InputError.self) { try OrderID("") }
    }
}

@Suite struct ClientOrderIDTests {
    @Test(arguments: [LifecycleAction.entry, .exit])
    func deterministicClientOrderID(_ action: LifecycleAction) throws {
        let id = ClientOrderID.deterministic(profileID: try ProfileID("p1"), tradeID: try TradeID("TRD-a1"),
                                             action: action, attempt: 2)
        let prefix = action == .entry ? "ENT-" : "EXT-"
        #expect(id.rawValue == prefix + oracleMD5Hex("p1:TRD-a1:\(action.rawValue):2"))
        #expect(id.rawValue.utf8.count == 36)
    }

    @Test func sameInputsGiveTheSameIDAndAttemptsDiffer() throws {
        let profile = try ProfileID("p1")
        let trade = try TradeID("TRD-a1")
        let first = ClientOrderID.deterministic(profileID: profile, tradeID: trade, action: .entry, attempt: 1)
        #expect(first == ClientOrderID.deterministic(profileID: profile, tradeID: trade, action: .entry, attempt: 1))
        #expect(first != ClientOrderID.deterministic(profileID: profile, tradeID: trade, action: .entry, attempt: 2))
        #expect(first != ClientOrderID.deterministic(profileID: profile, tradeID: trade, action: .exit, attempt: 1))
    }

    @Test func containsTradeID() throws {
        let trade = try TradeID("TRD-a1")
        #expect(try ClientOrderID("close-TRD-a1-3").contains(trade))
        #expect(try ClientOrderID("TRD-a1").contains(trade))
        #expect(try !ClientOrderID("TRD-a").contains(trade))
        #expect(try !ClientOrderID("trd-a1").contains(trade))
    }

    @Test func blankClientOrderIDsNormalizeToNil() {
        #expect(ClientOrderID.normalized(nil) == nil)
        #expect(ClientOrderID.normalized("  ") == nil)
        #expect(ClientOrderID.normalized("c1")?.rawValue == "c1")
    }
}

@Suite struct IdentifierCodingTests {
    @Test func identifiersEncodeAsStringsAndRejectBlank() throws {
        let encoded = try JSONCoding.encode([try TradeID("TRD-a1")])
        #expect(encoded == #"["TRD-a1"]"#)
        #expect(try JSONCoding.decode([OrderID].self, from: #"["o1"]"#) == [try OrderID("o1")])
        #expect(throws: DecodingError.self) { try JSONCoding.decode([ProfileID].self, from: #"[" "]"#) }
    }
}

@Suite struct IdentifierBlanknessTests {
    /// Pieces the random texts are made of: every ASCII character, Unicode white space outside
    /// ASCII, a combining mark (which joins the character before it), CR LF (one character of
    /// two white-space scalars) and non-ASCII letters.
    static let pieces: [String] = (0..<0x80).map { String(Unicode.Scalar(UInt8($0))) }
        + ["\u{85}", "\u{A0}", "\u{1680}", "\u{2000}", "\u{2028}", "\u{2029}", "\u{3000}", "\u{FEFF}",
           "\u{301}", "\r\n", "é", "\u{212A}", "日"]

    @Test("An identifier is blank exactly when every character is white space, whatever it starts with")
    func blankIsEveryCharacterWhiteSpace() async {
        let whiteSpacePieces = Self.pieces.filter { $0.allSatisfy(\.isWhitespace) }
        #expect(whiteSpacePieces.count == 14)
        await propertyCheck(count: 500, input: Gen.int(in: 0...1_000_000_000)) { seed in
            var random = SplitMix64(seed: UInt64(seed))
            // White space only; white space then any piece (the answer decided late); any pieces.
            let mode = Int.random(in: 0..<3, using: &random)
            var text = ""
            for _ in 0..<Int.random(in: 0...4, using: &random) {
                text += (mode == 2 ? Self.pieces : whiteSpacePieces).randomElement(using: &random)!
            }
            if mode == 1 { text += Self.pieces.randomElement(using: &random)! }
            let blank = text.allSatisfy(\.isWhitespace)
            let scalars = text.unicodeScalars.map(\.value)
            #expect((TradeID.normalized(text) == nil) == blank, "\(scalars)")
            #expect((ClientOrderID.normalized(text) == nil) == blank, "\(scalars)")
            do throws(InputError) {
                _ = try ProfileID(text)
                #expect(!blank, "\(scalars) was accepted as a profile id")
            } catch {
                #expect(blank && error.code == .blank, "\(scalars): \(error)")
            }
        }
    }

    @Test("A combining mark after white space keeps the character white space; after a letter it does not",
          arguments: [(" \u{301}", true), ("\t\u{301}x", false), ("a\u{301}", false), ("\u{301}", false), ("\r\n", true), ("\u{A0}a", false)])
    func combiningMarks(text: String, isBlank: Bool) {
        #expect(text.allSatisfy(\.isWhitespace) == isBlank)
        #expect((TradeID.normalized(text) == nil) == isBlank)
    }
}
