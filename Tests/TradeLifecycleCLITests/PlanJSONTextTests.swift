import Testing
import TradeLifecycle
@testable import TradeLifecycleScenario
import TradeLifecycleTesting

/// The plan's JSON is written into one byte buffer; these tests hold it to the text of the
/// field-by-field rendering it replaced (``JSONText`` pieces joined), written out here.
@Suite("Plan JSON text")
struct PlanJSONTextTests {

    /// Strings mixing what JSON escapes (quotes, backslashes, every control character), plain
    /// ASCII, DEL, multi-byte scalars and `\r\n` (one Character, two scalars).
    static func text(seed: UInt64) -> String {
        var random = SplitMix64(seed: seed)  // a failing string replays from its seed
        let pieces: [String] = ["\"", "\\", "\r\n", "\u{7F}", "é", "€", "😀", "TRD-", "a", " ", "/", "e\u{301}"]
        var text = ""
        for _ in 0..<Int.random(in: 0...24, using: &random) {
            if Bool.random(using: &random) {
                text.unicodeScalars.append(Unicode.Scalar(UInt8.random(in: 0...0x1F, using: &random)))
            } else {
                text += pieces.randomElement(using: &random)!
            }
        }
        return text
    }

    /// The row as the former rendering wrote it: `"key": value` pieces joined by `, `.
    static func expectedRow(_ record: BackfillAuditRecord) -> String {
        let fields: [(String, String)] = [
            ("profileId", JSONText.string(record.profileID.rawValue)),
            ("symbol", JSONText.string(record.symbol)),
            ("tradeId", JSONText.string(record.tradeID.rawValue)),
            ("decision", JSONText.string(record.decision.rawValue)),
            ("reason", JSONText.string(record.reason.rawValue)),
            ("openQty", JSONText.string(record.openQuantity.description)),
            ("filledQty", JSONText.optional(record.filledQuantity?.description)),
            ("price", JSONText.optional(record.price?.description)),
            ("backfillOrderId", JSONText.optional(record.backfillOrderID?.rawValue)),
            ("exchangeOrderId", JSONText.optional(record.exchangeOrderID)),
            ("exchangeClientOrderId", JSONText.optional(record.exchangeClientOrderID?.rawValue)),
            ("filledAt", JSONText.optional(record.filledAt?.millisecondText)),
        ]
        return "{" + fields.map { "\(JSONText.string($0.0)): \($0.1)" }.joined(separator: ", ") + "}"
    }

    @Test("a string literal is written byte for byte as JSONText writes it", arguments: 0..<400)
    func stringLiteral(seed: Int) {
        let text = Self.text(seed: UInt64(seed))
        var bytes = JSONBytes()
        bytes.appendString(text)
        #expect(String(decoding: bytes.bytes, as: UTF8.self) == JSONText.string(text), "seed \(seed)")
    }

    @Test("control characters are escaped as \\n, \\r, \\t or \\u00XX in lower-case hex")
    func controlCharacters() {
        var bytes = JSONBytes()
        bytes.appendString("a\u{0}\u{1F}\n\r\t\u{8}\"\\b")
        #expect(String(decoding: bytes.bytes, as: UTF8.self) == #""a\u0000\u001f\n\r\t\u0008\"\\b""#)
    }

    @Test("the plan's JSON is the former rendering's text", arguments: [0, 1, 7])
    func planJSON(rows: Int) throws {
        let batchID = try BackfillBatchID("bf-\"batch\"\n")
        var records: [BackfillAuditRecord] = []
        for index in 0..<rows {
            let evidence = index % 3 != 0
            records.append(BackfillAuditRecord(
                batchID: batchID, rowNumber: index + 1, profileID: try ProfileID("p\\\(index)"), symbol: Self.text(seed: UInt64(index)) + "X",
                tradeID: try TradeID("TRD-\(index)\u{1}"), decision: evidence ? .dryRun : .noGo,
                reason: evidence ? .fillEvidence : .missingFillEvidenceForLargeRemainder,
                openQuantity: try ExactDecimal("1.25"), filledQuantity: evidence ? try ExactDecimal("0.000000000000000001") : nil,
                price: evidence ? ExactDecimal(100) : nil,
                backfillOrderID: evidence ? OrderID.backfill(profileID: try ProfileID("p"), tradeID: try TradeID("TRD-\(index)"),
                                                             exchangeOrderID: "x\(index)", filledAt: Timestamp(microsecondsSinceEpoch: 0)) : nil,
                exchangeOrderID: evidence ? "x\"\(index)" : nil, exchangeClientOrderID: index % 2 == 0 ? try ClientOrderID("EXT-é\t\(index)") : nil,
                filledAt: evidence ? Timestamp(microsecondsSinceEpoch: Int64(index) * 1_234_567) : nil,
                createdAt: Timestamp(microsecondsSinceEpoch: 0)))
        }
        var expected = "{\n  \"batchId\": \(JSONText.string(batchID.rawValue)),\n  \"rows\": ["
        for (index, record) in records.enumerated() {
            expected += index == 0 ? "\n    " : ",\n    "
            expected += Self.expectedRow(record)
        }
        expected += records.isEmpty ? "]\n}\n" : "\n  ]\n}\n"
        #expect(ScenarioPlan(batchID: batchID, mode: .dryRun, records: records).json == expected)
    }
}
