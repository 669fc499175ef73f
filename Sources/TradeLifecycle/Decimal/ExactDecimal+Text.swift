// Text form of ExactDecimal: the PostgreSQL `numeric` output format in, the canonical form out.

extension ExactDecimal: CustomStringConvertible {
    /// Parses the text form PostgreSQL prints for `numeric`: an optional `-`, one or more digits,
    /// and optionally `.` followed by one or more digits (`-12.3400`, `0.001`, `42`).
    ///
    /// Rejected, each with a typed error: the empty string, white space anywhere, a `+` sign,
    /// exponents (`1e5`), `NaN` and infinities, a second point or sign, non-ASCII digits,
    /// more than 18 fractional digits (after dropping trailing zeros), and magnitudes beyond
    /// ``max``. Nothing is rounded silently.
    ///
    /// - Parameter text: The text to parse.
    /// - Throws: ``DecimalError`` with code ``DecimalError/Code/empty``,
    ///   ``DecimalError/Code/invalidCharacter``, ``DecimalError/Code/notANumber``,
    ///   ``DecimalError/Code/tooManyFractionalDigits`` or ``DecimalError/Code/overflow``.
    public init(_ text: String) throws(DecimalError) {
        var value = ExactDecimal.zero
        var failure: DecimalError.Code?
        if let fast = text.utf8.withContiguousStorageIfAvailable({ Self.parse($0, into: &value) }) {
            failure = fast
        } else {
            var copy = text
            copy.makeContiguousUTF8()
            failure = copy.utf8.withContiguousStorageIfAvailable({ Self.parse($0, into: &value) }) ?? .invalidCharacter
        }
        if let failure { throw DecimalError(failure, input: text) }
        self = value
    }

    @usableFromInline
    static func parse(_ bytes: UnsafeBufferPointer<UInt8>, into value: inout ExactDecimal) -> DecimalError.Code? {
        let count = bytes.count
        if count == 0 { return .empty }
        var index = 0
        var negative = false
        if bytes[0] == UInt8(ascii: "-") {
            negative = true
            index = 1
        }
        // Whole part.
        var whole: UInt128 = 0
        var wholeDigits = 0
        var wholeOverflow = false
        while index < count {
            let byte = bytes[index]
            guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else { break }
            if !wholeOverflow {
                let (times10, o1) = whole.multipliedReportingOverflow(by: 10)
                let (next, o2) = times10.addingReportingOverflow(UInt128(byte &- UInt8(ascii: "0")))
                if o1 || o2 { wholeOverflow = true } else { whole = next }
            }
            wholeDigits += 1
            index += 1
        }
        if wholeDigits == 0 {
            return Self.classifyNonNumeric(bytes, from: index)
        }
        // Fraction.
        var fraction: UInt128 = 0
        var fractionDigits = 0
        var significantFractionDigits = 0
        var tooManyFractionalDigits = false
        if index < count {
            guard bytes[index] == UInt8(ascii: ".") else {
                return Self.classifyNonNumeric(bytes, from: index)
            }
            index += 1
            var pendingZeros = 0
            while index < count {
                let byte = bytes[index]
                guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else {
                    // Whatever else is wrong with the text is named before a long fraction.
                    return Self.classifyNonNumeric(bytes, from: index)
                }
                fractionDigits += 1
                if byte == UInt8(ascii: "0") {
                    pendingZeros += 1
                } else if !tooManyFractionalDigits {
                    // Flush the zeros seen since the last significant digit, then this digit.
                    significantFractionDigits += pendingZeros + 1
                    if significantFractionDigits > scale {
                        // Keep scanning: the rest of the text may be malformed.
                        tooManyFractionalDigits = true
                    } else {
                        for _ in 0..<pendingZeros { fraction &*= 10 }
                        fraction = fraction &* 10 &+ UInt128(byte &- UInt8(ascii: "0"))
                    }
                    pendingZeros = 0
                }
                index += 1
            }
            if fractionDigits == 0 { return .invalidCharacter }
        }
        if tooManyFractionalDigits { return .tooManyFractionalDigits }
        if wholeOverflow { return .overflow }
        // Scale the fraction to 18 digits.
        fraction &*= powerOfTen(scale - significantFractionDigits)
        let (wholeUnits, o1) = whole.multipliedReportingOverflow(by: UInt128(unitsPerOne))
        let (total, o2) = wholeUnits.addingReportingOverflow(fraction)
        guard !o1, !o2, let result = signed(total, negative: negative) else { return .overflow }
        value = result
        return nil
    }

