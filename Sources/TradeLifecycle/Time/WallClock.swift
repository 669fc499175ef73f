#if canImport(Darwin)
import Darwin
#elseif canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Android)
import Android
#else
#error("SystemWallClock needs clock_gettime(CLOCK_REALTIME) from the platform's C library")
#endif
import Synchronization

/// A source of the current wall-clock time.
///
/// Code that needs "now" takes a `WallClock` instead of reading the system clock, so that tests
/// and examples can fix and move time (``ManualWallClock``) while production uses
/// ``SystemWallClock``.
public protocol WallClock: Sendable {
    /// The current instant.
    ///
    /// - Returns: The current time, with at most microsecond precision.
    func now() -> Timestamp
}

/// The operating system's real-time clock (`CLOCK_REALTIME`), truncated to microseconds.
///
/// Wall-clock time can jump (NTP corrections, manual changes); it is the right clock for
/// timestamps stored in a database, not for measuring durations.
public struct SystemWallClock: WallClock {
    /// Creates a clock that reads the system's real-time clock.
    public init() {}

    /// Reads `clock_gettime(CLOCK_REALTIME)`.
    ///
    /// - Returns: The current time, truncated to the microsecond.
    /// - Precondition: The system clock reads a time in years 0001-9999 and `clock_gettime`
    ///   succeeds (it cannot fail for `CLOCK_REALTIME` with a valid pointer).
    public func now() -> Timestamp {
        var time = timespec()
        let status = clock_gettime(CLOCK_REALTIME, &time)
        precondition(status == 0, "clock_gettime(CLOCK_REALTIME) failed")
        let seconds = Int64(time.tv_sec)
        let nanoseconds = Int64(time.tv_nsec)  // 0..<1_000_000_000
        return Timestamp(microsecondsSinceEpoch: seconds * 1_000_000 + nanoseconds / 1000)
    }
}

/// A clock that only moves when told to, for tests and examples.
///
/// Safe to share between tasks: every read and change holds a `Mutex`, so concurrent
/// ``advance(byMicroseconds:)`` calls never lose an update.
public final class ManualWallClock: WallClock {
    private let current: Mutex<Timestamp>

    /// Creates a clock that reads `start` until it is set or advanced.
    ///
    /// - Parameter start: The initial time.
    public init(_ start: Timestamp) {
        current = Mutex(start)
    }

    /// The clock's current time.
    ///
    /// - Returns: The time last set or reached by advancing.
    public func now() -> Timestamp {
        current.withLock { $0 }
    }

    /// Sets the clock to a time, earlier or later than its current time.
    ///
    /// - Parameter timestamp: The new current time.
    public func set(_ timestamp: Timestamp) {
        current.withLock { $0 = timestamp }
    }

    /// Moves the clock by a number of microseconds, atomically.
    ///
    /// - Parameter microseconds: How far to move; negative moves it back.
    ///   ``Timestamp/hours(_:)`` and its siblings convert from larger units.
    /// - Returns: The new current time.
    /// - Precondition: The new time is within ``Timestamp/min``...``Timestamp/max``.
    @discardableResult
    public func advance(byMicroseconds microseconds: Int64) -> Timestamp {
        current.withLock { now in
            guard let next = now.advanced(byMicroseconds: microseconds) else {
                preconditionFailure("ManualWallClock advanced by \(microseconds) microseconds past the supported range from \(now)")
            }
            now = next
            return next
        }
    }
}
