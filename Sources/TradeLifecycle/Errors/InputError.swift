/// An error for a value that came from outside the program and is not acceptable: a blank
/// identifier, an unknown status, a malformed decimal or time, a violated rule on a record.
///
/// The ``description`` names the record (when known), the field and the offending value, so an
/// operator can find the bad row: `order o7: field status: unknown value 'done'`.
/// Compare errors by ``code``.
public struct InputError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What is wrong with the value.
    public enum Code: String, Sendable, Hashable, CaseIterable {
        /// The value is empty or only white space where a value is required.
        case blank
        /// The value is missing where one is required.
        case missing
        /// The value does not have the required form (a decimal, a time, an identifier format).
        case malformed
        /// The value is not one of the accepted words.
        case unknownValue
        /// The value has the right form but breaks a rule (a quantity of zero, a filled quantity
        /// above the quantity, a negative threshold).
        case outOfRange
        /// The record contradicts another record or itself (a duplicate id, a mismatch).
        case inconsistent
    }

    /// What is wrong.
    public let code: Code
    /// The field, column or setting the value came from (`status`, `quantity`,
    /// `RECON_EXIT_BACKFILL_DUST_ABS_QTY`).
    public let field: String
    /// The offending value as it was given (shortened in ``description`` when very long).
    public let value: String
    /// The record the value belongs to (`order o7`, `fill x9`), when known.
    public let record: String?
    /// A short explanation of the rule the value breaks.
    public let detail: String

    /// Creates an error.
    ///
    /// - Parameters:
    ///   - code: What is wrong.
    ///   - field: The field, column or setting the value came from.
    ///   - value: The offending value as given.
    ///   - record: The record the value belongs to, when known.
    ///   - detail: A short explanation of the rule the value breaks.
    public init(_ code: Code, field: String, value: String, record: String? = nil, detail: String) {
        self.code = code
        self.field = field
        self.value = value
        self.record = record
        self.detail = detail
    }

    /// The same error, attributed to `record` (kept when the error already names one).
    ///
    /// - Parameter record: The record the value belongs to, such as `order o7`.
    public func inRecord(_ record: String) -> InputError {
        InputError(code, field: field, value: value, record: self.record ?? record, detail: detail)
    }

    /// The same error with the field prefixed by `parent`, as in `config.dustAbsQty`.
    ///
    /// - Parameter parent: The enclosing field or path.
    public func inField(_ parent: String) -> InputError {
        InputError(code, field: parent + "." + field, value: value, record: record, detail: detail)
    }

    public var description: String {
        let shown = value.count > 64 ? String(value.prefix(61)) + "..." : value
        let prefix = record.map { "\($0): " } ?? ""
        return "\(prefix)field \(field): \(detail) (value '\(shown)')"
    }
}

extension InputError {
    /// Wraps a decimal parse failure of `field`.
    static func decimal(_ error: DecimalError, field: String, record: String? = nil) -> InputError {
        InputError(error.code == .overflow ? .outOfRange : .malformed,
                   field: field, value: error.input, record: record, detail: error.description)
    }

    /// Wraps a timestamp parse failure of `field`.
    static func timestamp(_ error: TimestampError, field: String, value: String, record: String? = nil) -> InputError {
        InputError(.malformed, field: field, value: value, record: record, detail: error.description)
    }
}

extension ExactDecimal {
    /// Parses a decimal field of a record, reporting failures as ``InputError`` naming the field.
    ///
    /// - Parameters:
    ///   - text: The text to parse (PostgreSQL `numeric` form).
    ///   - field: The field the text came from.
    ///   - record: The record the field belongs to, when known.
    /// - Throws: ``InputError`` with code ``InputError/Code/malformed`` or
    ///   ``InputError/Code/outOfRange``.
    public init(_ text: String, field: String, record: String? = nil) throws(InputError) {
        do {
            self = try ExactDecimal(text)
        } catch {
            throw InputError.decimal(error, field: field, record: record)
        }
    }
}

extension Timestamp {
    /// Parses a time field of a record, reporting failures as ``InputError`` naming the field.
    ///
    /// - Parameters:
    ///   - text: ISO-8601 text.
    ///   - field: The field the text came from.
    ///   - record: The record the field belongs to, when known.
    /// - Throws: ``InputError`` with code ``InputError/Code/malformed``.
    public init(_ text: String, field: String, record: String? = nil) throws(InputError) {
        do {
            self = try Timestamp(text)
        } catch {
            throw InputError.timestamp(error, field: field, value: text, record: record)
        }
    }
}
