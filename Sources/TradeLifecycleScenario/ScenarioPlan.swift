public import TradeLifecycle

/// Why `trade-lifecycle plan` failed, with the process exit code it maps to.
public struct PlanCommandError: Error, Sendable, CustomStringConvertible {
    /// The class of failure.
    public enum Kind: String, Sendable, Hashable, CaseIterable {
        /// The scenario file (or the command line) is not acceptable: exit code 2.
        case badInput
        /// The backfill failed while running (a store or planning error): exit code 1.
        case runtimeFailure
    }

    /// The class of failure.
    public let kind: Kind
    /// The message for standard error: the location, record and field, or the failing step.
    public let message: String

    /// Creates an error.
    ///
    /// - Parameters:
    ///   - kind: The class of failure.
    ///   - message: The message.
    public init(_ kind: Kind, message: String) {
        self.kind = kind
        self.message = message
    }

    /// The process exit code: 2 for bad input, 1 for a runtime failure.
    public var exitCode: Int32 { kind == .badInput ? 2 : 1 }

    public var description: String { message }
}

/// What a scenario's backfill run produced: the batch and its audit rows.
public struct ScenarioPlan: Sendable {
    /// The run's batch id (random: the one part of the output that differs between runs).
    public let batchID: BackfillBatchID
    /// The mode the run used.
    public let mode: BackfillMode
    /// The run's audit rows with their final decisions, in the order of SPEC section 9:
    /// profile, symbol, trade id, then a trade's evidence rows by filled_at and exchange order
    /// id, its dust or `NO_GO` row last.
    public let records: [BackfillAuditRecord]

    /// Creates a plan.
    ///
    /// - Parameters:
    ///   - batchID: The batch id.
    ///   - mode: The mode.
    ///   - records: The audit rows, in output order.
    public init(batchID: BackfillBatchID, mode: BackfillMode, records: [BackfillAuditRecord]) {
        self.batchID = batchID
        self.mode = mode
        self.records = records
    }

    /// Loads a scenario into a new ``InMemoryStore`` and runs the EXIT backfill of every profile
    /// of the file as one batch, at the scenario's `now`.
    ///
    /// The run applies (inserts EXIT orders) when `apply` is true or the scenario's `dryRun` is
    /// false; otherwise it is a dry run. A disabled configuration plans nothing.
    ///
    /// - Parameters:
    ///   - scenario: The scenario.
    ///   - apply: Whether to apply whatever the scenario's `dryRun` says.
    /// - Returns: The batch and its rows.
    /// - Throws: ``PlanCommandError``: ``PlanCommandError/Kind/badInput`` when the store refuses
    ///   a record (a second live ENTRY of a profile and symbol), ``PlanCommandError/Kind/runtimeFailure``
    ///   when the backfill fails.
    public static func run(_ scenario: Scenario, apply: Bool) async throws(PlanCommandError) -> ScenarioPlan {
        let store = InMemoryStore()
        try await load(scenario, into: store)
        var configuration = scenario.configuration
        if apply && configuration.isDryRun {
            do {
                configuration = try BackfillConfiguration(
                    isEnabled: configuration.isEnabled, isDryRun: false, requiresPause: configuration.requiresPause,
                    dust: configuration.dust, lookbackHours: configuration.lookbackHours,
                    mismatchThrottleMilliseconds: configuration.mismatchThrottleMilliseconds)
            } catch {
                throw PlanCommandError(.badInput, message: "config: \(error)")
            }
        }
        let engine = BackfillEngine(store: store, clock: ManualWallClock(scenario.now), configuration: configuration)
        do {
            let result = try await engine.run(profileIDs: scenario.profiles.map(\.profileID), exchange: scenario.exchange)
            return ScenarioPlan(batchID: result.batchID, mode: result.mode, records: result.records)
        } catch {
            throw PlanCommandError(.runtimeFailure, message: "backfill failed: \(error)")
        }
    }

    /// Writes a scenario's profiles and orders into a store.
    ///
    /// - Parameters:
    ///   - scenario: The scenario.
    ///   - store: The store, normally new and empty.
    /// - Throws: ``PlanCommandError``: ``PlanCommandError/Kind/badInput`` naming the order the
    ///   store refused, ``PlanCommandError/Kind/runtimeFailure`` for any other store failure.
    public static func load(_ scenario: Scenario, into store: InMemoryStore) async throws(PlanCommandError) {
        for profile in scenario.profiles {
            do {
                try await store.saveProfile(profile)
            } catch {
                throw PlanCommandError(.runtimeFailure, message: "saving profile \(profile.profileID): \(error)")
            }
        }
        for (index, order) in scenario.orders.enumerated() {
            let outcome: InsertOutcome
            do {
                outcome = try await store.insertOrder(order)
            } catch {
                let scenarioError = ScenarioError(.inconsistent, location: "orders[\(index)]", record: order.recordName,
                                                  detail: "the store refused the order: \(error)")
                throw PlanCommandError(error.code == .unavailable ? .runtimeFailure : .badInput, message: scenarioError.description)
            }
            guard outcome == .inserted else {
                throw PlanCommandError(.badInput, message: "orders[\(index)] (\(order.recordName)): the order id occurs twice")
            }
        }
    }

