import ArgumentParser
import TradeLifecycle
import TradeLifecyclePostgres

extension TradeLifecycleCommand {
    /// `trade-lifecycle migrate [--dry-run]`.
    struct Migrate: AsyncParsableCommand, CommandLogic {
        static let configuration = CommandConfiguration(
            abstract: "Apply the schema migrations (or print their exact SQL with --dry-run).",
            discussion: """
                Runs PostgresMigrator: takes the migration advisory lock, verifies the checksums of the applied \
                migrations, applies each pending one in its own transaction and reads it back. With --dry-run, \
                prints the exact SQL a run would send now and changes nothing. \(ExitCodes.help)
                """
        )

        @OptionGroup var database: DatabaseOptions

        @Flag(name: .long, help: "Print the exact SQL instead of running it.")
        var dryRun = false

        func execute(in context: CommandContext) async throws(CommandFailure) -> CommandOutput {
            let migrator = PostgresMigrator(settings: try database.settings(context), logger: context.logger)
            if dryRun {
                let script: PostgresMigrationScript
                do {
                    script = try await migrator.dryRun()
                } catch {
                    throw error.commandFailure
                }
                if database.json {
                    return CommandOutput(standardOutput: JSON.object([
                        ("dryRun", .bool(true)),
                        ("pending", .array(script.steps.map { .string($0.migration) })),
                        ("sql", .string(script.sql)),
                    ]).text)
                }
                let notice = script.steps.isEmpty
                    ? "dry run: the database is up to date; nothing would be applied\n"
                    : "dry run: \(script.steps.count) migration(s) would be applied; nothing was sent\n"
                return CommandOutput(standardOutput: script.sql, standardError: notice)
            }
            let report: PostgresMigrationReport
            do {
                report = try await migrator.migrate()
            } catch {
                throw error.commandFailure
            }
            if database.json {
                func record(_ migration: PostgresAppliedMigration) -> JSON {
                    .object([("version", .int(migration.version)), ("name", .string(migration.name)),
                             ("checksum", .string(migration.checksum)), ("appliedAt", .string(migration.appliedAtUTC))])
                }
                return CommandOutput(standardOutput: JSON.object([
                    ("applied", .array(report.applied.map(record))),
                    ("history", .array(report.history.map(record))),
                ]).text)
            }
            var table = TextTable("version", "migration", "applied_at")
            for migration in report.applied {
                table.append([String(migration.version), migration.description, migration.appliedAtUTC])
            }
            let version = report.history.last.map { String($0.version) } ?? "0"
            let summary = report.applied.isEmpty
                ? "the database is up to date (schema version \(version))\n"
                : "applied \(report.applied.count) migration(s); schema version \(version)\n"
            return CommandOutput(standardOutput: report.applied.isEmpty ? summary : table.text + summary)
        }
    }

    /// `trade-lifecycle snapshot`.
    struct Snapshot: AsyncParsableCommand, CommandLogic {
        static let configuration = CommandConfiguration(
            abstract: "Phase A: the row counts of orders and trade_history (the plan's two queries, unchanged).",
            discussion: ExitCodes.help
        )

        @OptionGroup var database: DatabaseOptions

        func execute(in context: CommandContext) async throws(CommandFailure) -> CommandOutput {
            let runbook = PostgresRunbook(settings: try database.settings(context), logger: context.logger)
            let snapshot: RunbookSnapshot
            do {
                snapshot = try await runbook.snapshot()
            } catch {
                throw error.commandFailure
            }
            if database.json {
                return CommandOutput(standardOutput: JSON.object([
                    ("orders_total", .int(snapshot.ordersTotal)),
                    ("orders_missing_trade_id", .int(snapshot.ordersMissingTradeID)),
                    ("history_total", .int(snapshot.historyTotal)),
                    ("history_missing_trade_id", .int(snapshot.historyMissingTradeID)),
                ]).text)
            }
            var table = TextTable("orders_total", "orders_missing_trade_id", "history_total", "history_missing_trade_id")
            table.append([String(snapshot.ordersTotal), String(snapshot.ordersMissingTradeID),
                          String(snapshot.historyTotal), String(snapshot.historyMissingTradeID)])
            return CommandOutput(standardOutput: table.text)
        }
    }

