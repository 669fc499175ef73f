import Testing
import TradeLifecyclePostgres

@Suite("Migration rules (lint)")
struct MigrationLintTests {
    typealias Rule = PostgresMigrationLintViolation.Rule

    struct Case: Sendable, CustomTestStringConvertible {
        var label: String
        var sql: String
        var expected: [Rule]
        var testDescription: String { label }
    }

    static let cases: [Case] = [
        Case(label: "CHECK without NOT VALID", sql: "ALTER TABLE orders ADD CONSTRAINT c CHECK (quantity > 0);", expected: [.constraintWithoutNotValid]),
        Case(label: "CHECK NOT VALID", sql: "ALTER TABLE orders ADD CONSTRAINT c CHECK (quantity > 0) NOT VALID;", expected: []),
        Case(label: "unnamed CHECK without NOT VALID", sql: "alter table orders add check (quantity > 0)", expected: [.constraintWithoutNotValid]),
        Case(label: "FOREIGN KEY without NOT VALID", sql: "ALTER TABLE fills ADD CONSTRAINT f FOREIGN KEY (order_id) REFERENCES orders (order_id);", expected: [.constraintWithoutNotValid]),
        Case(label: "FOREIGN KEY NOT VALID", sql: "ALTER TABLE fills ADD CONSTRAINT f FOREIGN KEY (order_id) REFERENCES orders (order_id) NOT VALID;", expected: []),
        Case(
            label: "second action of a list without NOT VALID",
            sql: "ALTER TABLE ONLY public.orders ADD CONSTRAINT a CHECK (price > 0) NOT VALID, ADD CONSTRAINT b CHECK (qty > 0);",
            expected: [.constraintWithoutNotValid]
        ),
        Case(
            label: "NOT VALID inside the expression does not count",
            sql: "ALTER TABLE orders ADD CONSTRAINT c CHECK (NOT valid);",
            expected: [.constraintWithoutNotValid]
        ),
        Case(label: "ADD COLUMN with CHECK", sql: "ALTER TABLE orders ADD COLUMN fee numeric CHECK (fee >= 0);", expected: [.columnConstraintOnExistingTable]),
        Case(label: "ADD COLUMN with REFERENCES", sql: "ALTER TABLE fills ADD parent text REFERENCES orders (order_id);", expected: [.columnConstraintOnExistingTable]),
        Case(label: "ADD COLUMN plain", sql: "ALTER TABLE orders ADD COLUMN fee numeric(20, 8) DEFAULT 0;", expected: []),
        Case(label: "UNIQUE is not a CHECK", sql: "ALTER TABLE orders ADD CONSTRAINT u UNIQUE (client_order_id);", expected: []),
        Case(
            label: "validate in the same migration",
            sql: "ALTER TABLE orders ADD CONSTRAINT c CHECK (price > 0) NOT VALID;\nALTER TABLE orders VALIDATE CONSTRAINT c;",
            expected: [.validateInSameMigration]
        ),
        Case(label: "validate of an earlier constraint", sql: "ALTER TABLE orders VALIDATE CONSTRAINT chk_orders_side;", expected: []),
        Case(
            label: "validate a quoted name added unquoted",
            sql: "ALTER TABLE orders ADD CONSTRAINT Chk_X CHECK (price > 0) NOT VALID; ALTER TABLE orders VALIDATE CONSTRAINT \"chk_x\";",
            expected: [.validateInSameMigration]
        ),
        Case(label: "DO block", sql: "DO $$ BEGIN ALTER TABLE orders ADD CONSTRAINT c CHECK (price > 0); END $$;", expected: [.doBlock]),
        Case(label: "BEGIN/COMMIT", sql: "BEGIN; CREATE TABLE t (id int); COMMIT;", expected: [.transactionControl, .transactionControl]),
        Case(label: "CREATE INDEX CONCURRENTLY", sql: "CREATE INDEX CONCURRENTLY i ON orders (symbol);", expected: [.notTransactional]),
        Case(label: "VACUUM", sql: "VACUUM orders;", expected: [.notTransactional]),
        Case(label: "CREATE DATABASE", sql: "CREATE DATABASE other;", expected: [.notTransactional]),
        Case(label: "session SET", sql: "SET search_path = other;", expected: [.sessionSetting]),
        Case(label: "SET LOCAL", sql: "SET LOCAL statement_timeout = '1s';", expected: []),
        Case(label: "unterminated string", sql: "SELECT 'abc;", expected: [.unterminatedText]),
        Case(label: "unterminated dollar quote", sql: "CREATE FUNCTION f() RETURNS int LANGUAGE sql AS $body$ SELECT 1; $bod$;", expected: [.unterminatedText]),
        Case(label: "only comments", sql: "-- nothing here\n/* nor here; */\n", expected: [.noStatements]),
        Case(
            label: "rule words inside strings, comments and function bodies do not count",
            sql: """
                COMMENT ON TABLE orders IS 'ALTER TABLE orders ADD CONSTRAINT c CHECK (x); BEGIN; DO';
                -- ALTER TABLE orders ADD CONSTRAINT c CHECK (x);
                /* DO $$ $$; VACUUM; */
                CREATE FUNCTION f() RETURNS void LANGUAGE plpgsql AS $$
                BEGIN
                    EXECUTE 'ALTER TABLE orders ADD CONSTRAINT c CHECK (x)';
                END;
                $$;
                CREATE TABLE t (id int CHECK (id > 0), parent int REFERENCES t (id));
                """,
            expected: []
        ),
    ]

