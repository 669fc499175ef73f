import PropertyBased
import Testing
import TradeLifecycle

@Suite("Backfill configuration")
struct BackfillConfigurationTests {
    @Test("the defaults are the runbook's safe values")
    func defaults() throws {
        for configuration in [BackfillConfiguration.default, try BackfillConfiguration(), try BackfillConfiguration(environment: [:])] {
            #expect(configuration.isEnabled == false)
            #expect(configuration.isDryRun == true)
            #expect(configuration.requiresPause == true)
            #expect(configuration.dust.absoluteQuantity.description == "0.001")
            #expect(configuration.dust.relativeFraction.description == "0.002")
            #expect(configuration.lookbackHours == 72)
            #expect(configuration.mismatchThrottleMilliseconds == 300_000)
            #expect(configuration.mode == .disabled)
        }
    }

    @Test("the variable names are exactly the runbook's")
    func names() {
        #expect(BackfillConfiguration.Variable.allCases.map(\.rawValue) == [
            "ENABLE_RECON_EXIT_BACKFILL", "RECON_EXIT_BACKFILL_DRY_RUN", "RECON_EXIT_BACKFILL_REQUIRE_PAUSE",
            "RECON_EXIT_BACKFILL_DUST_ABS_QTY", "RECON_EXIT_BACKFILL_DUST_REL_PCT",
            "RECON_EXIT_BACKFILL_LOOKBACK_HOURS", "EXCHANGE_STATE_MISMATCH_THROTTLE_MS",
        ])
    }

    @Test("every variable is read")
    func readsEveryVariable() throws {
        let configuration = try BackfillConfiguration(environment: [
            "ENABLE_RECON_EXIT_BACKFILL": "true",
            "RECON_EXIT_BACKFILL_DRY_RUN": "false",
            "RECON_EXIT_BACKFILL_REQUIRE_PAUSE": "FALSE",
            "RECON_EXIT_BACKFILL_DUST_ABS_QTY": "0.5",
            "RECON_EXIT_BACKFILL_DUST_REL_PCT": "0.01",
            "RECON_EXIT_BACKFILL_LOOKBACK_HOURS": "24",
            "EXCHANGE_STATE_MISMATCH_THROTTLE_MS": "1000",
            "UNRELATED": "ignored",
        ])
        #expect(configuration.isEnabled && !configuration.isDryRun && !configuration.requiresPause)
        #expect(configuration.dust.absoluteQuantity == (try ExactDecimal("0.5")))
        #expect(configuration.dust.relativeFraction == (try ExactDecimal("0.01")))
        #expect(configuration.lookbackHours == 24)
        #expect(configuration.lookbackMicroseconds == 86_400_000_000)
        #expect(configuration.mismatchThrottleMilliseconds == 1000)
        #expect(configuration.mode == .apply)
    }

    @Test("booleans: true or false in any letter case", arguments: [
        ("true", true), ("TRUE", true), ("True", true), ("false", false), ("FALSE", false), ("fAlSe", false),
    ])
    func booleans(text: String, expected: Bool) throws {
        for variable in [BackfillConfiguration.Variable.enabled, .dryRun, .requirePause] {
            let configuration = try BackfillConfiguration(environment: [variable.rawValue: text])
            switch variable {
            case .enabled: #expect(configuration.isEnabled == expected)
            case .dryRun: #expect(configuration.isDryRun == expected)
            default: #expect(configuration.requiresPause == expected)
            }
        }
    }

    @Test("anything else for a boolean is an error naming the variable and the value",
          arguments: ["1", "0", "yes", "no", "on", "off", "", " true", "false ", "t", "truee"])
    func malformedBooleans(text: String) {
        for variable in [BackfillConfiguration.Variable.enabled, .dryRun, .requirePause] {
            let error = LifecycleFixtures.inputError { _ = try BackfillConfiguration(environment: [variable.rawValue: text]) }
            #expect(error?.code == .malformed)
            #expect(error?.field == variable.rawValue)
            #expect(error?.value == text)
            #expect(error?.description.contains(variable.rawValue) == true)
        }
    }

    @Test("malformed or out-of-range numbers are errors naming the variable", arguments: [
        ("RECON_EXIT_BACKFILL_DUST_ABS_QTY", "abc", InputError.Code.malformed),
        ("RECON_EXIT_BACKFILL_DUST_ABS_QTY", "1e-3", .malformed),
        ("RECON_EXIT_BACKFILL_DUST_ABS_QTY", "", .malformed),
        ("RECON_EXIT_BACKFILL_DUST_ABS_QTY", "NaN", .malformed),
        ("RECON_EXIT_BACKFILL_DUST_ABS_QTY", "-0.001", .outOfRange),
        ("RECON_EXIT_BACKFILL_DUST_REL_PCT", "0.2%", .malformed),
        ("RECON_EXIT_BACKFILL_DUST_REL_PCT", "1.0000000001", .outOfRange),
        ("RECON_EXIT_BACKFILL_DUST_REL_PCT", "-0.1", .outOfRange),
        ("RECON_EXIT_BACKFILL_LOOKBACK_HOURS", "72.5", .malformed),
        ("RECON_EXIT_BACKFILL_LOOKBACK_HOURS", "-1", .malformed),
        ("RECON_EXIT_BACKFILL_LOOKBACK_HOURS", "+72", .malformed),
        ("RECON_EXIT_BACKFILL_LOOKBACK_HOURS", " 72", .malformed),
        ("RECON_EXIT_BACKFILL_LOOKBACK_HOURS", "", .malformed),
        ("RECON_EXIT_BACKFILL_LOOKBACK_HOURS", "87601", .outOfRange),
        ("RECON_EXIT_BACKFILL_LOOKBACK_HOURS", "99999999999999999999999", .outOfRange),
        ("EXCHANGE_STATE_MISMATCH_THROTTLE_MS", "5m", .malformed),
        ("EXCHANGE_STATE_MISMATCH_THROTTLE_MS", "604800001", .outOfRange),
    ])
    func malformedNumbers(variable: String, text: String, code: InputError.Code) {
        let error = LifecycleFixtures.inputError { _ = try BackfillConfiguration(environment: [variable: text]) }
        #expect(error?.code == code)
        #expect(error?.field == variable)
        #expect(error?.description.contains(variable) == true)
    }

    @Test("range edges are accepted", arguments: [
        ("RECON_EXIT_BACKFILL_LOOKBACK_HOURS", "0"), ("RECON_EXIT_BACKFILL_LOOKBACK_HOURS", "87600"),
        ("EXCHANGE_STATE_MISMATCH_THROTTLE_MS", "0"), ("EXCHANGE_STATE_MISMATCH_THROTTLE_MS", "604800000"),
        ("RECON_EXIT_BACKFILL_DUST_REL_PCT", "1"), ("RECON_EXIT_BACKFILL_DUST_ABS_QTY", "0"),
    ])
    func edges(variable: String, text: String) throws {
        let configuration = try BackfillConfiguration(environment: [variable: text])
        #expect(configuration.environment[variable] == text)
    }

    @Test("environment round trip: reading back what a configuration writes gives it again")
    func roundTrip() async {
        let flags = Gen.bool.array(of: 3)
        let units = Gen.int(in: 0...1_000_000_000)
        await propertyCheck(input: flags, units, Gen.int(in: 0...87_600), Gen.int(in: 0...604_800_000)) { flags, units, hours, throttle in
            let configuration = try BackfillConfiguration(
                isEnabled: flags[0], isDryRun: flags[1], requiresPause: flags[2],
                dust: DustPolicy(absoluteQuantity: ExactDecimal(units: Int128(units) * 1_000_000_007),
                                 relativeFraction: ExactDecimal(units: Int128(units))),
                lookbackHours: hours, mismatchThrottleMilliseconds: throttle)
            #expect(try BackfillConfiguration(environment: configuration.environment) == configuration)
        }
    }
}
