// libFuzzer target: Timestamp's text parser (see Documentation/Fuzzing.md).
//
// Nothing may crash. A parsed timestamp must print (six fractional digits) and parse back to
// itself; its millisecond text must parse to the same instant with the microseconds below the
// millisecond dropped toward the past; a time zone offset must move the instant by exactly the
// offset: the same text with `Z` instead of the offset is that much later or earlier.
import TradeLifecycle

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzTimestampText(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? []
    let text = String(decoding: bytes, as: UTF8.self)
    guard let timestamp = try? Timestamp(text) else { return 0 }
    let printed = timestamp.description
    guard let reparsed = try? Timestamp(printed), reparsed == timestamp, reparsed.description == printed else {
        fatalError("Timestamp: parse(print(t)) != t for \(text.debugDescription) -> \(printed)")
    }
    guard let milliseconds = try? Timestamp(timestamp.millisecondText) else {
        fatalError("Timestamp: the millisecond text of \(printed) does not parse: \(timestamp.millisecondText)")
    }
    let dropped = timestamp.microseconds(since: milliseconds)
    guard dropped >= 0, dropped < 1_000 else {
        fatalError("Timestamp: the millisecond text of \(printed) is \(timestamp.millisecondText), \(dropped) µs away")
    }
    if let (local, offsetSeconds) = splitOffset(bytes), let utc = try? Timestamp(String(decoding: local + [0x5A], as: UTF8.self)) {
        guard utc.microseconds(since: timestamp) == offsetSeconds * 1_000_000 else {
            fatalError("Timestamp: \(text.debugDescription) is \(printed), but its local time in UTC is \(utc) (offset \(offsetSeconds) s)")
        }
    }
    return 0
}

/// The text before a `±HH`, `±HHMM`, `±HH:MM` or `±HH:MM:SS` offset at the end, and the offset
/// in seconds east of UTC; `nil` when the text does not end so.
func splitOffset(_ bytes: [UInt8]) -> ([UInt8], Int64)? {
    guard let sign = bytes.lastIndex(where: { $0 == 0x2B || $0 == 0x2D }), sign >= 19 else { return nil }
    let tail = Array(bytes[(sign + 1)...])
    let isDigit = { (byte: UInt8) in byte >= 0x30 && byte <= 0x39 }
    func number(_ slice: ArraySlice<UInt8>) -> Int64 { slice.reduce(0) { $0 * 10 + Int64($1 - 0x30) } }
    var parts: [Int64]
    switch tail.count {
    case 2 where tail.allSatisfy(isDigit): parts = [number(tail[0..<2])]
    case 4 where tail.allSatisfy(isDigit): parts = [number(tail[0..<2]), number(tail[2..<4])]
    case 5 where tail[2] == 0x3A && isDigit(tail[0]) && isDigit(tail[1]) && isDigit(tail[3]) && isDigit(tail[4]):
        parts = [number(tail[0..<2]), number(tail[3..<5])]
    case 8 where tail[2] == 0x3A && tail[5] == 0x3A && [0, 1, 3, 4, 6, 7].allSatisfy({ isDigit(tail[$0]) }):
        parts = [number(tail[0..<2]), number(tail[3..<5]), number(tail[6..<8])]
    default: return nil
    }
    parts += Array(repeating: 0, count: 3 - parts.count)
    let seconds = parts[0] * 3600 + parts[1] * 60 + parts[2]
    return (Array(bytes[..<sign]), bytes[sign] == 0x2D ? -seconds : seconds)
}
