import PropertyBased
import Testing
@testable import TradeLifecyclePostgres

/// Text that is hard for a statement splitter: semicolons, quotes, comment and dollar markers.
private let trickyPayloads = [";", "a;b", "'", "''", "\"", "$$", "$t$", "--", "/*", "*/", "\n", "\\", "x", " ", ";;\n;"]

/// One lexical element of a statement, containing `payload` where the syntax allows it.
private func fragment(kind: Int, payload: String, word: String) -> String {
    switch kind {
    case 0:
        return word
    case 1:
        return "'" + payload.replacing("'", with: "''") + "'"
    case 2:
        return "\"x" + payload.replacing("\"", with: "\"\"") + "\""
    case 3:
        return "$q$" + payload + "$q$"
    case 4:
        return "-- " + payload.replacing("\n", with: " ") + "\n"
    case 5:
        return "/* " + payload.replacing("/*", with: "").replacing("*/", with: "") + " */"
    default:
        return "E'" + payload.replacing("\\", with: "\\\\").replacing("'", with: "\\'") + "'"
    }
}

private let statementGenerator = zip(
    Gen.int(in: 0...6),
    Gen.int(in: 0...(trickyPayloads.count - 1)),
    Gen.lowercaseLetter.string(of: 1...5)
)
.map { parts in fragment(kind: parts.0, payload: trickyPayloads[parts.1], word: parts.2) }
.array(of: 0...6)
.map { fragments in (["SELECT"] + fragments).joined(separator: " ") }

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

    @Test("splitting statements joined by semicolons gives them back, whatever they quote")
    func splitIsInverseOfJoin() async {
        await propertyCheck(count: 300, input: statementGenerator.array(of: 1...5)) { statements in
            let script = statements.joined(separator: ";\n")
            let split = try? SQLScript.statements(in: script)
            let trimmed = statements.map { $0.trimmingSpacesAndNewlines() }
            #expect(split?.map(\.text) == trimmed, "script: \(script)")
        }
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

private extension String {
    func trimmingSpacesAndNewlines() -> String {
        var slice = Substring(self)
        while let first = slice.first, first == " " || first == "\n" { slice.removeFirst() }
        while let last = slice.last, last == " " || last == "\n" { slice.removeLast() }
        return String(slice)
    }
}
