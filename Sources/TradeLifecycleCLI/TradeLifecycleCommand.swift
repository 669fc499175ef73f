import ArgumentParser
import Foundation
import TradeLifecycleScenario

/// `trade-lifecycle`: the operator command line of swift-trade-lifecycle.
///
/// Exit codes: 0 success (and `--help`), 1 runtime failure, 2 bad input or usage, 3 refused by
/// a gate of the runbook (see ``ExitCodes``).
@main
struct TradeLifecycleCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "trade-lifecycle",
        abstract: "Trade lifecycle integrity tools: offline planning and the runbooks' database steps.",
        discussion: """
            Database commands connect with --database-url URL or, when it is absent, the DATABASE_URL \
            environment variable (postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE); connect as the schema \
            owner. Every command that writes is a dry run unless --apply is given (migrate applies unless \
            --dry-run is given). Results go to standard output as tables, or as JSON with --json; notices and \
            errors go to standard error.

            \(ExitCodes.help)
            """,
        subcommands: [Plan.self, Migrate.self, Snapshot.self, TradeIDs.self, Report.self, Backfill.self, Constraints.self]
    )

    /// The outcome of one invocation.
    struct Result: Sendable, Equatable {
        var status: Int32
        var standardOutput: String
        var standardError: String
    }

    /// Parses `arguments` and runs the command they name: the whole command line's logic,
    /// without the process (the tests call it directly).
    ///
    /// - Parameters:
    ///   - arguments: The arguments after the program name.
    ///   - context: The environment, clock and logger.
    /// - Returns: The exit status and what to print on each stream.
    static func execute(arguments: [String], context: CommandContext) async -> Result {
        let command: any ParsableCommand
        do {
            command = try parseAsRoot(arguments)
        } catch {
            return parserOutcome(error)
        }
        guard let logic = command as? any CommandLogic else {
            // The root alone: its default run asks for the help text.
            do {
                var root = command
                try root.run()
                return Result(status: 0, standardOutput: "", standardError: "")
            } catch {
                return parserOutcome(error)
            }
        }
        do {
            let output = try await logic.execute(in: context)
            return Result(status: 0, standardOutput: output.standardOutput, standardError: output.standardError)
        } catch {
            return Result(status: error.exitCode, standardOutput: error.output, standardError: error.message + "\n")
        }
    }

    /// Help and version succeed on standard output; every other parser error is bad input.
    private static func parserOutcome(_ error: any Error) -> Result {
        let message = fullMessage(for: error)
        if exitCode(for: error) == .success {
            return Result(status: 0, standardOutput: message.isEmpty ? "" : message + "\n", standardError: "")
        }
        return Result(status: 2, standardOutput: "", standardError: message + "\n")
    }

    /// Runs the command line of the process and exits with the documented code.
    static func main() async {
        let result = await execute(arguments: Array(CommandLine.arguments.dropFirst()),
                                   context: .process(environment: ProcessInfo.processInfo.environment))
        if !result.standardOutput.isEmpty {
            FileHandle.standardOutput.write(Data(result.standardOutput.utf8))
        }
        if !result.standardError.isEmpty {
            FileHandle.standardError.write(Data(result.standardError.utf8))
        }
        Foundation.exit(result.status)
    }
}

extension TradeLifecycleCommand {
    /// `trade-lifecycle plan --scenario FILE [--apply]`.
    struct Plan: AsyncParsableCommand, CommandLogic {
        static let configuration = CommandConfiguration(
            abstract: "Plan the EXIT backfill of a scenario file and print the audit rows as JSON.",
            discussion: """
                Loads the scenario (SPEC section 9) into an in-memory store and runs the EXIT backfill of every \
                profile at the scenario's "now": a dry run, unless --apply is given or the scenario's config has \
                "dryRun": false. Prints { "batchId": ..., "rows": [...] } on standard output. The whole file is \
                checked before anything is planned; a bad file prints the location, record and field on standard \
                error and exits with code 2. Exit codes: 0 success, 1 runtime failure, 2 bad input.
                """
        )

        @Option(name: .long, help: "The scenario file (JSON).")
        var scenario: String

        @Flag(name: .long, help: "Insert the EXIT rows (apply) instead of a dry run.")
        var apply = false

        func execute(in context: CommandContext) async throws(CommandFailure) -> CommandOutput {
            let bytes = try FileInput.read(scenario, what: "scenario file")
            do {
                return CommandOutput(standardOutput: try await ScenarioPlan.output(scenarioJSON: bytes, fileName: scenario, apply: apply))
            } catch {
                throw CommandFailure(error.kind == .badInput ? .badInput : .runtimeFailure, error.message)
            }
        }
    }
}

/// Reading input files.
enum FileInput {
    /// The bytes of `path`, or bad input naming the file.
    static func read(_ path: String, what: String) throws(CommandFailure) -> [UInt8] {
        do {
            return [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        } catch {
            throw CommandFailure(.badInput, "\(path): the \(what) cannot be read (\(error.localizedDescription))")
        }
    }
}
