import Testing
import TradeLifecyclePostgres

private func probe(_ version: Int, _ name: String, up: String, down: String) throws -> PostgresMigration {
    try PostgresMigration(version: version, name: name, upSQL: up, downSQL: down)
}

private func hasCode(_ code: PostgresStoreError.Code) -> @Sendable (any Error) -> Bool {
    { error in (error as? PostgresStoreError)?.code == code }
}

private let schema = PostgresMigration.tradeLifecycleSchema

@Suite(
    "PostgresMigrator against a real server",
    .enabled(if: PostgresTestEnvironment.shouldRun, PostgresTestEnvironment.skipNotice)
)
struct PostgresMigratorTests {
    @Test("migrates an empty database, records every migration, and is idempotent")
    func migratesEmptyDatabase() async throws {
        try await TestDatabase.withFresh { database in
            let migrator = database.migrator()
            let report = try await migrator.migrate()
            #expect(report.applied.map(\.version) == schema.map(\.version))
            #expect(report.applied.map(\.checksum) == schema.map(\.checksum))
            #expect(report.applied.map(\.cumulativeChecksum) == PostgresMigration.cumulativeChecksums(of: schema))
            #expect(report.history == report.applied)
            #expect(report.reverted.isEmpty)

            let tables = try await database.connect { connection in
                try await connection.column("tablename", "SELECT tablename FROM pg_tables WHERE schemaname = current_schema()")
            }
            for table in [
                "orders", "trade_history", "trade_profiles", "reconciliation_backfill_audit", "entry_locks",
                "reconciliation_locks", "event_dedupe", "fills", "execution_logs", "capital_ledger_events",
                "capital_ledger_balances", "tenant_profiles", "schema_migrations",
            ] {
                #expect(tables.contains(table), "table \(table) is missing")
            }

            let again = try await migrator.migrate()
            #expect(again.applied.isEmpty)
            #expect(again.history == report.history)
            #expect(try await migrator.appliedMigrations() == report.history)
            #expect(try await migrator.dryRun().steps.isEmpty)
        }
    }

    @Test("up, down, up leaves an identical catalog (and pg_dump --schema-only)")
    func upDownUpIsIdentical() async throws {
        try await TestDatabase.withFresh { database in
            // The state before the schema: only the bookkeeping table.
            _ = try await database.migrator([]).migrate()
            let empty = try await database.connect(catalogSnapshot)
            let emptyDump = try schemaDump(database.settings)

            let migrator = database.migrator()
            _ = try await migrator.migrate()
            let first = try await database.connect(catalogSnapshot)
            let firstDump = try schemaDump(database.settings)
            #expect(first.count > empty.count)

            let down = try await migrator.down(to: 0)
            #expect(down.reverted.map(\.version) == schema.map(\.version).reversed())
            #expect(down.history.isEmpty)
            #expect(catalogDifference(try await database.connect(catalogSnapshot), empty) == [])
            #expect(try schemaDump(database.settings) == emptyDump)

            _ = try await migrator.migrate()
            #expect(catalogDifference(try await database.connect(catalogSnapshot), first) == [])
            #expect(try schemaDump(database.settings) == firstDump)

            // Part of the way down and back.
            let middle = schema[schema.count / 2].version
            let partial = try await migrator.down(to: middle)
            #expect(partial.reverted.map(\.version) == schema.map(\.version).filter { $0 > middle }.reversed())
            #expect(partial.history.map(\.version) == schema.map(\.version).filter { $0 <= middle })
            let back = try await migrator.migrate()
            #expect(back.applied.map(\.version) == schema.map(\.version).filter { $0 > middle })
            #expect(catalogDifference(try await database.connect(catalogSnapshot), first) == [])
            #expect(try schemaDump(database.settings) == firstDump)
        }
    }

    @Test("every down migration exactly reverses its up migration")
    func eachDownReversesItsUp() async throws {
        // State after migrating up to each version on one database...
        var upStates: [Int: [String]] = [:]
        var upDumps: [Int: String?] = [:]
        try await TestDatabase.withFresh { database in
            for count in 0...schema.count {
                _ = try await database.migrator(Array(schema.prefix(count))).migrate()
                let version = count == 0 ? 0 : schema[count - 1].version
                upStates[version] = try await database.connect(catalogSnapshot)
                upDumps[version] = try schemaDump(database.settings)
            }
        }
        // ...equals the state after migrating everything and going down to it on another.
        try await TestDatabase.withFresh { database in
            let migrator = database.migrator()
            _ = try await migrator.migrate()
            for version in ([0] + schema.map(\.version)).reversed() {
                let report = try await migrator.down(to: version)
                #expect(report.history.map(\.version) == schema.map(\.version).filter { $0 <= version })
                let state = try await database.connect(catalogSnapshot)
                #expect(catalogDifference(state, upStates[version] ?? []) == [], "down(to: \(version)) does not give the schema of up to \(version)")
                #expect(try schemaDump(database.settings) == upDumps[version] ?? nil)
            }
        }
    }

