import Foundation
import Testing

/// Runs the built `trade-lifecycle` executable (a dependency of this test target, so it is
/// built with the tests).
@Suite("trade-lifecycle binary")
struct PlanBinaryTests {
    /// The executable next to the test bundle.
    static func binary() throws -> URL {
        var directories: [URL] = []
        if let executable = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") {
            directories.append(URL(fileURLWithPath: executable).deletingLastPathComponent())
        }
        directories.append(Bundle.main.bundleURL.deletingLastPathComponent())
        directories.append(Bundle.main.bundleURL)
        let found = directories.map { $0.appendingPathComponent("trade-lifecycle") }
            .first { FileManager.default.isExecutableFile(atPath: $0.path) }
        return try #require(found, "trade-lifecycle not found next to the tests in \(directories.map(\.path))")
    }

    static func run(_ arguments: [String]) throws -> (status: Int32, stdout: String, stderr: String) {
        let process = Process()
        process.executableURL = try binary()
        process.arguments = arguments
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

    static func write(_ text: String) throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("scenario-\(UUID().uuidString).json")
        try Data(text.utf8).write(to: url)
        return url
    }

    @Test func planPrintsTheRowsAndExitsZero() throws {
        let file = try Self.write(specExample)
        defer { try? FileManager.default.removeItem(at: file) }
        let result = try Self.run(["plan", "--scenario", file.path])
        #expect(result.status == 0)
        #expect(result.stderr.isEmpty)
        let (_, rows) = try parseOutput(result.stdout)
        #expect(rows.map { $0["decision"] as? String } == ["DRY_RUN"])
        #expect(rows.first?["backfillOrderId"] as? String == independentBackfillID("p1:TRD-a1:x9:2026-02-15T11:00:00.000Z"))
    }

    @Test func badInputExitsTwoWithTheMessageOnStandardError() throws {
        let file = try Self.write(specExample.replacingOccurrences(of: "\"status\": \"filled\"", with: "\"status\": \"done\""))
        defer { try? FileManager.default.removeItem(at: file) }
        let result = try Self.run(["plan", "--scenario", file.path])
        #expect(result.status == 2)
        #expect(result.stdout.isEmpty)
        #expect(result.stderr.contains("orders[0] (order o1): field status: unknown order status"))
    }

    @Test(arguments: [["plan"], ["plan", "--scenario", "/nonexistent/scenario.json"], ["unknown-command"]])
    func aBadCommandLineOrFileExitsTwo(arguments: [String]) throws {
        let result = try Self.run(arguments)
        #expect(result.status == 2)
        #expect(result.stdout.isEmpty)
        #expect(!result.stderr.isEmpty)
    }

    @Test func helpExitsZero() throws {
        let result = try Self.run(["plan", "--help"])
        #expect(result.status == 0)
        #expect(result.stdout.contains("--scenario"))
    }
}
