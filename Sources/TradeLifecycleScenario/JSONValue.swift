/// A JSON value as read from a scenario file (RFC 8259), keeping what a generic decoder loses:
/// the text of numbers (decimals never pass through a binary floating-point type), the order of
/// object members, and the line of each member for messages.
enum JSONValue: Sendable, Equatable {
    case null
    case bool(Bool)
    /// A number, as written (`72`, `-1.5e3`).
    case number(String)
    case string(String)
    case array([JSONValue])
    /// Members in file order; the parser refuses duplicate names.
    case object([(name: String, value: JSONValue)])

    static func == (lhs: JSONValue, rhs: JSONValue) -> Bool {
        switch (lhs, rhs) {
        case (.null, .null): return true
        case let (.bool(left), .bool(right)): return left == right
        case let (.number(left), .number(right)): return left == right
        case let (.string(left), .string(right)): return left == right
        case let (.array(left), .array(right)): return left == right
        case let (.object(left), .object(right)):
            return left.count == right.count && zip(left, right).allSatisfy { $0.name == $1.name && $0.value == $1.value }
        default: return false
        }
    }

    /// The JSON type's name, for messages: `null`, `boolean`, `number`, `string`, `array`, `object`.
    var typeName: String {
        switch self {
        case .null: return "null"
        case .bool: return "boolean"
        case .number: return "number"
        case .string: return "string"
        case .array: return "array"
        case .object: return "object"
        }
    }
}

/// A strict RFC 8259 parser: UTF-8 input (an initial byte order mark is skipped), no comments,
/// no trailing commas, no duplicate member names, nesting at most ``maximumDepth`` deep, nothing
/// but white space after the value.
struct JSONParser {
    /// The deepest nesting of arrays and objects accepted.
    static let maximumDepth = 64

    /// Up to this many members, an object's names are compared one by one to find a duplicate;
    /// beyond it they are kept in a set (a record's few names cost less to compare than to hash).
    static let linearNameSearchLimit = 16

    private let bytes: [UInt8]
    private var offset = 0
    private var depth = 0

    /// Parses a whole document.
    ///
    /// - Throws: ``ScenarioError`` with code ``ScenarioError/Code/malformedJSON`` naming the line
    ///   and column.
    static func parse(_ bytes: [UInt8]) throws(ScenarioError) -> JSONValue {
        var parser = JSONParser(bytes: bytes)
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { parser.offset = 3 }
        parser.skipWhiteSpace()
        let value = try parser.parseValue()
        parser.skipWhiteSpace()
        guard parser.offset == bytes.count else { throw parser.error("unexpected text after the JSON value") }
        return value
    }

    private init(bytes: [UInt8]) {
        self.bytes = bytes
    }

    private func error(_ detail: String) -> ScenarioError {
        var line = 1
        var column = 1
        for byte in bytes[..<min(offset, bytes.count)] {
            if byte == UInt8(ascii: "\n") {
                line += 1
                column = 1
            } else if byte & 0xC0 != 0x80 {
                column += 1
            }
        }
        return ScenarioError(.malformedJSON, location: "line \(line), column \(column)", detail: detail)
    }

    private mutating func skipWhiteSpace() {
        while offset < bytes.count {
            switch bytes[offset] {
            case 0x20, 0x09, 0x0A, 0x0D: offset += 1
            default: return
            }
        }
    }

    private var current: UInt8? { offset < bytes.count ? bytes[offset] : nil }

    private mutating func parseValue() throws(ScenarioError) -> JSONValue {
        guard let byte = current else { throw error("unexpected end of the file") }
        switch byte {
        case UInt8(ascii: "{"): return try parseObject()
        case UInt8(ascii: "["): return try parseArray()
        case UInt8(ascii: "\""): return .string(try parseString())
        case UInt8(ascii: "t"): try expectWord("true"); return .bool(true)
        case UInt8(ascii: "f"): try expectWord("false"); return .bool(false)
        case UInt8(ascii: "n"): try expectWord("null"); return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return .number(try parseNumber())
        default: throw error("unexpected character '\(String(decoding: [byte], as: UTF8.self))'")
        }
    }

