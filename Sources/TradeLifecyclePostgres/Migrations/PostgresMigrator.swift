public import Logging
import PostgresNIO

/// Applies and reverses schema migrations on a PostgreSQL database, safely when several
/// service instances start at once.
///
/// ```swift
/// let settings = try PostgresConnectionSettings(url: url)
/// let report = try await PostgresMigrator(settings: settings).migrate()
/// ```
///
/// A run:
/// 1. checks the migrations (versions strictly increasing, ``PostgresMigration/lint()`` clean)
///    before it connects;
/// 2. takes a session advisory lock (`pg_try_advisory_lock`, retried with exponential back-off
///    and jitter until ``Options/lockWaitTimeout``) BEFORE it reads what is applied, so two
///    runners never apply the same migration;
/// 3. creates `schema_migrations` if missing and verifies the recorded history against the
///    known migrations: the SHA-256 of each applied migration's up SQL, and the cumulative
///    digest that chains it to every earlier one (edits, insertions, removals and reorderings
///    are caught);
/// 4. runs each pending migration's statements and its `schema_migrations` INSERT in ONE
///    transaction with `SET LOCAL lock_timeout`, retrying the whole transaction when it hits
///    the lock timeout (SQLSTATE 55P03) or a deadlock (40P01);
/// 5. reports a migration applied only after reading its row back on a SEPARATE connection.
///
/// A failed migration is rolled back whole: nothing of it is recorded, the schema is as it was.
/// The connecting role must own the schema objects (or be able to create them); it should not
/// be the role the application connects with (see `0007_tenant_isolation.up.sql`).
public struct PostgresMigrator: Sendable {
    /// Limits and retry settings.
    public struct Options: Sendable, Hashable {
        /// How long a run waits for the migration lock before failing with
        /// ``PostgresStoreError/Code-swift.enum/migrationLockTimeout``. Default 60 seconds.
        public var lockWaitTimeout: Duration
        /// The first wait between two tries of the migration lock; it doubles up to
        /// ``lockRetryMaximumDelay``, and each wait is drawn at random between half and all of
        /// it. Default 50 milliseconds.
        public var lockRetryInitialDelay: Duration
        /// The longest wait between two tries of the migration lock. Default 1 second.
        public var lockRetryMaximumDelay: Duration
        /// The `lock_timeout` of each migration's transaction (`SET LOCAL`): a migration that
        /// waits longer for a table lock is rolled back and retried, so it never queues the
        /// application's queries behind it for long. Default 5 seconds.
        public var statementLockTimeout: Duration
        /// How many times a migration's transaction is retried after a lock timeout or deadlock
        /// before the run fails with ``PostgresStoreError/Code-swift.enum/migrationFailed``.
        /// Default 5.
        public var lockTimeoutRetries: Int
        /// The key of the session advisory lock. Default ``PostgresMigrator/defaultAdvisoryLockKey``.
        /// Advisory locks are per database, so one key serves every database of a cluster.
        public var advisoryLockKey: Int64

        /// Creates options.
        /// - Parameters:
        ///   - lockWaitTimeout: The limit on waiting for the migration lock.
        ///   - lockRetryInitialDelay: The first wait between lock tries.
        ///   - lockRetryMaximumDelay: The longest wait between lock tries.
        ///   - statementLockTimeout: Each migration transaction's `lock_timeout`.
        ///   - lockTimeoutRetries: Retries of a transaction after a lock timeout or deadlock.
        ///   - advisoryLockKey: The advisory lock key.
        public init(
            lockWaitTimeout: Duration = .seconds(60),
            lockRetryInitialDelay: Duration = .milliseconds(50),
            lockRetryMaximumDelay: Duration = .seconds(1),
            statementLockTimeout: Duration = .seconds(5),
            lockTimeoutRetries: Int = 5,
            advisoryLockKey: Int64 = PostgresMigrator.defaultAdvisoryLockKey
        ) {
            self.lockWaitTimeout = lockWaitTimeout
            self.lockRetryInitialDelay = lockRetryInitialDelay
            self.lockRetryMaximumDelay = lockRetryMaximumDelay
            self.statementLockTimeout = statementLockTimeout
            self.lockTimeoutRetries = lockTimeoutRetries
            self.advisoryLockKey = advisoryLockKey
        }
    }

