import Crypto
import Foundation
import Testing
import TradeLifecycle
import TradeLifecycleScenario

/// The example of SPEC section 9, verbatim.
let specExample = """
    { "now": "2026-02-15T12:00:00.000Z",
      "config": { "enabled": true, "dryRun": true, "requirePause": true,
                  "dustAbsQty": "0.001", "dustRelPct": "0.002", "lookbackHours": 72 },
      "profiles": [ { "profileId": "p1", "paused": true } ],
      "orders": [ { "orderId": "o1", "profileId": "p1", "symbol": "BTC-USD", "tradeId": "TRD-a1",
                    "action": "ENTRY", "side": "long", "status": "filled", "quantity": "1.5",
                    "qty": null, "price": "100", "exchangeOrderId": "x1",
                    "clientOrderId": null, "filledAt": "2026-02-15T10:00:00.000Z" } ],
      "exchange": {
        "positions": [ { "profileId": "p1", "symbol": "BTC-USD", "quantity": "0" } ],
        "fills": [ { "profileId": "p1", "symbol": "BTC-USD", "side": "sell",
                     "exchangeOrderId": "x9", "clientOrderId": null, "quantity": "1.5",
                     "price": "101", "filledAt": "2026-02-15T11:00:00.000Z" } ] } }
    """

/// The BFILL id computed with swift-crypto, independently of the SDK's MD5.
func independentBackfillID(_ text: String) -> String {
    "BFILL-" + Insecure.MD5.hash(data: Data(text.utf8)).map { byte in
        let hex = String(byte, radix: 16)
        return hex.count == 1 ? "0" + hex : hex
    }.joined()
}

/// Parses the command's JSON output with Foundation, a second reader of it.
func parseOutput(_ text: String) throws -> (batchID: String, rows: [[String: Any]]) {
    let object = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
    let batchID = try #require(object["batchId"] as? String)
    let rows = try #require(object["rows"] as? [[String: Any]])
    return (batchID, rows)
}

/// The SPEC example with one edit applied to its JSON object.
func editedExample(_ edit: (inout [String: Any]) -> Void) throws -> [UInt8] {
    var object = try #require(try JSONSerialization.jsonObject(with: Data(specExample.utf8)) as? [String: Any])
    edit(&object)
    return [UInt8](try JSONSerialization.data(withJSONObject: object))
}

func editOrder(_ object: inout [String: Any], _ edit: (inout [String: Any]) -> Void) {
    var orders = object["orders"] as? [[String: Any]] ?? []
    edit(&orders[0])
    object["orders"] = orders
}

func editFill(_ object: inout [String: Any], _ edit: (inout [String: Any]) -> Void) {
    var exchange = object["exchange"] as? [String: Any] ?? [:]
    var fills = exchange["fills"] as? [[String: Any]] ?? []
    edit(&fills[0])
    exchange["fills"] = fills
    object["exchange"] = exchange
}

@Suite("trade-lifecycle plan")
struct PlanCommandTests {
    static let expectedKeys = ["profileId", "symbol", "tradeId", "decision", "reason", "openQty", "filledQty", "price",
                               "backfillOrderId", "exchangeOrderId", "exchangeClientOrderId", "filledAt"]

    @Test func theSpecExamplePlansOneDryRunRow() async throws {
        let output = try await ScenarioPlan.output(scenarioJSON: Array(specExample.utf8), fileName: "example.json", apply: false)
        let (batchID, rows) = try parseOutput(output)
        #expect(!batchID.isEmpty)
        #expect(rows.count == 1)
        let row = try #require(rows.first)
        #expect(row["profileId"] as? String == "p1")
        #expect(row["symbol"] as? String == "BTC-USD")
        #expect(row["tradeId"] as? String == "TRD-a1")
        #expect(row["decision"] as? String == "DRY_RUN")
        #expect(row["reason"] as? String == "fill_evidence")
        #expect(row["openQty"] as? String == "1.5")
        #expect(row["filledQty"] as? String == "1.5")
        #expect(row["price"] as? String == "101")
        #expect(row["backfillOrderId"] as? String == independentBackfillID("p1:TRD-a1:x9:2026-02-15T11:00:00.000Z"))
        #expect(row["exchangeOrderId"] as? String == "x9")
        #expect(row["exchangeClientOrderId"] is NSNull)
        #expect(row["filledAt"] as? String == "2026-02-15T11:00:00.000Z")
        #expect(Set(row.keys) == Set(Self.expectedKeys))
    }

    @Test func keysAreWrittenInTheDocumentedOrder() async throws {
        let output = try await ScenarioPlan.output(scenarioJSON: Array(specExample.utf8), fileName: "example.json", apply: false)
        let rowLine = try #require(output.split(separator: "\n").first { $0.contains("\"profileId\"") })
        let positions = Self.expectedKeys.map { key in rowLine.range(of: "\"\(key)\":")?.lowerBound }
        #expect(!positions.contains(nil))
        let found = positions.compactMap { $0 }
        #expect(found == found.sorted())
        #expect(output.hasPrefix("{\n  \"batchId\": "))
    }

