/// A lexical token of PostgreSQL SQL, outside comments.
struct SQLToken: Sendable, Hashable {
    enum Kind: Sendable, Hashable {
        /// A keyword or unquoted identifier; `text` is upper-cased (ASCII).
        case word
        /// A `"quoted"` identifier; `text` is the identifier, `""` unescaped.
        case quotedIdentifier
        /// A string constant (`'…'`, `E'…'`, `$tag$…$tag$`); `text` is empty.
        case string
        /// A numeric constant or positional parameter.
        case number
        /// Any other character: `(`, `)`, `,`, `.`, operators.
        case punctuation
    }

    var kind: Kind
    var text: String
    /// The parenthesis depth the token is at; `(` and its `)` are at the outer depth.
    var depth: Int

    func isWord(_ word: String) -> Bool {
        kind == .word && text == word
    }
}

/// One statement of a script, without its terminating `;`.
struct SQLStatement: Sendable, Hashable {
    /// The statement's text as written, comments before and inside it included, trimmed of
    /// surrounding white space.
    var text: String
    /// Its tokens, comments excluded.
    var tokens: [SQLToken]
    /// The 1-based line of the script on which its first token stands.
    var line: Int
}

/// A string constant, quoted identifier or comment that does not end.
struct SQLScriptError: Error, Sendable, Hashable, CustomStringConvertible {
    var what: String
    var line: Int

    var description: String { "\(what) starting on line \(line) is not terminated" }
}

/// Splits SQL scripts into statements the way PostgreSQL reads them: `;` ends a statement
/// except inside string constants (standard, `E'…'` escape and dollar-quoted), quoted
/// identifiers, and `--` or (nested) `/* */` comments.
///
/// postgres-nio sends each query with the extended protocol, which accepts one statement at
/// a time; migrations are run statement by statement inside one transaction.
enum SQLScript {
    static func statements(in sql: String) throws(SQLScriptError) -> [SQLStatement] {
        let bytes = Array(sql.utf8)
        let count = bytes.count
        var statements: [SQLStatement] = []
        var tokens: [SQLToken] = []
        var depth = 0
        var chunkStart = 0
        var firstTokenLine = 0
        var line = 1
        var index = 0

        func text(_ range: Range<Int>) -> String {
            String(decoding: bytes[range], as: UTF8.self)
        }

        func appendToken(_ kind: SQLToken.Kind, _ tokenText: String, depth tokenDepth: Int) {
            if tokens.isEmpty {
                firstTokenLine = line
            }
            tokens.append(SQLToken(kind: kind, text: tokenText, depth: tokenDepth))
        }

        func finishStatement(endingAt end: Int) {
            if !tokens.isEmpty {
                statements.append(SQLStatement(text: trimmed(text(chunkStart..<end)), tokens: tokens, line: firstTokenLine))
            }
            tokens = []
            depth = 0
        }

        while index < count {
            let byte = bytes[index]
            let next: UInt8? = index + 1 < count ? bytes[index + 1] : nil
            switch byte {
            case UInt8(ascii: "\n"):
                line += 1
                index += 1
            case UInt8(ascii: " "), UInt8(ascii: "\t"), UInt8(ascii: "\r"), 0x0B, 0x0C:
                index += 1
            case UInt8(ascii: "-") where next == UInt8(ascii: "-"):
                while index < count && bytes[index] != UInt8(ascii: "\n") {
                    index += 1
                }
            case UInt8(ascii: "/") where next == UInt8(ascii: "*"):
                let startLine = line
                var nesting = 0
                repeat {
                    guard index < count else {
                        throw SQLScriptError(what: "a /* comment", line: startLine)
                    }
                    if bytes[index] == UInt8(ascii: "/") && index + 1 < count && bytes[index + 1] == UInt8(ascii: "*") {
                        nesting += 1
                        index += 2
                    } else if bytes[index] == UInt8(ascii: "*") && index + 1 < count && bytes[index + 1] == UInt8(ascii: "/") {
                        nesting -= 1
                        index += 2
                    } else {
                        if bytes[index] == UInt8(ascii: "\n") {
                            line += 1
                        }
                        index += 1
                    }
                } while nesting > 0
            case UInt8(ascii: "'"):
                appendToken(.string, "", depth: depth)
                index = try skipQuoted(bytes, from: index, quote: UInt8(ascii: "'"), backslashEscapes: false, line: &line, what: "a string constant")
            case UInt8(ascii: "\""):
                let start = index
                index = try skipQuoted(bytes, from: index, quote: UInt8(ascii: "\""), backslashEscapes: false, line: &line, what: "a quoted identifier")
                let inner = text(start + 1..<index - 1)
                appendToken(.quotedIdentifier, inner.replacing("\"\"", with: "\""), depth: depth)
            case UInt8(ascii: "$"):
                if let tagEnd = dollarTagEnd(bytes, from: index) {
                    // $tag$ … $tag$
                    let tag = Array(bytes[index...tagEnd])
                    let startLine = line
                    appendToken(.string, "", depth: depth)
                    var search = tagEnd + 1
                    var closed = false
                    while search + tag.count <= count {
                        if bytes[search] == UInt8(ascii: "$") && Array(bytes[search..<search + tag.count]) == tag {
                            closed = true
                            break
                        }
                        if bytes[search] == UInt8(ascii: "\n") {
                            line += 1
                        }
                        search += 1
                    }
                    guard closed else {
                        throw SQLScriptError(what: "a dollar-quoted string", line: startLine)
                    }
                    index = search + tag.count
                } else {
                    // A positional parameter ($1) or a lone '$'.
                    let start = index
                    index += 1
                    while index < count && isDigit(bytes[index]) {
                        index += 1
                    }
                    appendToken(index - start > 1 ? .number : .punctuation, text(start..<index), depth: depth)
                }
            case UInt8(ascii: "("):
                appendToken(.punctuation, "(", depth: depth)
                depth += 1
                index += 1
            case UInt8(ascii: ")"):
                depth = max(0, depth - 1)
                appendToken(.punctuation, ")", depth: depth)
                index += 1
            case UInt8(ascii: ";"):
                finishStatement(endingAt: index)
                index += 1
                chunkStart = index
            default:
                if (byte == UInt8(ascii: "E") || byte == UInt8(ascii: "e")) && next == UInt8(ascii: "'") {
                    appendToken(.string, "", depth: depth)
                    index = try skipQuoted(bytes, from: index + 1, quote: UInt8(ascii: "'"), backslashEscapes: true, line: &line, what: "an E'' string constant")
                } else if isWordStart(byte) {
                    let start = index
                    while index < count && isWordContinuation(bytes[index]) {
                        index += 1
                    }
                    appendToken(.word, asciiUppercased(text(start..<index)), depth: depth)
                } else if isDigit(byte) {
                    let start = index
                    while index < count && (isWordContinuation(bytes[index]) || bytes[index] == UInt8(ascii: ".")) {
                        index += 1
                    }
                    appendToken(.number, text(start..<index), depth: depth)
                } else {
                    appendToken(.punctuation, text(index..<index + 1), depth: depth)
                    index += 1
                }
            }
        }
        finishStatement(endingAt: count)
        return statements
    }

