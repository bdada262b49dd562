import Foundation

/// A fitted binary logistic regression (churn model): coefficients on the
/// pipeline's encoded features, the classes, and what is needed to report
/// standard errors and risk deciles.
public struct LogisticModel: RowModel, RowScoring, ClassProbabilities {
    public static let kind = "logreg"
    public static let title = "logistic regression (binary classifier)"

    public var card: ModelCard { didSet { facts = BinaryTargetFacts(card) } }
    public let config: LogisticConfig
    /// Intercept first, then one per encoded feature.
    public var coefficients: [Double]
    /// Covariance of the coefficients (unpenalised fits only), (d+1) x (d+1).
    public var covariance: DoubleMatrix?
    /// Training probabilities at the 10%, 20%, ... 90% marks from the top (9 values, descending).
    public var riskCutPoints: [Double]

    /// What training found out about the target, read from the card once (and
    /// again whenever the card changes), never per row.
    private var facts: BinaryTargetFacts
    public var positive: String { facts.positive }
    public var negative: String { facts.negative }
    public var target: String { facts.target }
    public var threshold: Double { config.threshold }

    /// Each encoded feature's mean over the training rows: where a row's
    /// contributions are measured from. Files from before explanations lack it.
    var featureMeans: [Double]?

    public init(card: ModelCard, config: LogisticConfig, coefficients: [Double], covariance: DoubleMatrix?, riskCutPoints: [Double]) {
        self.card = card; self.facts = BinaryTargetFacts(card); self.config = config; self.coefficients = coefficients; self.covariance = covariance; self.riskCutPoints = riskCutPoints
    }

    public init(card: ModelCard, tensors: [String: Tensor], path: String) throws {
        guard let beta = tensors["coefficients"]?.doubles, beta.count == card.pipeline.width + 1,
              let cuts = tensors["risk_cut_points"]?.doubles, cuts.count == 9 else {
            throw PersonaError("\(path): corrupted logistic regression model (coefficients or risk_cut_points missing or of the wrong size)")
        }
        self.card = card
        self.facts = BinaryTargetFacts(card)
        self.config = try LogisticConfig(card: card.hyperparameters, file: path)
        self.coefficients = beta
        self.riskCutPoints = cuts
        if let means = tensors["feature_means"]?.doubles {
            guard means.count == card.pipeline.width else {
                throw PersonaError("\(path): corrupted logistic regression model (feature_means has the wrong size)")
            }
            featureMeans = means
        }
        if let cov = tensors["covariance"]?.doubles {
            guard cov.count == beta.count * beta.count else {
                throw PersonaError("\(path): corrupted logistic regression model (covariance has the wrong size)")
            }
            covariance = DoubleMatrix(rows: beta.count, cols: beta.count, storage: cov)
        } else {
            covariance = nil
        }
    }

    public func tensors() -> [String: Tensor] {
        var t = ["coefficients": Tensor(coefficients, shape: [coefficients.count]),
                 "risk_cut_points": Tensor(riskCutPoints, shape: [riskCutPoints.count])]
        if let covariance { t["covariance"] = Tensor(covariance.storage, shape: [covariance.rows, covariance.cols]) }
        if let featureMeans { t["feature_means"] = Tensor(featureMeans, shape: [featureMeans.count]) }
        return t
    }

    /// Positive-class probabilities of encoded rows.
    public func probabilities(_ x: FloatMatrix) -> [Double] {
        let d = x.cols
        var out = [Double](repeating: 0, count: x.rows)
        x.storage.withUnsafeBufferPointer { xp in
            for i in 0..<x.rows {
                var eta = coefficients[0]
                let row = xp.baseAddress! + i * d
                for j in 0..<d { eta += coefficients[j + 1] * Double(row[j]) }
                out[i] = LogisticData.sigmoid(eta)
            }
        }
        return out
    }

    public var rankingColumn: String? { "probability" }

    /// Its outputs as a binary classifier: score columns, deciles, evaluation, ONNX outputs.
    public var binary: BinaryClassification {
        BinaryClassification(target: target, positive: positive, negative: negative, threshold: threshold, riskCutPoints: riskCutPoints)
    }

    public func score(_ batch: FloatMatrix, options: ScoreOptions) -> [ScoreColumn] {
        binary.scoreColumns(probabilities(batch), options: options)
    }

    public var probabilityClasses: [String] { [negative, positive] }

    public func probabilities(ofClassAt index: Int, _ batch: FloatMatrix) -> [Double] {
        let p = probabilities(batch)
        return index == 1 ? p : p.map { 1 - $0 }
    }

    public func evaluate(path: String, options: EvaluationOptions) throws -> Evaluation {
        let (x, kept) = try card.pipeline.transform(path: path, delimiter: options.delimiter, keep: [target])
        return try evaluate(x, labels: kept[0].map(BinaryTarget.label), file: path, options: options)
    }

    public func evaluate(_ data: TrainingSet, options: EvaluationOptions) throws -> Evaluation {
        let (x, labels) = try card.pipeline.transform(data, keep: [target])
        return try evaluate(x, labels: labels[0], file: data.file, options: options)
    }