    private mutating func expectWord(_ word: StaticString) throws(ScenarioError) {
        let length = word.utf8CodeUnitCount
        let matches = word.withUTF8Buffer { expected in
            offset + length <= bytes.count && bytes[offset..<(offset + length)].elementsEqual(expected)
        }
        guard matches else { throw error("expected \(word)") }
        offset += length
    }

    private mutating func enter() throws(ScenarioError) {
        depth += 1
        guard depth <= Self.maximumDepth else { throw error("nesting deeper than \(Self.maximumDepth) levels") }
    }

    private mutating func parseObject() throws(ScenarioError) -> JSONValue {
        try enter()
        offset += 1
        var members: [(name: String, value: JSONValue)] = []
        var names: Set<String>?  // once the object has more than a record's few members
        skipWhiteSpace()
        if current == UInt8(ascii: "}") {
            offset += 1
            depth -= 1
            return .object(members)
        }
        while true {
            skipWhiteSpace()
            guard current == UInt8(ascii: "\"") else { throw error("expected a member name in double quotes") }
            let nameStart = offset
            let name = try parseString()
            let isDuplicate: Bool
            if members.count < Self.linearNameSearchLimit {
                isDuplicate = members.contains { $0.name == name }
            } else {
                if names == nil { names = Set(members.map(\.name)) }
                isDuplicate = names?.insert(name).inserted == false
            }
            guard !isDuplicate else {
                offset = nameStart
                throw error("duplicate member \"\(name)\"")
            }
            skipWhiteSpace()
            guard current == UInt8(ascii: ":") else { throw error("expected ':' after the member name") }
            offset += 1
            skipWhiteSpace()
            members.append((name, try parseValue()))
            skipWhiteSpace()
            switch current {
            case UInt8(ascii: ","): offset += 1
            case UInt8(ascii: "}"):
                offset += 1
                depth -= 1
                return .object(members)
            default: throw error("expected ',' or '}' in an object")
            }
        }
    }

    private mutating func parseArray() throws(ScenarioError) -> JSONValue {
        try enter()
        offset += 1
        var elements: [JSONValue] = []
        skipWhiteSpace()
        if current == UInt8(ascii: "]") {
            offset += 1
            depth -= 1
            return .array(elements)
        }
        while true {
            skipWhiteSpace()
            elements.append(try parseValue())
            skipWhiteSpace()
            switch current {
            case UInt8(ascii: ","): offset += 1
            case UInt8(ascii: "]"):
                offset += 1
                depth -= 1
                return .array(elements)
            default: throw error("expected ',' or ']' in an array")
            }
        }
    }

    private mutating func parseNumber() throws(ScenarioError) -> String {
        let start = offset
        if current == UInt8(ascii: "-") { offset += 1 }
        guard let first = current, isDigit(first) else { throw error("expected a digit") }
        if first == UInt8(ascii: "0") {
            offset += 1
            if let next = current, isDigit(next) { throw error("a number must not have a leading zero") }
        } else {
            skipDigits()
        }
        if current == UInt8(ascii: ".") {
            offset += 1
            guard let next = current, isDigit(next) else { throw error("expected a digit after '.'") }
            skipDigits()
        }
        if current == UInt8(ascii: "e") || current == UInt8(ascii: "E") {
            offset += 1
            if current == UInt8(ascii: "+") || current == UInt8(ascii: "-") { offset += 1 }
            guard let next = current, isDigit(next) else { throw error("expected a digit in the exponent") }
            skipDigits()
        }
        return String(decoding: bytes[start..<offset], as: UTF8.self)
    }

