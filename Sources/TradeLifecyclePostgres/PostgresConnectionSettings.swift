import PostgresNIO

/// Where and as whom to connect to PostgreSQL.
///
/// Build it from parts or from a URL such as the one `scripts/test` exports in
/// `TRADE_LIFECYCLE_POSTGRES_URL`:
///
/// ```swift
/// let settings = try PostgresConnectionSettings(url: "postgres://app:secret@127.0.0.1:5432/trading")
/// ```
///
/// ``description`` never shows the password.
public struct PostgresConnectionSettings: Sendable, Hashable, CustomStringConvertible {
    /// The server's host name or IP address (without brackets for IPv6).
    public var host: String
    /// The server's TCP port, `1...65535`.
    public var port: Int
    /// The role to connect as.
    public var username: String
    /// The role's password, or `nil` to send none.
    public var password: String?
    /// The database to connect to.
    public var database: String
    /// How long establishing a connection may take before it fails with
    /// ``PostgresStoreError/Code-swift.enum/connectionFailed``.
    public var connectTimeout: Duration
    /// How the connection is encrypted (libpq's `sslmode`); ``PostgresTLSMode/prefer`` by
    /// default, as in libpq.
    public var tlsMode: PostgresTLSMode
    /// A PEM file of the certificate authorities to trust (libpq's `sslrootcert`), or `nil`
    /// for the system's; checked by ``PostgresTLSMode/verifyCA`` and ``PostgresTLSMode/verifyFull``.
    public var rootCertificatePath: String?

    /// Creates settings from their parts.
    /// - Parameters:
    ///   - host: The server's host name or IP address.
    ///   - port: The server's TCP port (default 5432).
    ///   - username: The role to connect as.
    ///   - password: The role's password, or `nil`.
    ///   - database: The database to connect to.
    ///   - connectTimeout: The limit for establishing a connection (default 10 seconds).
    ///   - tlsMode: How the connection is encrypted (default ``PostgresTLSMode/prefer``).
    ///   - rootCertificatePath: A PEM file of trusted certificate authorities, or `nil` for
    ///     the system's.
    public init(
        host: String,
        port: Int = 5432,
        username: String,
        password: String?,
        database: String,
        connectTimeout: Duration = .seconds(10),
        tlsMode: PostgresTLSMode = .prefer,
        rootCertificatePath: String? = nil
    ) {
        self.host = host
        self.port = port
        self.username = username
        self.password = password
        self.database = database
        self.connectTimeout = connectTimeout
        self.tlsMode = tlsMode
        self.rootCertificatePath = rootCertificatePath
    }

    /// Parses a URL of the form
    /// `postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE[?sslmode=MODE&sslrootcert=FILE]`.
    ///
    /// `postgresql://` is accepted as well. User, password, database and the parameters'
    /// values may be percent-encoded; an IPv6 host is written in brackets (`[::1]`). The port
    /// defaults to 5432. `sslmode` is one of libpq's `disable`, `prefer` (the default),
    /// `require`, `verify-ca`, `verify-full` (see ``PostgresTLSMode``); `sslrootcert` names a
    /// PEM file of trusted certificate authorities. Other parameters are refused, so a typo is
    /// not silently ignored.
    ///
    /// - Parameter url: The connection URL.
    /// - Throws: ``PostgresStoreError`` with code
    ///   ``PostgresStoreError/Code-swift.enum/invalidConnectionURL`` whose context names the
    ///   bad part (`scheme`, `user`, `password`, `host`, `port`, `database`, a query
    ///   parameter); the password is never repeated in it.
    public init(url: String) throws(PostgresStoreError) {
        self = try ConnectionURLParser.parse(url)
    }

    /// The URL for these settings with the password replaced by `***`.
    public var description: String {
        let hostPart = host.contains(":") ? "[\(host)]" : host
        let passwordPart = password == nil ? "" : ":***"
        var parameters = tlsMode == .prefer ? [] : ["sslmode=\(tlsMode.rawValue)"]
        if let rootCertificatePath { parameters.append("sslrootcert=\(rootCertificatePath)") }
        return "postgres://\(username)\(passwordPart)@\(hostPart):\(port)/\(database)"
            + (parameters.isEmpty ? "" : "?" + parameters.joined(separator: "&"))
    }