    func evaluate(_ x: FloatMatrix, labels: [String?], file path: String, options: EvaluationOptions) throws -> Evaluation {
        try binary.evaluate(probabilities(x), labels: labels, encoded: x, kind: Self.kind, file: path, options: options)
    }

    // MARK: coefficients in original units

    public struct CoefficientRow {
        public var feature: String
        public var coefficient: Double          // per original unit for numbers; per level for categories
        public var oddsRatio: Double
        public var standardError: Double?
        public var z: Double?
        public var p: Double?
        public var note: String?
    }

    /// Coefficients per original unit: a standardised feature's coefficient is
    /// divided by its scale, and the intercept absorbs the centring. Standard
    /// errors follow through the same linear map (Cov' = T Cov Tᵀ).
    public func coefficientTable() -> [CoefficientRow] {
        let names = ["(intercept)"] + card.pipeline.featureNames
        let d1 = coefficients.count
        // T maps standardised coefficients to original-unit ones.
        var t = DoubleMatrix.identity(d1)
        for (c, o) in zip(card.pipeline.columns, card.pipeline.columnOffsets) where c.type != .categorical {
            let offset = o + 1     // after the intercept
            t[offset, offset] = 1 / c.scale
            t[0, offset] = -c.center / c.scale
        }
        var original = [Double](repeating: 0, count: d1)
        BLAS.gemv(t, coefficients, into: &original)
        var covOriginal: DoubleMatrix? = nil
        if let covariance { covOriginal = t * covariance * t.transposed }
        let aliased = Set(card.details["aliased"]?.array?.compactMap(\.string) ?? [])
        return (0..<d1).map { j in
            var row = CoefficientRow(feature: names[j], coefficient: original[j], oddsRatio: exp(original[j]),
                                     standardError: nil, z: nil, p: nil, note: nil)
            if aliased.contains(names[j]) {
                row.note = names[j].hasSuffix(FeaturePipeline.unseenSuffix) ? "no training rows (unseen levels)"
                    : "aliased: a combination of other columns (a reference level or a constant)"
                return row
            }
            if let cov = covOriginal, cov[j, j] > 0 {
                let se = cov[j, j].squareRoot()
                row.standardError = se
                row.z = original[j] / se
                row.p = erfc(abs(original[j] / se) / 2.0.squareRoot())
            }
            return row
        }
    }

    public func summary() -> String {
        var lines: [String] = []
        let m = card.trainingMetrics
        lines.append("predicts P(\(target) = \(positive)) against \(negative); threshold \(formatNumber(threshold))")
        lines.append("solver \(card.details["solver"]?.string ?? "?"): \(m["iterations"]?.int ?? 0) iterations, max |gradient| \(formatNumber(m["gradient_norm"]?.double ?? .nan, digits: 3)), converged: \(m["converged"] == .bool(true) ? "yes" : "no")")
        lines.append("training: log loss \(formatNumber(m["log_loss"]?.double ?? .nan, digits: 5)), AUC \(formatNumber(m["auc"]?.double ?? .nan, digits: 5))")
        lines.append("")
        let table = coefficientTable()
        let w = max(12, table.map(\.feature.count).max() ?? 12)
        let withSE = covariance != nil
        var header = "feature".padding(toLength: w, withPad: " ", startingAt: 0) + "coefficient".leftPadded(13) + "odds ratio".leftPadded(12)
        if withSE { header += "std err".leftPadded(11) + "z".leftPadded(9) + "p".leftPadded(10) }
        lines.append(header)
        for r in table {
            var line = r.feature.padding(toLength: w, withPad: " ", startingAt: 0)
                + formatNumber(r.coefficient, digits: 5).leftPadded(13) + formatNumber(r.oddsRatio, digits: 4).leftPadded(12)
            if withSE {
                line += (r.standardError.map { formatNumber($0, digits: 4) } ?? "").leftPadded(11)
                line += (r.z.map { formatNumber($0, digits: 3) } ?? "").leftPadded(9)
                line += (r.p.map { $0 < 1e-4 ? "<1e-4" : formatNumber($0, digits: 3) } ?? "").leftPadded(10)
            }
            if let note = r.note { line += "  " + note }
            lines.append(line)
        }
        lines.append("")
        lines.append("Coefficients are per original unit (per level for categories); odds ratio = e^coefficient.")
        if !withSE {
            lines.append("Standard errors are shown for unpenalised fits only (--l1 0 --l2 0).")
        }
        lines += contributionLines()
        return lines.joined(separator: "\n")
    }

    // MARK: training

    public static func prepareFolds(_ data: TrainingSet, config: LogisticConfig) throws -> (config: LogisticConfig, strata: [Int]?) {
        let (positive, strata) = try BinaryTarget.strata(data, column: config.target, positive: config.positive)
        var settled = config
        settled.positive = positive
        return (settled, strata)
    }

