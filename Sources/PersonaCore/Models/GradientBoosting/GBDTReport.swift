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
