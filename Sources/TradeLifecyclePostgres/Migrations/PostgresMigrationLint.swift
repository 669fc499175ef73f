/// Which way a migration runs.
public enum PostgresMigrationDirection: String, Sendable, Hashable, CaseIterable {
    /// Applying: ``PostgresMigration/upSQL``.
    case up
    /// Reversing: ``PostgresMigration/downSQL``.
    case down
}

/// A migration statement that breaks one of the rules every migration must keep so that it
/// can run on a live database inside one transaction.
public struct PostgresMigrationLintViolation: Sendable, Hashable, CustomStringConvertible {
    /// The rules.
    public enum Rule: String, Sendable, Hashable, CaseIterable {
        /// `ALTER TABLE … ADD … CHECK` or `FOREIGN KEY` without `NOT VALID`: validating it would
        /// scan the whole table while holding a lock. Add it `NOT VALID` and validate later.
        case constraintWithoutNotValid
        /// `ALTER TABLE … ADD COLUMN … CHECK` or `REFERENCES`: a column constraint cannot be
        /// `NOT VALID`; add the column, then the constraint `NOT VALID` in its own statement.
        case columnConstraintOnExistingTable
        /// `VALIDATE CONSTRAINT` of a constraint the same migration adds: validation is a
        /// separate, later step.
        case validateInSameMigration
        /// A `DO` block: migrations are plain statements.
        case doBlock
        /// `BEGIN`, `COMMIT`, `ROLLBACK`, …: the migrator owns the transaction.
        case transactionControl
        /// A statement PostgreSQL refuses inside a transaction (`CREATE INDEX CONCURRENTLY`,
        /// `VACUUM`, `CREATE DATABASE`, `ALTER SYSTEM`, …).
        case notTransactional
        /// `SET` or `RESET` of a session setting, which would outlive the migration on the
        /// migrator's connection; use `SET LOCAL`.
        case sessionSetting
        /// A string constant, quoted identifier or comment that does not end.
        case unterminatedText
        /// SQL with no statement at all.
        case noStatements
    }

    /// The rule broken.
    public var rule: Rule
    /// The migration's ``PostgresMigration/identifier``.
    public var migration: String
    /// Whether the up or the down SQL breaks it.
    public var direction: PostgresMigrationDirection
    /// The 1-based line of the SQL text where the statement starts (0 for the whole text).
    public var line: Int
    /// What is wrong, naming the constraint or statement kind.
    public var message: String

    /// `0005_x (up) line 12: constraintWithoutNotValid: …`.
    public var description: String {
        "\(migration) (\(direction.rawValue)) line \(line): \(rule.rawValue): \(message)"
    }
}

extension PostgresMigration {
    /// Checks the up and down SQL against the migration rules (see
    /// ``PostgresMigrationLintViolation/Rule``). ``PostgresMigrator`` refuses to run a list
    /// that has any violation.
    /// - Returns: Every violation found; empty when the migration keeps the rules.
    public func lint() -> [PostgresMigrationLintViolation] {
        lint(.up) + lint(.down)
    }

    func lint(_ direction: PostgresMigrationDirection) -> [PostgresMigrationLintViolation] {
        let sql = direction == .up ? upSQL : downSQL
        var violations: [PostgresMigrationLintViolation] = []
        func violation(_ rule: PostgresMigrationLintViolation.Rule, line: Int, _ message: String) {
            violations.append(PostgresMigrationLintViolation(
                rule: rule, migration: identifier, direction: direction, line: line, message: message
            ))
        }

        let statements: [SQLStatement]
        do {
            statements = try SQLScript.statements(in: sql)
        } catch {
            violation(.unterminatedText, line: error.line, error.description)
            return violations
        }
        if statements.isEmpty {
            violation(.noStatements, line: 0, "the \(direction.rawValue) SQL has no statement")
        }

        var added: [String: Int] = [:]
        var validated: [(name: String, line: Int)] = []
        for statement in statements {
            let tokens = statement.tokens
            let words = tokens.map { $0.kind == .word ? $0.text : "" }
            let first = words.first ?? ""
            let second = words.count > 1 ? words[1] : ""
            let line = statement.line

            switch first {
            case "DO":
                violation(.doBlock, line: line, "DO block; write plain statements")
            case "BEGIN", "COMMIT", "ROLLBACK", "START", "END", "ABORT":
                violation(.transactionControl, line: line, "\(first): the migrator opens and commits the transaction")
            case "PREPARE" where second == "TRANSACTION":
                violation(.transactionControl, line: line, "PREPARE TRANSACTION: the migrator owns the transaction")
            case "VACUUM":
                violation(.notTransactional, line: line, "VACUUM cannot run inside a transaction")
            case "SET" where !["LOCAL", "CONSTRAINTS", "TRANSACTION"].contains(second):
                violation(.sessionSetting, line: line, "SET changes the session; use SET LOCAL")
            case "RESET":
                violation(.sessionSetting, line: line, "RESET changes the session")
            case "ALTER" where second == "SYSTEM":
                violation(.notTransactional, line: line, "ALTER SYSTEM cannot run inside a transaction")
            default:
                break
            }
            if ["CREATE", "DROP"].contains(first) && ["DATABASE", "TABLESPACE"].contains(second) {
                violation(.notTransactional, line: line, "\(first) \(second) cannot run inside a transaction")
            }
            if ["CREATE", "DROP", "REINDEX"].contains(first),
               tokens.contains(where: { $0.depth == 0 && $0.isWord("CONCURRENTLY") }) {
                violation(.notTransactional, line: line, "\(first) … CONCURRENTLY cannot run inside a transaction")
            }
            if first == "ALTER" && second == "TABLE" {
                lintAlterTable(tokens, line: line, added: &added, validated: &validated, violation: violation)
            }
        }
        for (name, line) in validated where added[name] != nil {
            violation(
                .validateInSameMigration,
                line: line,
                "constraint \(name) is added and validated in the same migration; validate it in a later step"
            )
        }
        return violations
    }

