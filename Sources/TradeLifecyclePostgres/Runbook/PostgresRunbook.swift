public import Logging
import PostgresNIO
public import TradeLifecycle

/// The steps of the lifecycle integrity plan (`reference/000_*`) and the read side of the EXIT
/// backfill runbook (`reference/001_*`) against a PostgreSQL database migrated by
/// ``PostgresMigrator``.
///
/// ```swift
/// let runbook = PostgresRunbook(settings: try PostgresConnectionSettings(url: url))
/// let counts = try await runbook.snapshot()                    // phase A
/// let dryRun = try await runbook.planLegacyTradeIDs()          // phase A/C, dry run
/// _ = try await runbook.applyLegacyTradeIDs()                  // phase C, apply
/// let report = try await runbook.lifecycleReport(profileID: p) // phase C
/// _ = try await runbook.validateConstraints()                  // phase D (refused on anomalies)
/// ```
///
/// Each step opens one connection, runs, and closes it. The reference plan's SQL is sent
/// unchanged; rows the core reads are selected with numerics and times as text and parsed by
/// the core (``ExactDecimal``, ``Timestamp``, the status parser), so a row the core would
/// refuse stops the step with ``PostgresRunbookError/Code-swift.enum/invalidRow`` naming the
/// order and field, before anything is written.
///
/// Connect as the schema owner (the operator's role): with row level security a tenant role
/// sees only its own profiles, and `ALTER TABLE` needs the owner.
public struct PostgresRunbook: Sendable {
    /// The database and role.
    public let settings: PostgresConnectionSettings
    let logger: Logger

    /// Creates a runbook. Nothing is connected until a step runs.
    ///
    /// - Parameters:
    ///   - settings: The database and role (normally the schema owner).
    ///   - logger: The driver's logger.
    public init(settings: PostgresConnectionSettings,
                logger: Logger = Logger(label: "TradeLifecyclePostgres.PostgresRunbook")) {
        self.settings = settings
        self.logger = logger
    }

    func withConnection<T>(_ body: (PostgresConnection) async throws(PostgresRunbookError) -> T) async throws(PostgresRunbookError) -> T {
        try await RunbookConnection.with(settings, logger: logger, body)
    }

    // MARK: Phase A: snapshot

    /// Phase A: runs the plan's two count queries unchanged.
    ///
    /// - Returns: `orders_total`, `orders_missing_trade_id`, `history_total`,
    ///   `history_missing_trade_id`.
    /// - Throws: ``PostgresRunbookError`` with code `connectionFailed`, `queryFailed` or
    ///   `cancelled`.
    public func snapshot() async throws(PostgresRunbookError) -> RunbookSnapshot {
        try await withConnection { (connection) throws(PostgresRunbookError) in
            let orders = try await counts(RunbookSQL.snapshotOrders, on: connection, context: "orders snapshot")
            let history = try await counts(RunbookSQL.snapshotTradeHistory, on: connection, context: "trade_history snapshot")
            return RunbookSnapshot(ordersTotal: orders.0, ordersMissingTradeID: orders.1,
                                   historyTotal: history.0, historyMissingTradeID: history.1)
        }
    }

    private func counts(_ sql: String, on connection: PostgresConnection,
                        context: String) async throws(PostgresRunbookError) -> (Int64, Int64) {
        var result: (Int64, Int64)?
        do {
            let rows = try await connection.query(PostgresQuery(unsafeSQL: sql), logger: logger)
            for try await pair in rows.decode((Int64, Int64).self) {
                result = pair
            }
        } catch {
            throw RunbookConnection.wrap(error, context: context)
        }
        guard let result else {
            throw PostgresRunbookError(.queryFailed, context: "\(context): no row returned")
        }
        return result
    }

    // MARK: Legacy trade id backfill