    /// The default advisory lock key: the ASCII bytes of `TLMIGRAT` (0x544C_4D49_4752_4154).
    public static let defaultAdvisoryLockKey: Int64 = 0x544C_4D49_4752_4154

    /// The database to migrate and the role to do it as.
    public let settings: PostgresConnectionSettings
    /// The migrations, in version order.
    public let migrations: [PostgresMigration]
    /// Limits and retry settings.
    public let options: Options
    private let logger: Logger
    /// Starts measuring; the returned closure gives the time elapsed since (from the injected clock).
    private let startTimer: @Sendable () -> @Sendable () -> Duration
    /// Sleeps on the injected clock.
    private let sleeper: @Sendable (Duration) async throws -> Void
    private let observer: (@Sendable (PostgresMigrationEvent) -> Void)?

    /// Creates a migrator. Nothing is checked or connected until a run starts.
    /// - Parameters:
    ///   - settings: The database and role.
    ///   - migrations: The migrations in version order; by default the SDK's schema,
    ///     ``PostgresMigration/tradeLifecycleSchema``.
    ///   - options: Limits and retry settings.
    ///   - logger: Receives one `info` line per migration applied or reversed, and details at
    ///     `debug`.
    ///   - clock: Measures the lock wait and sleeps between tries (default `ContinuousClock`).
    ///   - observer: Called with each ``PostgresMigrationEvent``, on the run's task.
    public init<C: Clock<Duration>>(
        settings: PostgresConnectionSettings,
        migrations: [PostgresMigration] = PostgresMigration.tradeLifecycleSchema,
        options: Options = Options(),
        logger: Logger = Logger(label: "TradeLifecyclePostgres.PostgresMigrator"),
        clock: C = ContinuousClock(),
        observer: (@Sendable (PostgresMigrationEvent) -> Void)? = nil
    ) {
        self.settings = settings
        self.migrations = migrations
        self.options = options
        self.logger = logger
        self.startTimer = {
            let start = clock.now
            return { start.duration(to: clock.now) }
        }
        self.sleeper = { duration in try await clock.sleep(for: duration) }
        self.observer = observer
    }

    // MARK: - Runs

    /// Applies every pending migration.
    /// - Returns: The migrations applied (each read back on a separate connection) and the
    ///   history at the end.
    /// - Throws: ``PostgresStoreError`` with code `invalidMigration` or `migrationLintFailed`
    ///   (checked before connecting), `connectionFailed`, `migrationLockTimeout`,
    ///   `appliedMigrationChanged` or `migrationHistoryMismatch` (nothing is applied then),
    ///   `migrationFailed` (that migration was rolled back; the ones before it stay applied),
    ///   `readBackFailed`, `queryFailed` or `cancelled`.
    public func migrate() async throws(PostgresStoreError) -> PostgresMigrationReport {
        try checkMigrations()
        let cumulative = PostgresMigration.cumulativeChecksums(of: migrations)
        return try await withConnection(id: 1) { (connection) throws(PostgresStoreError) in
            try await withMigrationLock(on: connection) { () throws(PostgresStoreError) in
                for statement in MigrationSQL.bookkeepingPreamble {
                    try await execute(statement, on: connection, context: "creating schema_migrations")
                }
                try await checkHistoryTable(on: connection)
                let history = try await readHistory(on: connection, sql: MigrationSQL.readHistory)
                let pending = try verify(history, cumulative: cumulative)
                return try await withConnection(id: 2) { (verifier) throws(PostgresStoreError) in
                    var applied: [PostgresAppliedMigration] = []
                    for index in pending {
                        let step = upStep(index: index, cumulative: cumulative[index])
                        let record = try await run(step, on: connection, verifier: verifier)
                        guard let record else {
                            throw PostgresStoreError(code: .readBackFailed, context: "migration \(step.migration): no record read back")
                        }
                        applied.append(record)
                        logger.info("applied migration \(step.migration)")
                        observer?(.applied(record))
                    }
                    let finalHistory = try await readHistory(on: verifier, sql: MigrationSQL.readHistory)
                    return PostgresMigrationReport(applied: applied, reverted: [], history: finalHistory)
                }
            }
        }
    }

