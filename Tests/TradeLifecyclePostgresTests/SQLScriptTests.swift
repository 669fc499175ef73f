import Testing
@testable import TradeLifecyclePostgres

@Suite("Splitting SQL into statements")
struct SQLScriptTests {
    @Test("semicolons split statements only outside quotes, comments and dollar quotes")
    func splitsLikePostgreSQL() throws {
        let sql = """
            -- leading comment; not a statement
            CREATE TABLE a (x text DEFAULT 'it''s; fine');
            INSERT INTO a VALUES (E'back\\'slash; still inside');
            CREATE FUNCTION f() RETURNS int LANGUAGE plpgsql AS $fn$ BEGIN RETURN 1; END; $fn$;
            SELECT "odd;""name" FROM a /* nested /* comment; */ still; */ ;
            SELECT $$a;b$$, $1x;
            SELECT 1
            """
        let statements = try SQLScript.statements(in: sql)
        #expect(statements.map(\.text) == [
            "-- leading comment; not a statement\nCREATE TABLE a (x text DEFAULT 'it''s; fine')",
            "INSERT INTO a VALUES (E'back\\'slash; still inside')",
            "CREATE FUNCTION f() RETURNS int LANGUAGE plpgsql AS $fn$ BEGIN RETURN 1; END; $fn$",
            "SELECT \"odd;\"\"name\" FROM a /* nested /* comment; */ still; */",
            "SELECT $$a;b$$, $1x",
            "SELECT 1",
        ])
        #expect(statements.map(\.line) == [2, 3, 4, 5, 6, 7])
        #expect(statements[3].tokens.contains { $0.kind == .quotedIdentifier && $0.text == "odd;\"name" })
    }

    @Test("empty statements and trailing comments are dropped")
    func dropsEmptyStatements() throws {
        let statements = try SQLScript.statements(in: ";;\n SELECT 1;\n;\n-- done\n")
        #expect(statements.map(\.text) == ["SELECT 1"])
    }

    @Test(arguments: [
        ("SELECT 'open", 1),
        ("SELECT 1;\nSELECT \"open", 2),
        ("SELECT 1; /* open /* nested */", 1),
        ("\n\nSELECT $x$ open $y$", 3),
        ("SELECT E'open\\'", 1),
    ])
    func reportsUnterminatedText(sql: String, line: Int) {
        #expect {
            try SQLScript.statements(in: sql)
        } throws: { error in
            (error as? SQLScriptError)?.line == line
        }
    }

    @Test("parenthesis depth is tracked for lint")
    func tracksDepth() throws {
        let statement = try #require(try SQLScript.statements(in: "ALTER TABLE t ADD CHECK (NOT (a)) NOT VALID").first)
        let depths = statement.tokens.filter { $0.isWord("NOT") }.map(\.depth)
        #expect(depths == [1, 0])
    }
}
