import TradeLifecycle

/// Reads the fields of one JSON object of a scenario, naming the location, the record and the
/// field in every error.
struct ScenarioFields {
    /// Where the object is: `orders[3]`, `config`.
    let location: String
    /// The record, once known: `order o7`.
    var record: String?
    private let members: [(name: String, value: JSONValue)]

    /// Reads `value` as an object.
    ///
    /// - Throws: ``ScenarioError/Code/wrongType`` when it is not an object.
    init(_ value: JSONValue, location: String) throws(ScenarioError) {
        guard case .object(let members) = value else {
            throw ScenarioError(.wrongType, location: location, detail: "expected an object, found \(value.typeName)")
        }
        self.location = location
        self.members = members
    }

    func error(_ code: ScenarioError.Code, field: String, _ detail: String) -> ScenarioError {
        ScenarioError(code, location: location, record: record, field: field, detail: detail)
    }

    /// Refuses the first member, in file order, whose name is not in `allowed`.
    func rejectUnknownFields(allowed: [String]) throws(ScenarioError) {
        if let unknown = members.first(where: { !allowed.contains($0.name) }) {
            throw error(.unknownField, field: unknown.name,
                        "not a field of this record; expected \(allowed.sorted().joined(separator: ", "))")
        }
    }

    /// The member's value; `nil` when absent or `null`.
    private func value(_ name: String) -> JSONValue? {
        guard let member = members.first(where: { $0.name == name }), member.value != .null else { return nil }
        return member.value
    }

    private func present(_ name: String) throws(ScenarioError) -> JSONValue {
        guard let value = value(name) else { throw error(.missingField, field: name, "a value is required") }
        return value
    }

    private func text(_ value: JSONValue, _ name: String, expected: String) throws(ScenarioError) -> String {
        guard case .string(let text) = value else {
            throw error(.wrongType, field: name, "expected \(expected), found \(value.typeName)")
        }
        return text
    }

    /// A required string field, converted by `transform` (whose errors name the field).
    func required<Value>(_ name: String, as expected: String = "a string",
                         _ transform: (String) throws(InputError) -> Value) throws(ScenarioError) -> Value {
        let text = try text(try present(name), name, expected: expected)
        do {
            return try transform(text)
        } catch {
            throw ScenarioError(error, location: location, record: record, field: name)
        }
    }

    /// An optional string field (absent or `null` is `nil`), converted by `transform`.
    func optional<Value>(_ name: String, as expected: String = "a string or null",
                         _ transform: (String) throws(InputError) -> Value) throws(ScenarioError) -> Value? {
        guard let value = value(name) else { return nil }
        let text = try text(value, name, expected: expected)
        do {
            return try transform(text)
        } catch {
            throw ScenarioError(error, location: location, record: record, field: name)
        }
    }

    /// A required decimal, written as a string (`"1.5"`).
    func decimal(_ name: String) throws(ScenarioError) -> ExactDecimal {
        try required(name, as: "a decimal in a string") { text throws(InputError) in try ExactDecimal(text, field: name) }
    }

    /// An optional decimal, written as a string or `null`.
    func optionalDecimal(_ name: String) throws(ScenarioError) -> ExactDecimal? {
        try optional(name, as: "a decimal in a string, or null") { text throws(InputError) in try ExactDecimal(text, field: name) }
    }

    /// A required ISO-8601 time, written as a string.
    func timestamp(_ name: String) throws(ScenarioError) -> Timestamp {
        try required(name, as: "an ISO-8601 time in a string") { text throws(InputError) in try Timestamp(text, field: name) }
    }

    /// An optional ISO-8601 time, written as a string or `null`.
    func optionalTimestamp(_ name: String) throws(ScenarioError) -> Timestamp? {
        try optional(name, as: "an ISO-8601 time in a string, or null") { text throws(InputError) in try Timestamp(text, field: name) }
    }

    /// A required boolean (`true` or `false`).
    func bool(_ name: String) throws(ScenarioError) -> Bool {
        let value = try present(name)
        guard case .bool(let flag) = value else {
            throw error(.wrongType, field: name, "expected true or false, found \(value.typeName)")
        }
        return flag
    }

    /// A required whole number written as a JSON number of digits only.
    func wholeNumber(_ name: String) throws(ScenarioError) -> Int {
        let value = try present(name)
        guard case .number(let text) = value else {
            throw error(.wrongType, field: name, "expected a whole number, found \(value.typeName)")
        }
        guard text.utf8.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }), let number = Int(text) else {
            throw error(.invalidValue, field: name, "expected a whole number of digits only (value '\(text)')")
        }
        return number
    }

    /// A required array.
    func array(_ name: String) throws(ScenarioError) -> [JSONValue] {
        let value = try present(name)
        guard case .array(let elements) = value else {
            throw error(.wrongType, field: name, "expected an array, found \(value.typeName)")
        }
        return elements
    }

    /// A required object.
    func object(_ name: String) throws(ScenarioError) -> ScenarioFields {
        let value = try present(name)
        return try ScenarioFields(value, location: location.isEmpty ? name : "\(location).\(name)")
    }
}
