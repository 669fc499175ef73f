import TradeLifecycle

/// Why a scenario file was refused. Nothing is planned from a file that has one.
///
/// ``description`` names where the problem is and the record it belongs to:
/// `orders[3] (order o7): field status: unknown order status; expected one of ... (value 'done')`.
/// Compare by ``code``.
public struct ScenarioError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What is wrong.
    public enum Code: String, Sendable, Hashable, CaseIterable {
        /// The file could not be read.
        case unreadable
        /// The file is not well-formed JSON (the location is a line and column).
        case malformedJSON
        /// A required field is absent or `null`.
        case missingField
        /// A field has the wrong JSON type (a number where a decimal string is required, a
        /// string where a boolean is required).
        case wrongType
        /// A field the format does not have (a misspelt name is never ignored).
        case unknownField
        /// A value is not acceptable: blank, malformed decimal or time, unknown status, side or
        /// action, out of range.
        case invalidValue
        /// A record names a profile that is not in `profiles`.
        case unknownProfile
        /// A profile id or order id occurs twice.
        case duplicate
        /// The records contradict each other (for example a second live ENTRY order of a
        /// profile and symbol).
        case inconsistent
    }

    /// What is wrong.
    public let code: Code
    /// Where: a path such as `orders[3]` or `config`, a line and column for malformed JSON, or
    /// the file name.
    public let location: String
    /// The record, such as `order o7`, when known.
    public let record: String?
    /// The field, such as `status`, when the problem is one field.
    public let field: String?
    /// The rule that was broken, with the offending value.
    public let detail: String

    /// Creates an error.
    ///
    /// - Parameters:
    ///   - code: What is wrong.
    ///   - location: Where.
    ///   - record: The record, when known.
    ///   - field: The field, when the problem is one field.
    ///   - detail: The rule and the offending value.
    public init(_ code: Code, location: String, record: String? = nil, field: String? = nil, detail: String) {
        self.code = code
        self.location = location
        self.record = record
        self.field = field
        self.detail = detail
    }

    /// An error for a value refused by the core's validation.
    ///
    /// - Parameters:
    ///   - error: The core's error.
    ///   - location: Where.
    ///   - record: The record, when known.
    ///   - field: The field in the scenario's naming (the core may name the column).
    init(_ error: InputError, location: String, record: String?, field: String) {
        let shown = error.value.count > 64 ? String(error.value.prefix(61)) + "..." : error.value
        self.init(.invalidValue, location: location, record: record, field: field, detail: "\(error.detail) (value '\(shown)')")
    }

    public var description: String {
        var text = location.isEmpty ? "scenario" : location
        if let record { text += " (\(record))" }
        text += ": "
        if let field { text += "field \(field): " }
        return text + detail
    }
}
