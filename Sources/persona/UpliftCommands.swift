import ArgumentParser
import Foundation
import PersonaCore

/// Uplift models at the command line.
enum UpliftCommands: FamilyCommands {
    typealias Model = UpliftModel
    static let abstract = "Learn who a campaign's treatments change: the uplift in response of each treatment against control."
    static let discussion = """
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

        """

    static func summary(_ m: UpliftModel) -> [String] {
        var lines = ["trained uplift (\(m.config.method.rawValue), \(m.config.learner.rawValue)): \(m.treatments.count) treatment\(m.treatments.count == 1 ? "" : "s") against \(m.control), \(m.card.trainingData.rows) rows, \(m.card.pipeline.columns.count) feature columns"]
        for t in m.card.trainingMetrics["treatments"]?.array ?? [] {
            if let name = t["name"]?.string, let q = t["qini_auc"]?.double {
                lines.append("  \(name): training Qini AUC \(formatNumber(q, digits: 4)), uplift AUC \(formatNumber(t["uplift_auc"]?.double ?? .nan, digits: 4))")
            }
        }
        return lines
    }
}