    /// Reverses every applied migration whose version is greater than `version`, newest first,
    /// each in one transaction with the DELETE of its `schema_migrations` row.
    /// - Parameter version: The version to go back to: `0` reverses everything, otherwise a
    ///   version in ``migrations``.
    /// - Returns: The migrations reversed (each seen gone on a separate connection) and the
    ///   history at the end.
    /// - Throws: ``PostgresStoreError`` with the codes of ``migrate()``; `invalidMigration` when
    ///   `version` is neither 0 nor a known version.
    public func down(to version: Int) async throws(PostgresStoreError) -> PostgresMigrationReport {
        try checkMigrations()
        try checkDownTarget(version)
        let cumulative = PostgresMigration.cumulativeChecksums(of: migrations)
        return try await withConnection(id: 1) { (connection) throws(PostgresStoreError) in
            try await withMigrationLock(on: connection) { () throws(PostgresStoreError) in
                for statement in MigrationSQL.bookkeepingPreamble {
                    try await execute(statement, on: connection, context: "creating schema_migrations")
                }
                try await checkHistoryTable(on: connection)
                let history = try await readHistory(on: connection, sql: MigrationSQL.readHistory)
                _ = try verify(history, cumulative: cumulative)
                return try await withConnection(id: 2) { (verifier) throws(PostgresStoreError) in
                    var reverted: [PostgresAppliedMigration] = []
                    // verify() matched every applied row to the migration at its position.
                    for index in history.indices.reversed() where history[index].version > version {
                        let record = history[index]
                        let step = downStep(index: index)
                        _ = try await run(step, on: connection, verifier: verifier)
                        reverted.append(record)
                        logger.info("reverted migration \(step.migration)")
                        observer?(.reverted(record))
                    }
                    let finalHistory = try await readHistory(on: verifier, sql: MigrationSQL.readHistory)
                    return PostgresMigrationReport(applied: [], reverted: reverted, history: finalHistory)
                }
            }
        }
    }

    /// The exact SQL ``migrate()`` would send now, without sending any of it (the recorded
    /// history is read and verified, without taking the lock).
    /// - Returns: The script; its ``PostgresMigrationScript/steps`` are empty when the
    ///   database is up to date.
    /// - Throws: ``PostgresStoreError`` with the codes of ``migrate()`` but `migrationFailed`.
    public func dryRun() async throws(PostgresStoreError) -> PostgresMigrationScript {
        try checkMigrations()
        let cumulative = PostgresMigration.cumulativeChecksums(of: migrations)
        let history = try await withConnection(id: 1) { (connection) throws(PostgresStoreError) in
            try await readHistoryIfPresent(on: connection)
        }
        let pending = try verify(history, cumulative: cumulative)
        return script(steps: pending.map { upStep(index: $0, cumulative: cumulative[$0]) })
    }

    /// The exact SQL ``down(to:)`` would send now, without sending any of it.
    /// - Parameter version: The version to go back to (`0` for everything).
    /// - Returns: The script; its steps are empty when nothing is applied above `version`.
    /// - Throws: ``PostgresStoreError`` with the codes of ``down(to:)`` but `migrationFailed`.
    public func dryRunDown(to version: Int) async throws(PostgresStoreError) -> PostgresMigrationScript {
        try checkMigrations()
        try checkDownTarget(version)
        let cumulative = PostgresMigration.cumulativeChecksums(of: migrations)
        let history = try await withConnection(id: 1) { (connection) throws(PostgresStoreError) in
            try await readHistoryIfPresent(on: connection)
        }
        _ = try verify(history, cumulative: cumulative)
        let steps = history.indices.reversed()
            .filter { history[$0].version > version }
            .map { downStep(index: $0) }
        return script(steps: steps)
    }

    /// The migrations the database records as applied, in version order (empty when
    /// `schema_migrations` does not exist). Nothing is verified or changed.
    /// - Returns: The rows of `schema_migrations`.
    /// - Throws: ``PostgresStoreError`` with code `connectionFailed`, `queryFailed` or `cancelled`.
    public func appliedMigrations() async throws(PostgresStoreError) -> [PostgresAppliedMigration] {
        try await withConnection(id: 1) { (connection) throws(PostgresStoreError) in
            try await readHistoryIfPresent(on: connection)
        }
    }

    // MARK: - Checks