    /// Names what is wrong with text that is not a plain decimal number.
    static func classifyNonNumeric(_ bytes: UnsafeBufferPointer<UInt8>, from index: Int) -> DecimalError.Code {
        var letters: [UInt8] = []
        for byte in bytes where byte != UInt8(ascii: "-") && byte != UInt8(ascii: "+") {
            letters.append(byte | 0x20)
        }
        let word = String(decoding: letters, as: UTF8.self)
        if word == "nan" { return .notANumber }
        if word == "inf" || word == "infinity" { return .infinite }
        for position in bytes.indices where bytes[position] | 0x20 == UInt8(ascii: "e") && position > 0 {
            let before = bytes[position - 1]
            if before >= UInt8(ascii: "0"), before <= UInt8(ascii: "9") { return .exponent }
        }
        if bytes.allSatisfy({ $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "\t") || $0 == UInt8(ascii: "\n") || $0 == UInt8(ascii: "\r") }) {
            return .empty
        }
        return .invalidCharacter
    }

    /// The canonical text form: no exponent, no trailing fractional zeros, `0` for zero and a
    /// leading `-` for negative values (`-12.34`, `0.001`, `42`).
    public var description: String {
        // 39 digits of magnitude, a sign and a point fit in 41 bytes.
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 48) { buffer in
            let length = formatCanonical(into: buffer)
            return String(decoding: UnsafeBufferPointer(rebasing: buffer[..<length]), as: UTF8.self)
        }
    }

    /// Writes the canonical text form into `buffer` (at least 41 bytes) and returns its length.
    @usableFromInline
    func formatCanonical(into buffer: UnsafeMutableBufferPointer<UInt8>) -> Int {
        var magnitude = units.magnitude
        if magnitude == 0 {
            buffer[0] = UInt8(ascii: "0")
            return 1
        }
        let one = UInt128(Self.unitsPerOne)
        var whole = magnitude / one
        var fraction = magnitude % one
        magnitude = 0
        // Fractional digits without trailing zeros.
        var fractionDigits = fraction == 0 ? 0 : Self.scale
        while fractionDigits > 0, fraction % 10 == 0 {
            fraction /= 10
            fractionDigits -= 1
        }
        // Write from the end backwards into a scratch area, then move to the front.
        let end = buffer.count
        var position = end
        for _ in 0..<fractionDigits {
            position -= 1
            buffer[position] = UInt8(ascii: "0") &+ UInt8(truncatingIfNeeded: fraction % 10)
            fraction /= 10
        }
        if fractionDigits > 0 {
            position -= 1
            buffer[position] = UInt8(ascii: ".")
        }
        repeat {
            position -= 1
            buffer[position] = UInt8(ascii: "0") &+ UInt8(truncatingIfNeeded: whole % 10)
            whole /= 10
        } while whole > 0
        if units < 0 {
            position -= 1
            buffer[position] = UInt8(ascii: "-")
        }
        let length = end - position
        for offset in 0..<length {
            buffer[offset] = buffer[position + offset]
        }
        return length
    }
}

extension ExactDecimal: Codable {
    /// Decodes a JSON string in the text form of ``init(_:)-(String)``.
    ///
    /// Numbers are refused: a JSON number may already have passed through binary floating point.
    /// - Throws: `DecodingError.dataCorrupted` naming the coding path and the bad text.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let text = try container.decode(String.self)
        do {
            self = try ExactDecimal(text)
        } catch {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: error.description)
        }
    }

    /// Encodes the canonical text form as a JSON string.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}