    /// The postgres-nio configuration of one connection for these settings.
    ///
    /// - Throws: ``PostgresStoreError`` with code
    ///   ``PostgresStoreError/Code-swift.enum/connectionFailed`` when TLS cannot be set up.
    func connectionConfiguration() throws(PostgresStoreError) -> PostgresConnection.Configuration {
        var configuration = PostgresConnection.Configuration(
            host: host,
            port: port,
            username: username,
            password: password,
            database: database,
            tls: try connectionTLS()
        )
        configuration.options.connectTimeout = .milliseconds(connectTimeout.wholeMilliseconds)
        return configuration
    }
}

extension Duration {
    /// The duration in whole milliseconds, rounded down, at least 1 for a positive duration.
    var wholeMilliseconds: Int64 {
        let (seconds, attoseconds) = components
        let milliseconds = seconds * 1000 + attoseconds / 1_000_000_000_000_000
        if milliseconds == 0 && (seconds > 0 || attoseconds > 0) {
            return 1
        }
        return milliseconds
    }
}

/// Parses `postgres://` URLs byte by byte, naming the part that is wrong.
enum ConnectionURLParser {
    static func parse(_ url: String) throws(PostgresStoreError) -> PostgresConnectionSettings {
        var rest = Substring(url)

        // Scheme.
        guard let schemeEnd = rest.firstRange(of: "://") else {
            throw invalid("scheme: expected postgres:// or postgresql:// at the start")
        }
        let scheme = rest[rest.startIndex..<schemeEnd.lowerBound].lowercased()
        guard scheme == "postgres" || scheme == "postgresql" else {
            throw invalid("scheme: expected postgres:// or postgresql://, found '\(scheme)://'")
        }
        rest = rest[schemeEnd.upperBound...]

        if rest.contains("#") {
            throw invalid("fragment: a connection URL has no '#' part")
        }

        // Query.
        var query: Substring?
        if let questionMark = rest.firstIndex(of: "?") {
            query = rest[rest.index(after: questionMark)...]
            rest = rest[..<questionMark]
        }

        // Authority and path.
        let authority: Substring
        let path: Substring
        if let slash = rest.firstIndex(of: "/") {
            authority = rest[..<slash]
            path = rest[rest.index(after: slash)...]
        } else {
            authority = rest
            path = ""
        }

        guard let at = authority.lastIndex(of: "@") else {
            throw invalid("user: missing (expected USER[:PASSWORD]@ before the host)")
        }
        let userInfo = authority[..<at]
        let hostPort = authority[authority.index(after: at)...]

        let username: String
        var password: String?
        if let colon = userInfo.firstIndex(of: ":") {
            username = try decode(userInfo[..<colon], part: "user", echo: false)
            password = try decode(userInfo[userInfo.index(after: colon)...], part: "password", echo: false)
        } else {
            username = try decode(userInfo, part: "user", echo: false)
        }
        guard !username.isEmpty else {
            throw invalid("user: empty")
        }

        let (host, port) = try parseHostPort(hostPort)

        guard !path.isEmpty else {
            throw invalid("database: missing (expected /DATABASE after the host)")
        }
        guard !path.contains("/") else {
            throw invalid("database: '\(path)' contains '/'")
        }
        let database = try decode(path, part: "database", echo: true)
        guard !database.isEmpty else {
            throw invalid("database: empty")
        }

        var tlsMode = PostgresTLSMode.prefer
        var rootCertificatePath: String?
        if let query {
            (tlsMode, rootCertificatePath) = try parseQuery(query)
        }

        return PostgresConnectionSettings(
            host: host,
            port: port,
            username: username,
            password: password,
            database: database,
            tlsMode: tlsMode,
            rootCertificatePath: rootCertificatePath
        )
    }