    /// The legacy trade id backfill in dry run: reads the lifecycle rows without a trade id
    /// (action set, status filled or partially filled, `trade_id` NULL or blank) and plans them
    /// with the core's ``LegacyTradeIDPlan``. Writes nothing.
    ///
    /// - Returns: The plan, the number of rows read and the rows with blank (non-NULL) text.
    /// - Throws: ``PostgresRunbookError`` with code `invalidRow` (a row the core refuses),
    ///   `planningFailed`, `connectionFailed`, `queryFailed` or `cancelled`.
    public func planLegacyTradeIDs() async throws(PostgresRunbookError) -> LegacyTradeIDBackfill {
        try await withConnection { (connection) throws(PostgresRunbookError) in
            try await RunbookConnection.inTransaction(connection, mode: "ISOLATION LEVEL REPEATABLE READ READ ONLY",
                                                      logger: logger, context: "legacy trade id plan") { () throws(PostgresRunbookError) in
                try await legacyPlan(on: connection, forUpdate: false)
            }
        }
    }

    /// The legacy trade id backfill, applied in ONE transaction: the rows are read and locked
    /// (`FOR UPDATE`), planned with ``LegacyTradeIDPlan``, and each assignment is written with
    /// `UPDATE orders SET trade_id = $1 WHERE order_id = $2 AND trade_id IS NULL`, which only
    /// fills a NULL and never overwrites. Every statement must change exactly one row, or the
    /// transaction is rolled back. After the commit the assigned rows are read back.
    ///
    /// - Returns: The plan applied and the counts written and read back.
    /// - Throws: ``PostgresRunbookError`` with code `blankTradeIDs` (rows with blank text
    ///   rather than NULL: nothing written), `invalidRow`, `planningFailed`, `queryFailed` (a
    ///   statement failed or changed other than one row: rolled back), `connectionFailed` or
    ///   `cancelled`.
    public func applyLegacyTradeIDs() async throws(PostgresRunbookError) -> LegacyTradeIDApplyResult {
        try await withConnection { (connection) throws(PostgresRunbookError) in
            let (plan, updated) = try await RunbookConnection.inTransaction(
                connection, logger: logger, context: "legacy trade id apply"
            ) { () throws(PostgresRunbookError) -> (LegacyTradeIDPlan, Int) in
                let backfill = try await legacyPlan(on: connection, forUpdate: true)
                guard backfill.blankTradeIDOrders.isEmpty else {
                    let shown = backfill.blankTradeIDOrders.prefix(20).map(\.rawValue).joined(separator: ", ")
                    let more = backfill.blankTradeIDOrders.count > 20 ? " and \(backfill.blankTradeIDOrders.count - 20) more" : ""
                    throw PostgresRunbookError(
                        .blankTradeIDs,
                        context: "\(backfill.blankTradeIDOrders.count) order(s) have a blank trade_id rather than NULL (\(shown)\(more)); "
                            + "the backfill only fills NULLs: normalize them first with UPDATE orders SET trade_id = NULL WHERE btrim(trade_id) = ''",
                        orderIDs: backfill.blankTradeIDOrders)
                }
                var updated = 0
                for assignment in backfill.plan.assignments {
                    let changed = try await fillTradeID(assignment, on: connection)
                    guard changed == 1 else {
                        throw PostgresRunbookError(
                            .queryFailed,
                            context: "legacy trade id apply: the update of order \(assignment.orderID) changed \(changed) rows, expected 1; rolled back")
                    }
                    updated += 1
                }
                return (backfill.plan, updated)
            }
            let verified = try await verifyAssignments(plan.assignments, on: connection)
            return LegacyTradeIDApplyResult(plan: plan, updatedCount: updated, verifiedCount: verified)
        }
    }

    private func legacyPlan(on connection: PostgresConnection, forUpdate: Bool) async throws(PostgresRunbookError) -> LegacyTradeIDBackfill {
        var blank: [OrderID] = []
        var orders: [Order] = []
        do {
            let rows = try await connection.query(PostgresQuery(unsafeSQL: RunbookSQL.legacyRows(forUpdate: forUpdate)), logger: logger)
            for try await row in rows {
                let columns = try RunbookOrderRow.columns(row)
                let order = try RunbookOrderRow.order(columns)
                // Rows with a trade id (printable-ASCII-free but not blank) are the core's to ignore.
                if order.tradeID == nil, columns.3 != nil {
                    blank.append(order.orderID)
                }
                orders.append(order)
            }
        } catch {
            throw RunbookConnection.wrap(error, context: "reading the rows without trade_id")
        }
        let plan: LegacyTradeIDPlan
        do {
            plan = try LegacyTradeIDPlan(orders: orders)
        } catch {
            throw PostgresRunbookError(.planningFailed, context: "legacy trade id plan", underlying: error)
        }
        // Only blank rows the plan assigns matter: an orphan EXIT stays as it is.
        let assigned = Set(plan.assignments.map(\.orderID))
        blank = blank.filter { assigned.contains($0) }.sorted()
        return LegacyTradeIDBackfill(plan: plan, rowsRead: orders.count, blankTradeIDOrders: blank)
    }

