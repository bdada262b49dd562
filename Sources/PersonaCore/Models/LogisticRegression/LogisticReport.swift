import Foundation

/// The churn model's report: the binary classifier's figures.
extension LogisticModel: ReportFigures {
    func reportFigures(_ rows: EvaluatedRows?, options: EvaluationOptions) -> [Report.Figure] {
        guard case .binary(let p, let y)? = rows else { return [] }
        return Report.classifier(p: p, y: y, positive: positive, negative: negative, target: target,
                                 threshold: options.threshold ?? threshold)
    }
}

extension LogisticModel: InspectionFacts {
    /// The coefficient table `inspect` prints: per original unit (per level for
    /// categories), with odds ratios and, for unpenalised fits, standard errors,
    /// z and two-sided p-values (null where the fit gives none).
    public func inspectionFacts() -> JSONValue {
        let rows = coefficientTable().map { r -> JSONValue in
            var o: [String: JSONValue] = ["feature": .string(r.feature), "coefficient": .finite(r.coefficient), "odds_ratio": .finite(r.oddsRatio),
                                          "standard_error": .finite(r.standardError), "z": .finite(r.z), "p_value": .finite(r.p)]
            if let note = r.note { o["note"] = .string(note) }
            return .object(o)
        }
        return .object(["coefficients": .array(rows), "positive": .string(positive), "negative": .string(negative),
                        "threshold": .number(threshold)])
    }
}