    /// `trade-lifecycle report --profile P`.
    struct Report: AsyncParsableCommand, CommandLogic {
        static let configuration = CommandConfiguration(
            abstract: "Phase C: the lifecycle reconciliation report of a profile (open lifecycles and anomalies).",
            discussion: """
                Reads every order of the profile and the trade_history rows that name a trade id, and reports the \
                anomalies of the core's lifecycle analysis: orphan_exit, overclosed, missing_entry_order, \
                missing_trade_id. Anomalies are reported, not a failure (exit code 0). \(ExitCodes.help)
                """
        )

        @OptionGroup var database: DatabaseOptions

        @Option(name: .long, help: "The profile.")
        var profile: String

        func execute(in context: CommandContext) async throws(CommandFailure) -> CommandOutput {
            let profileID = try CommandValues.profileID(profile)
            let runbook = PostgresRunbook(settings: try database.settings(context), logger: context.logger)
            let report: LifecycleReport
            do {
                report = try await runbook.lifecycleReport(profileID: profileID)
            } catch {
                throw error.commandFailure
            }
            if database.json {
                return CommandOutput(standardOutput: JSON.object([
                    ("profileId", .string(report.profileID.rawValue)),
                    ("orders", .int(report.orderCount)),
                    ("tradeHistoryReferences", .int(report.historyReferenceCount)),
                    ("lifecycles", .int(report.lifecycleCount)),
                    ("openLifecycles", .array(report.openLifecycles.map(LifecycleText.json))),
                    ("anomalies", .array(report.anomalies.map(LifecycleText.json))),
                ]).text)
            }
            var text = "profile \(report.profileID): \(report.orderCount) orders, \(report.lifecycleCount) lifecycles, "
                + "\(report.openLifecycles.count) open, \(report.anomalies.count) anomalies\n"
            if !report.openLifecycles.isEmpty {
                var table = TextTable("symbol", "trade_id", "side", "entry_qty", "exit_qty", "open_qty")
                for lifecycle in report.openLifecycles {
                    table.append([lifecycle.key.symbol, lifecycle.key.tradeID.rawValue, lifecycle.side.rawValue,
                                  lifecycle.entryQuantity.description, lifecycle.exitQuantity.description,
                                  lifecycle.openQuantity.description])
                }
                text += "\nopen lifecycles\n" + table.text
            }
            if !report.anomalies.isEmpty {
                text += "\nanomalies\n" + LifecycleText.table(report.anomalies).text
            }
            return CommandOutput(standardOutput: text)
        }
    }