    private static func parseHostPort(_ hostPort: Substring) throws(PostgresStoreError) -> (String, Int) {
        var host: Substring
        var portText: Substring?
        if hostPort.hasPrefix("[") {
            guard let close = hostPort.firstIndex(of: "]") else {
                throw invalid("host: '[' without a closing ']'")
            }
            host = hostPort[hostPort.index(after: hostPort.startIndex)..<close]
            let afterClose = hostPort[hostPort.index(after: close)...]
            if !afterClose.isEmpty {
                guard afterClose.hasPrefix(":") else {
                    throw invalid("host: unexpected '\(afterClose)' after ']'")
                }
                portText = afterClose.dropFirst()
            }
        } else if let colon = hostPort.lastIndex(of: ":") {
            host = hostPort[..<colon]
            portText = hostPort[hostPort.index(after: colon)...]
        } else {
            host = hostPort
        }
        guard !host.isEmpty else {
            throw invalid("host: missing")
        }
        let allowedHostBytes: (UInt8) -> Bool = { byte in
            (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z"))
                || (byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z"))
                || (byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9"))
                || byte == UInt8(ascii: ".") || byte == UInt8(ascii: "-")
                || byte == UInt8(ascii: "_") || byte == UInt8(ascii: ":")
        }
        guard host.utf8.allSatisfy(allowedHostBytes) else {
            throw invalid("host: '\(host)' has characters other than letters, digits, '.', '-', '_' (and ':' in brackets)")
        }
        if !hostPort.hasPrefix("[") && host.contains(":") {
            throw invalid("host: an IPv6 address must be written in brackets, e.g. [::1]")
        }

        var port = 5432
        if let portText {
            guard !portText.isEmpty, portText.count <= 5, portText.utf8.allSatisfy({ $0 >= 48 && $0 <= 57 }),
                  let value = Int(portText), (1...65535).contains(value)
            else {
                throw invalid("port: '\(portText)' is not a number in 1...65535")
            }
            port = value
        }
        return (String(host), port)
    }

    private static func parseQuery(_ query: Substring) throws(PostgresStoreError) -> (PostgresTLSMode, String?) {
        var tlsMode: PostgresTLSMode?
        var rootCertificatePath: String?
        for parameter in query.split(separator: "&", omittingEmptySubsequences: true) {
            let pieces = parameter.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let key = String(pieces[0])
            let value = try decode(pieces.count > 1 ? pieces[1] : "", part: "query parameter \(key)", echo: true)
            switch key {
            case "sslmode":
                guard tlsMode == nil else { throw invalid("query parameter sslmode: given twice") }
                guard let mode = PostgresTLSMode(rawValue: value) else {
                    let known = PostgresTLSMode.allCases.map(\.rawValue).joined(separator: ", ")
                    throw invalid("query parameter sslmode: '\(value)' is not one of \(known)")
                }
                tlsMode = mode
            case "sslrootcert":
                guard rootCertificatePath == nil else { throw invalid("query parameter sslrootcert: given twice") }
                guard !value.isEmpty else { throw invalid("query parameter sslrootcert: empty (expected a PEM file's path)") }
                rootCertificatePath = value
            default:
                throw invalid("query parameter '\(key)': not supported (only sslmode and sslrootcert)")
            }
        }
        return (tlsMode ?? .prefer, rootCertificatePath)
    }

    /// Percent-decodes one part. `echo: false` keeps the part's text out of the message.
    private static func decode(_ text: Substring, part: String, echo: Bool) throws(PostgresStoreError) -> String {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(text.utf8.count)
        var iterator = text.utf8.makeIterator()
        while let byte = iterator.next() {
            if byte == UInt8(ascii: "%") {
                guard let high = iterator.next().flatMap(hexValue), let low = iterator.next().flatMap(hexValue) else {
                    throw invalid("\(part): '%' is not followed by two hexadecimal digits" + (echo ? " in '\(text)'" : ""))
                }
                bytes.append(high << 4 | low)
            } else {
                bytes.append(byte)
            }
        }
        guard let decoded = String(validating: bytes, as: UTF8.self) else {
            throw invalid("\(part): percent-encoding does not decode to UTF-8 text")
        }
        return decoded
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return byte - UInt8(ascii: "A") + 10
        default: return nil
        }
    }

    private static func invalid(_ context: String) -> PostgresStoreError {
        PostgresStoreError(code: .invalidConnectionURL, context: "connection URL: \(context)")
    }
}
