import ArgumentParser
import TradeLifecycle
import TradeLifecyclePostgres
import TradeLifecycleScenario

extension TradeLifecycleCommand {
    /// `trade-lifecycle backfill plan|apply|rollback`.
    struct Backfill: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "The reconciliation EXIT backfill runbook on the database: plan, apply, roll back.",
            discussion: """
                Settings come from the runbook's environment variables: ENABLE_RECON_EXIT_BACKFILL (must be true), \
                RECON_EXIT_BACKFILL_DRY_RUN, RECON_EXIT_BACKFILL_REQUIRE_PAUSE, RECON_EXIT_BACKFILL_DUST_ABS_QTY, \
                RECON_EXIT_BACKFILL_DUST_REL_PCT, RECON_EXIT_BACKFILL_LOOKBACK_HOURS; a malformed value is bad input \
                naming the variable. The exchange snapshot file is JSON: { "positions": [...], "fills": [...], \
                "openOrders": [...] } with the fields of a scenario's exchange object.
                """,
            subcommands: [Plan.self, Apply.self, Rollback.self]
        )

        /// `backfill plan`: read-only.
        struct Plan: AsyncParsableCommand, CommandLogic {
            static let configuration = CommandConfiguration(
                abstract: "Plan the EXIT backfill of a profile from the database and an exchange snapshot; writes nothing.",
                discussion: """
                    Prints the rows a dry run would audit (DRY_RUN and NO_GO), in the order and, with --json, the exact \
                    shape of SPEC section 9: { "batchId": ..., "rows": [...] }. The batch id is not recorded: nothing is \
                    written. Refused (exit code 3) when ENABLE_RECON_EXIT_BACKFILL is not true. \(ExitCodes.help)
                    """
            )

            @OptionGroup var database: DatabaseOptions

            @Option(name: .long, help: "The profile.")
            var profile: String

            @Option(name: .long, help: "The exchange snapshot file (JSON).")
            var exchange: String

            @Option(name: .long, help: "The planning time, ISO-8601 (default: now).")
            var now: String?

            func execute(in context: CommandContext) async throws(CommandFailure) -> CommandOutput {
                let input = try BackfillInput(context: context, profile: profile, exchangeFile: exchange, database: database)
                var time = context.clock.now()
                if let now {
                    do {
                        time = try Timestamp(now)
                    } catch {
                        throw CommandFailure(.badInput, "--now: \(error.description)")
                    }
                }
                let plan = try await input.plan(now: time, context: context)
                let records = BackfillText.records(plan, batchID: BackfillBatchID.make(at: time), isDryRun: true, createdAt: time)
                var output = BackfillText.output(ScenarioPlan(batchID: records.batchID, mode: .dryRun, records: records.records),
                                                 json: database.json)
                output.standardError = "plan only: nothing was written; the batch id is not recorded\n"
                return output
            }
        }

        /// `backfill apply`: the runbook's cycle, gated.
        struct Apply: AsyncParsableCommand, CommandLogic {
            static let configuration = CommandConfiguration(
                abstract: "Run the EXIT backfill of a profile (a preview unless --apply).",
                discussion: """
                    With --apply, runs one backfill cycle of the engine on the database: with \
                    RECON_EXIT_BACKFILL_DRY_RUN=true (the default) it writes the DRY_RUN and NO_GO audit rows only \
                    (runbook step 5); with RECON_EXIT_BACKFILL_DRY_RUN=false it finishes interrupted PENDING_APPLY \
                    rows, then inserts the EXIT rows (ON CONFLICT DO NOTHING) and audits them APPLIED or \
                    SKIP_EXISTING (step 7). Prints the batch's rows (SPEC section 9 shape with --json). \
                    Refused (exit code 3, nothing written) when ENABLE_RECON_EXIT_BACKFILL is not true, when pause is \
                    required and the profile is not paused (or unknown), or, for an apply with \
                    RECON_EXIT_BACKFILL_DRY_RUN=false, when the plan has NO_GO rows (the runbook's No-Go) unless \
                    --allow-no-go is given. Without --apply, prints what would be written and the gates' results, and \
                    writes nothing. \(ExitCodes.help)
                    """
            )

            @OptionGroup var database: DatabaseOptions

            @Option(name: .long, help: "The profile.")
            var profile: String

            @Option(name: .long, help: "The exchange snapshot file (JSON).")
            var exchange: String

            @Flag(name: .long, help: "Run the cycle (write the audit rows, and with RECON_EXIT_BACKFILL_DRY_RUN=false the EXIT rows).")
            var apply = false

            @Flag(name: .long, help: "Apply the candidates even though the plan has NO_GO rows (after reviewing them).")
            var allowNoGo = false

            /// The engine works one unit of work at a time: two connections are enough.
            static let storeConfiguration = PostgresStore.Configuration(maximumConnections: 2)

            func execute(in context: CommandContext) async throws(CommandFailure) -> CommandOutput {
                let input = try BackfillInput(context: context, profile: profile, exchangeFile: exchange, database: database)
                let configuration = input.configuration
                let runbook = PostgresRunbook(settings: input.settings, logger: context.logger)
                let time = context.clock.now()
                let state: TradingProfile?
                do {
                    state = try await runbook.tradingProfile(input.profileID)
                } catch {
                    throw error.commandFailure
                }
                let plan = try await input.plan(now: time, context: context)
                var refusals: [String] = []
                if configuration.requiresPause, state?.isPaused != true {
                    refusals.append("profile \(input.profileID) is \(state == nil ? "unknown (no trade_profiles row)" : "not paused") "
                        + "and RECON_EXIT_BACKFILL_REQUIRE_PAUSE is true: pause trading first")
                }
                let noGo = plan.rows.filter { !$0.isCandidate }
                if !configuration.isDryRun, !noGo.isEmpty, !allowNoGo {
                    refusals.append("the plan has \(noGo.count) NO_GO row(s) (" + noGo.map { "\($0.symbol)/\($0.tradeID): \($0.reason.rawValue)" }
                        .joined(separator: ", ") + "): resolve them, or review them and pass --allow-no-go")
                }
                let previewRecords = BackfillText.records(plan, batchID: BackfillBatchID.make(at: time), isDryRun: configuration.isDryRun,
                                                          createdAt: time)
                let preview = ScenarioPlan(batchID: previewRecords.batchID, mode: configuration.mode, records: previewRecords.records)
                guard apply else {
                    var output = BackfillText.output(preview, json: database.json)
                    let candidates = plan.candidates.count
                    output.standardError = "preview: nothing was written; with --apply this would "
                        + (configuration.isDryRun
                            ? "write \(plan.rows.count) audit row(s) (RECON_EXIT_BACKFILL_DRY_RUN=true: DRY_RUN and NO_GO, no order)\n"
                            : "insert up to \(candidates) EXIT row(s) and audit \(plan.rows.count) row(s)\n")
                    for refusal in refusals {
                        output.standardError += "--apply would be refused: \(refusal)\n"
                    }
                    return output
                }
                guard refusals.isEmpty else {
                    throw CommandFailure(.refused, "refused, nothing written: " + refusals.joined(separator: "; "),
                                         output: BackfillText.output(preview, json: database.json).standardOutput)
                }
                let result: BackfillRunResult
                do {
                    result = try await PostgresStore.withStore(settings: input.settings, configuration: Self.storeConfiguration,
                                                               logger: context.logger) { store in
                        try await BackfillEngine(store: store, clock: context.clock, configuration: configuration)
                            .run(profileID: input.profileID, exchange: input.snapshot)
                    }
                } catch let error as BackfillError {
                    throw CommandFailure(.runtimeFailure, error.description)
                } catch {
                    throw CommandFailure(.runtimeFailure, "backfill failed: \(error)")
                }
                var output = BackfillText.output(ScenarioPlan(batchID: result.batchID, mode: result.mode, records: result.records),
                                                 json: database.json)
                let counts = BackfillDecision.allCases.compactMap { decision -> String? in
                    let count = result.count(of: decision)
                    return count == 0 ? nil : "\(count) \(decision.rawValue)"
                }
                output.standardError = "batch \(result.batchID) (\(result.mode.rawValue)): "
                    + (counts.isEmpty ? "nothing to backfill" : counts.joined(separator: ", ")) + "\n"
                if !result.finishedPendingRecords.isEmpty {
                    output.standardError += "finished \(result.finishedPendingRecords.count) PENDING_APPLY row(s) of interrupted runs first\n"
                }
                return output
            }
        }

        /// `backfill rollback --batch B`.
        struct Rollback: AsyncParsableCommand, CommandLogic {
            static let configuration = CommandConfiguration(
                abstract: "Roll back a backfill batch: status-only, never a delete (a preview unless --apply).",
                discussion: """
                    With --apply, the orders of the batch's APPLIED and SKIP_EXISTING rows get status canceled and every \
                    row of the batch gets reverted_at (runbook step 9); rolling back twice changes nothing. Without \
                    --apply, lists the orders that would be cancelled. An unknown batch is bad input (exit code 2). \
                    \(ExitCodes.help)
                    """
            )

            @OptionGroup var database: DatabaseOptions

            @Option(name: .long, help: "The batch id.")
            var batch: String

            @Flag(name: .long, help: "Cancel the orders and mark the batch reverted.")
            var apply = false

            func execute(in context: CommandContext) async throws(CommandFailure) -> CommandOutput {
                let batchID = try CommandValues.batchID(batch)
                let settings = try database.settings(context)
                let json = database.json
                let apply = apply
                do {
                    return try await PostgresStore.withStore(settings: settings, configuration: Apply.storeConfiguration,
                                                             logger: context.logger) { store in
                        let records = try await store.auditRecords(batchID: batchID)
                        guard !records.isEmpty else {
                            throw CommandFailure(.badInput, "--batch: no audit rows have batch id \(batchID)")
                        }
                        if apply {
                            let result = try await BackfillEngine(store: store, clock: context.clock, configuration: .default)
                                .rollback(batchID: batchID)
                            return BackfillText.rollback(result, json: json)
                        }
                        var targets: [(BackfillAuditRecord, Order?)] = []
                        for record in records where record.decision == .applied || record.decision == .skipExisting || record.decision == .pendingApply {
                            targets.append((record, try await record.backfillOrderID.asyncMap { try await store.order($0) } ?? nil))
                        }
                        var output = BackfillText.rollbackPreview(batchID: batchID, records: records, targets: targets, json: json)
                        output.standardError = "preview: nothing changed; run with --apply to roll back batch \(batchID)\n"
                        return output
                    }
                } catch let failure as CommandFailure {
                    throw failure
                } catch let error as BackfillError {
                    throw CommandFailure(error.code == .batchNotFound ? .badInput : .runtimeFailure, error.description)
                } catch {
                    throw CommandFailure(.runtimeFailure, "rollback failed: \(error)")
                }
            }
        }
    }
}