    @Test(arguments: cases)
    func lintFindsExactlyTheBrokenRules(_ testCase: Case) throws {
        let migration = try PostgresMigration(version: 1, name: "probe", upSQL: testCase.sql, downSQL: "SELECT 1;")
        let rules = migration.lint().map(\.rule)
        #expect(rules == testCase.expected)
    }

    @Test("down SQL is linted too")
    func downSQLIsLinted() throws {
        let migration = try PostgresMigration(
            version: 3,
            name: "probe",
            upSQL: "SELECT 1;",
            downSQL: "ALTER TABLE orders ADD CONSTRAINT c CHECK (price > 0);"
        )
        let violations = migration.lint()
        #expect(violations.map(\.rule) == [.constraintWithoutNotValid])
        #expect(violations.first?.direction == .down)
        #expect(violations.first?.migration == "0003_probe")
        #expect(violations.first?.line == 1)
    }

    @Test("the SDK's own migrations keep every rule")
    func schemaMigrationsAreClean() {
        #expect(PostgresMigration.tradeLifecycleSchema.flatMap { $0.lint() } == [])
    }

    @Test("the migrator refuses a migration that breaks a rule before it connects")
    func migratorRefusesBeforeConnecting() async throws {
        // Nothing listens on port 1: a connection attempt would fail with connectionFailed.
        let settings = PostgresConnectionSettings(host: "127.0.0.1", port: 1, username: "nobody", password: nil, database: "none")
        let bad = try PostgresMigration(version: 1, name: "bad", upSQL: "ALTER TABLE orders ADD CONSTRAINT c CHECK (price > 0);", downSQL: "SELECT 1;")
        let migrator = PostgresMigrator(settings: settings, migrations: [bad])
        await #expect {
            try await migrator.migrate()
        } throws: { error in
            (error as? PostgresStoreError)?.code == .migrationLintFailed
                && (error as? PostgresStoreError)?.description.contains("0001_bad") == true
        }
        await #expect {
            try await migrator.dryRun()
        } throws: { error in
            (error as? PostgresStoreError)?.code == .migrationLintFailed
        }
    }

    @Test("versions must strictly increase")
    func versionsMustIncrease() async throws {
        let settings = PostgresConnectionSettings(host: "127.0.0.1", port: 1, username: "nobody", password: nil, database: "none")
        let first = try PostgresMigration(version: 2, name: "a", upSQL: "SELECT 1;", downSQL: "SELECT 1;")
        let second = try PostgresMigration(version: 2, name: "b", upSQL: "SELECT 1;", downSQL: "SELECT 1;")
        await #expect {
            try await PostgresMigrator(settings: settings, migrations: [first, second]).migrate()
        } throws: { error in
            (error as? PostgresStoreError)?.code == .invalidMigration
        }
    }

    @Test(arguments: [(0, "ok"), (1, "Bad"), (1, "_x"), (1, ""), (1, "has-dash"), (-5, "neg")])
    func malformedMigrationsAreRefused(version: Int, name: String) {
        #expect {
            try PostgresMigration(version: version, name: name, upSQL: "SELECT 1;", downSQL: "SELECT 1;")
        } throws: { error in
            (error as? PostgresStoreError)?.code == .invalidMigration
        }
    }
}
