import ArgumentParser
import Foundation
import TradeLifecycleScenario

/// `trade-lifecycle`: the operator command line of swift-trade-lifecycle.
///
/// Exit codes: 0 success (and `--help`), 1 runtime failure, 2 bad input (the scenario file or
/// the command line).
@main
struct TradeLifecycleCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "trade-lifecycle",
        abstract: "Trade lifecycle integrity tools.",
        discussion: "Exit codes: 0 success, 1 runtime failure, 2 bad input (scenario file or command line).",
        subcommands: [Plan.self]
    )

    /// Runs the command, mapping failures to the documented exit codes.
    static func main() async {
        do {
            var command = try parseAsRoot()
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch let error as PlanCommandError {
            writeError(error.message)
            Foundation.exit(error.exitCode)
        } catch {
            // Argument parser outcomes: help and version succeed, everything else is bad input.
            let message = fullMessage(for: error)
            if exitCode(for: error) == .success {
                if !message.isEmpty { print(message) }
                Foundation.exit(0)
            }
            writeError(message)
            Foundation.exit(2)
        }
    }

    static func writeError(_ message: String) {
        FileHandle.standardError.write(Data((message + "\n").utf8))
    }
}

extension TradeLifecycleCommand {
    /// `trade-lifecycle plan --scenario FILE [--apply]`.
    struct Plan: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Plan the EXIT backfill of a scenario file and print the audit rows as JSON.",
            discussion: """
                Loads the scenario (SPEC section 9) into an in-memory store and runs the EXIT backfill of every \
                profile at the scenario's "now": a dry run, unless --apply is given or the scenario's config has \
                "dryRun": false. Prints { "batchId": ..., "rows": [...] } on standard output. The whole file is \
                checked before anything is planned; a bad file prints the location, record and field on standard \
                error and exits with code 2.
                """
        )

        @Option(name: .long, help: "The scenario file (JSON).")
        var scenario: String

        @Flag(name: .long, help: "Insert the EXIT rows (apply) instead of a dry run.")
        var apply = false

        func run() async throws {
            let bytes: [UInt8]
            do {
                bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: scenario)))
            } catch {
                throw PlanCommandError(.badInput, message: "\(scenario): the scenario file cannot be read (\(error.localizedDescription))")
            }
            print(try await ScenarioPlan.output(scenarioJSON: bytes, fileName: scenario, apply: apply), terminator: "")
        }
    }
}
