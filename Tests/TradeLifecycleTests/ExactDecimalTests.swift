import Testing
import TradeLifecycle

@Test func parsesAndFormatsCanonically() throws {
    #expect(try ExactDecimal("-12.3400").description == "-12.34")
}