    private func checkMigrations() throws(PostgresStoreError) {
        var previous: PostgresMigration?
        for migration in migrations {
            guard migration.version >= 1, PostgresMigration.isValidName(migration.name) else {
                throw PostgresStoreError(code: .invalidMigration, context: "migration \(migration.identifier): malformed version or name")
            }
            if let previous, previous.version >= migration.version {
                throw PostgresStoreError(
                    code: .invalidMigration,
                    context: "migration \(migration.identifier) follows \(previous.identifier): versions must strictly increase"
                )
            }
            previous = migration
        }
        let violations = migrations.flatMap { $0.lint() }
        if !violations.isEmpty {
            throw PostgresStoreError(
                code: .migrationLintFailed,
                context: "\(violations.count) rule violation(s): " + violations.map(\.description).joined(separator: "; ")
            )
        }
    }

    private func checkDownTarget(_ version: Int) throws(PostgresStoreError) {
        guard version == 0 || migrations.contains(where: { $0.version == version }) else {
            throw PostgresStoreError(code: .invalidMigration, context: "down target \(version) is neither 0 nor a known migration version")
        }
    }

    /// Matches the recorded history against the known migrations, position by position.
    /// - Returns: The indices in ``migrations`` of the pending ones.
    private func verify(_ history: [PostgresAppliedMigration], cumulative: [String]) throws(PostgresStoreError) -> Range<Int> {
        for (position, record) in history.enumerated() {
            guard position < migrations.count else {
                throw PostgresStoreError(
                    code: .migrationHistoryMismatch,
                    context: "applied migration \(record) is not among the \(migrations.count) known migrations (is the database newer than this build?)"
                )
            }
            let migration = migrations[position]
            guard migration.version == record.version else {
                if let known = migrations.first(where: { $0.version == record.version }) {
                    throw PostgresStoreError(
                        code: .migrationHistoryMismatch,
                        context: "migration \(migration.identifier) is not applied but the later \(known.identifier) is: a migration was inserted before applied ones"
                    )
                }
                throw PostgresStoreError(
                    code: .migrationHistoryMismatch,
                    context: "applied migration \(record) is not among the known migrations (is the database newer than this build?)"
                )
            }
            guard migration.name == record.name else {
                throw PostgresStoreError(
                    code: .migrationHistoryMismatch,
                    context: "version \(record.version) is recorded as '\(record.name)' but known as '\(migration.name)'"
                )
            }
            guard migration.checksum == record.checksum else {
                throw PostgresStoreError(
                    code: .appliedMigrationChanged,
                    context: "migration \(migration.identifier) was changed after it was applied: recorded SHA-256 \(record.checksum), now \(migration.checksum)"
                )
            }
            guard cumulative[position] == record.cumulativeChecksum else {
                throw PostgresStoreError(
                    code: .migrationHistoryMismatch,
                    context: "the cumulative checksum of \(migration.identifier) differs from the recorded one: earlier migrations were edited, inserted, removed or reordered"
                )
            }
        }
        return history.count..<migrations.count
    }

    // MARK: - Steps

    private struct Step {
        var script: PostgresMigrationScript.Step
        /// What each statement is, for error messages: "statement 3 (line 12)", "COMMIT", ….
        var labels: [String]
        /// The record expected after the step: present (up) or absent (down).
        var expected: PostgresAppliedMigration?
        var migration: String { script.migration }
    }

    private func upStep(index: Int, cumulative: String) -> Step {
        let migration = migrations[index]
        let expected = PostgresAppliedMigration(
            version: migration.version,
            name: migration.name,
            checksum: migration.checksum,
            cumulativeChecksum: cumulative,
            appliedAtUTC: ""
        )
        return makeStep(
            migration,
            direction: .up,
            sql: migration.upSQL,
            bookkeeping: MigrationSQL.insert(expected),
            expected: expected
        )
    }

    private func downStep(index: Int) -> Step {
        let migration = migrations[index]
        return makeStep(
            migration,
            direction: .down,
            sql: migration.downSQL,
            bookkeeping: MigrationSQL.delete(version: migration.version),
            expected: nil
        )
    }

    private func makeStep(
        _ migration: PostgresMigration,
        direction: PostgresMigrationDirection,
        sql: String,
        bookkeeping: String,
        expected: PostgresAppliedMigration?
    ) -> Step {
        // checkMigrations() linted the SQL, which includes splitting it.
        let statements = (try? SQLScript.statements(in: sql)) ?? []
        var texts = ["BEGIN", MigrationSQL.setLockTimeout(options.statementLockTimeout)]
        var labels = ["BEGIN", "SET LOCAL lock_timeout"]
        for (number, statement) in statements.enumerated() {
            texts.append(statement.text)
            labels.append("statement \(number + 1) of \(statements.count) (line \(statement.line))")
        }
        texts.append(bookkeeping)
        labels.append(direction == .up ? "the schema_migrations INSERT" : "the schema_migrations DELETE")
        texts.append("COMMIT")
        labels.append("COMMIT")
        return Step(
            script: PostgresMigrationScript.Step(
                version: migration.version,
                migration: migration.identifier,
                direction: direction,
                statements: texts,
                readBackSQL: MigrationSQL.readBack(version: migration.version)
            ),
            labels: labels,
            expected: expected
        )
    }

