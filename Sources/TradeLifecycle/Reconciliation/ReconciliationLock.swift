import Synchronization

/// The per-profile reconciliation lock: at most one reconciliation pass of a profile runs at a
/// time (`reference/002_*` phase 5, "obtains profile locks").
///
/// The core ships ``InProcessReconciliationLock``, which serialises the passes of one process.
/// A deployment with several instances provides a lock shared through its database (a row of a
/// reconciliation lock table, or an advisory lock) by implementing this protocol.
///
/// Contract:
/// - `body` runs only while the lock of `profileID` is held, and the lock is released when
///   `body` returns or throws.
/// - Locks of different profiles are independent.
/// - When the lock is held elsewhere, an implementation either waits for it or refuses by
///   throwing ``ReconciliationError`` with code ``ReconciliationError/Code/lockUnavailable``;
///   it documents which. A cancelled wait throws `CancellationError`.
public protocol ReconciliationLock: Sendable {
    /// Runs `body` while holding the reconciliation lock of `profileID`.
    ///
    /// - Parameters:
    ///   - profileID: The profile whose lock to hold.
    ///   - body: The work to do under the lock.
    /// - Returns: What `body` returns.
    /// - Throws: What `body` throws; ``ReconciliationError`` with code
    ///   ``ReconciliationError/Code/lockUnavailable`` when the lock is refused; `CancellationError`
    ///   when the task is cancelled while waiting; the implementation's error when the lock
    ///   cannot be taken.
    func withLock<Result: Sendable>(
        profileID: ProfileID,
        _ body: @Sendable () async throws -> Result
    ) async throws -> Result
}

/// A reconciliation lock within one process: a second pass of a profile waits, first come first
/// served, until the first releases the lock (``ContentionPolicy/wait``, the default), or is
/// refused at once (``ContentionPolicy/refuse``).
///
/// Waiting is cancellable: a cancelled waiter leaves the queue and throws `CancellationError`
/// without taking the lock.
public final class InProcessReconciliationLock: ReconciliationLock {
    /// What a pass does when the profile's lock is held.
    public enum ContentionPolicy: String, Sendable, Hashable, CaseIterable {
        /// Wait until the lock is free (first come, first served).
        case wait
        /// Throw ``ReconciliationError`` with code ``ReconciliationError/Code/lockUnavailable``.
        case refuse
    }

    private struct Waiter {
        let id: UInt64
        let continuation: CheckedContinuation<Void, any Error>
    }

    private struct State {
        var nextWaiterID: UInt64 = 0
        /// The held locks, each with its queue of waiters (first to be served first).
        var held: [ProfileID: [Waiter]] = [:]
    }

    private enum Acquisition {
        case acquired
        case refused
        case cancelled
        case queued
    }

    /// The behaviour when a profile's lock is held.
    public let policy: ContentionPolicy
    private let state = Mutex(State())

    /// Creates a lock with no profile locked.
    ///
    /// - Parameter policy: What a second pass of a profile does; ``ContentionPolicy/wait`` by default.
    public init(policy: ContentionPolicy = .wait) {
        self.policy = policy
    }

    /// Whether the lock of `profileID` is held now.
    ///
    /// - Parameter profileID: The profile.
    public func isLocked(profileID: ProfileID) -> Bool {
        state.withLock { $0.held[profileID] != nil }
    }

    /// How many passes wait for the lock of `profileID` now.
    ///
    /// - Parameter profileID: The profile.
    public func waiterCount(profileID: ProfileID) -> Int {
        state.withLock { $0.held[profileID]?.count ?? 0 }
    }

    /// Runs `body` while holding the lock of `profileID`, waiting for it or refusing as
    /// ``policy`` says.
    ///
    /// - Parameters:
    ///   - profileID: The profile whose lock to hold.
    ///   - body: The work to do under the lock.
    /// - Returns: What `body` returns.
    /// - Throws: What `body` throws; ``ReconciliationError`` with code
    ///   ``ReconciliationError/Code/lockUnavailable`` under ``ContentionPolicy/refuse``;
    ///   `CancellationError` when cancelled while waiting.
    public func withLock<Result: Sendable>(
        profileID: ProfileID,
        _ body: @Sendable () async throws -> Result
    ) async throws -> Result {
        try await acquire(profileID)
        let result: Result
        do {
            result = try await body()
        } catch {
            release(profileID)
            throw error
        }
        release(profileID)
        return result
    }

    private func acquire(_ profileID: ProfileID) async throws {
        let id = state.withLock { state -> UInt64 in
            state.nextWaiterID += 1
            return state.nextWaiterID
        }
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                let outcome = state.withLock { state -> Acquisition in
                    guard state.held[profileID] != nil else {
                        state.held[profileID] = []
                        return .acquired
                    }
                    if policy == .refuse { return .refused }
                    // Checked under the lock: a cancellation handler that ran before this point
                    // found no waiter to remove, so the waiter must not be queued.
                    if Task.isCancelled { return .cancelled }
                    state.held[profileID, default: []].append(Waiter(id: id, continuation: continuation))
                    return .queued
                }
                switch outcome {
                case .acquired:
                    continuation.resume()
                case .refused:
                    continuation.resume(throwing: ReconciliationError(
                        .lockUnavailable, profileID: profileID, detail: "another reconciliation pass of the profile holds its lock"))
                case .cancelled:
                    continuation.resume(throwing: CancellationError())
                case .queued:
                    break
                }
            }
        } onCancel: {
            let waiter = state.withLock { state -> Waiter? in
                guard var waiters = state.held[profileID],
                      let position = waiters.firstIndex(where: { $0.id == id }) else { return nil }
                let waiter = waiters.remove(at: position)
                state.held[profileID] = waiters
                return waiter
            }
            waiter?.continuation.resume(throwing: CancellationError())
        }
    }

    private func release(_ profileID: ProfileID) {
        let next = state.withLock { state -> Waiter? in
            guard var waiters = state.held[profileID] else { return nil }
            guard !waiters.isEmpty else {
                state.held[profileID] = nil
                return nil
            }
            // The lock passes to the first waiter without being free in between.
            let waiter = waiters.removeFirst()
            state.held[profileID] = waiters
            return waiter
        }
        next?.continuation.resume()
    }
}
