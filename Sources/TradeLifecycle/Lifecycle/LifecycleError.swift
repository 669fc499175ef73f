/// An error from the order state machine or from the lifecycle rules: a forbidden status
/// change, a filled quantity that breaks a rule, a correction applied to the wrong order, or a
/// sum that does not fit in ``ExactDecimal``.
///
/// The ``description`` names the order, the statuses and the offending values:
/// `order o7: forbidden transition filled -> open: ...`. Compare errors by ``code``.
public struct LifecycleError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What is wrong.
    public enum Code: String, Sendable, Hashable, CaseIterable {
        /// The transition table of ``OrderStateMachine`` does not list the status change.
        case forbiddenTransition
        /// The new filled quantity is below the order's current filled quantity.
        case filledQuantityDecreased
        /// The new filled quantity is above the order quantity (`quantity ?? qty`).
        case filledQuantityAboveQuantity
        /// The new filled quantity is negative.
        case filledQuantityNegative
        /// The filled quantity contradicts the target status: not zero for pending, open or
        /// rejected; not strictly between zero and the order quantity for partially filled; not
        /// the order quantity for filled.
        case filledQuantityInconsistentWithStatus
        /// ``Order/revertingBackfill(at:)`` was asked to revert an order whose id does not start
        /// with `BFILL-`.
        case notABackfillOrder
        /// ``Order/correctedToExchange(status:filledQuantity:filledAt:at:)`` was asked to correct
        /// an order that is not cancelled or expired, or to a status other than filled or
        /// partially filled.
        case notCorrectable
        /// A sum of quantities (or of quantity times price) is outside the range of
        /// ``ExactDecimal``.
        case overflow
        /// The same order id occurs twice in an input that needs unique ids.
        case duplicateOrderID
    }

    /// What is wrong.
    public let code: Code
    /// The order concerned, when there is one.
    public let orderID: OrderID?
    /// The order's status before the change, when the error is about a change.
    public let from: OrderStatus?
    /// The status the change asked for, when the error is about a change.
    public let to: OrderStatus?
    /// The rule that was broken and the offending values.
    public let detail: String

    /// Creates an error.
    ///
    /// - Parameters:
    ///   - code: What is wrong.
    ///   - orderID: The order concerned, when there is one.
    ///   - from: The status before the change, when the error is about a change.
    ///   - to: The status asked for, when the error is about a change.
    ///   - detail: The rule that was broken and the offending values.
    public init(_ code: Code, orderID: OrderID?, from: OrderStatus? = nil, to: OrderStatus? = nil, detail: String) {
        self.code = code
        self.orderID = orderID
        self.from = from
        self.to = to
        self.detail = detail
    }

    /// `order <order_id>: <code> <from> -> <to>: <detail>`, leaving out the parts that are absent.
    public var description: String {
        var text = ""
        if let orderID { text += "order \(orderID.rawValue): " }
        switch (from, to) {
        case let (from?, to?): text += "\(code.rawValue) \(from.rawValue) -> \(to.rawValue): "
        case let (from?, nil): text += "\(code.rawValue) from \(from.rawValue): "
        case let (nil, to?): text += "\(code.rawValue) to \(to.rawValue): "
        case (nil, nil): text += "\(code.rawValue): "
        }
        return text + detail
    }
}