    private func isDigit(_ byte: UInt8) -> Bool { byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") }

    private mutating func skipDigits() {
        while let byte = current, isDigit(byte) { offset += 1 }
    }

    private mutating func parseString() throws(ScenarioError) -> String {
        offset += 1  // the opening quote
        var scalars = String.UnicodeScalarView()
        var runStart = offset
        var bytesOred: UInt8 = 0  // below 0x80 while every byte of the string is ASCII
        func flush(_ end: Int) throws(ScenarioError) {
            guard runStart < end else { return }
            guard let text = String(validating: bytes[runStart..<end], as: UTF8.self) else {
                throw error("a string is not valid UTF-8")
            }
            scalars.append(contentsOf: text.unicodeScalars)
        }
        while true {
            guard let byte = current else { throw error("a string is not terminated") }
            switch byte {
            case UInt8(ascii: "\""):
                if scalars.isEmpty {
                    // No escape: the string is the bytes between the quotes. ASCII bytes are
                    // valid UTF-8 and need no validation.
                    let text: String
                    if bytesOred < 0x80 {
                        text = String(decoding: bytes[runStart..<offset], as: UTF8.self)
                    } else {
                        guard let validated = String(validating: bytes[runStart..<offset], as: UTF8.self) else {
                            throw error("a string is not valid UTF-8")
                        }
                        text = validated
                    }
                    offset += 1
                    return text
                }
                try flush(offset)
                offset += 1
                return String(scalars)
            case UInt8(ascii: "\\"):
                try flush(offset)
                offset += 1
                scalars.append(try parseEscape())
                runStart = offset
            case 0x00..<0x20:
                throw error("a control character must be escaped in a string")
            default:
                bytesOred |= byte
                offset += 1
            }
        }
    }

    private mutating func parseEscape() throws(ScenarioError) -> Unicode.Scalar {
        guard let byte = current else { throw error("a string is not terminated") }
        offset += 1
        switch byte {
        case UInt8(ascii: "\""): return "\""
        case UInt8(ascii: "\\"): return "\\"
        case UInt8(ascii: "/"): return "/"
        case UInt8(ascii: "b"): return "\u{08}"
        case UInt8(ascii: "f"): return "\u{0C}"
        case UInt8(ascii: "n"): return "\n"
        case UInt8(ascii: "r"): return "\r"
        case UInt8(ascii: "t"): return "\t"
        case UInt8(ascii: "u"):
            let unit = try parseHexUnit()
            if (0xD800...0xDBFF).contains(unit) {
                guard current == UInt8(ascii: "\\"), offset + 1 < bytes.count, bytes[offset + 1] == UInt8(ascii: "u") else {
                    throw error("a high surrogate must be followed by a low surrogate")
                }
                offset += 2
                let low = try parseHexUnit()
                guard (0xDC00...0xDFFF).contains(low) else { throw error("a high surrogate must be followed by a low surrogate") }
                let value = 0x10000 + ((UInt32(unit) - 0xD800) << 10) + (UInt32(low) - 0xDC00)
                guard let scalar = Unicode.Scalar(value) else { throw error("invalid escaped character") }
                return scalar
            }
            guard let scalar = Unicode.Scalar(UInt32(unit)) else { throw error("a lone surrogate is not a character") }
            return scalar
        default:
            throw error("invalid escape '\\\(String(decoding: [byte], as: UTF8.self))'")
        }
    }

    private mutating func parseHexUnit() throws(ScenarioError) -> UInt16 {
        guard offset + 4 <= bytes.count else { throw error("expected four hex digits after \\u") }
        var value: UInt16 = 0
        for _ in 0..<4 {
            let byte = bytes[offset]
            let digit: UInt16
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = UInt16(byte - UInt8(ascii: "0"))
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = UInt16(byte - UInt8(ascii: "a") + 10)
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = UInt16(byte - UInt8(ascii: "A") + 10)
            default: throw error("expected four hex digits after \\u")
            }
            value = value << 4 | digit
            offset += 1
        }
        return value
    }
}