    private func fillTradeID(_ assignment: LegacyTradeIDAssignment, on connection: PostgresConnection) async throws(PostgresRunbookError) -> Int {
        do {
            let result = try await connection.query(
                RunbookSQL.fillTradeID,
                [PostgresData(string: assignment.tradeID.rawValue), PostgresData(string: assignment.orderID.rawValue)]
            ).get()
            return result.metadata.rows ?? 0
        } catch {
            throw RunbookConnection.wrap(error, context: "legacy trade id apply: updating order \(assignment.orderID)")
        }
    }

    private func verifyAssignments(_ assignments: [LegacyTradeIDAssignment], on connection: PostgresConnection) async throws(PostgresRunbookError) -> Int {
        guard !assignments.isEmpty else { return 0 }
        var expected: [String: String] = [:]
        for assignment in assignments {
            expected[assignment.orderID.rawValue] = assignment.tradeID.rawValue
        }
        var verified = 0
        do {
            let ids = Array(expected.keys)
            let rows = try await connection.query("SELECT order_id, trade_id FROM orders WHERE order_id = ANY(\(ids))", logger: logger)
            for try await (orderID, tradeID) in rows.decode((String, String?).self) where expected[orderID] == tradeID {
                verified += 1
            }
        } catch {
            throw RunbookConnection.wrap(error, context: "legacy trade id apply: reading the assigned rows back")
        }
        return verified
    }

    // MARK: Lifecycle report

    /// The lifecycle reconciliation report of one profile: the core's ``LifecycleAnalysis``
    /// over every order of the profile, with the `trade_history` rows that name a trade id as
    /// references (`missing_entry_order`).
    ///
    /// - Parameter profileID: The profile.
    /// - Returns: The report (no anomaly when clean).
    /// - Throws: ``PostgresRunbookError`` with code `invalidRow`, `planningFailed` (sums out
    ///   of range), `connectionFailed`, `queryFailed` or `cancelled`.
    public func lifecycleReport(profileID: ProfileID) async throws(PostgresRunbookError) -> LifecycleReport {
        try await withConnection { (connection) throws(PostgresRunbookError) in
            try await RunbookConnection.inTransaction(connection, mode: "ISOLATION LEVEL REPEATABLE READ READ ONLY",
                                                      logger: logger, context: "lifecycle report") { () throws(PostgresRunbookError) in
                try await report(profileID, on: connection)
            }
        }
    }

    /// The lifecycle reconciliation report of every profile that has orders or trade history,
    /// by profile id, read in one snapshot.
    ///
    /// - Returns: One report per profile.
    /// - Throws: As ``lifecycleReport(profileID:)``.
    public func lifecycleReports() async throws(PostgresRunbookError) -> [LifecycleReport] {
        try await withConnection { (connection) throws(PostgresRunbookError) in
            try await RunbookConnection.inTransaction(connection, mode: "ISOLATION LEVEL REPEATABLE READ READ ONLY",
                                                      logger: logger, context: "lifecycle reports") { () throws(PostgresRunbookError) in
                try await allReports(on: connection)
            }
        }
    }

    func allReports(on connection: PostgresConnection) async throws(PostgresRunbookError) -> [LifecycleReport] {
        var profileIDs: [ProfileID] = []
        do {
            let rows = try await connection.query(PostgresQuery(unsafeSQL: RunbookSQL.profiles), logger: logger)
            for try await (text) in rows.decode(String.self) {
                do {
                    profileIDs.append(try ProfileID(text))
                } catch {
                    throw PostgresRunbookError(.invalidRow, context: "a profile_id of orders or trade_history is not a profile id", underlying: error)
                }
            }
        } catch {
            throw RunbookConnection.wrap(error, context: "listing the profiles")
        }
        var reports: [LifecycleReport] = []
        for profileID in profileIDs.sorted() {
            reports.append(try await report(profileID, on: connection))
        }
        return reports
    }

