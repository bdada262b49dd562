import Foundation

/// A boosted classifier's report: the binary classifier's figures, or the
/// confusion matrix and per-class ROC curves for several classes.
extension GBDTModel: ReportFigures {
    func reportFigures(_ rows: EvaluatedRows?, options: EvaluationOptions) -> [Report.Figure] {
        if case .classes(let probabilities, let actual, let predicted, let classes)? = rows {
            return Report.multiclass(probabilities: probabilities, actual: actual, predicted: predicted, classes: classes,
                                     caption: "The most probable class of each row against its actual class.")
        }
        guard case .binary(let p, let y)? = rows else { return [] }
        return Report.classifier(p: p, y: y, positive: positive, negative: negative, target: target, threshold: options.threshold ?? threshold)
    }
}

extension GBDTModel: InspectionFacts {
    /// What `inspect` prints beside the card: the trees and each column's share
    /// of the split gain, largest first (every column that was split on).
    public func inspectionFacts() -> JSONValue {
        var gain = [Double](repeating: 0, count: card.pipeline.columns.count)
        for t in trees { for n in 0..<t.count where t.feature[n] >= 0 { gain[Int(t.feature[n])] += t.gain[n] } }
        let total = max(gain.reduce(0, +), 1e-300)
        let order = gain.indices.sorted { gain[$0] != gain[$1] ? gain[$0] > gain[$1] : $0 < $1 }.filter { gain[$0] > 0 }
        var facts: [String: JSONValue] = [
            "trees": .number(Double(trees.count)),
            "leaves": .number(Double(trees.reduce(0) { $0 + $1.leaves })),
            "gain_importance": .array(order.map { .object(["feature": .string(card.pipeline.columns[$0].name), "share": .number(gain[$0] / total)]) }),
        ]
        if isMulticlass { facts["classes"] = .array(classes.map { .string($0) }) }
        else if task == .classification { facts["positive"] = .string(positive); facts["negative"] = .string(negative) }
        return .object(facts)
    }
}