    @Test func identicalInputGivesIdenticalOutputApartFromTheBatchID() async throws {
        let first = try await ScenarioPlan.output(scenarioJSON: Array(specExample.utf8), fileName: "a", apply: false)
        let second = try await ScenarioPlan.output(scenarioJSON: Array(specExample.utf8), fileName: "a", apply: false)
        let withoutBatch = { (text: String) in text.split(separator: "\n").filter { !$0.contains("\"batchId\"") } }
        #expect(withoutBatch(first) == withoutBatch(second))
    }

    @Test(arguments: [true, false])
    func applyComesFromTheFlagOrTheFile(viaFlag: Bool) async throws {
        let json = viaFlag ? Array(specExample.utf8) : try editedExample { object in
            var config = object["config"] as? [String: Any] ?? [:]
            config["dryRun"] = false
            object["config"] = config
        }
        let output = try await ScenarioPlan.output(scenarioJSON: json, fileName: "example.json", apply: viaFlag)
        let (_, rows) = try parseOutput(output)
        #expect(rows.map { $0["decision"] as? String } == ["APPLIED"])
    }

    @Test func aDisabledConfigurationPlansNothing() async throws {
        let json = try editedExample { object in
            var config = object["config"] as? [String: Any] ?? [:]
            config["enabled"] = false
            object["config"] = config
        }
        let (_, rows) = try parseOutput(try await ScenarioPlan.output(scenarioJSON: json, fileName: "f", apply: true))
        #expect(rows.isEmpty)
    }

