/// The identifier of a trading profile (a tenant): every order, trade, lock and ledger balance
/// belongs to exactly one profile.
public struct ProfileID: TextIdentifier {
    /// The identifier as given.
    public let rawValue: String

    /// Creates a profile identifier.
    ///
    /// - Parameter rawValue: The identifier; kept exactly as given.
    /// - Throws: ``InputError`` with code ``InputError/Code/blank`` when `rawValue` is empty or
    ///   white space only.
    public init(_ rawValue: String) throws(InputError) {
        guard !Self.isBlank(rawValue) else {
            throw InputError(.blank, field: "profile_id", value: rawValue, detail: "a profile id must not be blank")
        }
        self.rawValue = rawValue
    }

    /// Whether `text` is empty or consists of white space only (every character
    /// `Character.isWhitespace`).
    static func isBlank(_ text: String) -> Bool {
        // Most identifiers start with an ASCII letter or digit: such a first character is not
        // white space whatever follows it, so the answer needs no Unicode property lookup.
        if let first = text.utf8.first, first < 0x80, first != 0x20, !(0x09...0x0D).contains(first) {
            return false
        }
        return text.allSatisfy(\.isWhitespace)
    }
}

/// A non-blank text identifier (profile, trade, order or client order id), kept exactly as
/// given, ordered by its UTF-8 bytes (as PostgreSQL's `C` collation orders it) and encoded as a
/// JSON string.
public protocol TextIdentifier: Sendable, Hashable, Comparable, Codable, CustomStringConvertible {
    /// The identifier as given.
    var rawValue: String { get }

    /// Creates an identifier from non-blank text.
    ///
    /// - Throws: ``InputError`` with code ``InputError/Code/blank`` for empty or white-space-only text.
    init(_ rawValue: String) throws(InputError)
}

extension TextIdentifier {
    public var description: String { rawValue }

    public static func < (lhs: Self, rhs: Self) -> Bool {
        lhs.rawValue.utf8.lexicographicallyPrecedes(rhs.rawValue.utf8)
    }

    /// Decodes a JSON string, rejecting a blank one.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let text = try container.decode(String.self)
        do {
            self = try Self(text)
        } catch {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: error.description)
        }
    }

    /// Encodes the identifier as a JSON string.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rawValue)
    }
}
