import ArgumentParser
import Foundation
import PersonaCore

/// Logistic regression at the command line.
enum LogregCommands: FamilyCommands {
    static let train: ParsableCommand.Type = TrainLogreg.self
}

struct TrainLogreg: TakesHyperparameters {
    typealias Config = LogisticConfig

    static let configuration = CommandConfiguration(
        commandName: "logreg",
        abstract: "Predict a two-class outcome (churn) with logistic regression.",
        discussion: """
        The intercept is never penalised. Without a penalty, `inspect` also shows
        standard errors, z and p-values. Perfectly separable classes stop with a
        warning instead of blowing up; add --l2 for finite, stable coefficients.

        Example:
          persona train logreg --data churn.csv --target churned --out models/churn.safetensors

        """ + HyperparameterFlags.help(LogisticConfig.self)
    )

    @OptionGroup var input: DataInput
    @OptionGroup var featureOptions: FeatureOptions

    @OptionGroup var output: ModelOutput

    @Argument(parsing: .allUnrecognized, help: .hidden)
    var parameters: [String] = []

    func run() throws {
        output.verbosity.apply()
        let start = Date()
        let m = try LogisticModel.train(path: try input.path(), config: try config(), selection: featureOptions.selection,
                                        delimiter: try input.delimiterByte(), progress: Console.progress)
        try ModelStore.save(m, to: output.out)
        let t = m.card.trainingMetrics
        print("trained logreg: P(\(m.target) = \(m.positive)), \(m.card.trainingData.rows) rows, \(m.card.pipeline.width) features")
        print("training log loss \(formatNumber(t["log_loss"]?.double ?? .nan, digits: 5)), AUC \(formatNumber(t["auc"]?.double ?? .nan, digits: 5)); \(t["iterations"]?.int ?? 0) iterations\(t["converged"] == .bool(true) ? "" : " (not converged)")")
        print("wrote \(output.out)")
        Console.progress(String(format: "done in %.2f s", Date().timeIntervalSince(start)))
    }
}
