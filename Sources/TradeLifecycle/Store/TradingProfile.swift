/// A trading profile's state as the SDK needs it: whether trading is paused.
///
/// The EXIT backfill applies only while a profile is paused (when pause is required); an
/// unknown profile counts as not paused.
public struct TradingProfile: Sendable, Hashable {
    /// The profile.
    public let profileID: ProfileID
    /// Whether trading is paused.
    public var isPaused: Bool
    /// When the pause state last changed.
    public var updatedAt: Timestamp

    /// Creates a profile state.
    public init(profileID: ProfileID, isPaused: Bool, updatedAt: Timestamp) {
        self.profileID = profileID
        self.isPaused = isPaused
        self.updatedAt = updatedAt
    }
}