    /// Returns the index just past the closing quote.
    private static func skipQuoted(
        _ bytes: [UInt8],
        from start: Int,
        quote: UInt8,
        backslashEscapes: Bool,
        line: inout Int,
        what: String
    ) throws(SQLScriptError) -> Int {
        let startLine = line
        var index = start + 1
        while index < bytes.count {
            let byte = bytes[index]
            if byte == UInt8(ascii: "\n") {
                line += 1
            }
            if backslashEscapes && byte == UInt8(ascii: "\\") {
                if index + 1 < bytes.count && bytes[index + 1] == UInt8(ascii: "\n") {
                    line += 1
                }
                index += 2
                continue
            }
            if byte == quote {
                if index + 1 < bytes.count && bytes[index + 1] == quote {
                    index += 2
                    continue
                }
                return index + 1
            }
            index += 1
        }
        throw SQLScriptError(what: what, line: startLine)
    }

    /// If a dollar-quote tag (`$$` or `$tag$`) starts at `start`, the index of its closing `$`.
    private static func dollarTagEnd(_ bytes: [UInt8], from start: Int) -> Int? {
        var index = start + 1
        guard index < bytes.count else { return nil }
        if bytes[index] == UInt8(ascii: "$") {
            return index
        }
        guard isWordStart(bytes[index]) else { return nil }
        while index < bytes.count && (isWordStart(bytes[index]) || isDigit(bytes[index])) {
            index += 1
        }
        guard index < bytes.count, bytes[index] == UInt8(ascii: "$") else { return nil }
        return index
    }

    private static func isDigit(_ byte: UInt8) -> Bool {
        byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")
    }

    private static func isWordStart(_ byte: UInt8) -> Bool {
        (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z"))
            || (byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z"))
            || byte == UInt8(ascii: "_") || byte >= 0x80
    }

    private static func isWordContinuation(_ byte: UInt8) -> Bool {
        isWordStart(byte) || isDigit(byte) || byte == UInt8(ascii: "$")
    }

    private static func asciiUppercased(_ text: String) -> String {
        String(decoding: text.utf8.map { byte in
            byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z") ? byte - 32 : byte
        }, as: UTF8.self)
    }

    private static func trimmed(_ text: String) -> String {
        let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\n" || $0 == "\t" || $0 == "\r" || $0 == "\r\n" }
        var slice = Substring(text)
        while let first = slice.first, isSpace(first) {
            slice.removeFirst()
        }
        while let last = slice.last, isSpace(last) {
            slice.removeLast()
        }
        return String(slice)
    }
}
