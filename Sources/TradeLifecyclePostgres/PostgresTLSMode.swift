import NIOSSL
import PostgresNIO

/// How a connection to PostgreSQL is encrypted: libpq's `sslmode` values, with libpq's meaning.
///
/// | mode | encrypted | server certificate checked |
/// |---|---|---|
/// | ``disable`` | never | - |
/// | ``prefer`` (libpq's default) | when the server offers TLS | no |
/// | ``require`` | always (fails when the server has no TLS) | no |
/// | ``verifyCA`` | always | chain to a trusted root |
/// | ``verifyFull`` | always | chain to a trusted root, and the host name or IP address |
///
/// Only ``verifyFull`` protects against a server that impersonates yours; ``prefer`` and
/// ``require`` protect against passive eavesdropping only. The trusted roots are those of
/// ``PostgresConnectionSettings/rootCertificatePath`` (libpq's `sslrootcert`), or the system's.
public enum PostgresTLSMode: String, Sendable, Hashable, CaseIterable {
    /// Plain TCP, never TLS.
    case disable
    /// TLS when the server offers it, plain TCP otherwise; the certificate is not checked.
    case prefer
    /// TLS or no connection; the certificate is not checked.
    case require
    /// TLS or no connection; the certificate must chain to a trusted root.
    case verifyCA = "verify-ca"
    /// TLS or no connection; the certificate must chain to a trusted root and name the host
    /// (a DNS name, or an IP address for a host given as one).
    case verifyFull = "verify-full"
}

extension PostgresConnectionSettings {
    /// The TLS settings of these settings, `nil` for ``PostgresTLSMode/disable``.
    var tlsConfiguration: TLSConfiguration? {
        var configuration = TLSConfiguration.makeClientConfiguration()
        switch tlsMode {
        case .disable: return nil
        case .prefer, .require: configuration.certificateVerification = .none
        case .verifyCA: configuration.certificateVerification = .noHostnameVerification
        case .verifyFull: configuration.certificateVerification = .fullVerification
        }
        if let rootCertificatePath {
            configuration.trustRoots = .file(rootCertificatePath)
        }
        return configuration
    }

    /// The TLS of a single connection; loads the trusted roots.
    ///
    /// - Throws: ``PostgresStoreError`` with code
    ///   ``PostgresStoreError/Code-swift.enum/connectionFailed`` when the root certificates
    ///   cannot be loaded.
    func connectionTLS() throws(PostgresStoreError) -> PostgresConnection.Configuration.TLS {
        guard let configuration = tlsConfiguration else { return .disable }
        let context: NIOSSLContext
        do {
            context = try NIOSSLContext(configuration: configuration)
        } catch {
            throw PostgresStoreError(
                code: .connectionFailed,
                context: "sslmode=\(tlsMode.rawValue): could not set up TLS"
                    + (rootCertificatePath.map { " with the root certificates of sslrootcert '\($0)'" } ?? ""),
                underlying: error)
        }
        return tlsMode == .prefer ? .prefer(context) : .require(context)
    }

    /// The TLS of a connection pool.
    var clientTLS: PostgresClient.Configuration.TLS {
        guard let configuration = tlsConfiguration else { return .disable }
        return tlsMode == .prefer ? .prefer(configuration) : .require(configuration)
    }
}