    private func script(steps: [Step]) -> PostgresMigrationScript {
        PostgresMigrationScript(
            preamble: [MigrationSQL.tryLock(options.advisoryLockKey)] + MigrationSQL.bookkeepingPreamble
                + [MigrationSQL.checkHistoryTable, MigrationSQL.readHistory],
            steps: steps.map(\.script),
            postamble: [MigrationSQL.unlock(options.advisoryLockKey)]
        )
    }

    /// Runs one step's transaction, retrying on lock timeout or deadlock, then reads it back.
    /// - Returns: The record read back (up), or `nil` (down, record seen gone).
    private func run(_ step: Step, on connection: PostgresConnection, verifier: PostgresConnection) async throws(PostgresStoreError) -> PostgresAppliedMigration? {
        var retries = 0
        while true {
            var failedIndex: Int?
            var failure: (any Error)?
            for (index, statement) in step.script.statements.enumerated() {
                do {
                    try await query(statement, on: connection)
                } catch {
                    failedIndex = index
                    failure = error
                    break
                }
            }
            guard let failedIndex, let failure else {
                break
            }
            if failure is CancellationError {
                try? await query("ROLLBACK", on: connection)
                throw PostgresStoreError(code: .cancelled, context: "migration \(step.migration): cancelled; the transaction was rolled back", underlying: failure)
            }
            let sqlState = PostgresStoreError.sqlState(of: failure)
            let isCommit = failedIndex == step.script.statements.count - 1
            if isCommit && sqlState == nil {
                // The connection failed during COMMIT: the outcome is only known by reading it.
                let outcome = try await readBack(step, on: verifier)
                if outcome.matches {
                    return outcome.record
                }
            } else {
                // After a failed statement the transaction is aborted; end it. (After a failed
                // BEGIN or COMMIT there is none, and ROLLBACK only warns.)
                try? await query("ROLLBACK", on: connection)
            }
            if sqlState == "55P03" || sqlState == "40P01", retries < options.lockTimeoutRetries {
                retries += 1
                logger.debug("migration \(step.migration): \(step.labels[failedIndex]) hit SQLSTATE \(sqlState ?? ""); retry \(retries)")
                observer?(.retryingAfterLockTimeout(migration: step.migration, attempt: retries))
                try await sleep(for: backoff(attempt: retries))
                continue
            }
            throw PostgresStoreError(
                code: .migrationFailed,
                context: "migration \(step.migration) (\(step.script.direction.rawValue)): \(step.labels[failedIndex]) failed; the transaction was rolled back and nothing of it recorded",
                sqlState: sqlState,
                underlying: failure
            )
        }
        let outcome = try await readBack(step, on: verifier)
        guard outcome.matches else {
            throw PostgresStoreError(
                code: .readBackFailed,
                context: step.expected == nil
                    ? "migration \(step.migration): committed its reversal, but schema_migrations still records it"
                    : "migration \(step.migration): committed, but schema_migrations does not record it with the expected checksums"
            )
        }
        return outcome.record
    }

    private func readBack(_ step: Step, on verifier: PostgresConnection) async throws(PostgresStoreError) -> (matches: Bool, record: PostgresAppliedMigration?) {
        let rows = try await readHistory(on: verifier, sql: step.script.readBackSQL, context: "reading back migration \(step.migration)")
        guard let expected = step.expected else {
            return (rows.isEmpty, nil)
        }
        guard rows.count == 1, let row = rows.first,
              row.version == expected.version, row.name == expected.name,
              row.checksum == expected.checksum, row.cumulativeChecksum == expected.cumulativeChecksum
        else {
            return (false, nil)
        }
        return (true, row)
    }

    // MARK: - Lock

