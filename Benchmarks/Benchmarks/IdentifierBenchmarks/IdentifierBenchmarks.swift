// The BFILL backfill order id (OrderID.backfill: pure-Swift MD5 and hex encoding) against the
// baseline swift-crypto Insecure.MD5 with the same hex encoding, on the same inputs.
//
// Inputs are backfill keys "<profile_id>:<trade_id>:<exchange_order_id>:<filled_at>" of 40 to
// 100 bytes. The baseline is handed the message already assembled as bytes (the work of
// assembling it is not charged to it), so the ratio is, if anything, in its favour.
// One input per scaled iteration (scaling factor kilo): the figures printed are per id.

import Benchmark
import Crypto
import TradeLifecycle
import TradeLifecycleTesting

struct BackfillKeyInputs: Sendable {
    static let count = BenchmarkScalingFactor.kilo.rawValue

    struct Key: Sendable {
        let profileID: ProfileID
        let tradeID: TradeID
        let exchangeOrderID: String
        let filledAt: Timestamp
        /// The same key as the bytes md5() hashes.
        let message: [UInt8]
    }

    let keys: [Key]

    static let shared = BackfillKeyInputs(seed: 0xBF11_0001)

    init(seed: UInt64) {
        var random = SplitMix64(seed: seed)
        var keys: [Key] = []
        keys.reserveCapacity(Self.count)
        let alphabet = Array("abcdefghijklmnopqrstuvwxyz0123456789")
        func word(_ length: Int, _ random: inout SplitMix64) -> String {
            String((0..<length).map { _ in alphabet[Int(random.next() % UInt64(alphabet.count))] })
        }
        while keys.count < Self.count {
            let profile = "profile-" + word(Int(random.next() % 12) + 1, &random)
            let trade = "TRD-" + word(Int(random.next() % 32) + 1, &random)
            let exchange = word(Int(random.next() % 16) + 4, &random)
            // 2020 ... 2030, microsecond precision.
            let micros = 1_577_836_800_000_000 + Int64(random.next() % 315_576_000_000_000)
            let filledAt = Timestamp(microsecondsSinceEpoch: micros)
            let message = Array("\(profile):\(trade):\(exchange):\(filledAt.millisecondText)".utf8)
            guard (40...100).contains(message.count) else { continue }
            guard let profileID = try? ProfileID(profile), let tradeID = try? TradeID(trade) else {
                fatalError("invalid generated key \(profile) \(trade)")
            }
            keys.append(Key(profileID: profileID, tradeID: tradeID, exchangeOrderID: exchange,
                            filledAt: filledAt, message: message))
        }
        self.keys = keys
        checkSameWork()
    }

    /// Both sides must produce the same id, or the pair would not measure the same work.
    private func checkSameWork() {
        for key in keys {
            let ours = OrderID.backfill(profileID: key.profileID, tradeID: key.tradeID,
                                        exchangeOrderID: key.exchangeOrderID, filledAt: key.filledAt)
            guard ours.rawValue == baselineBackfillID(key.message) else {
                fatalError("ids differ for \(String(decoding: key.message, as: UTF8.self))")
            }
        }
    }
}

/// The baseline: swift-crypto's MD5 of the assembled message, hex-encoded the same way the
/// library does (one String allocation of 38 bytes).
@inline(never)
func baselineBackfillID(_ message: [UInt8]) -> String {
    let digest = Insecure.MD5.hash(data: message)
    return String(unsafeUninitializedCapacity: 38) { buffer in
        let prefix: StaticString = "BFILL-"
        prefix.withUTF8Buffer { source in
            for index in 0..<6 { buffer[index] = source[index] }
        }
        let hexDigits: StaticString = "0123456789abcdef"
        var position = 6
        hexDigits.withUTF8Buffer { hex in
            digest.withUnsafeBytes { bytes in
                for byte in bytes {
                    buffer[position] = hex[Int(byte >> 4)]
                    buffer[position + 1] = hex[Int(byte & 0x0F)]
                    position += 2
                }
            }
        }
        return 38
    }
}

let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(
        metrics: [.throughput, .wallClock, .mallocCountTotal],
        timeUnits: .nanoseconds,
        warmupIterations: 10,
        scalingFactor: .kilo,
        maxDuration: .seconds(2),
        maxIterations: 100_000
    )

    Benchmark("BackfillID.generate OrderID.backfill") { benchmark in
        let keys = BackfillKeyInputs.shared.keys
        benchmark.startMeasurement()
        for index in benchmark.scaledIterations {
            let key = keys[index]
            blackHole(OrderID.backfill(profileID: key.profileID, tradeID: key.tradeID,
                                       exchangeOrderID: key.exchangeOrderID, filledAt: key.filledAt))
        }
    }

    Benchmark("BackfillID.generate swift-crypto Insecure.MD5") { benchmark in
        let keys = BackfillKeyInputs.shared.keys
        benchmark.startMeasurement()
        for index in benchmark.scaledIterations {
            blackHole(baselineBackfillID(keys[index].message))
        }
    }
}
