/// What a discrepancy handler knows about the pass that found the discrepancy.
public struct ReconciliationContext: Sendable, Hashable {
    /// The profile being reconciled.
    public let profileID: ProfileID
    /// When the pass started (the clock's reading); use it as the time of corrections.
    public let startedAt: Timestamp

    /// Creates a context.
    ///
    /// - Parameters:
    ///   - profileID: The profile.
    ///   - startedAt: When the pass started.
    public init(profileID: ProfileID, startedAt: Timestamp) {
        self.profileID = profileID
        self.startedAt = startedAt
    }
}

/// Receives the discrepancies of a reconciliation pass, one at a time, in the order of
/// ``ReconciliationDiff``, while the pass holds the profile's reconciliation lock.
///
/// A handler repairs what it can (for example an order cancelled here that the exchange
/// filled, through ``OrderChange/correctToExchange(status:filledQuantity:filledAt:)``) and
/// leaves the rest to operators. A thrown error is recorded in the pass's report and does not
/// stop the pass.
public protocol DiscrepancyHandler: Sendable {
    /// Handles one discrepancy.
    ///
    /// - Parameters:
    ///   - discrepancy: The discrepancy.
    ///   - context: The pass.
    /// - Throws: Any error; the pass records it in ``ReconciliationReport/handlerFailures``.
    func handle(_ discrepancy: Discrepancy, context: ReconciliationContext) async throws
}

/// A handler made of one closure per kind of discrepancy, with an optional fallback for the
/// kinds without a route. Kinds with neither are left unhandled (they are still counted and
/// reported).
///
/// ```swift
/// let routes = DiscrepancyRoutes()
///     .routing(.orderStatusMismatch, .filledQuantityMismatch) { discrepancy, context in
///         try await repairOrder(discrepancy, at: context.startedAt)
///     }
///     .routing(.ghostPosition) { discrepancy, _ in await pageOperator(discrepancy) }
/// ```
public struct DiscrepancyRoutes: DiscrepancyHandler {
    /// A route: the work for one discrepancy.
    public typealias Route = @Sendable (Discrepancy, ReconciliationContext) async throws -> Void

    private var routes: [DiscrepancyKind: Route] = [:]
    private let fallback: Route?

    /// Creates a handler with no routes.
    ///
    /// - Parameter fallback: The route of the kinds without one; `nil` leaves them unhandled.
    public init(fallback: Route? = nil) {
        self.fallback = fallback
    }

    /// The same routes, with `kinds` routed to `route` (replacing their earlier route).
    ///
    /// - Parameters:
    ///   - kinds: The kinds to route.
    ///   - route: The work for each discrepancy of those kinds.
    /// - Returns: The extended routes.
    public func routing(_ kinds: DiscrepancyKind..., to route: @escaping Route) -> DiscrepancyRoutes {
        var copy = self
        for kind in kinds {
            copy.routes[kind] = route
        }
        return copy
    }

    /// Whether a discrepancy of `kind` has a route (its own or the fallback).
    ///
    /// - Parameter kind: The kind.
    public func handles(_ kind: DiscrepancyKind) -> Bool {
        routes[kind] != nil || fallback != nil
    }

    /// Runs the route of the discrepancy's kind, else the fallback, else nothing.
    ///
    /// - Parameters:
    ///   - discrepancy: The discrepancy.
    ///   - context: The pass.
    /// - Throws: What the route throws.
    public func handle(_ discrepancy: Discrepancy, context: ReconciliationContext) async throws {
        if let route = routes[discrepancy.kind] ?? fallback {
            try await route(discrepancy, context)
        }
    }
}
