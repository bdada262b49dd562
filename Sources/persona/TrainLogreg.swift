import ArgumentParser
import Foundation
import PersonaCore

extension LogisticSolver: ExpressibleByArgument {}

/// Options shared by `train logreg` and `cv logreg`.
struct LogregOptions: ParsableArguments {
    @Option(help: ArgumentHelp("The column to predict: two classes, such as churned 0/1.", valueName: "col"))
    var target: String

    @Option(help: ArgumentHelp("Which target value is the positive class (default: 1, yes or true).", valueName: "value"))
    var positive: String?

    @Option(help: "L2 (ridge) penalty on the mean log-loss; scikit-learn's C = 1 / (rows x l2). 0 = none.")
    var l2: Double = 0

    @Option(help: "L1 (lasso) penalty; with --l2 too, the elastic net. Solved by OWL-QN.")
    var l1: Double = 0

    @Option(name: .customLong("class-weight"), help: ArgumentHelp("Weight the classes: `balanced`, or NEG:POS such as 1:3.", valueName: "balanced|N:P"))
    var classWeight: String?

    @Option(help: "auto (Newton up to 500 features, L-BFGS above, OWL-QN with --l1), newton or lbfgs.")
    var solver: LogisticSolver = .auto

    @Option(name: .customLong("max-iter"), help: "Most solver iterations.")
    var maxIterations: Int = 1000

    @Option(help: "Stop when the largest gradient component is below this.")
    var tol: Double = 1e-8

    @Option(help: "Probability above which a customer is predicted positive.")
    var threshold: Double = 0.5

    @Flag(name: .customLong("no-scale"), help: "Do not standardise numeric features.")
    var noScale = false

    func config() throws -> LogisticConfig {
        var c = LogisticConfig(target: target)
        c.positive = positive
        c.l2 = l2; c.l1 = l1
        c.classWeight = try classWeight.map { try ClassWeight(argument: $0) } ?? .none
        c.solver = solver
        c.maxIterations = maxIterations
        c.tolerance = tol
        c.threshold = threshold
        c.standardize = !noScale
        return c
    }
}

struct TrainLogreg: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "logreg",
        abstract: "Predict a two-class outcome (churn) with logistic regression.",
        discussion: """
        The intercept is never penalised. Without a penalty, `inspect` also shows
        standard errors, z and p-values. Perfectly separable classes stop with a
        warning instead of blowing up; add --l2 for finite, stable coefficients.

        Example:
          persona train logreg --data churn.csv --target churned --out models/churn.safetensors
        """
    )

    @OptionGroup var input: DataInput
    @OptionGroup var featureOptions: FeatureOptions
    @OptionGroup var model: LogregOptions

    @Option(help: ArgumentHelp("Where to write the model file.", valueName: "model"))
    var out: String

    @OptionGroup var verbosity: Verbosity

    func run() throws {
        verbosity.apply()
        let start = Date()
        let m = try LogisticModel.train(path: input.data, config: try model.config(), selection: featureOptions.selection,
                                        delimiter: try input.delimiterByte(), progress: Console.progress)
        try ModelStore.save(m, to: out)
        let t = m.card.trainingMetrics
        print("trained logreg: P(\(m.target) = \(m.positive)), \(m.card.trainingData.rows) rows, \(m.card.pipeline.width) features")
        print("training log loss \(formatNumber(t["log_loss"]?.double ?? .nan, digits: 5)), AUC \(formatNumber(t["auc"]?.double ?? .nan, digits: 5)); \(t["iterations"]?.int ?? 0) iterations\(t["converged"] == .bool(true) ? "" : " (not converged)")")
        print("wrote \(out)")
        Console.progress(String(format: "done in %.2f s", Date().timeIntervalSince(start)))
    }
}

struct CV: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cv",
        abstract: "Cross-validate a model: each metric's mean and standard deviation over folds.",
        subcommands: [CVLogreg.self]
    )
}

struct CVLogreg: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "logreg",
        abstract: "Stratified, seeded k-fold cross-validation of logistic regression.",
        discussion: "Each fold fits its own pipeline and model on the other folds.\n\nExample:\n  persona cv logreg --data churn.csv --target churned --folds 5 --l2 1e-4"
    )

    @OptionGroup var input: DataInput
    @OptionGroup var featureOptions: FeatureOptions
    @OptionGroup var model: LogregOptions

    @Option(help: "Number of folds.")
    var folds: Int = 5

    @Option(help: "Seed for the fold assignment.")
    var seed: UInt64 = 0

    @Flag(help: "Print one JSON object.")
    var json = false

    @OptionGroup var verbosity: Verbosity

    func validate() throws {
        if folds < 2 { throw ValidationError("--folds must be at least 2.") }
    }

    func run() throws {
        verbosity.apply()
        let report = try CrossValidation.logistic(path: input.data, config: try model.config(), selection: featureOptions.selection,
                                                  folds: folds, seed: seed, delimiter: try input.delimiterByte(), progress: Console.progress)
        if json {
            try Console.json(.object(["folds": .array(report.folds), "summary": report.summary, "k": .number(Double(folds))]))
            return
        }
        print("\(folds)-fold cross-validation of logistic regression on \(input.data)")
        print("metric".padding(toLength: 12, withPad: " ", startingAt: 0) + "mean".leftPadded(10) + "std".leftPadded(10))
        for key in CrossValidation.metricKeys {
            guard let m = report.summary[key]?["mean"]?.double, let s = report.summary[key]?["std"]?.double else { continue }
            print(key.padding(toLength: 12, withPad: " ", startingAt: 0) + formatNumber(m, digits: 4).leftPadded(10) + formatNumber(s, digits: 3).leftPadded(10))
        }
    }
}
