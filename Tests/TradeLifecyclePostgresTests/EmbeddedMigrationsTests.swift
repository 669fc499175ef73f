import Foundation
import Testing
import TradeLifecyclePostgres

@Suite("Embedded schema migrations")
struct EmbeddedMigrationsTests {
    static let sqlDirectory = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent()
        .appendingPathComponent("../../Sources/TradeLifecyclePostgres/Migrations/SQL")
        .standardizedFileURL

    @Test("EmbeddedMigrations.swift holds the SQL files byte for byte (run scripts/embed-migrations)")
    func embeddedMatchesFiles() throws {
        let files = try FileManager.default.contentsOfDirectory(atPath: Self.sqlDirectory.path)
            .filter { $0.hasSuffix(".sql") }
            .sorted()
        let ups = files.filter { $0.hasSuffix(".up.sql") }
        let migrations = PostgresMigration.tradeLifecycleSchema
        #expect(ups.count * 2 == files.count, "every up migration has a down migration")
        #expect(migrations.map { "\($0.identifier).up.sql" } == ups)
        for migration in migrations {
            let up = try Data(contentsOf: Self.sqlDirectory.appendingPathComponent("\(migration.identifier).up.sql"))
            let down = try Data(contentsOf: Self.sqlDirectory.appendingPathComponent("\(migration.identifier).down.sql"))
            #expect(Array(migration.upSQL.utf8) == Array(up), "\(migration.identifier).up.sql differs from the embedded text")
            #expect(Array(migration.downSQL.utf8) == Array(down), "\(migration.identifier).down.sql differs from the embedded text")
        }
    }

    @Test("versions start at 1 and increase by 1")
    func versionsAreContiguous() {
        let versions = PostgresMigration.tradeLifecycleSchema.map(\.version)
        #expect(versions == Array(1...max(1, versions.count)))
    }

    @Test("checksum is the SHA-256 of the up SQL")
    func checksumIsSHA256() throws {
        // Known SHA-256 vectors (FIPS 180-2): "abc" and the empty string.
        let abc = try PostgresMigration(version: 1, name: "x", upSQL: "abc", downSQL: "")
        #expect(abc.checksum == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        let empty = try PostgresMigration(version: 1, name: "x", upSQL: "", downSQL: "")
        #expect(empty.checksum == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
    }

    @Test("the cumulative checksum changes when any earlier migration changes, moves or disappears")
    func cumulativeChecksumChains() throws {
        let a = try PostgresMigration(version: 1, name: "a", upSQL: "SELECT 1;", downSQL: "")
        let b = try PostgresMigration(version: 2, name: "b", upSQL: "SELECT 2;", downSQL: "")
        let c = try PostgresMigration(version: 3, name: "c", upSQL: "SELECT 3;", downSQL: "")
        let editedA = try PostgresMigration(version: 1, name: "a", upSQL: "SELECT 1 ;", downSQL: "")
        let inserted = try PostgresMigration(version: 2, name: "inserted", upSQL: "SELECT 9;", downSQL: "")
        let reference = PostgresMigration.cumulativeChecksums(of: [a, b, c])
        #expect(Set(reference).count == 3)
        #expect(PostgresMigration.cumulativeChecksums(of: [editedA, b, c]).last != reference.last)
        #expect(PostgresMigration.cumulativeChecksums(of: [a, inserted, b, c]).last != reference.last)
        #expect(PostgresMigration.cumulativeChecksums(of: [a, c]).last != reference.last)
        #expect(PostgresMigration.cumulativeChecksums(of: [b, a, c]).last != reference.last)
        // Unchanged prefixes keep their digests.
        #expect(PostgresMigration.cumulativeChecksums(of: [a, b]) == Array(reference.prefix(2)))
    }
}