    /// `trade-lifecycle trade-ids backfill [--apply]`.
    struct TradeIDs: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "trade-ids",
            abstract: "The legacy trade id backfill of the lifecycle integrity plan.",
            subcommands: [Backfill.self]
        )

        struct Backfill: AsyncParsableCommand, CommandLogic {
            static let configuration = CommandConfiguration(
                abstract: "Give lifecycle rows without a trade id their generated TRD- id (dry run unless --apply).",
                discussion: """
                    Reads the ENTRY and EXIT rows that count toward a lifecycle and have no trade id, walks them per \
                    profile and symbol (filled_at, order_id) and gives each lifecycle TRD-md5(profile:symbol:legacy:<first \
                    ENTRY order_id>). An EXIT with nothing open is reported as orphan_exit and left NULL. With --apply, \
                    writes in one transaction with UPDATE orders SET trade_id = $1 WHERE order_id = $2 AND trade_id IS \
                    NULL (fills NULLs only, never overwrites) and reads the rows back. Refused (exit code 3) when a row \
                    to fill has a blank trade id rather than NULL. \(ExitCodes.help)
                    """
            )

            @OptionGroup var database: DatabaseOptions

            @Flag(name: .long, help: "Write the trade ids.")
            var apply = false

            func execute(in context: CommandContext) async throws(CommandFailure) -> CommandOutput {
                let runbook = PostgresRunbook(settings: try database.settings(context), logger: context.logger)
                if apply {
                    let result: LegacyTradeIDApplyResult
                    do {
                        result = try await runbook.applyLegacyTradeIDs()
                    } catch {
                        throw error.commandFailure
                    }
                    return output(plan: result.plan, blank: [], rowsRead: nil, updated: result.updatedCount, verified: result.verifiedCount)
                }
                let dryRun: LegacyTradeIDBackfill
                do {
                    dryRun = try await runbook.planLegacyTradeIDs()
                } catch {
                    throw error.commandFailure
                }
                var output = output(plan: dryRun.plan, blank: dryRun.blankTradeIDOrders, rowsRead: dryRun.rowsRead, updated: nil, verified: nil)
                output.standardError = "dry run: nothing was written; run with --apply to fill \(dryRun.plan.assignments.count) trade id(s)\n"
                if !dryRun.blankTradeIDOrders.isEmpty {
                    output.standardError += "--apply would be refused: \(dryRun.blankTradeIDOrders.count) row(s) to fill have a blank trade_id "
                        + "rather than NULL; normalize them first: UPDATE orders SET trade_id = NULL WHERE btrim(trade_id) = ''\n"
                }
                return output
            }

            private func output(plan: LegacyTradeIDPlan, blank: [OrderID], rowsRead: Int?, updated: Int?, verified: Int?) -> CommandOutput {
                if database.json {
                    var members: [(String, JSON)] = [("mode", .string(apply ? "apply" : "dry_run"))]
                    if let rowsRead { members.append(("rowsRead", .int(rowsRead))) }
                    members += [
                        ("assignments", .array(plan.assignments.map { assignment in
                            .object([("orderId", .string(assignment.orderID.rawValue)), ("profileId", .string(assignment.profileID.rawValue)),
                                     ("symbol", .string(assignment.symbol)), ("tradeId", .string(assignment.tradeID.rawValue)),
                                     ("firstEntryOrderId", .string(assignment.firstEntryOrderID.rawValue))])
                        })),
                        ("orphanExits", .array(plan.orphanExits.map { .string($0.rawValue) })),
                        ("overclosingExits", .array(plan.overclosingExits.map { exit in
                            .object([("orderId", .string(exit.orderID.rawValue)), ("tradeId", .string(exit.tradeID.rawValue)),
                                     ("openQty", .string(exit.openQuantity.description)), ("exitQty", .string(exit.exitQuantity.description))])
                        })),
                        ("blankTradeIdOrders", .array(blank.map { .string($0.rawValue) })),
                    ]
                    if let updated { members.append(("updated", .int(updated))) }
                    if let verified { members.append(("verified", .int(verified))) }
                    return CommandOutput(standardOutput: JSON.object(members).text)
                }
                var text = ""
                if !plan.assignments.isEmpty {
                    var table = TextTable("order_id", "profile_id", "symbol", "trade_id")
                    for assignment in plan.assignments {
                        table.append([assignment.orderID.rawValue, assignment.profileID.rawValue, assignment.symbol, assignment.tradeID.rawValue])
                    }
                    text += table.text
                }
                if !plan.orphanExits.isEmpty {
                    text += "\norphan_exit (left NULL): " + plan.orphanExits.map(\.rawValue).joined(separator: ", ") + "\n"
                }
                if !plan.overclosingExits.isEmpty {
                    text += "\noverclosing EXITs: " + plan.overclosingExits.map { "\($0.orderID) (\($0.exitQuantity) > open \($0.openQuantity))" }
                        .joined(separator: ", ") + "\n"
                }
                if !blank.isEmpty {
                    text += "\nblank trade_id (not NULL): " + blank.map(\.rawValue).joined(separator: ", ") + "\n"
                }
                if let updated, let verified {
                    text += "\nupdated \(updated) row(s); \(verified) read back with their trade id\n"
                } else {
                    text += "\n\(plan.assignments.count) trade id(s) to fill from \(rowsRead ?? 0) row(s) read\n"
                }
                return CommandOutput(standardOutput: text)
            }
        }
    }

    /// `trade-lifecycle constraints validate|rollback|list`.
    struct Constraints: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Phases B and D: list, validate and roll back the lifecycle constraints.",
            subcommands: [List.self, Validate.self, Rollback.self]
        )

        struct List: AsyncParsableCommand, CommandLogic {
            static let configuration = CommandConfiguration(
                abstract: "List the constraints (pg_constraint conname, convalidated) and the trade id indexes.",
                discussion: ExitCodes.help
            )

            @OptionGroup var database: DatabaseOptions

            func execute(in context: CommandContext) async throws(CommandFailure) -> CommandOutput {
                let runbook = PostgresRunbook(settings: try database.settings(context), logger: context.logger)
                do {
                    return ConstraintText.output(try await runbook.listConstraints(), json: database.json)
                } catch {
                    throw error.commandFailure
                }
            }
        }

        struct Validate: AsyncParsableCommand, CommandLogic {
            static let configuration = CommandConfiguration(
                abstract: "Validate the constraints added NOT VALID (dry run unless --apply); refused while any profile has anomalies.",
                discussion: """
                    Takes the lifecycle report of every profile first: with any anomaly, nothing is run and the \
                    command is refused (exit code 3). Otherwise, with --apply, sends the plan's five ALTER TABLE ... \
                    VALIDATE CONSTRAINT statements unchanged and then the same for the schema's other NOT VALID \
                    constraints, each as its own statement; a failing statement is reported (exit code 1) and does \
                    not undo the others. Without --apply, prints the statements and the gate's result. \(ExitCodes.help)
                    """
            )

            @OptionGroup var database: DatabaseOptions

            @Flag(name: .long, help: "Run the statements.")
            var apply = false

            func execute(in context: CommandContext) async throws(CommandFailure) -> CommandOutput {
                let runbook = PostgresRunbook(settings: try database.settings(context), logger: context.logger)
                guard apply else {
                    let reports: [LifecycleReport]
                    do {
                        reports = try await runbook.lifecycleReports()
                    } catch {
                        throw error.commandFailure
                    }
                    let anomalies = reports.flatMap(\.anomalies)
                    let statements = RunbookStatements.validate
                    if database.json {
                        return CommandOutput(standardOutput: JSON.object([
                            ("mode", .string("dry_run")),
                            ("statements", .array(statements.map { .string($0) })),
                            ("anomalies", .array(anomalies.map(LifecycleText.json))),
                        ]).text)
                    }
                    var text = statements.joined(separator: "\n") + "\n"
                    if !anomalies.isEmpty {
                        text += "\nanomalies\n" + LifecycleText.table(anomalies).text
                    }
                    let notice = anomalies.isEmpty
                        ? "dry run: nothing was run; the lifecycle report is clean: run with --apply to validate\n"
                        : "dry run: nothing was run; --apply would be refused: \(anomalies.count) lifecycle anomal\(anomalies.count == 1 ? "y" : "ies") to resolve first\n"
                    return CommandOutput(standardOutput: text, standardError: notice)
                }
                let outcomes: [RunbookConstraintValidation]
                do {
                    outcomes = try await runbook.validateConstraints()
                } catch {
                    var failure = error.commandFailure
                    if error.code == .anomaliesPresent {
                        failure.output = database.json
                            ? JSON.object([("anomalies", .array(error.anomalies.map(LifecycleText.json)))]).text
                            : LifecycleText.table(error.anomalies).text
                    }
                    throw failure
                }
                let output: String
                if database.json {
                    output = JSON.object([("validations", .array(outcomes.map { outcome in
                        .object([("constraint", .string(outcome.name)), ("statement", .string(outcome.statement)),
                                 ("validated", .bool(outcome.succeeded)), ("sqlState", .optional(outcome.failureSQLState))])
                    }))]).text
                } else {
                    var table = TextTable("constraint", "result")
                    for outcome in outcomes {
                        table.append([outcome.name, outcome.succeeded ? "validated" : "failed (SQLSTATE \(outcome.failureSQLState ?? "-"))"])
                    }
                    output = table.text
                }
                let failed = outcomes.filter { !$0.succeeded }
                guard failed.isEmpty else {
                    throw CommandFailure(.runtimeFailure, "\(failed.count) constraint(s) could not be validated: "
                        + failed.map { "\($0.name) (SQLSTATE \($0.failureSQLState ?? "-"))" }.joined(separator: ", ")
                        + "; the others are validated", output: output)
                }
                return CommandOutput(standardOutput: output)
            }
        }

        struct Rollback: AsyncParsableCommand, CommandLogic {
            static let configuration = CommandConfiguration(
                abstract: "The plan's rollback: drop the five lifecycle constraints (dry run unless --apply).",
                discussion: """
                    Sends the plan's five ALTER TABLE ... DROP CONSTRAINT IF EXISTS statements unchanged, each as its \
                    own statement, and lists the constraints after. Indexes are kept. Running it twice is harmless. \
                    Without --apply, prints the statements. \(ExitCodes.help)
                    """
            )

            @OptionGroup var database: DatabaseOptions

            @Flag(name: .long, help: "Run the statements.")
            var apply = false

            func execute(in context: CommandContext) async throws(CommandFailure) -> CommandOutput {
                let settings = try database.settings(context)
                guard apply else {
                    if database.json {
                        return CommandOutput(standardOutput: JSON.object([
                            ("mode", .string("dry_run")),
                            ("statements", .array(RunbookStatements.drop.map { .string($0) })),
                        ]).text)
                    }
                    return CommandOutput(standardOutput: RunbookStatements.drop.joined(separator: "\n") + "\n",
                                         standardError: "dry run: nothing was run; run with --apply to drop the constraints\n")
                }
                let runbook = PostgresRunbook(settings: settings, logger: context.logger)
                do {
                    return ConstraintText.output(try await runbook.rollbackConstraints(), json: database.json)
                } catch {
                    throw error.commandFailure
                }
            }
        }
    }
}

