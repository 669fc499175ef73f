/// A row of `schema_migrations`: a migration the database records as applied.
public struct PostgresAppliedMigration: Sendable, Hashable, CustomStringConvertible {
    /// The migration's version.
    public var version: Int
    /// The migration's name.
    public var name: String
    /// The SHA-256 of the migration's up SQL when it was applied (see ``PostgresMigration/checksum``).
    public var checksum: String
    /// The chained digest of this and every earlier migration (see
    /// ``PostgresMigration/cumulativeChecksum(after:)``).
    public var cumulativeChecksum: String
    /// When it was applied, in UTC, as `YYYY-MM-DDTHH:MM:SS.ffffffZ` (microseconds, as stored).
    public var appliedAtUTC: String

    /// Creates a record.
    /// - Parameters:
    ///   - version: The migration's version.
    ///   - name: The migration's name.
    ///   - checksum: The recorded SHA-256 of the up SQL.
    ///   - cumulativeChecksum: The recorded chained digest.
    ///   - appliedAtUTC: When it was applied, as `YYYY-MM-DDTHH:MM:SS.ffffffZ`.
    public init(version: Int, name: String, checksum: String, cumulativeChecksum: String, appliedAtUTC: String) {
        self.version = version
        self.name = name
        self.checksum = checksum
        self.cumulativeChecksum = cumulativeChecksum
        self.appliedAtUTC = appliedAtUTC
    }

    /// `NNNN_name`.
    public var description: String {
        let digits = String(version)
        return String(repeating: "0", count: max(0, 4 - digits.count)) + digits + "_" + name
    }
}

/// What a ``PostgresMigrator`` run changed, as read back from the database.
public struct PostgresMigrationReport: Sendable, Hashable {
    /// The migrations this run applied, in order. Each one is listed only after its
    /// `schema_migrations` row was read back on a separate connection and matched.
    public var applied: [PostgresAppliedMigration]
    /// The migrations this run reversed, in order (newest first). Each one is listed only after
    /// a separate connection saw its `schema_migrations` row gone.
    public var reverted: [PostgresAppliedMigration]
    /// `schema_migrations` at the end of the run, read on the separate connection.
    public var history: [PostgresAppliedMigration]

    /// Creates a report.
    /// - Parameters:
    ///   - applied: The migrations applied by the run.
    ///   - reverted: The migrations reversed by the run.
    ///   - history: `schema_migrations` at the end of the run.
    public init(applied: [PostgresAppliedMigration], reverted: [PostgresAppliedMigration], history: [PostgresAppliedMigration]) {
        self.applied = applied
        self.reverted = reverted
        self.history = history
    }
}

/// Progress of a ``PostgresMigrator`` run, for logs and tests.
public enum PostgresMigrationEvent: Sendable, Hashable {
    /// Another session holds the migration lock; the run will try again (`attempt` counts from 1).
    case waitingForLock(attempt: Int)
    /// The run holds the migration lock, after `attempts` tries.
    case lockAcquired(attempts: Int)
    /// A migration's transaction hit `lock_timeout` (SQLSTATE 55P03) or a deadlock (40P01),
    /// was rolled back, and runs again (`attempt` counts the retries from 1).
    case retryingAfterLockTimeout(migration: String, attempt: Int)
    /// A migration was applied and read back.
    case applied(PostgresAppliedMigration)
    /// A migration was reversed and its record seen gone.
    case reverted(PostgresAppliedMigration)
}

/// The exact SQL a run would send, returned by ``PostgresMigrator/dryRun()`` and
/// ``PostgresMigrator/dryRunDown(to:)`` instead of running it.
///
/// A run sends ``preamble`` on its main connection (the lock statement is repeated until it
/// returns true), then each step's ``Step/statements`` on the same connection followed by the
/// step's ``Step/readBackSQL`` on a separate connection, then ``postamble``.
public struct PostgresMigrationScript: Sendable, Hashable, CustomStringConvertible {
    /// One migration's transaction.
    public struct Step: Sendable, Hashable {
        /// The migration's version.
        public var version: Int
        /// The migration's ``PostgresMigration/identifier``.
        public var migration: String
        /// Applying or reversing.
        public var direction: PostgresMigrationDirection
        /// Every statement sent, in order: `BEGIN`, `SET LOCAL lock_timeout`, the migration's
        /// statements, the `schema_migrations` INSERT (up) or DELETE (down), `COMMIT`.
        public var statements: [String]
        /// The query that reads the step's `schema_migrations` row back, on a separate connection.
        public var readBackSQL: String
    }

    /// Lock, bookkeeping table and history reads sent before the steps.
    public var preamble: [String]
    /// One step per migration to apply or reverse, in order; empty when there is nothing to do.
    public var steps: [Step]
    /// Statements sent after the steps (the lock release).
    public var postamble: [String]

    /// The whole script as SQL text: each statement followed by `;`, each step headed by a
    /// comment, the read-back query shown as a comment.
    public var sql: String {
        var text = "-- preamble\n"
        for statement in preamble {
            text += statement + ";\n"
        }
        for step in steps {
            text += "\n-- \(step.migration) (\(step.direction.rawValue))\n"
            for statement in step.statements {
                text += statement + ";\n"
            }
            text += "-- read back on a separate connection:\n-- " + step.readBackSQL.replacing("\n", with: "\n-- ") + ";\n"
        }
        text += "\n-- postamble\n"
        for statement in postamble {
            text += statement + ";\n"
        }
        return text
    }

    /// ``sql``.
    public var description: String { sql }
}
