import Testing
import TradeLifecycle

@Suite struct DustPolicyTests {
    private func d(_ text: String) throws -> ExactDecimal { try ExactDecimal(text) }

    @Test func defaultsAreTheRunbooks() throws {
        #expect(DustPolicy.default.absoluteQuantity == (try d("0.001")))
        #expect(DustPolicy.default.relativeFraction == (try d("0.002")))
    }

    /// threshold = max(abs, open * rel): the absolute floor wins for small positions, the
    /// relative share for large ones. 0.002 * 0.3 = 0.0006 < 0.001; 0.002 * 10 = 0.02 > 0.001.
    @Test(arguments: [("0.3", "0.001"), ("0.5", "0.001"), ("10", "0.02"), ("1234.5", "2.469")])
    func threshold(_ open: String, _ expected: String) throws {
        #expect(DustPolicy.default.threshold(openQuantity: try d(open)) == (try d(expected)))
    }

    @Test func remainderEqualToTheThresholdIsDustOneUnitMoreIsLarge() throws {
        let open = try d("10")
        let threshold = DustPolicy.default.threshold(openQuantity: open)
        #expect(DustPolicy.default.classify(remainder: threshold, openQuantity: open) == .dust)
        let above = threshold.addingReportingOverflow(.leastNonzeroMagnitude).partialValue
        #expect(DustPolicy.default.classify(remainder: above, openQuantity: open) == .large)
        #expect(DustPolicy.default.classify(remainder: .zero, openQuantity: open) == .covered)
        #expect(DustPolicy.default.classify(remainder: .leastNonzeroMagnitude, openQuantity: open) == .dust)
    }

    @Test func productIsRoundedTowardZero() throws {
        // 0.000000000000000003 * 0.5 = 1.5e-18: rounded toward zero to 1e-18, never up to 2e-18.
        let policy = try DustPolicy(absoluteQuantity: .zero, relativeFraction: try d("0.5"))
        #expect(policy.threshold(openQuantity: try d("0.000000000000000003")) == (try d("0.000000000000000001")))
    }

    @Test func invalidSettingsNameTheVariable() throws {
        let negative = try d("-0.1")
        do {
            _ = try DustPolicy(absoluteQuantity: negative, relativeFraction: .zero)
            Issue.record("a negative absolute quantity was accepted")
        } catch {
            #expect(error.code == .outOfRange)
            #expect(error.field == "RECON_EXIT_BACKFILL_DUST_ABS_QTY")
        }
        #expect(throws: InputError.self) { try DustPolicy(absoluteQuantity: .zero, relativeFraction: try d("1.5")) }
    }
}