    public static func fit(_ data: TrainingSet, config: LogisticConfig, selection: ColumnSelection,
                           progress: ProgressHandler? = nil) throws -> LogisticModel {
        try config.validate()
        try selection.checkTarget(config.target, parameter: LogisticConfig.names("target")[0])
        let start = Date()
        let extracted = try data.labels(of: config.target)
        let (pipeline, x) = try FeaturePipeline.fit(data, selection: selection, reserved: [config.target], standardize: config.standardize)
        let profile = data.profile, path = data.file
        let target = try BinaryTarget.make(column: config.target, labels: extracted, positive: config.positive,
                                           file: data.file, delimiter: data.delimiter)
        progress?("\(pipeline.columns.count) columns -> \(x.cols) features in \(String(format: "%.3f", Date().timeIntervalSince(start))) s; \(target.positives) positive (\(target.column) = \(target.positive))")
        for c in pipeline.columns where c.type != .categorical && c.scale == 1 && config.standardize {
            if let p = profile.column(c.name), p.std == 0 || p.min == p.max {
                progress?("warning: column \"\(c.name)\" is constant; it gets no coefficient")
            }
        }
        let classWeights = try config.classWeight.weights(counts: [x.rows - target.positives, target.positives], positive: 1)
        let (wNeg, wPos) = (classWeights[0], classWeights[1])
        let data = LogisticData(x: x, y: target.values.map { $0 ? 1 : 0 }, w: target.values.map { $0 ? wPos : wNeg })
        let fitStart = Date()
        let fit = try LogisticSolvers.fit(data, config: config, progress: progress)
        progress?("fitted in \(String(format: "%.3f", Date().timeIntervalSince(fitStart))) s: \(fit.iterations) iterations (\(fit.solver.rawValue)), max |gradient| \(formatNumber(fit.gradientNorm, digits: 3))")
        if fit.separable {
            progress?("warning: the classes are (nearly) perfectly separable, so unpenalised coefficients grow without bound; they were stopped at a finite size. Add a penalty, for example --l2 1e-4")
        } else if !fit.converged {
            progress?("warning: the solver did not converge in \(fit.iterations) iterations (max |gradient| \(formatNumber(fit.gradientNorm, digits: 3)) > --tol \(formatNumber(config.tolerance))). Raise --max-iter, or add a penalty")
        }
        let names = ["(intercept)"] + pipeline.featureNames
        let aliasedNames = names.indices.filter { fit.aliased[$0] }.map { names[$0] }
        // Standard errors: the inverse Hessian of the total log-likelihood (unpenalised fits).
        var covariance: DoubleMatrix? = nil
        if config.l1 == 0 && config.l2 == 0 && !fit.separable {
            let h = data.evaluate(fit.beta, hessian: true).hessian!
            let active = fit.aliased.indices.filter { !fit.aliased[$0] }
            var ha = DoubleMatrix(rows: active.count, cols: active.count)
            for (a, i) in active.enumerated() { for (b, j) in active.enumerated() { ha[a, b] = h[i, j] * Double(x.rows) } }
            if let inv = try? BLAS.solvePositiveDefinite(ha, DoubleMatrix.identity(active.count)) {
                var cov = DoubleMatrix(rows: names.count, cols: names.count)
                for (a, i) in active.enumerated() { for (b, j) in active.enumerated() { cov[i, j] = inv[a, b] } }
                covariance = cov
            }
        }
        var model = LogisticModel(card: ModelCard(kind: kind, pipeline: pipeline, hyperparameters: .null, trainingMetrics: .null,
                                                  trainingData: DataFingerprintInfo(path: path, profile: profile)),
                                  config: config, coefficients: fit.beta, covariance: covariance, riskCutPoints: [])
        var means = [Double](repeating: 0, count: x.cols)
        x.storage.withUnsafeBufferPointer { xp in
            for i in 0..<x.rows { for j in 0..<x.cols { means[j] += Double(xp[i * x.cols + j]) } }
        }
        model.featureMeans = means.map { $0 / Double(max(1, x.rows)) }
        let p = model.probabilities(x)
        model.riskCutPoints = BinaryClassification.riskCutPoints(p)
        model.card.hyperparameters = config.card
        model.card.trainingMetrics = .object([
            "log_loss": .number(ClassificationMetrics.logLoss(p, target.values)),
            "auc": ClassificationMetrics.rocAUC(p, target.values).map { .number($0) } ?? .null,
            "objective": .number(fit.objective),
            "iterations": .number(Double(fit.iterations)),
            "gradient_norm": .number(fit.gradientNorm),
            "converged": .bool(fit.converged),
            "separable": .bool(fit.separable),
            "positives": .number(Double(target.positives)),
        ])
        model.card.details = .object([
            "target": .string(target.column), "positive": .string(target.positive), "negative": .string(target.negative),
            "solver": .string(fit.solver.rawValue), "aliased": .array(aliasedNames.map { .string($0) }),
        ])
        model.card.setTrainingMetric("mean_abs_contribution", .object(Dictionary(uniqueKeysWithValues:
            model.meanAbsoluteContributions(x, limit: 2000).map { ($0.column, JSONValue.number($0.value)) })))
        return model
    }
}
