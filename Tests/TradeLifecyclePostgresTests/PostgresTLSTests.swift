import Foundation
import PostgresNIO
import Testing
@testable import TradeLifecyclePostgres

/// TLS to a real server: scripts/with-postgres starts it with TLS on, a certificate for the DNS
/// name "localhost" only, signed by the authority in `TRADE_LIFECYCLE_POSTGRES_TLS_CA`.
enum TLSTestEnvironment {
    static let authority = ProcessInfo.processInfo.environment["TRADE_LIFECYCLE_POSTGRES_TLS_CA"].flatMap { $0.isEmpty ? nil : $0 }
    static let otherAuthority = ProcessInfo.processInfo.environment["TRADE_LIFECYCLE_POSTGRES_TLS_OTHER_CA"]
        .flatMap { $0.isEmpty ? nil : $0 }

    /// Runs when a server is there; a server started by scripts/with-postgres always has TLS,
    /// so then a missing authority is a failure, never a skip.
    static var shouldRun: Bool {
        PostgresTestEnvironment.shouldRun && (authority != nil || PostgresTestEnvironment.binDirectory != nil)
    }

    static let skipNotice: Comment = """
        PostgreSQL TLS tests skipped: they need a server with TLS and its certificate authority in \
        TRADE_LIFECYCLE_POSTGRES_TLS_CA (scripts/test and scripts/with-postgres set both up).
        """

    struct Missing: Error, CustomStringConvertible {
        var description: String {
            "scripts/with-postgres started the server but TRADE_LIFECYCLE_POSTGRES_TLS_CA / _OTHER_CA are not set"
        }
    }

    /// The admin settings with another host, TLS mode and trusted authority.
    static func settings(host: String = "127.0.0.1", _ mode: PostgresTLSMode, trusting authority: String?) throws -> PostgresConnectionSettings {
        var settings = try PostgresTestEnvironment.adminSettings()
        settings.host = host
        settings.tlsMode = mode
        settings.rootCertificatePath = authority
        return settings
    }

    /// Whether the server reports TLS on one connection made with `settings`.
    static func connectionUsesTLS(_ settings: PostgresConnectionSettings) async throws -> Bool {
        let connection = try await PostgresConnection.connect(configuration: try settings.connectionConfiguration(), id: 7,
                                                              logger: PostgresTestEnvironment.quietLogger)
        defer { Task { try? await connection.close() } }
        let rows = try await connection.query("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()",
                                              logger: PostgresTestEnvironment.quietLogger)
        for try await ssl in rows.decode(Bool.self) { return ssl }
        throw Missing()
    }
}

@Suite("TLS to PostgreSQL (sslmode, sslrootcert)", .enabled(if: TLSTestEnvironment.shouldRun, TLSTestEnvironment.skipNotice))
struct PostgresTLSTests {
    func authorities() throws -> (String, String) {
        guard let authority = TLSTestEnvironment.authority, let other = TLSTestEnvironment.otherAuthority else {
            throw TLSTestEnvironment.Missing()
        }
        return (authority, other)
    }

    @Test("disable is plain; prefer, require, verify-ca (127.0.0.1) and verify-full (localhost) are encrypted")
    func modesThatConnect() async throws {
        let (authority, _) = try authorities()
        #expect(try await TLSTestEnvironment.connectionUsesTLS(try TLSTestEnvironment.settings(.disable, trusting: nil)) == false)
        #expect(try await TLSTestEnvironment.connectionUsesTLS(try TLSTestEnvironment.settings(.prefer, trusting: nil)))
        #expect(try await TLSTestEnvironment.connectionUsesTLS(try TLSTestEnvironment.settings(.require, trusting: nil)))
        #expect(try await TLSTestEnvironment.connectionUsesTLS(try TLSTestEnvironment.settings(.verifyCA, trusting: authority)))
        #expect(try await TLSTestEnvironment.connectionUsesTLS(
            try TLSTestEnvironment.settings(host: "localhost", .verifyFull, trusting: authority)))
    }

    @Test("verify-full refuses a host the certificate does not name; verify-ca and verify-full refuse an untrusted authority")
    func verificationRefuses() async throws {
        let (authority, other) = try authorities()
        let refused: [(String, PostgresConnectionSettings)] = [
            ("127.0.0.1 is not in the certificate", try TLSTestEnvironment.settings(.verifyFull, trusting: authority)),
            ("verify-ca with another authority", try TLSTestEnvironment.settings(.verifyCA, trusting: other)),
            ("verify-full with another authority", try TLSTestEnvironment.settings(host: "localhost", .verifyFull, trusting: other)),
        ]
        for (what, settings) in refused {
            await #expect(throws: (any Error).self, "\(what)") {
                _ = try await TLSTestEnvironment.connectionUsesTLS(settings)
            }
        }
        // The same through the migrator's connection: a typed error.
        let migrator = PostgresMigrator(settings: try TLSTestEnvironment.settings(.verifyFull, trusting: authority),
                                        logger: PostgresTestEnvironment.quietLogger)
        let error = await #expect(throws: PostgresStoreError.self) { _ = try await migrator.appliedMigrations() }
        #expect(error?.code == .connectionFailed)
    }

    @Test("a root certificate file that cannot be read is a connectionFailed error naming it")
    func unreadableRootCertificate() throws {
        let settings = try TLSTestEnvironment.settings(.verifyFull, trusting: "/nonexistent/trade-lifecycle-ca.pem")
        let error = #expect(throws: PostgresStoreError.self) { _ = try settings.connectionConfiguration() }
        #expect(error?.code == .connectionFailed)
        #expect(error?.description.contains("/nonexistent/trade-lifecycle-ca.pem") == true)
    }

    @Test("the store's connection pool uses the settings' TLS")
    func storePoolUsesTLS() async throws {
        let (authority, _) = try authorities()
        for (mode, host, expected) in [(PostgresTLSMode.disable, "127.0.0.1", false), (.verifyFull, "localhost", true)] {
            let settings = try TLSTestEnvironment.settings(host: host, mode, trusting: authority)
            let ssl = try await PostgresStore.withStore(settings: settings, logger: PostgresTestEnvironment.quietLogger) { store in
                let rows = try await store.client.query("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()",
                                                        logger: PostgresTestEnvironment.quietLogger)
                for try await ssl in rows.decode(Bool.self) { return ssl }
                throw TLSTestEnvironment.Missing()
            }
            #expect(ssl == expected, "sslmode=\(mode.rawValue)")
        }
    }
}