    /// The plan as the JSON `trade-lifecycle plan` prints, keys in the documented order:
    /// `{ "batchId", "rows": [ { "profileId", "symbol", "tradeId", "decision", "reason",
    /// "openQty", "filledQty", "price", "backfillOrderId", "exchangeOrderId",
    /// "exchangeClientOrderId", "filledAt" } ] }`. Decimals are strings in canonical form, times
    /// in the millisecond form (`2026-02-15T11:00:00.000Z`), absent values `null`; one row per
    /// line.
    public var json: String {
        // One byte buffer for the whole text: a plan of 10^5 rows is printed without a string per
        // field (the text is the same as joining ``JSONText/string(_:)`` pieces).
        var output = JSONBytes()
        output.bytes.reserveCapacity(64 + records.count * 420)
        output.append("{\n  \"batchId\": ")
        output.appendString(batchID.rawValue)
        output.append(",\n  \"rows\": [")
        for (index, record) in records.enumerated() {
            output.append(index == 0 ? "\n    " : ",\n    ")
            Self.appendRow(record, to: &output)
        }
        output.append(records.isEmpty ? "]\n}\n" : "\n  ]\n}\n")
        return String(decoding: output.bytes, as: UTF8.self)
    }

    private static func appendRow(_ record: BackfillAuditRecord, to output: inout JSONBytes) {
        output.append("{\"profileId\": ")
        output.appendString(record.profileID.rawValue)
        output.append(", \"symbol\": ")
        output.appendString(record.symbol)
        output.append(", \"tradeId\": ")
        output.appendString(record.tradeID.rawValue)
        output.append(", \"decision\": ")
        output.appendString(record.decision.rawValue)
        output.append(", \"reason\": ")
        output.appendString(record.reason.rawValue)
        output.append(", \"openQty\": ")
        output.appendString(record.openQuantity.description)
        output.append(", \"filledQty\": ")
        output.appendOptional(record.filledQuantity?.description)
        output.append(", \"price\": ")
        output.appendOptional(record.price?.description)
        output.append(", \"backfillOrderId\": ")
        output.appendOptional(record.backfillOrderID?.rawValue)
        output.append(", \"exchangeOrderId\": ")
        output.appendOptional(record.exchangeOrderID)
        output.append(", \"exchangeClientOrderId\": ")
        output.appendOptional(record.exchangeClientOrderID?.rawValue)
        output.append(", \"filledAt\": ")
        output.appendOptional(record.filledAt?.millisecondText)
        output.append("}")
    }
}

/// JSON text as UTF-8 bytes, written the way ``JSONText`` writes it.
struct JSONBytes {
    var bytes: [UInt8] = []

    /// Appends literal text as is.
    mutating func append(_ text: StaticString) {
        text.withUTF8Buffer { bytes.append(contentsOf: $0) }
    }

    /// Appends a JSON string literal: the bytes of ``JSONText/string(_:)``. The escaped
    /// characters are all ASCII, so escaping byte by byte is escaping scalar by scalar.
    mutating func appendString(_ text: String) {
        bytes.append(UInt8(ascii: "\""))
        var text = text
        text.withUTF8 { utf8 in
            var start = 0
            for index in utf8.indices {
                let byte = utf8[index]
                guard byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") else { continue }
                bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[start..<index]))
                start = index + 1
                switch byte {
                case UInt8(ascii: "\""): append("\\\"")
                case UInt8(ascii: "\\"): append("\\\\")
                case UInt8(ascii: "\n"): append("\\n")
                case UInt8(ascii: "\r"): append("\\r")
                case UInt8(ascii: "\t"): append("\\t")
                default:
                    let hex: [UInt8] = Array("0123456789abcdef".utf8)
                    append("\\u00")
                    bytes.append(hex[Int(byte >> 4)])
                    bytes.append(hex[Int(byte & 0xF)])
                }
            }
            bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[start...]))
        }
        bytes.append(UInt8(ascii: "\""))
    }

    /// Appends a string literal, or `null`.
    mutating func appendOptional(_ text: String?) {
        if let text { appendString(text) } else { append("null") }
    }
}

/// Writing JSON text by hand, so the key order is the documented one.
public enum JSONText {
    /// A JSON string literal: `"`, `\` and control characters escaped, everything else as is.
    ///
    /// - Parameter text: The text.
    /// - Returns: The literal, quotes included.
    public static func string(_ text: String) -> String {
        if !text.utf8.contains(where: { $0 < 0x20 || $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\\") }) {
            return "\"" + text + "\""
        }
        var output = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": output += "\\\""
            case "\\": output += "\\\\"
            case "\n": output += "\\n"
            case "\r": output += "\\r"
            case "\t": output += "\\t"
            case _ where scalar.value < 0x20:
                let hex = String(scalar.value, radix: 16)
                output += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: output.unicodeScalars.append(scalar)
            }
        }
        return output + "\""
    }

    /// A string literal, or `null`.
    static func optional(_ text: String?) -> String {
        text.map(string) ?? "null"
    }
}

extension ScenarioPlan {
    /// What `trade-lifecycle plan` prints for a scenario file's content: reads and checks the
    /// whole file, runs the backfill, and renders ``json``.
    ///
    /// - Parameters:
    ///   - scenarioJSON: The file's bytes.
    ///   - fileName: The file's name, for messages.
    ///   - apply: The `--apply` flag.
    /// - Returns: The JSON text.
    /// - Throws: ``PlanCommandError``: ``PlanCommandError/Kind/badInput`` with the
    ///   ``ScenarioError`` text for a bad file, ``PlanCommandError/Kind/runtimeFailure`` when the
    ///   backfill fails.
    public static func output(scenarioJSON: [UInt8], fileName: String, apply: Bool) async throws(PlanCommandError) -> String {
        let scenario: Scenario
        do {
            scenario = try Scenario(json: scenarioJSON)
        } catch {
            throw PlanCommandError(.badInput, message: "\(fileName): \(error)")
        }
        do {
            return try await run(scenario, apply: apply).json
        } catch where error.kind == .badInput {
            throw PlanCommandError(.badInput, message: "\(fileName): \(error.message)")
        }
    }
}