    private func report(_ profileID: ProfileID, on connection: PostgresConnection) async throws(PostgresRunbookError) -> LifecycleReport {
        let orders = try await RunbookOrderRow.read("SELECT \(unescaped: RunbookSQL.orderColumns) FROM orders WHERE profile_id = \(profileID.rawValue)",
                                                    on: connection, logger: logger, context: "reading the orders of profile \(profileID)")
        var references: [TradeReference] = []
        do {
            let rows = try await connection.query(
                "SELECT symbol, trade_id FROM trade_history WHERE profile_id = \(profileID.rawValue) AND trade_id IS NOT NULL",
                logger: logger)
            for try await (symbol, tradeIDText) in rows.decode((String, String).self) {
                // A blank trade id is no reference (the null policy); the snapshot counts it.
                guard let tradeID = TradeID.normalized(tradeIDText) else { continue }
                references.append(TradeReference(profileID: profileID, symbol: symbol, tradeID: tradeID, source: .tradeHistory))
            }
        } catch {
            throw RunbookConnection.wrap(error, context: "reading the trade_history references of profile \(profileID)")
        }
        let analysis: LifecycleAnalysis
        do {
            analysis = try LifecycleAnalysis(orders: orders, references: references)
        } catch {
            throw PostgresRunbookError(.planningFailed, context: "lifecycle report of profile \(profileID)", underlying: error)
        }
        return LifecycleReport(profileID: profileID, orderCount: orders.count, historyReferenceCount: references.count,
                               lifecycleCount: analysis.summaries(profileID: profileID).count,
                               openLifecycles: analysis.openLifecycles(profileID: profileID),
                               anomalies: analysis.anomalies(profileID: profileID))
    }

    // MARK: Phase B and D: constraints

    /// Phase B's listings, with the plan's two queries unchanged, plus the same
    /// `pg_constraint` listing of the other constraints the schema adds `NOT VALID`.
    ///
    /// - Returns: The constraints and whether each is validated, and the trade id indexes.
    /// - Throws: ``PostgresRunbookError`` with code `connectionFailed`, `queryFailed` or
    ///   `cancelled`.
    public func listConstraints() async throws(PostgresRunbookError) -> RunbookConstraintListing {
        try await withConnection { (connection) throws(PostgresRunbookError) in
            try await listing(on: connection)
        }
    }

    private func listing(on connection: PostgresConnection) async throws(PostgresRunbookError) -> RunbookConstraintListing {
        let reference = try await constraintStates(RunbookSQL.listConstraints, on: connection)
        let additional = try await constraintStates(RunbookSQL.listAdditionalConstraints, on: connection)
        var indexes: [String] = []
        do {
            let rows = try await connection.query(PostgresQuery(unsafeSQL: RunbookSQL.listIndexes), logger: logger)
            for try await (name) in rows.decode(String.self) {
                indexes.append(name)
            }
        } catch {
            throw RunbookConnection.wrap(error, context: "listing the trade id indexes")
        }
        return RunbookConstraintListing(referenceConstraints: reference, additionalConstraints: additional,
                                        indexes: indexes.sorted())
    }

    private func constraintStates(_ sql: String, on connection: PostgresConnection) async throws(PostgresRunbookError) -> [RunbookConstraintState] {
        var states: [RunbookConstraintState] = []
        do {
            let rows = try await connection.query(PostgresQuery(unsafeSQL: sql), logger: logger)
            for try await (name, validated) in rows.decode((String, Bool).self) {
                states.append(RunbookConstraintState(name: name, isValidated: validated))
            }
        } catch {
            throw RunbookConnection.wrap(error, context: "listing the constraints")
        }
        return states.sorted { $0.name < $1.name || ($0.name == $1.name && !$0.isValidated && $1.isValidated) }
    }

    /// The statements ``validateConstraints()`` sends, in order: the plan's five
    /// `ALTER TABLE ... VALIDATE CONSTRAINT` statements exactly as the plan writes them, then
    /// the same statement for each other constraint migration 0005 adds `NOT VALID`.
    public static var constraintValidationStatements: [String] {
        RunbookSQL.validateConstraints + RunbookSQL.validateAdditionalConstraints
    }

