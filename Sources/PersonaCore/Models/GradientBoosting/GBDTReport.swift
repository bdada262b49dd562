import Foundation

/// A boosted classifier's report: the binary classifier's figures.
extension GBDTModel: ReportFigures {
    func reportFigures(_ rows: EvaluatedRows?, options: EvaluationOptions) -> [Report.Figure] {
        guard case .binary(let p, let y)? = rows else { return [] }
        return Report.classifier(p: p, y: y, positive: positive, negative: negative, target: target, threshold: options.threshold ?? threshold)
    }
}
