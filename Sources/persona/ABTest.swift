import ArgumentParser
import Foundation
import PersonaCore

extension GroupSequential.Spending: ExpressibleByArgument {}
extension PowerAnalysis.Metric: ExpressibleByArgument {}

struct ABTest: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "abtest",
        abstract: "Plan an A/B test's sample size, and analyse its results.",
        subcommands: [Plan.self, Analyze.self]
    )

    struct Plan: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "plan",
            abstract: "Sample size per arm for a conversion rate or a mean, optionally with interim looks.",
            discussion: """
            A conversion rate: --baseline-rate 0.05 --mde 0.01 (absolute) or --mde 10% (relative).
            A mean: --sd 40 --mde 2 (absolute), or --baseline-mean 120 --sd 40 --mde 2%.
            Proportions use Cohen's h with the normal approximation (statsmodels'
            NormalIndPower); means use Cohen's d with the t test (TTestIndPower).
            --looks K adds a group-sequential plan: K equally spaced looks with
            Lan-DeMets spending of O'Brien-Fleming or Pocock type, the z boundary at
            each look and the maximum sample that keeps the power.

              persona abtest plan --baseline-rate 0.05 --mde 10% --power 0.8
              persona abtest plan --baseline-rate 0.05 --mde 0.01 --looks 4 --spending obrien-fleming
            """
        )

        @Option(help: ArgumentHelp("The control arm's conversion rate (a proportion plan).", valueName: "rate"))
        var baselineRate: Double?

        @Option(help: ArgumentHelp("The control arm's mean (a mean plan with a relative --mde).", valueName: "mean"))
        var baselineMean: Double?

        @Option(help: ArgumentHelp("The outcome's standard deviation (a mean plan).", valueName: "sd"))
        var sd: Double?

        @Option(parsing: .unconditional, help: ArgumentHelp("The smallest effect worth detecting: absolute (0.01), or relative with a % sign (10%); negative for a drop.", valueName: "effect"))
        var mde: String

        @Option(help: "The false-positive rate.")
        var alpha: Double = 0.05

        @Option(help: "The chance of detecting an effect of --mde.")
        var power: Double = 0.8

        @Flag(help: "A one-sided test (in the direction of --mde) instead of two-sided.")
        var oneSided = false

        @Option(help: ArgumentHelp("Treatment arm size over control arm size (2 puts twice as many in treatment).", valueName: "r"))
        var ratio: Double = 1

        @Option(help: ArgumentHelp("Interim looks, including the final one (group-sequential plan).", valueName: "K"))
        var looks: Int?

        @Option(help: "Alpha spending: obrien-fleming or pocock.")
        var spending: GroupSequential.Spending = .obrienFleming

        @Flag(help: "Print one JSON object instead of text.")
        var json = false

        @Option(help: ArgumentHelp("Also write an HTML page with the plan (and the boundaries).", valueName: "file.html"))
        var report: String?

        @OptionGroup var verbosity: Verbosity

        func validate() throws {
            if baselineRate == nil && sd == nil {
                throw ValidationError("give --baseline-rate for a conversion rate, or --sd for a mean")
            }
            if baselineRate != nil && (sd != nil || baselineMean != nil) {
                throw ValidationError("--baseline-rate plans a conversion rate; --sd and --baseline-mean plan a mean; give one kind")
            }
            if let looks, looks < 1 || looks > 20 { throw ValidationError("--looks must be between 1 and 20 (got \(looks))") }
            // Values outside their range are usage mistakes, found before any work.
            if let b = baselineRate, !(b > 0 && b < 1) { throw ValidationError("--baseline-rate must lie strictly between 0 and 1 (got \(b))") }
            if !(alpha > 0 && alpha < 1) { throw ValidationError("--alpha must lie between 0 and 1 (got \(alpha))") }
            if !(power > 0 && power < 1) { throw ValidationError("--power must lie between 0 and 1 (got \(power))") }
            if !(ratio > 0 && ratio.isFinite) { throw ValidationError("--ratio must be a positive number (got \(ratio))") }
            if let sd, !(sd > 0 && sd.isFinite) { throw ValidationError("--sd must be positive (got \(sd))") }
        }

        func run() throws {
            verbosity.apply()
            var text = mde.trimmingCharacters(in: .whitespaces)
            let relative = text.hasSuffix("%")
            if relative { text.removeLast() }
            guard var effect = Double(text), effect.isFinite else {
                throw ValidationError("--mde must be a number, or a percentage such as 10% (got \(mde))")
            }
            if relative { effect /= 100 }
            let metric: PowerAnalysis.Metric = baselineRate != nil ? .proportion : .mean
            let request = PowerAnalysis.Request(metric: metric, baseline: baselineRate ?? baselineMean, mde: effect, relative: relative,
                                                sd: sd, alpha: alpha, power: power, sides: oneSided ? 1 : 2, ratio: ratio)
            let plan = try ABTestPlan.make(request, looks: looks, spending: spending)
            if let report {
                try AtomicOutput.write(ABTestReport.plan(plan), to: report)
                Console.progress("wrote \(report)")
            }
            if json { try Console.json(plan.json) } else { print(plan.text, terminator: "") }
        }
    }

    struct Analyze: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "analyze",
            abstract: "Compare each treatment arm with control: effect, interval, p-value; CUPED and segments.",
            discussion: """
            Proportions (a 0/1 outcome): Newcombe's hybrid score interval of the difference
            and the pooled two-proportion z test. Means: Welch's t test and interval.
            Every p-value is unadjusted; with several treatments p_value_holm is beside it,
            and with --segment each segment's p_value_bh (Benjamini-Hochberg). The sample
            ratio mismatch test compares the arms' sizes with --planned-split (control
            first, then the other arms by name; equal by default).
            --pre COL applies CUPED: theta = cov(Y, X) / var(X) over all arms, the outcome
            adjusted to Y - theta (X - mean X), then Welch's test on the adjusted values.

              persona abtest analyze --data campaign.csv --group group --control control --outcome converted
              persona abtest analyze --data campaign.csv --group group --control control --outcome revenue --pre pre_revenue --json
            """
        )

        @OptionGroup var input: DataInput

        @Option(help: ArgumentHelp("The column holding each row's arm.", valueName: "col"))
        var group: String

        @Option(help: ArgumentHelp("The control arm's value in --group.", valueName: "name"))
        var control: String

        @Option(help: ArgumentHelp("The outcome column: 0/1 (conversion) or a number (revenue).", valueName: "col"))
        var outcome: String

        @Option(help: "proportion (default for a 0/1 outcome) or mean (otherwise).")
        var metric: PowerAnalysis.Metric?

        @Option(help: ArgumentHelp("A pre-period covariate for CUPED variance reduction.", valueName: "col"))
        var pre: String?

        @Option(help: ArgumentHelp("Also estimate the effect within each value of this column.", valueName: "col"))
        var segment: String?

        @Option(help: ArgumentHelp("The planned shares of the arms, control first, e.g. 50:50 or 40:30:30.", valueName: "a:b"))
        var plannedSplit: String?

        @Option(help: "1 - the intervals' confidence level.")
        var alpha: Double = 0.05

        @Flag(help: "Print one JSON object instead of text.")
        var json = false

        @Option(help: ArgumentHelp("Also write an HTML page with the arms and their intervals.", valueName: "file.html"))
        var report: String?

        @OptionGroup var verbosity: Verbosity

        func run() throws {
            verbosity.apply()
            var request = ABTestAnalysis.Request(path: try input.path(), group: group, control: control, outcome: outcome)
            request.delimiter = try input.delimiterByte()
            request.metric = metric
            request.pre = pre
            request.segment = segment
            request.alpha = alpha
            if let plannedSplit {
                let parts = plannedSplit.split(separator: ":", omittingEmptySubsequences: false).map { Double($0.trimmingCharacters(in: .whitespaces)) }
                guard parts.count >= 2, parts.allSatisfy({ $0 != nil && $0! > 0 }) else {
                    throw ValidationError("--planned-split must be positive shares separated by colons, control first (e.g. 50:50), got \(plannedSplit)")
                }
                request.plannedSplit = parts.map { $0! }
            }
            let analysis = try ABTestAnalysis.run(request)
            if let report {
                try AtomicOutput.write(ABTestReport.analysis(analysis, dataPath: input.data), to: report)
                Console.progress("wrote \(report)")
            }
            if analysis.srmPValue < 0.001 {
                Console.warn("sample ratio mismatch (p = \(ABTestAnalysis.pText(analysis.srmPValue))): the arms' sizes do not match the planned split; check how customers were assigned")
            }
            if json { try Console.json(analysis.json) } else { print(analysis.text, terminator: "") }
        }
    }
}
