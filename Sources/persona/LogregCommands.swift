import ArgumentParser
import Foundation
import PersonaCore

/// Logistic regression at the command line.
enum LogregCommands: FamilyCommands {
    typealias Model = LogisticModel
    static let abstract = "Predict a two-class outcome (churn) with logistic regression."
    static let discussion = """
        The intercept is never penalised. Without a penalty, `inspect` also shows
        standard errors, z and p-values. Perfectly separable classes stop with a
        warning instead of blowing up; add --l2 for finite, stable coefficients.

        Example:
          persona train logreg --data churn.csv --target churned --out models/churn.safetensors

        """

    static func summary(_ m: LogisticModel) -> [String] {
        let t = m.card.trainingMetrics
        return ["trained logreg: P(\(m.target) = \(m.positive)), \(m.card.trainingData.rows) rows, \(m.card.pipeline.width) features",
                "training log loss \(formatNumber(t["log_loss"]?.double ?? .nan, digits: 5)), AUC \(formatNumber(t["auc"]?.double ?? .nan, digits: 5)); \(t["iterations"]?.int ?? 0) iterations\(t["converged"] == .bool(true) ? "" : " (not converged)")"]
    }
}