extension Optional {
    /// The value mapped by an async `transform`, or `nil`.
    func asyncMap<Mapped>(_ transform: (Wrapped) async throws -> Mapped) async rethrows -> Mapped? {
        guard let value = self else { return nil }
        return try await transform(value)
    }
}

/// What `backfill plan|apply` read from the command line, the environment and the file.
struct BackfillInput: Sendable {
    let profileID: ProfileID
    let configuration: BackfillConfiguration
    let snapshot: ExchangeSnapshot
    let settings: PostgresConnectionSettings

    init(context: CommandContext, profile: String, exchangeFile: String, database: DatabaseOptions) throws(CommandFailure) {
        profileID = try CommandValues.profileID(profile)
        configuration = try CommandValues.backfillConfiguration(context)
        guard configuration.isEnabled else {
            throw CommandFailure(.refused, """
                ENABLE_RECON_EXIT_BACKFILL is not true: the backfill is disabled and plans and writes nothing; \
                set ENABLE_RECON_EXIT_BACKFILL=true to run it
                """)
        }
        let bytes = try FileInput.read(exchangeFile, what: "exchange snapshot file")
        do {
            snapshot = try ExchangeSnapshotFile.read(json: bytes)
        } catch {
            throw CommandFailure(.badInput, "\(exchangeFile): \(error)")
        }
        settings = try database.settings(context)
    }