    private func withMigrationLock<T>(
        on connection: PostgresConnection,
        _ body: () async throws(PostgresStoreError) -> T
    ) async throws(PostgresStoreError) -> T {
        try await acquireLock(on: connection)
        let result: Result<T, PostgresStoreError>
        do {
            result = .success(try await body())
        } catch {
            result = .failure(error)
        }
        do {
            try await query(MigrationSQL.unlock(options.advisoryLockKey), on: connection)
        } catch {
            // Closing the connection releases a session lock as well.
            logger.warning("could not release the migration lock; it is released when the connection closes")
        }
        return try result.get()
    }

    private func acquireLock(on connection: PostgresConnection) async throws(PostgresStoreError) {
        let elapsedTime = startTimer()
        var attempt = 0
        while true {
            attempt += 1
            let acquired: Bool
            do {
                let rows = try await connection.query(PostgresQuery(unsafeSQL: MigrationSQL.tryLock(options.advisoryLockKey)), logger: logger)
                var value = false
                for try await (locked) in rows.decode(Bool.self) {
                    value = locked
                }
                acquired = value
            } catch {
                throw PostgresStoreError.wrapping(error, code: .queryFailed, context: "taking the migration advisory lock")
            }
            if acquired {
                observer?(.lockAcquired(attempts: attempt))
                return
            }
            let elapsed = elapsedTime()
            guard elapsed < options.lockWaitTimeout else {
                throw PostgresStoreError(
                    code: .migrationLockTimeout,
                    context: "another session held the migration advisory lock \(options.advisoryLockKey) for the whole \(options.lockWaitTimeout) (\(attempt) tries)"
                )
            }
            observer?(.waitingForLock(attempt: attempt))
            let delay = min(backoff(attempt: attempt), options.lockWaitTimeout - elapsed)
            do {
                try await sleeper(delay)
            } catch {
                throw PostgresStoreError(code: .cancelled, context: "cancelled while waiting for the migration lock", underlying: error)
            }
        }
    }

    /// The wait before try `attempt + 1`: doubling from the initial delay, capped, jittered
    /// to between half and all of it.
    private func backoff(attempt: Int) -> Duration {
        let initial = max(1, options.lockRetryInitialDelay.wholeMilliseconds)
        let maximum = max(initial, options.lockRetryMaximumDelay.wholeMilliseconds)
        let shift = Int64(min(max(attempt - 1, 0), 20))
        let (doubled, overflow) = initial.multipliedReportingOverflow(by: Int64(1) << shift)
        let ceiling = overflow ? maximum : min(doubled, maximum)
        return .milliseconds(Int64.random(in: max(1, ceiling / 2)...ceiling))
    }

    private func sleep(for duration: Duration) async throws(PostgresStoreError) {
        do {
            try await sleeper(duration)
        } catch {
            throw PostgresStoreError(code: .cancelled, context: "cancelled while waiting to retry", underlying: error)
        }
    }

    // MARK: - Queries

    private func withConnection<T>(
        id: Int,
        _ body: (PostgresConnection) async throws(PostgresStoreError) -> T
    ) async throws(PostgresStoreError) -> T {
        let connection: PostgresConnection
        do {
            connection = try await PostgresConnection.connect(
                configuration: try settings.connectionConfiguration(),
                id: id,
                logger: logger
            )
        } catch {
            throw PostgresStoreError.wrapping(
                error,
                code: .connectionFailed,
                context: "could not connect to \(settings.host):\(settings.port), database \(settings.database), as \(settings.username)"
            )
        }
        let result: Result<T, PostgresStoreError>
        do {
            result = .success(try await body(connection))
        } catch {
            result = .failure(error)
        }
        try? await connection.close()
        return try result.get()
    }

    /// Sends one statement and drains its rows, so an error raised after the first row is
    /// not lost.
    private func query(_ sql: String, on connection: PostgresConnection) async throws {
        let rows = try await connection.query(PostgresQuery(unsafeSQL: sql), logger: logger)
        for try await _ in rows {}
    }

    private func execute(_ sql: String, on connection: PostgresConnection, context: String) async throws(PostgresStoreError) {
        do {
            try await query(sql, on: connection)
        } catch {
            throw PostgresStoreError.wrapping(error, code: .queryFailed, context: context)
        }
    }

