import Foundation
import Testing
import TradeLifecycle
@testable import TradeLifecycleCLI

private func run(_ arguments: [String], environment: [String: String] = [:]) async -> TradeLifecycleCommand.Result {
    await TradeLifecycleCommand.execute(arguments: arguments,
                                        context: CommandContext(environment: environment, clock: ManualWallClock(CLITestDatabase.now),
                                                                logger: DatabaseTestEnvironment.quietLogger))
}

@Suite("trade-lifecycle database commands: connection and usage")
struct DatabaseConnectionOptionTests {
    static let databaseCommands: [[String]] = [
        ["migrate"], ["migrate", "--dry-run"], ["snapshot"], ["trade-ids", "backfill"], ["report", "--profile", "p1"],
        ["backfill", "rollback", "--batch", "b1"], ["constraints", "list"], ["constraints", "validate"], ["constraints", "rollback"],
    ]

    @Test("no --database-url and no DATABASE_URL: exit code 2 naming both", arguments: databaseCommands)
    func missingURL(arguments: [String]) async {
        let result = await run(arguments)
        #expect(result.status == 2)
        #expect(result.standardOutput.isEmpty)
        #expect(result.standardError.contains("--database-url"))
        #expect(result.standardError.contains("DATABASE_URL"))
    }

    @Test("a malformed URL is exit code 2 naming where it came from, never the password")
    func malformedURL() async {
        let fromOption = await run(["snapshot", "--database-url", "mysql://u:sekrit@h/db"])
        #expect(fromOption.status == 2)
        #expect(fromOption.standardError.hasPrefix("--database-url: connection URL: scheme"))
        let fromEnvironment = await run(["snapshot"], environment: ["DATABASE_URL": "postgres://u:sekrit@h:99999/db"])
        #expect(fromEnvironment.status == 2)
        #expect(fromEnvironment.standardError.hasPrefix("DATABASE_URL: connection URL: port"))
        // The option wins over the variable.
        let both = await run(["snapshot", "--database-url", "postgres://u@h/"], environment: ["DATABASE_URL": "nonsense"])
        #expect(both.standardError.hasPrefix("--database-url: connection URL: database"))
        for result in [fromOption, fromEnvironment, both] {
            #expect(!result.standardError.contains("sekrit"))
        }
    }

    @Test("an unreachable server is a runtime failure: exit code 1")
    func unreachableServer() async {
        let result = await run(["snapshot"], environment: ["DATABASE_URL": "postgres://nobody:pw@127.0.0.1:1/none"])
        #expect(result.status == 1)
        #expect(result.standardError.contains("connectionFailed"))
    }

    @Test("bad values and environment variables are exit code 2; a disabled backfill is refused with 3")
    func badInputAndRefusal() async throws {
        let file = try temporaryFile(#"{ "positions": [], "fills": [] }"#)
        defer { try? FileManager.default.removeItem(at: file) }
        let url = "postgres://nobody:pw@127.0.0.1:1/none"
        let blankProfile = await run(["backfill", "plan", "--profile", " ", "--exchange", file.path, "--database-url", url])
        #expect(blankProfile.status == 2)
        #expect(blankProfile.standardError.hasPrefix("--profile:"))
        let malformed = await run(["backfill", "plan", "--profile", "p1", "--exchange", file.path, "--database-url", url],
                                  environment: ["ENABLE_RECON_EXIT_BACKFILL": "true", "RECON_EXIT_BACKFILL_DRY_RUN": "yes"])
        #expect(malformed.status == 2)
        #expect(malformed.standardError.contains("RECON_EXIT_BACKFILL_DRY_RUN"))
        #expect(malformed.standardError.contains("'yes'"))
        let disabled = await run(["backfill", "apply", "--profile", "p1", "--exchange", file.path, "--apply", "--database-url", url])
        #expect(disabled.status == 3)
        #expect(disabled.standardError.contains("ENABLE_RECON_EXIT_BACKFILL"))
        let missingFile = await run(["backfill", "plan", "--profile", "p1", "--exchange", "/nonexistent/x.json", "--database-url", url],
                                    environment: ["ENABLE_RECON_EXIT_BACKFILL": "true"])
        #expect(missingFile.status == 2)
        #expect(missingFile.standardError.hasPrefix("/nonexistent/x.json: the exchange snapshot file cannot be read"))
    }

    @Test("a bad exchange snapshot file is exit code 2 naming the location, record and field")
    func badExchangeFile() async throws {
        let file = try temporaryFile("""
            { "positions": [], "fills": [ { "profileId": "p1", "symbol": "BTC-USD", "side": "sideways", "exchangeOrderId": "x9",
              "clientOrderId": null, "quantity": "1.5", "price": "101", "filledAt": "2026-02-15T11:00:00.000Z" } ] }
            """)
        defer { try? FileManager.default.removeItem(at: file) }
        let result = await run(["backfill", "plan", "--profile", "p1", "--exchange", file.path, "--database-url", "postgres://u@127.0.0.1:1/d"],
                               environment: ["ENABLE_RECON_EXIT_BACKFILL": "true"])
        #expect(result.status == 2)
        #expect(result.standardError.contains("fills[0] (fill x9): field side"))
        let unknownField = try temporaryFile(#"{ "positions": [], "fills": [], "orders": [] }"#)
        defer { try? FileManager.default.removeItem(at: unknownField) }
        let unknown = await run(["backfill", "plan", "--profile", "p1", "--exchange", unknownField.path, "--database-url", "postgres://u@127.0.0.1:1/d"],
                                environment: ["ENABLE_RECON_EXIT_BACKFILL": "true"])
        #expect(unknown.status == 2)
        #expect(unknown.standardError.contains("field orders"))
    }

    @Test("help documents the exit codes, the variable and --apply", arguments: [["--help"], ["backfill", "apply", "--help"], ["constraints", "validate", "--help"]])
    func help(arguments: [String]) async {
        let result = await run(arguments)
        #expect(result.status == 0)
        let text = result.standardOutput.split(whereSeparator: \.isWhitespace).joined(separator: " ")
        #expect(text.contains("3 refused"))
        #expect(text.contains("2 bad input"))
        #expect(text.contains("1 runtime failure"))
    }
}