    /// The plan, read from the database without writing.
    func plan(now: Timestamp, context: CommandContext) async throws(CommandFailure) -> BackfillPlan {
        do {
            return try await PostgresRunbook(settings: settings, logger: context.logger)
                .planBackfill(profileID: profileID, exchange: snapshot, configuration: configuration, now: now)
        } catch {
            throw error.commandFailure
        }
    }
}

/// Backfill rows as text and JSON.
enum BackfillText {
    /// The plan's rows as the audit records a run would write first.
    static func records(_ plan: BackfillPlan, batchID: BackfillBatchID, isDryRun: Bool,
                        createdAt: Timestamp) -> (batchID: BackfillBatchID, records: [BackfillAuditRecord]) {
        let records = plan.rows.enumerated().map { index, row in
            row.auditRecord(batchID: batchID, rowNumber: index, decision: row.initialDecision(isDryRun: isDryRun), createdAt: createdAt)
        }
        return (batchID, records)
    }

    /// The rows: SPEC section 9's JSON, or a table.
    static func output(_ plan: ScenarioPlan, json: Bool) -> CommandOutput {
        if json {
            return CommandOutput(standardOutput: plan.json)
        }
        var table = TextTable("symbol", "trade_id", "decision", "reason", "open_qty", "filled_qty", "price", "backfill_order_id",
                              "exchange_order_id", "filled_at")
        for record in plan.records {
            table.append([record.symbol, record.tradeID.rawValue, record.decision.rawValue, record.reason.rawValue,
                          record.openQuantity.description, Cell.decimal(record.filledQuantity), Cell.decimal(record.price),
                          Cell.text(record.backfillOrderID?.rawValue), Cell.text(record.exchangeOrderID),
                          Cell.text(record.filledAt?.millisecondText)])
        }
        let header = "batch \(plan.batchID) (\(plan.mode.rawValue)): \(plan.records.count) row(s)\n"
        return CommandOutput(standardOutput: plan.records.isEmpty ? header : header + table.text)
    }