    @Test("a failing migration reports failure, records nothing, and leaves the schema as it was")
    func failingMigrationRecordsNothing() async throws {
        try await TestDatabase.withFresh { database in
            _ = try await database.migrator().migrate()
            let before = try await database.connect(catalogSnapshot)

            let good = try probe(100, "probe_good", up: "CREATE TABLE probe_good (id int);", down: "DROP TABLE probe_good;")
            let broken = try probe(
                101,
                "probe_broken",
                up: "CREATE TABLE probe_a (id int);\nALTER TABLE orders ADD COLUMN probe_note text;\nCREATE TABLE probe_b (id int;",
                down: "SELECT 1;"
            )
            await #expect {
                try await database.migrator(schema + [good, broken]).migrate()
            } throws: { error in
                guard let error = error as? PostgresStoreError else { return false }
                return error.code == .migrationFailed
                    && error.sqlState == "42601"
                    && error.description.contains("0101_probe_broken")
                    && error.description.contains("statement 3 of 3")
            }

            let history = try await database.migrator(schema + [good, broken]).appliedMigrations()
            #expect(history.map(\.version) == schema.map(\.version) + [100])
            let after = try await database.connect(catalogSnapshot)
            // Only the earlier, successful migration's table was added.
            #expect(catalogDifference(after.filter { !$0.contains("probe_good") }, before) == [])
            #expect(after.contains { $0.hasPrefix("relation probe_good ") })
            #expect(!after.contains { $0.contains("probe_a") || $0.contains("probe_note") })

            // A statement failing at run time, not at parse time, is rolled back the same way.
            let violating = try probe(
                102,
                "probe_violating",
                up: "CREATE TABLE probe_c (id int);\nINSERT INTO orders (order_id, profile_id, symbol, status, quantity) VALUES ('o', 'p', 's', 'open', 0);",
                down: "DROP TABLE probe_c;"
            )
            let beforeViolation = try await database.connect(catalogSnapshot)
            await #expect {
                try await database.migrator(schema + [good, violating]).migrate()
            } throws: { error in
                (error as? PostgresStoreError)?.code == .migrationFailed && (error as? PostgresStoreError)?.sqlState == "23514"
            }
            #expect(catalogDifference(try await database.connect(catalogSnapshot), beforeViolation) == [])
            #expect(try await database.migrator(schema + [good]).appliedMigrations().map(\.version) == schema.map(\.version) + [100])
        }
    }

    @Test("a second concurrent runner waits for the lock, then finds nothing to do")
    func concurrentRunners() async throws {
        try await TestDatabase.withFresh { database in
            // nil marks a runner that finished.
            let (events, continuation) = AsyncStream.makeStream(of: (runner: Int, event: PostgresMigrationEvent?).self)
            let reports = try await database.connect { holder in
                try await holder.run("SELECT pg_advisory_lock(\(PostgresMigrator.defaultAdvisoryLockKey))")
                async let first = {
                    defer { continuation.yield((1, nil)) }
                    return try await database.migrator(observer: { continuation.yield((1, $0)) }).migrate()
                }()
                async let second = {
                    defer { continuation.yield((2, nil)) }
                    return try await database.migrator(observer: { continuation.yield((2, $0)) }).migrate()
                }()
                // Both runners must have been refused the lock at least once.
                var waiting: Set<Int> = []
                for await (runner, event) in events {
                    guard let event else { break }
                    if case .waitingForLock = event {
                        waiting.insert(runner)
                    }
                    if waiting.count == 2 { break }
                }
                #expect(waiting == [1, 2])
                try await holder.run("SELECT pg_advisory_unlock(\(PostgresMigrator.defaultAdvisoryLockKey))")
                return try await [first, second]
            }
            continuation.finish()
            #expect(reports.map(\.applied.count).sorted() == [0, schema.count])
            for report in reports {
                #expect(report.history.map(\.version) == schema.map(\.version))
            }
            let rows = try await database.connect { connection in
                try await connection.column("n", "SELECT count(*) AS n FROM schema_migrations")
            }
            #expect(rows == [String(schema.count)])
        }
    }

    @Test("a run gives up with a typed error when the lock stays taken")
    func lockWaitTimesOut() async throws {
        try await TestDatabase.withFresh { database in
            let (events, continuation) = AsyncStream.makeStream(of: PostgresMigrationEvent.self)
            try await database.connect { holder in
                try await holder.run("SELECT pg_advisory_lock(\(PostgresMigrator.defaultAdvisoryLockKey))")
                var options = PostgresMigrator.Options()
                options.lockWaitTimeout = .milliseconds(300)
                options.lockRetryInitialDelay = .milliseconds(20)
                await #expect(
                    performing: { try await database.migrator(options: options, observer: { continuation.yield($0) }).migrate() },
                    throws: hasCode(.migrationLockTimeout)
                )
                continuation.finish()
            }
            var sawWaiting = false
            for await event in events {
                if case .waitingForLock = event { sawWaiting = true }
            }
            #expect(sawWaiting)
            // Nothing was read or created while waiting.
            let exists = try await database.connect { connection in
                try await connection.column("found", "SELECT to_regclass('schema_migrations') IS NOT NULL AS found")
            }
            #expect(exists == ["f"])
        }
    }

    @Test("a migration that hits lock_timeout (55P03) is rolled back and retried")
    func lockTimeoutIsRetried() async throws {
        try await TestDatabase.withFresh { database in
            let table = try probe(1, "probe_table", up: "CREATE TABLE probe (id int);", down: "DROP TABLE probe;")
            let alter = try probe(2, "probe_alter", up: "ALTER TABLE probe ADD COLUMN note text;", down: "ALTER TABLE probe DROP COLUMN note;")
            _ = try await database.migrator([table]).migrate()

            var options = PostgresMigrator.Options()
            options.statementLockTimeout = .milliseconds(50)
            options.lockRetryInitialDelay = .milliseconds(10)
            options.lockRetryMaximumDelay = .milliseconds(100)

            // Without retries the lock timeout is a typed failure, and nothing is recorded.
            try await database.connect { holder in
                try await holder.run("BEGIN")
                try await holder.run("LOCK TABLE probe IN ACCESS EXCLUSIVE MODE")
                var noRetries = options
                noRetries.lockTimeoutRetries = 0
                await #expect {
                    try await database.migrator([table, alter], options: noRetries).migrate()
                } throws: { error in
                    (error as? PostgresStoreError)?.code == .migrationFailed && (error as? PostgresStoreError)?.sqlState == "55P03"
                }
                try await holder.run("COMMIT")
            }
            #expect(try await database.migrator([table, alter]).appliedMigrations().map(\.version) == [1])

            // With retries, releasing the table lock after the first timeout lets it through.
            let (events, continuation) = AsyncStream.makeStream(of: PostgresMigrationEvent?.self)
            let retrying: PostgresMigrator.Options = {
                var retrying = options
                retrying.lockTimeoutRetries = 50
                return retrying
            }()
            let report = try await database.connect { holder in
                try await holder.run("BEGIN")
                try await holder.run("LOCK TABLE probe IN ACCESS EXCLUSIVE MODE")
                async let run = {
                    defer { continuation.yield(nil) }
                    return try await database.migrator([table, alter], options: retrying, observer: { continuation.yield($0) }).migrate()
                }()
                var sawRetry = false
                for await event in events {
                    guard let event else { break }
                    if case .retryingAfterLockTimeout(let migration, _) = event {
                        #expect(migration == "0002_probe_alter")
                        sawRetry = true
                        break
                    }
                }
                #expect(sawRetry)
                try await holder.run("COMMIT")
                return try await run
            }
            continuation.finish()
            #expect(report.applied.map(\.version) == [2])
            let columns = try await database.connect { connection in
                try await connection.column("attname", "SELECT attname::text FROM pg_attribute WHERE attrelid = 'probe'::regclass AND attnum > 0 ORDER BY attnum")
            }
            #expect(columns == ["id", "note"])
        }
    }

    @Test("an applied migration that was edited is detected, and nothing runs")
    func editedMigrationIsDetected() async throws {
        try await TestDatabase.withFresh { database in
            let a = try probe(10, "a", up: "CREATE TABLE probe_a (id int);", down: "DROP TABLE probe_a;")
            let b = try probe(20, "b", up: "CREATE TABLE probe_b (id int);", down: "DROP TABLE probe_b;")
            let c = try probe(30, "c", up: "CREATE TABLE probe_c (id int);", down: "DROP TABLE probe_c;")
            _ = try await database.migrator([a, b]).migrate()

            let editedB = try probe(20, "b", up: "CREATE TABLE probe_b (id bigint);", down: "DROP TABLE probe_b;")
            await #expect(performing: { try await database.migrator([a, editedB, c]).migrate() }, throws: hasCode(.appliedMigrationChanged))
            await #expect(performing: { try await database.migrator([a, editedB, c]).down(to: 0) }, throws: hasCode(.appliedMigrationChanged))
            await #expect(performing: { try await database.migrator([a, editedB, c]).dryRun() }, throws: hasCode(.appliedMigrationChanged))

            // Inserted before applied ones, renamed, removed, reordered, or unknown to this build.
            let inserted = try probe(15, "inserted", up: "SELECT 1;", down: "SELECT 1;")
            await #expect(performing: { try await database.migrator([a, inserted, b]).migrate() }, throws: hasCode(.migrationHistoryMismatch))
            let aBis = try probe(10, "a_renamed", up: "CREATE TABLE probe_a (id int);", down: "DROP TABLE probe_a;")
            await #expect(performing: { try await database.migrator([aBis, b]).migrate() }, throws: hasCode(.migrationHistoryMismatch))
            await #expect(performing: { try await database.migrator([b]).migrate() }, throws: hasCode(.migrationHistoryMismatch))
            await #expect(performing: { try await database.migrator([a]).migrate() }, throws: hasCode(.migrationHistoryMismatch))

            // A recorded cumulative checksum that was tampered with.
            try await database.connect { connection in
                try await connection.run("UPDATE schema_migrations SET cumulative_checksum = 'x' WHERE version = 20")
            }
            await #expect(performing: { try await database.migrator([a, b, c]).migrate() }, throws: hasCode(.migrationHistoryMismatch))

            let tables = try await database.connect { connection in
                try await connection.column("tablename", "SELECT tablename FROM pg_tables WHERE tablename LIKE 'probe_%' ORDER BY 1")
            }
            #expect(tables == ["probe_a", "probe_b"])
        }
    }

    @Test("dry run returns the exact SQL, bookkeeping included, and changes nothing")
    func dryRunReturnsExactSQL() async throws {
        try await TestDatabase.withFresh { database in
            let migrator = database.migrator()
            let untouched = try await database.connect(catalogSnapshot)
            let script = try await migrator.dryRun()
            #expect(catalogDifference(try await database.connect(catalogSnapshot), untouched) == [])

            #expect(script.steps.map(\.version) == schema.map(\.version))
            let cumulative = PostgresMigration.cumulativeChecksums(of: schema)
            for (index, step) in script.steps.enumerated() {
                let migration = schema[index]
                #expect(step.statements.first == "BEGIN")
                #expect(step.statements.last == "COMMIT")
                #expect(step.statements.contains { $0.hasPrefix("SET LOCAL lock_timeout") })
                let insert = step.statements[step.statements.count - 2]
                #expect(insert.hasPrefix("INSERT INTO schema_migrations"))
                #expect(insert.contains("(\(migration.version), '\(migration.name)', '\(migration.checksum)', '\(cumulative[index])')"))
                #expect(step.readBackSQL.contains("WHERE version = \(migration.version)"))
            }
            #expect(script.sql.contains("INSERT INTO schema_migrations"))
            #expect(script.preamble.first?.contains("pg_try_advisory_lock") == true)
            #expect(script.postamble.first?.contains("pg_advisory_unlock") == true)

            // Sending the script by hand gives a database the migrator finds up to date, with
            // the same catalog as one it migrated itself.
            try await database.connect { connection in
                for statement in script.preamble + script.steps.flatMap(\.statements) + script.postamble {
                    try await connection.run(statement)
                }
            }
            #expect(try await migrator.migrate().applied.isEmpty)
            let byHand = try await database.connect(catalogSnapshot)
            let byMigrator = try await TestDatabase.withFresh { other in
                _ = try await other.migrator().migrate()
                return try await other.connect(catalogSnapshot)
            }
            #expect(catalogDifference(byHand, byMigrator) == [])

            let downScript = try await migrator.dryRunDown(to: 0)
            #expect(downScript.steps.map(\.version) == schema.map(\.version).reversed())
            for step in downScript.steps {
                #expect(step.statements[step.statements.count - 2] == "DELETE FROM schema_migrations WHERE version = \(step.version)")
                #expect(step.direction == .down)
            }
            #expect(try await migrator.appliedMigrations().count == schema.count)
        }
    }

    @Test("down(to:) refuses an unknown target")
    func downRefusesUnknownTarget() async throws {
        try await TestDatabase.withFresh { database in
            await #expect(performing: { try await database.migrator().down(to: 9999) }, throws: hasCode(.invalidMigration))
            await #expect(performing: { try await database.migrator().down(to: -1) }, throws: hasCode(.invalidMigration))
        }
    }

    @Test("a bad password is a connection failure that does not echo it")
    func badPasswordIsConnectionFailure() async throws {
        try await TestDatabase.withFresh { database in
            var settings = database.settings
            settings.password = "wrong-\(randomHex(8))"
            let secret = settings.password ?? ""
            await #expect {
                try await PostgresMigrator(settings: settings).migrate()
            } throws: { error in
                guard let error = error as? PostgresStoreError else { return false }
                return error.code == .connectionFailed && !error.description.contains(secret)
            }
        }
    }
}