    @Test func rowsAreOrderedByProfileSymbolTradeThenEvidenceWithTheRemainderLast() async throws {
        // Two profiles in reverse file order; p1 has two trades on two symbols, TRD-b1 with two
        // fills out of time order and a large remainder.
        let json = """
            { "now": "2026-02-15T12:00:00Z",
              "config": { "enabled": true, "dryRun": true, "requirePause": true,
                          "dustAbsQty": "0.001", "dustRelPct": "0.002", "lookbackHours": 72 },
              "profiles": [ { "profileId": "p2", "paused": true }, { "profileId": "p1", "paused": true } ],
              "orders": [
                { "orderId": "o3", "profileId": "p2", "symbol": "ADA-USD", "tradeId": "TRD-c1", "action": "ENTRY",
                  "status": "filled", "quantity": "1", "price": "1", "filledAt": "2026-02-15T09:00:00Z" },
                { "orderId": "o2", "profileId": "p1", "symbol": "ETH-USD", "tradeId": "TRD-b1", "action": "ENTRY",
                  "status": "filled", "quantity": "5", "price": "10", "filledAt": "2026-02-15T09:00:00Z" },
                { "orderId": "o1", "profileId": "p1", "symbol": "BTC-USD", "tradeId": "TRD-a1", "action": "ENTRY",
                  "status": "filled", "quantity": "1", "price": "100", "filledAt": "2026-02-15T09:00:00Z" } ],
              "exchange": { "positions": [],
                "fills": [
                  { "profileId": "p1", "symbol": "ETH-USD", "side": "sell", "exchangeOrderId": "e2",
                    "quantity": "1", "price": "11", "filledAt": "2026-02-15T11:00:00Z" },
                  { "profileId": "p1", "symbol": "ETH-USD", "side": "sell", "exchangeOrderId": "e1",
                    "quantity": "2", "price": "12", "filledAt": "2026-02-15T10:00:00Z" } ] } }
            """
        let (_, rows) = try parseOutput(try await ScenarioPlan.output(scenarioJSON: Array(json.utf8), fileName: "f", apply: false))
        let summary = rows.map { row in
            ["profileId", "symbol", "tradeId", "reason", "exchangeOrderId"].map { row[$0] as? String ?? "null" }.joined(separator: " ")
        }
        #expect(summary == [
            "p1 BTC-USD TRD-a1 missing_fill_evidence_for_large_remainder null",
            "p1 ETH-USD TRD-b1 fill_evidence e1",
            "p1 ETH-USD TRD-b1 fill_evidence e2",
            "p1 ETH-USD TRD-b1 missing_fill_evidence_for_large_remainder null",
            "p2 ADA-USD TRD-c1 missing_fill_evidence_for_large_remainder null",
        ])
        // 5 - (2 + 1) = 2 is left without evidence.
        #expect(rows[3]["filledQty"] as? String == "2")
        #expect(rows[3]["decision"] as? String == "NO_GO")
    }

    // MARK: Bad input

    struct BadInput: Sendable, CustomStringConvertible {
        let name: String
        let json: @Sendable () throws -> [UInt8]
        let message: String
        var description: String { name }
    }

    static let badInputs: [BadInput] = [
        BadInput(name: "unknown status", json: { try editedExample { editOrder(&$0) { $0["status"] = "done" } } },
                 message: "orders[0] (order o1): field status: unknown order status"),
        BadInput(name: "malformed decimal", json: { try editedExample { editOrder(&$0) { $0["quantity"] = "1.5.0" } } },
                 message: "orders[0] (order o1): field quantity:"),
        BadInput(name: "decimal written as a number", json: { try editedExample { editOrder(&$0) { $0["price"] = 100 } } },
                 message: "orders[0] (order o1): field price: expected a decimal in a string, or null, found number"),
        BadInput(name: "blank symbol", json: { try editedExample { editOrder(&$0) { $0["symbol"] = "  " } } },
                 message: "orders[0] (order o1): field symbol:"),
        BadInput(name: "blank order id", json: { try editedExample { editOrder(&$0) { $0["orderId"] = "" } } },
                 message: "orders[0]: field orderId:"),
        BadInput(name: "missing status", json: { try editedExample { editOrder(&$0) { $0["status"] = nil } } },
                 message: "orders[0] (order o1): field status: a value is required"),
        BadInput(name: "null status", json: { try editedExample { editOrder(&$0) { $0["status"] = NSNull() } } },
                 message: "orders[0] (order o1): field status: a value is required"),
        BadInput(name: "unknown action", json: { try editedExample { editOrder(&$0) { $0["action"] = "CLOSE" } } },
                 message: "orders[0] (order o1): field action:"),
        BadInput(name: "unknown profile", json: { try editedExample { editFill(&$0) { $0["profileId"] = "p9" } } },
                 message: "exchange.fills[0] (fill x9): field profileId: no profile 'p9' in profiles"),
        BadInput(name: "unknown fill side", json: { try editedExample { editFill(&$0) { $0["side"] = "short" } } },
                 message: "exchange.fills[0] (fill x9): field side:"),
        BadInput(name: "malformed time", json: { try editedExample { editFill(&$0) { $0["filledAt"] = "2026-02-15 11:00" } } },
                 message: "exchange.fills[0] (fill x9): field filledAt:"),
        BadInput(name: "misspelt field", json: { try editedExample { editOrder(&$0) { $0["tradeID"] = "TRD-a1" } } },
                 message: "orders[0] (order o1): field tradeID: not a field of this record"),
        BadInput(name: "wrong config type", json: { try editedExample { object in
            var config = object["config"] as? [String: Any] ?? [:]
            config["lookbackHours"] = "72"
            object["config"] = config
        } }, message: "config: field lookbackHours: expected a whole number, found string"),
        BadInput(name: "boolean as a number", json: { try editedExample { object in
            object["profiles"] = [["profileId": "p1", "paused": 1]]
        } }, message: "profiles[0] (profile p1): field paused: expected true or false, found number"),
        BadInput(name: "relative dust above 1", json: { try editedExample { object in
            var config = object["config"] as? [String: Any] ?? [:]
            config["dustRelPct"] = "2"
            object["config"] = config
        } }, message: "config: field dustRelPct:"),
        BadInput(name: "duplicate order id", json: { try editedExample { object in
            let orders = object["orders"] as? [[String: Any]] ?? []
            object["orders"] = orders + orders
        } }, message: "orders[1] (order o1): field orderId: the order id occurs twice"),
        BadInput(name: "missing exchange", json: { try editedExample { $0["exchange"] = nil } },
                 message: "scenario: field exchange: a value is required"),
        BadInput(name: "trailing comma", json: { Array("{ \"now\": \"2026-02-15T12:00:00Z\", }".utf8) },
                 message: "line 1, column 34: expected a member name"),
        BadInput(name: "duplicate member", json: { Array("{ \"now\": \"x\", \"now\": \"y\" }".utf8) },
                 message: "line 1, column 15: duplicate member \"now\""),
        BadInput(name: "second live ENTRY of a symbol", json: { try editedExample { object in
            var orders = object["orders"] as? [[String: Any]] ?? []
            for id in ["o2", "o3"] {
                var order = orders[0]
                order["orderId"] = id
                order["status"] = "open"
                orders.append(order)
            }
            object["orders"] = orders
        } }, message: "orders[2] (order o3): the store refused the order"),
    ]

    @Test(arguments: badInputs)
    func badInputIsRefusedWithTheRecordAndField(_ input: BadInput) async throws {
        let json = try input.json()
        let error = await #expect(throws: PlanCommandError.self) {
            _ = try await ScenarioPlan.output(scenarioJSON: json, fileName: "bad.json", apply: true)
        }
        #expect(error?.kind == .badInput)
        #expect(error?.exitCode == 2)
        #expect(error?.message.hasPrefix("bad.json: ") == true)
        #expect(error?.message.contains(input.message) == true, "\(error?.message ?? "no error")")
    }

    @Test func nothingIsPlannedFromAFileWithALateError() async throws {
        // The error is in the last record; the scenario reader refuses the whole file.
        let json = try editedExample { editFill(&$0) { $0["price"] = "-1" } }
        #expect(throws: ScenarioError.self) { _ = try Scenario(json: json) }
    }
}