    /// The statements ``rollbackConstraints()`` sends: the plan's five
    /// `ALTER TABLE ... DROP CONSTRAINT IF EXISTS` statements, exactly as the plan writes them.
    public static var constraintRollbackStatements: [String] {
        RunbookSQL.dropConstraints
    }

    /// Phase D: validates the constraints added `NOT VALID`, once reconciliation is clean.
    ///
    /// First the lifecycle report of every profile is taken (``lifecycleReports()``): if any
    /// profile has an anomaly, nothing is run and the step is refused. Otherwise the plan's five
    /// `ALTER TABLE ... VALIDATE CONSTRAINT` statements are sent unchanged, then the same
    /// statement for each other constraint migration 0005 adds `NOT VALID`; each is its own
    /// statement (and transaction), so a failing one does not undo the others, and every one
    /// is tried.
    ///
    /// - Returns: One outcome per statement, in the order sent.
    /// - Throws: ``PostgresRunbookError`` with code `anomaliesPresent` (listing them; nothing
    ///   run), `invalidRow` or `planningFailed` (the report could not be made; nothing run),
    ///   `connectionFailed`, `queryFailed` or `cancelled`. A statement that fails is an
    ///   outcome, not an error.
    public func validateConstraints() async throws(PostgresRunbookError) -> [RunbookConstraintValidation] {
        try await withConnection { (connection) throws(PostgresRunbookError) in
            let reports = try await RunbookConnection.inTransaction(
                connection, mode: "ISOLATION LEVEL REPEATABLE READ READ ONLY", logger: logger, context: "lifecycle reports"
            ) { () throws(PostgresRunbookError) in
                try await allReports(on: connection)
            }
            let anomalies = reports.flatMap(\.anomalies)
            guard anomalies.isEmpty else {
                let profiles = reports.filter { !$0.isClean }.map { "\($0.profileID) (\($0.anomalies.count))" }
                throw PostgresRunbookError(
                    .anomaliesPresent,
                    context: "refused: the lifecycle report shows \(anomalies.count) anomal\(anomalies.count == 1 ? "y" : "ies") "
                        + "in \(profiles.joined(separator: ", ")); resolve every one before validating the constraints",
                    anomalies: anomalies)
            }
            let names = ["chk_orders_action_lifecycle", "chk_orders_trade_id_not_blank", "chk_orders_trade_id_format",
                         "chk_trade_history_trade_id_not_blank", "chk_trade_history_trade_id_format"]
                + RunbookSQL.additionalConstraints.map(\.name)
            let statements = Self.constraintValidationStatements
            var outcomes: [RunbookConstraintValidation] = []
            for (name, statement) in zip(names, statements) {
                do {
                    try await RunbookConnection.drain(PostgresQuery(unsafeSQL: statement), on: connection, logger: logger)
                    outcomes.append(RunbookConstraintValidation(name: name, statement: statement, failureSQLState: nil))
                } catch {
                    let wrapped = RunbookConnection.wrap(error, context: "validating \(name)")
                    guard wrapped.code == .queryFailed else { throw wrapped }
                    outcomes.append(RunbookConstraintValidation(name: name, statement: statement,
                                                                failureSQLState: wrapped.sqlState ?? "unknown"))
                }
            }
            return outcomes
        }
    }

    /// The rollback plan: the plan's five `ALTER TABLE ... DROP CONSTRAINT IF EXISTS`
    /// statements, unchanged, each its own statement; then the listing. Running it twice is
    /// harmless. Indexes are kept, as the plan says. (The schema's migration 0005 stays
    /// recorded as applied: to add the constraints again, run its `ADD CONSTRAINT ... NOT VALID`
    /// statements by hand rather than reversing migrations, which would reverse later ones too.)
    ///
    /// - Returns: The listing after the drops.
    /// - Throws: ``PostgresRunbookError`` with code `connectionFailed`, `queryFailed` (the
    ///   statements before the failing one stay applied) or `cancelled`.
    public func rollbackConstraints() async throws(PostgresRunbookError) -> RunbookConstraintListing {
        try await withConnection { (connection) throws(PostgresRunbookError) in
            for statement in RunbookSQL.dropConstraints {
                try await RunbookConnection.execute(statement, on: connection, logger: logger, context: "constraint rollback")
            }
            return try await listing(on: connection)
        }
    }
}