    private func checkHistoryTable(on connection: PostgresConnection) async throws(PostgresStoreError) {
        var columns: Set<String> = []
        do {
            let rows = try await connection.query(PostgresQuery(unsafeSQL: MigrationSQL.checkHistoryTable), logger: logger)
            for try await (column) in rows.decode(String.self) {
                columns.insert(column)
            }
        } catch {
            throw PostgresStoreError.wrapping(error, code: .queryFailed, context: "reading the columns of schema_migrations")
        }
        let missing = MigrationSQL.historyColumns.filter { !columns.contains($0) }
        guard missing.isEmpty else {
            throw PostgresStoreError(
                code: .migrationHistoryMismatch,
                context: "schema_migrations exists without the columns \(missing.joined(separator: ", ")); it was made by another tool"
            )
        }
    }

    private func readHistoryIfPresent(on connection: PostgresConnection) async throws(PostgresStoreError) -> [PostgresAppliedMigration] {
        var exists = false
        do {
            let rows = try await connection.query(PostgresQuery(unsafeSQL: MigrationSQL.historyTableExists), logger: logger)
            for try await (value) in rows.decode(Bool.self) {
                exists = value
            }
        } catch {
            throw PostgresStoreError.wrapping(error, code: .queryFailed, context: "looking for schema_migrations")
        }
        guard exists else { return [] }
        try await checkHistoryTable(on: connection)
        return try await readHistory(on: connection, sql: MigrationSQL.readHistory)
    }

    private func readHistory(
        on connection: PostgresConnection,
        sql: String,
        context: String = "reading schema_migrations"
    ) async throws(PostgresStoreError) -> [PostgresAppliedMigration] {
        var records: [PostgresAppliedMigration] = []
        do {
            let rows = try await connection.query(PostgresQuery(unsafeSQL: sql), logger: logger)
            for try await (version, name, checksum, cumulative, appliedAt) in rows.decode((Int64, String, String, String, String).self) {
                guard let version = Int(exactly: version) else {
                    throw PostgresStoreError(code: .migrationHistoryMismatch, context: "schema_migrations has version \(version), out of range")
                }
                records.append(PostgresAppliedMigration(
                    version: version,
                    name: name,
                    checksum: checksum,
                    cumulativeChecksum: cumulative,
                    appliedAtUTC: appliedAt
                ))
            }
        } catch {
            throw PostgresStoreError.wrapping(error, code: .queryFailed, context: context)
        }
        return records
    }
}

/// The bookkeeping SQL, shared by runs and dry runs so that a dry run shows exactly what a
/// run sends. Values are inlined as literals; they are numbers, validated names
/// (`[a-z0-9_]`) and hexadecimal digests, never outside input.
enum MigrationSQL {
    static let historyColumns = ["version", "name", "checksum", "cumulative_checksum", "applied_at"]

    static let bookkeepingPreamble = [
        """
        CREATE TABLE IF NOT EXISTS schema_migrations (
            version bigint PRIMARY KEY,
            name text NOT NULL,
            checksum text NOT NULL,
            cumulative_checksum text NOT NULL,
            applied_at timestamptz NOT NULL DEFAULT now()
        )
        """,
    ]

    static let checkHistoryTable = """
        SELECT attname::text FROM pg_attribute \
        WHERE attrelid = to_regclass('schema_migrations') AND attnum > 0 AND NOT attisdropped
        """

    static let historyTableExists = "SELECT to_regclass('schema_migrations') IS NOT NULL"

    private static let historySelect = """
        SELECT version, name, checksum, cumulative_checksum, \
        to_char(applied_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') \
        FROM schema_migrations
        """

    static let readHistory = historySelect + " ORDER BY version"

    static func readBack(version: Int) -> String {
        historySelect + " WHERE version = \(version)"
    }

    static func tryLock(_ key: Int64) -> String {
        "SELECT pg_try_advisory_lock(\(key))"
    }

    static func unlock(_ key: Int64) -> String {
        "SELECT pg_advisory_unlock(\(key))"
    }

    static func setLockTimeout(_ timeout: Duration) -> String {
        "SET LOCAL lock_timeout = '\(max(1, timeout.wholeMilliseconds))ms'"
    }

    static func insert(_ record: PostgresAppliedMigration) -> String {
        """
        INSERT INTO schema_migrations (version, name, checksum, cumulative_checksum) \
        VALUES (\(record.version), '\(record.name)', '\(record.checksum)', '\(record.cumulativeChecksum)')
        """
    }

    static func delete(version: Int) -> String {
        "DELETE FROM schema_migrations WHERE version = \(version)"
    }
}
