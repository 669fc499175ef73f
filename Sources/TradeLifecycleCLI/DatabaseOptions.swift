import ArgumentParser
import TradeLifecycle
import TradeLifecyclePostgres

/// `--database-url` and `--json`, shared by the database commands.
struct DatabaseOptions: ParsableArguments {
    @Option(name: .customLong("database-url"),
            help: "postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE (default: the DATABASE_URL environment variable).")
    var databaseURL: String?

    @Flag(name: .long, help: "Print JSON instead of tables.")
    var json = false

    /// The environment variable read when `--database-url` is absent.
    static let environmentVariable = "DATABASE_URL"

    /// The connection settings, from `--database-url` or `DATABASE_URL`.
    ///
    /// - Throws: ``CommandFailure`` (bad input) naming the option or the variable when the URL
    ///   is missing or malformed; the password is never repeated.
    func settings(_ context: CommandContext) throws(CommandFailure) -> PostgresConnectionSettings {
        let source: String
        let url: String
        if let databaseURL {
            source = "--database-url"
            url = databaseURL
        } else if let value = context.environment[Self.environmentVariable], !value.isEmpty {
            source = Self.environmentVariable
            url = value
        } else {
            throw CommandFailure(.badInput, """
                no database given: pass --database-url postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE \
                or set the \(Self.environmentVariable) environment variable
                """)
        }
        do {
            return try PostgresConnectionSettings(url: url)
        } catch {
            throw CommandFailure(.badInput, "\(source): \(error.context)")
        }
    }
}

/// Values given on the command line.
enum CommandValues {
    static func profileID(_ text: String) throws(CommandFailure) -> ProfileID {
        do {
            return try ProfileID(text)
        } catch {
            throw CommandFailure(.badInput, "--profile: \(error.detail)")
        }
    }

    static func batchID(_ text: String) throws(CommandFailure) -> BackfillBatchID {
        do {
            return try BackfillBatchID(text)
        } catch {
            throw CommandFailure(.badInput, "--batch: \(error.detail)")
        }
    }

    /// The backfill settings of the runbook's environment variables.
    static func backfillConfiguration(_ context: CommandContext) throws(CommandFailure) -> BackfillConfiguration {
        do {
            return try BackfillConfiguration(environment: context.environment)
        } catch {
            throw CommandFailure(.badInput, "environment variable \(error.field): \(error.detail) (value '\(error.value)')")
        }
    }
}

extension PostgresRunbookError {
    /// The command failure for a runbook error: gates are refusals, the rest runtime failures.
    var commandFailure: CommandFailure {
        switch code {
        case .anomaliesPresent, .blankTradeIDs:
            return CommandFailure(.refused, description)
        case .connectionFailed, .queryFailed, .invalidRow, .planningFailed, .cancelled:
            return CommandFailure(.runtimeFailure, description)
        }
    }
}

extension PostgresStoreError {
    /// The command failure for an adapter error: a bad URL is bad input, the rest runtime failures.
    var commandFailure: CommandFailure {
        CommandFailure(code == .invalidConnectionURL ? .badInput : .runtimeFailure, description)
    }
}

/// Text of values in tables.
enum Cell {
    static func text(_ value: String?) -> String { value ?? "-" }
    static func decimal(_ value: ExactDecimal?) -> String { value?.description ?? "-" }
}