/// The statements the constraint commands show in a dry run: exactly what the runbook sends.
enum RunbookStatements {
    static var validate: [String] { PostgresRunbook.constraintValidationStatements }
    static var drop: [String] { PostgresRunbook.constraintRollbackStatements }
}

/// Lifecycle values as text and JSON.
enum LifecycleText {
    static func json(_ lifecycle: LifecycleSummary) -> JSON {
        .object([
            ("symbol", .string(lifecycle.key.symbol)), ("tradeId", .string(lifecycle.key.tradeID.rawValue)),
            ("side", .string(lifecycle.side.rawValue)), ("entryQty", .string(lifecycle.entryQuantity.description)),
            ("exitQty", .string(lifecycle.exitQuantity.description)), ("openQty", .string(lifecycle.openQuantity.description)),
        ])
    }

    static func json(_ anomaly: LifecycleAnomaly) -> JSON {
        var orderID: String?
        if case .missingTradeID(let id, _, _, _) = anomaly { orderID = id.rawValue }
        return .object([
            ("kind", .string(anomaly.kind)), ("profileId", .string(anomaly.profileID.rawValue)),
            ("symbol", .optional(anomaly.symbol)), ("tradeId", .optional(anomaly.tradeID?.rawValue)),
            ("orderId", .optional(orderID)), ("description", .string(anomaly.description)),
        ])
    }

