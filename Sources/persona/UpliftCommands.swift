import ArgumentParser
import Foundation
import PersonaCore

/// Uplift models at the command line.
enum UpliftCommands: FamilyCommands {
    static let train: ParsableCommand.Type = TrainUplift.self
}

struct TrainUplift: TakesHyperparameters {
    typealias Config = UpliftConfig

    static let configuration = CommandConfiguration(
        commandName: "uplift",
        abstract: "Learn who a campaign's treatments change: the uplift in response of each treatment against control.",
        discussion: """
        The data is a randomised experiment: one row per customer, the arm in
        --treatment, the 0/1 response in --outcome. Every other column but
        identifiers is a feature unless --features or --exclude says otherwise; leave
        out anything measured after the treatment (revenue in the campaign window).
        Each treatment gets its own uplift against control.

        Example:
          persona train uplift --data campaign.csv --treatment group --control control --outcome converted \\
              --exclude revenue --out models/uplift.safetensors
          persona evaluate models/uplift.safetensors --data holdout.csv
          persona score models/uplift.safetensors --data customers.csv --budget 5000 --out targets.csv

        """ + HyperparameterFlags.help(UpliftConfig.self)
    )

    @OptionGroup var input: DataInput
    @OptionGroup var featureOptions: FeatureOptions

    @OptionGroup var output: ModelOutput

    @Argument(parsing: .allUnrecognized, help: .hidden)
    var parameters: [String] = []

    func run() throws {
        output.verbosity.apply()
        let start = Date()
        let m = try UpliftModel.train(path: try input.path(), config: try config(), selection: featureOptions.selection,
                                      delimiter: try input.delimiterByte(), progress: Console.progress)
        try ModelStore.save(m, to: output.out)
        print("trained uplift (\(m.config.method.rawValue), \(m.config.learner.rawValue)): \(m.treatments.count) treatment\(m.treatments.count == 1 ? "" : "s") against \(m.control), \(m.card.trainingData.rows) rows, \(m.card.pipeline.columns.count) feature columns")
        for t in m.card.trainingMetrics["treatments"]?.array ?? [] {
            if let name = t["name"]?.string, let q = t["qini_auc"]?.double {
                print("  \(name): training Qini AUC \(formatNumber(q, digits: 4)), uplift AUC \(formatNumber(t["uplift_auc"]?.double ?? .nan, digits: 4))")
            }
        }
        print("wrote \(output.out)")
        Console.progress(String(format: "done in %.2f s", Date().timeIntervalSince(start)))
    }
}
