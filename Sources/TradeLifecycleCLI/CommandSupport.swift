import Logging
import TradeLifecycle
import TradeLifecycleScenario

/// What a command needs from its process, passed in so that the commands run the same in a
/// test as from the shell.
struct CommandContext: Sendable {
    /// The process environment (`DATABASE_URL`, the backfill's variables).
    var environment: [String: String]
    /// The clock giving `now` (the backfill's evidence window, `created_at`).
    var clock: any WallClock
    /// The logger handed to the PostgreSQL driver.
    var logger: Logger

    /// The process's context: its environment, the system clock, a driver logger that only
    /// reports errors.
    static func process(environment: [String: String]) -> CommandContext {
        var logger = Logger(label: "trade-lifecycle")
        logger.logLevel = .error
        return CommandContext(environment: environment, clock: SystemWallClock(), logger: logger)
    }
}

/// What a command printed.
struct CommandOutput: Sendable, Equatable {
    /// The result: a table, JSON or SQL.
    var standardOutput: String
    /// Notices for the operator (what was not done, what to do next).
    var standardError: String = ""
}

/// Why a command did not do what it was asked, with its exit code.
struct CommandFailure: Error, Sendable {
    /// The class of failure and its exit code.
    enum Kind: Int32, Sendable {
        /// The database, a query, the file system or the engine failed: exit code 1.
        case runtimeFailure = 1
        /// The command line, a file, the environment or a value given is not acceptable: exit code 2.
        case badInput = 2
        /// A gate of the runbook refused the step (the profile is not paused, the backfill is
        /// disabled, NO_GO rows before an apply, lifecycle anomalies before validating
        /// constraints, blank trade ids before filling them): exit code 3.
        case refused = 3
    }

    var kind: Kind
    /// The message for standard error.
    var message: String
    /// What to print on standard output all the same (the rows behind a refusal).
    var output: String = ""

    var exitCode: Int32 { kind.rawValue }

    init(_ kind: Kind, _ message: String, output: String = "") {
        self.kind = kind
        self.message = message
        self.output = output
    }
}

/// A command whose logic runs in-process: `trade-lifecycle` parses the arguments, then calls
/// ``execute(in:)``.
protocol CommandLogic: Sendable {
    /// Runs the command.
    ///
    /// - Parameter context: The environment, clock and logger.
    /// - Returns: What to print.
    /// - Throws: ``CommandFailure`` with the exit code.
    func execute(in context: CommandContext) async throws(CommandFailure) -> CommandOutput
}

/// The exit codes, as `--help` and `Documentation/OperatorCLI.md` state them.
enum ExitCodes {
    static let help = """
        Exit codes: 0 success; 1 runtime failure (database, query, file system, engine); \
        2 bad input or usage (command line, file, environment variable, connection URL); \
        3 refused by a gate of the runbook (profile not paused, backfill disabled, NO_GO rows \
        before an apply, lifecycle anomalies before validating constraints, blank trade ids).
        """
}

// MARK: - Tables

/// A plain text table: a header row, a rule, the rows; columns left aligned, two spaces apart.
struct TextTable {
    var headers: [String]
    var rows: [[String]] = []

    init(_ headers: String...) {
        self.headers = headers
    }

    mutating func append(_ row: [String]) {
        rows.append(row)
    }

    var text: String {
        var widths = headers.map(\.count)
        for row in rows {
            for (index, cell) in row.enumerated() where index < widths.count {
                widths[index] = max(widths[index], cell.count)
            }
        }
        func line(_ cells: [String]) -> String {
            var text = ""
            for (index, cell) in cells.enumerated() {
                let isLast = index == cells.count - 1
                text += isLast ? cell : cell + String(repeating: " ", count: widths[index] - cell.count + 2)
            }
            while text.hasSuffix(" ") { text.removeLast() }
            return text + "\n"
        }
        var text = line(headers)
        text += line(widths.map { String(repeating: "-", count: $0) })
        for row in rows {
            text += line(row)
        }
        return text
    }
}

// MARK: - JSON

/// JSON written by hand, keys in the order given.
indirect enum JSON: Sendable {
    case string(String)
    case number(String)
    case bool(Bool)
    case null
    case array([JSON])
    case object([(String, JSON)])

    static func optional(_ text: String?) -> JSON {
        text.map { .string($0) } ?? .null
    }

    static func int(_ value: some BinaryInteger) -> JSON {
        .number(String(value))
    }

    /// The value as text, two spaces of indentation per level, a newline at the end.
    var text: String {
        var output = ""
        write(into: &output, indent: 0)
        return output + "\n"
    }

    private func write(into output: inout String, indent: Int) {
        let padding = String(repeating: "  ", count: indent + 1)
        let closing = String(repeating: "  ", count: indent)
        switch self {
        case .string(let text): output += JSONText.string(text)
        case .number(let text): output += text
        case .bool(let flag): output += flag ? "true" : "false"
        case .null: output += "null"
        case .array(let elements):
            guard !elements.isEmpty else { output += "[]"; return }
            output += "[\n"
            for (index, element) in elements.enumerated() {
                output += padding
                element.write(into: &output, indent: indent + 1)
                output += index == elements.count - 1 ? "\n" : ",\n"
            }
            output += closing + "]"
        case .object(let members):
            guard !members.isEmpty else { output += "{}"; return }
            output += "{\n"
            for (index, (key, value)) in members.enumerated() {
                output += padding + JSONText.string(key) + ": "
                value.write(into: &output, indent: indent + 1)
                output += index == members.count - 1 ? "\n" : ",\n"
            }
            output += closing + "}"
        }
    }
}
