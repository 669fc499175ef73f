import Testing
import TradeLifecyclePostgres

@Suite("Connection settings from a URL")
struct PostgresConnectionSettingsTests {
    struct ValidCase: Sendable, CustomTestStringConvertible {
        var url: String
        var host: String
        var port: Int
        var username: String
        var password: String?
        var database: String
        var testDescription: String { url }
    }

    @Test(arguments: [
        ValidCase(url: "postgres://app:secret@127.0.0.1:5433/trading", host: "127.0.0.1", port: 5433, username: "app", password: "secret", database: "trading"),
        ValidCase(url: "postgresql://app@db.internal/trading", host: "db.internal", port: 5432, username: "app", password: nil, database: "trading"),
        ValidCase(url: "POSTGRES://app:@localhost:1/x", host: "localhost", port: 1, username: "app", password: "", database: "x"),
        ValidCase(url: "postgres://a%40b:p%3Aw%2Fd%25@[::1]:65535/db%20one", host: "::1", port: 65535, username: "a@b", password: "p:w/d%", database: "db one"),
        ValidCase(url: "postgres://u:p@h/d?sslmode=disable", host: "h", port: 5432, username: "u", password: "p", database: "d"),
        ValidCase(url: "postgres://u:p@ss@h:7/d", host: "h", port: 7, username: "u", password: "p@ss", database: "d"),
    ])
    func parsesValidURLs(_ valid: ValidCase) throws {
        let settings = try PostgresConnectionSettings(url: valid.url)
        #expect(settings.host == valid.host)
        #expect(settings.port == valid.port)
        #expect(settings.username == valid.username)
        #expect(settings.password == valid.password)
        #expect(settings.database == valid.database)
    }

    struct InvalidCase: Sendable, CustomTestStringConvertible {
        var url: String
        /// The part the message must name.
        var part: String
        var testDescription: String { url }
    }

    @Test(arguments: [
        InvalidCase(url: "mysql://u:p@h/d", part: "scheme"),
        InvalidCase(url: "u:p@h/d", part: "scheme"),
        InvalidCase(url: "postgres://h:5432/d", part: "user"),
        InvalidCase(url: "postgres://:p@h/d", part: "user"),
        InvalidCase(url: "postgres://u:p@/d", part: "host"),
        InvalidCase(url: "postgres://u:p@h:0/d", part: "port"),
        InvalidCase(url: "postgres://u:p@h:65536/d", part: "port"),
        InvalidCase(url: "postgres://u:p@h:54x/d", part: "port"),
        InvalidCase(url: "postgres://u:p@h:/d", part: "port"),
        InvalidCase(url: "postgres://u:p@h:5432", part: "database"),
        InvalidCase(url: "postgres://u:p@h:5432/", part: "database"),
        InvalidCase(url: "postgres://u:p@h:5432/a/b", part: "database"),
        InvalidCase(url: "postgres://u:p@h/d%zz", part: "database"),
        InvalidCase(url: "postgres://u:p@h/d?sslmode=allow", part: "sslmode: 'allow'"),
        InvalidCase(url: "postgres://u:p@h/d?sslmode=VERIFY-FULL", part: "sslmode: 'VERIFY-FULL'"),
        InvalidCase(url: "postgres://u:p@h/d?sslmode=require&sslmode=disable", part: "sslmode: given twice"),
        InvalidCase(url: "postgres://u:p@h/d?sslrootcert=", part: "sslrootcert: empty"),
        InvalidCase(url: "postgres://u:p@h/d?sslrootcert=%zz", part: "sslrootcert"),
        InvalidCase(url: "postgres://u:p@h/d?application_name=x", part: "application_name"),
        InvalidCase(url: "postgres://u:p@::1/d", part: "host"),
        InvalidCase(url: "postgres://u:p@[::1/d", part: "host"),
        InvalidCase(url: "postgres://u:p@h o/d", part: "host"),
        InvalidCase(url: "postgres://u:p@h/d#x", part: "fragment"),
    ])
    func rejectsInvalidURLsNamingThePart(_ invalid: InvalidCase) {
        #expect {
            try PostgresConnectionSettings(url: invalid.url)
        } throws: { error in
            guard let error = error as? PostgresStoreError else { return false }
            return error.code == .invalidConnectionURL && error.description.contains(invalid.part)
        }
    }

    @Test("sslmode takes libpq's values (prefer when absent) and sslrootcert a file path")
    func tlsParameters() throws {
        #expect(try PostgresConnectionSettings(url: "postgres://u@h/d").tlsMode == .prefer)
        for mode in PostgresTLSMode.allCases {
            let settings = try PostgresConnectionSettings(url: "postgres://u@h/d?sslmode=\(mode.rawValue)")
            #expect(settings.tlsMode == mode)
            #expect(settings.rootCertificatePath == nil)
        }
        let verified = try PostgresConnectionSettings(url: "postgres://u@h/d?sslrootcert=%2Fetc%2Fca%20roots.pem&sslmode=verify-full")
        #expect(verified.tlsMode == .verifyFull)
        #expect(verified.rootCertificatePath == "/etc/ca roots.pem")
        #expect(verified.description == "postgres://u@h:5432/d?sslmode=verify-full&sslrootcert=/etc/ca roots.pem")
        #expect(PostgresTLSMode.allCases.map(\.rawValue) == ["disable", "prefer", "require", "verify-ca", "verify-full"])
    }

    @Test("a bad password encoding is reported without the password")
    func badPasswordIsNotEchoed() {
        let secret = "s3cr%ZZet"
        #expect {
            try PostgresConnectionSettings(url: "postgres://app:\(secret)@h/d")
        } throws: { error in
            guard let error = error as? PostgresStoreError else { return false }
            return error.code == .invalidConnectionURL
                && error.description.contains("password")
                && !error.description.contains("s3cr")
        }
    }

    @Test("description redacts the password")
    func descriptionRedactsPassword() throws {
        let settings = try PostgresConnectionSettings(url: "postgres://app:topsecret@127.0.0.1:5432/trading")
        #expect(!settings.description.contains("topsecret"))
        #expect(settings.description == "postgres://app:***@127.0.0.1:5432/trading")
    }
}
