// libFuzzer target: ExactDecimal's text parser and arithmetic (see Documentation/Fuzzing.md).
//
// The input is split at its first NUL byte into two texts. Each is parsed; nothing may crash.
// A parsed value must print canonically and parse back to itself. For two parsed values the
// arithmetic must agree with itself: a + b - b == a, a + b == b + a, a * b == b * a, a * 1 == a,
// a / 1 == a, a / a == 1, a < b exactly when a - b is negative, -(-a) == a, a + (-a) == 0,
// and rounding to k fractional digits leaves at most k of them and moves the value by at most
// half a unit of the k-th digit. A broken rule stops the run with the values that broke it.
import TradeLifecycle

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzDecimalText(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? []
    let split = bytes.firstIndex(of: 0) ?? bytes.count
    let first = String(decoding: bytes[..<split], as: UTF8.self)
    let second = split < bytes.count ? String(decoding: bytes[(split + 1)...], as: UTF8.self) : nil
    let a = parsedAndRoundTripped(first)
    let b = second.flatMap(parsedAndRoundTripped)
    if let a { checkAlone(a) }
    if let a, let b { checkPair(a, b) }
    return 0
}

func fail(_ rule: String, _ values: ExactDecimal...) -> Never {
    fatalError("ExactDecimal: \(rule) does not hold for \(values.map(\.description))")
}

func parsedAndRoundTripped(_ text: String) -> ExactDecimal? {
    guard let value = try? ExactDecimal(text) else { return nil }
    let printed = value.description
    guard let reparsed = try? ExactDecimal(printed) else { fail("parse(print(x)) succeeds", value) }
    guard reparsed == value, reparsed.description == printed else { fail("parse(print(x)) == x", value) }
    return value
}

func checkAlone(_ a: ExactDecimal) {
    guard a.negated.negated == a else { fail("-(-a) == a", a) }
    guard (try? a.adding(a.negated)) == .zero else { fail("a + (-a) == 0", a) }
    guard (try? a.multiplied(by: .one)) == a else { fail("a * 1 == a", a) }
    guard (try? a.divided(by: .one)) == a else { fail("a / 1 == a", a) }
    if !a.isZero, (try? a.divided(by: a)) != .one { fail("a / a == 1", a) }
    guard !a.magnitude.isNegative, a.magnitude == (a.isNegative ? a.negated : a) else { fail("|a|", a) }
    for digits in 0...ExactDecimal.scale {
        guard let rounded = try? a.rounded(toFractionalDigits: digits) else { continue }
        let fraction = rounded.description.split(separator: ".", maxSplits: 1).dropFirst().first?.count ?? 0
        guard fraction <= digits else { fail("round(a, \(digits)) has at most \(digits) fractional digits", a, rounded) }
        var halfUnit = "0." + String(repeating: "0", count: digits) + "5"
        if digits == ExactDecimal.scale { halfUnit = "0." + String(repeating: "0", count: digits - 1) + "1" }
        let bound = try! ExactDecimal(halfUnit)
        guard let moved = try? rounded.subtracting(a), moved.magnitude <= bound else {
            fail("round(a, \(digits)) is within half a unit of a", a, rounded)
        }
    }
}

func checkPair(_ a: ExactDecimal, _ b: ExactDecimal) {
    let (sum, sumOverflow) = a.addingReportingOverflow(b)
    let (reversedSum, reversedOverflow) = b.addingReportingOverflow(a)
    guard sumOverflow == reversedOverflow else { fail("a + b overflows exactly when b + a does", a, b) }
    if !sumOverflow {
        guard sum == reversedSum else { fail("a + b == b + a", a, b) }
        guard (try? sum.subtracting(b)) == a else { fail("a + b - b == a", a, b) }
        guard (try? a.adding(b)) == sum else { fail("adding == addingReportingOverflow", a, b) }
    } else if (try? a.adding(b)) != nil {
        fail("adding throws when addingReportingOverflow overflows", a, b)
    }
    let (difference, differenceOverflow) = a.subtractingReportingOverflow(b)
    if !differenceOverflow {
        guard (a < b) == difference.isNegative else { fail("a < b exactly when a - b < 0", a, b) }
        guard (a == b) == difference.isZero else { fail("a == b exactly when a - b == 0", a, b) }
    }
    let product = try? a.multiplied(by: b)
    let reversedProduct = try? b.multiplied(by: a)
    guard product == reversedProduct else { fail("a * b == b * a", a, b) }
    if let product, a.isZero || b.isZero, !product.isZero { fail("a * 0 == 0", a, b) }
    if !b.isZero, let quotient = try? a.divided(by: b), let product = try? quotient.multiplied(by: b) {
        // (a / b) * b is a again up to the rounding of the quotient: at most |b| units of the
        // 18th digit away (plus the product's own rounding).
        let slack = try? b.magnitude.multiplied(by: ExactDecimal.leastNonzeroMagnitude, rounding: .up)
        if let slack, let gap = try? product.subtracting(a), let allowed = try? slack.adding(.leastNonzeroMagnitude),
           gap.magnitude > allowed {
            fail("(a / b) * b is a up to rounding", a, b, quotient, product)
        }
    }
}
