import Foundation
import Testing

/// The built `trade-lifecycle` executable, with `DATABASE_URL` in its environment.
extension DatabaseCLITests {
    @Suite(
        "trade-lifecycle binary: database commands",
        .enabled(if: DatabaseTestEnvironment.shouldRun, DatabaseTestEnvironment.skipNotice)
    )
    struct DatabaseBinaryTests {
        static func run(_ arguments: [String], environment: [String: String]) throws -> (status: Int32, stdout: String, stderr: String) {
            let process = Process()
            process.executableURL = try PlanBinaryTests.binary()
            process.arguments = arguments
            var variables = ProcessInfo.processInfo.environment
            variables["DATABASE_URL"] = nil
            for (name, value) in environment {
                variables[name] = value
            }
            process.environment = variables
            let output = Pipe()
            let error = Pipe()
            process.standardOutput = output
            process.standardError = error
            try process.run()
            let outData = output.fileHandleForReading.readDataToEndOfFile()
            let errData = error.fileHandleForReading.readDataToEndOfFile()
            process.waitUntilExit()
            return (process.terminationStatus, String(decoding: outData, as: UTF8.self), String(decoding: errData, as: UTF8.self))
        }

        @Test("migrate, snapshot and report run end to end from DATABASE_URL; exit codes 0, 2 and 3 reach the shell")
        func endToEnd() async throws {
            try await CLITestDatabase.withFresh { database in
                let environment = ["DATABASE_URL": database.url]
                let migrate = try Self.run(["migrate"], environment: environment)
                #expect(migrate.status == 0, "\(migrate.stderr)")
                try await database.sql(legacySeed[0])
                let snapshot = try Self.run(["snapshot", "--json"], environment: environment)
                #expect(snapshot.status == 0)
                #expect(try jsonObject(snapshot.stdout)["orders_total"] as? Int == 4)
                let report = try Self.run(["report", "--profile", "p1"], environment: environment)
                #expect(report.status == 0)
                #expect(report.stdout.contains("TRD-o"))
                let refused = try Self.run(["constraints", "validate", "--apply"], environment: environment)
                #expect(refused.status == 3)
                #expect(refused.stderr.contains("anomal"))
                let missing = try Self.run(["snapshot"], environment: [:])
                #expect(missing.status == 2)
                #expect(missing.stderr.contains("DATABASE_URL"))
            }
        }
    }
}