    static func rollback(_ result: BackfillRollbackResult, json: Bool) -> CommandOutput {
        if json {
            return CommandOutput(standardOutput: JSON.object([
                ("batchId", .string(result.batchID.rawValue)),
                ("finishedPending", .int(result.finishedPendingCount)),
                ("cancelledOrders", .int(result.cancelledOrderCount)),
                ("alreadyCancelledOrders", .int(result.alreadyCancelledOrderCount)),
                ("missingOrders", .int(result.missingOrderCount)),
                ("revertedRows", .int(result.revertedRecordCount)),
            ]).text)
        }
        var table = TextTable("batch_id", "cancelled", "already_cancelled", "missing", "reverted_rows", "finished_pending")
        table.append([result.batchID.rawValue, String(result.cancelledOrderCount), String(result.alreadyCancelledOrderCount),
                      String(result.missingOrderCount), String(result.revertedRecordCount), String(result.finishedPendingCount)])
        return CommandOutput(standardOutput: table.text)
    }

    static func rollbackPreview(batchID: BackfillBatchID, records: [BackfillAuditRecord],
                                targets: [(BackfillAuditRecord, Order?)], json: Bool) -> CommandOutput {
        let reverted = records.filter { $0.revertedAt != nil }.count
        if json {
            return CommandOutput(standardOutput: JSON.object([
                ("batchId", .string(batchID.rawValue)),
                ("rows", .int(records.count)),
                ("revertedRows", .int(reverted)),
                ("orders", .array(targets.map { record, order in
                    .object([("backfillOrderId", .optional(record.backfillOrderID?.rawValue)), ("decision", .string(record.decision.rawValue)),
                             ("status", .optional(order?.status.rawValue))])
                })),
            ]).text)
        }
        var table = TextTable("backfill_order_id", "decision", "status")
        for (record, order) in targets {
            table.append([Cell.text(record.backfillOrderID?.rawValue), record.decision.rawValue, order?.status.rawValue ?? "missing"])
        }
        return CommandOutput(standardOutput: "batch \(batchID): \(records.count) audit row(s), \(reverted) already reverted\n" + table.text)
    }
}