    private func lintAlterTable(
        _ tokens: [SQLToken],
        line: Int,
        added: inout [String: Int],
        validated: inout [(name: String, line: Int)],
        violation: (PostgresMigrationLintViolation.Rule, Int, String) -> Void
    ) {
        // ALTER TABLE [IF EXISTS] [ONLY] name [*] action [, action …]
        var index = 2
        if index + 1 < tokens.count && tokens[index].isWord("IF") && tokens[index + 1].isWord("EXISTS") {
            index += 2
        }
        if index < tokens.count && tokens[index].isWord("ONLY") {
            index += 1
        }
        // The (possibly schema-qualified) table name.
        if index < tokens.count {
            index += 1
        }
        while index + 1 < tokens.count && tokens[index].kind == .punctuation && tokens[index].text == "." {
            index += 2
        }
        if index < tokens.count && tokens[index].kind == .punctuation && tokens[index].text == "*" {
            index += 1
        }

        // Actions, separated by commas at depth 0.
        var actions: [ArraySlice<SQLToken>] = []
        var start = index
        for position in index..<tokens.count where tokens[position].depth == 0
            && tokens[position].kind == .punctuation && tokens[position].text == "," {
            actions.append(tokens[start..<position])
            start = position + 1
        }
        if start < tokens.count {
            actions.append(tokens[start..<tokens.count])
        }

        for action in actions {
            let words = Array(action)
            guard let first = words.first else { continue }
            if first.isWord("VALIDATE"), words.count >= 3, words[1].isWord("CONSTRAINT") {
                validated.append((Self.constraintName(words[2]), line))
                continue
            }
            guard first.isWord("ADD") else { continue }
            var position = 1
            var constraintName: String?
            if position < words.count && words[position].isWord("CONSTRAINT") {
                if position + 1 < words.count {
                    constraintName = Self.constraintName(words[position + 1])
                }
                position += 2
            }
            guard position < words.count else { continue }
            let kind = words[position]
            let topLevelWords = words.filter { $0.depth == 0 && $0.kind == .word }.map(\.text)
            let label = constraintName.map { "constraint \($0)" } ?? "an unnamed constraint"
            if kind.isWord("CHECK") || kind.isWord("FOREIGN") {
                let notValid = zip(topLevelWords, topLevelWords.dropFirst()).contains { $0 == "NOT" && $1 == "VALID" }
                if !notValid {
                    violation(
                        .constraintWithoutNotValid,
                        line,
                        "\(label) (\(kind.text == "CHECK" ? "CHECK" : "FOREIGN KEY")) is added without NOT VALID"
                    )
                }
                if let constraintName {
                    added[constraintName] = line
                }
            } else if ["UNIQUE", "PRIMARY", "EXCLUDE"].contains(where: { kind.isWord($0) }) {
                if let constraintName {
                    added[constraintName] = line
                }
            } else if topLevelWords.contains("CHECK") || topLevelWords.contains("REFERENCES") {
                violation(
                    .columnConstraintOnExistingTable,
                    line,
                    "ADD COLUMN with a CHECK or REFERENCES constraint; add the column, then the constraint NOT VALID"
                )
            }
        }
    }

    private static func constraintName(_ token: SQLToken) -> String {
        token.kind == .quotedIdentifier ? token.text : token.text.lowercased()
    }
}