    static func table(_ anomalies: [LifecycleAnomaly]) -> TextTable {
        var table = TextTable("kind", "profile_id", "symbol", "trade_id", "detail")
        for anomaly in anomalies {
            table.append([anomaly.kind, anomaly.profileID.rawValue, Cell.text(anomaly.symbol), Cell.text(anomaly.tradeID?.rawValue),
                          anomaly.description])
        }
        return table
    }
}

/// Constraint listings as text and JSON.
enum ConstraintText {
    static func output(_ listing: RunbookConstraintListing, json: Bool) -> CommandOutput {
        if json {
            func states(_ list: [RunbookConstraintState]) -> JSON {
                .array(list.map { .object([("conname", .string($0.name)), ("convalidated", .bool($0.isValidated))]) })
            }
            return CommandOutput(standardOutput: JSON.object([
                ("referenceConstraints", states(listing.referenceConstraints)),
                ("additionalConstraints", states(listing.additionalConstraints)),
                ("indexes", .array(listing.indexes.map { .string($0) })),
            ]).text)
        }
        var table = TextTable("conname", "convalidated", "source")
        for state in listing.referenceConstraints {
            table.append([state.name, state.isValidated ? "t" : "f", "reference plan"])
        }
        for state in listing.additionalConstraints {
            table.append([state.name, state.isValidated ? "t" : "f", "schema"])
        }
        var indexes = TextTable("indexname")
        for index in listing.indexes {
            indexes.append([index])
        }
        return CommandOutput(standardOutput: table.text + "\n" + indexes.text)
    }
}
