import Foundation

/// An uplift model: for each treatment, the predicted change in a customer's
/// response probability if treated rather than left in control, built from a
/// registered classifier family (`UpliftLearner`) by `UpliftMethod`.
///
/// Every inner model reads rows through one feature pipeline, fitted on all the
/// experiment's rows, so a row is encoded once and scored by each of them.
/// `score` writes `uplift_<treatment>` per treatment, `best_treatment` (the
/// treatment with the largest uplift, or control when none is positive) and
/// `best_uplift`; with a cost and a margin, `expected_profit`.
public struct UpliftModel: RowModel, UpliftScoring {
    public static let kind = "uplift"
    public static let title = "uplift model"

    public var card: ModelCard
    public let config: UpliftConfig
    public let treatments: [String]
    public let positive: String
    public let negative: String
    /// two-model: control's model, then each treatment's; transformed-outcome: each treatment's.
    let models: [any RowScoring]

    public var control: String { config.control }
    public var readsRawValues: Bool { models[0].readsRawValues }
    public var rankingColumn: String? { "best_uplift" }

    /// With a cost and a margin, a customer is worth treating when margin x uplift > cost.
    public func minimumRanking(_ options: ScoreOptions) -> Double? {
        guard let cost = options.cost, let margin = options.margin, margin > 0 else { return nil }
        return cost / margin
    }

    init(card: ModelCard, config: UpliftConfig, treatments: [String], positive: String, negative: String, models: [any RowScoring]) {
        self.card = card; self.config = config; self.treatments = treatments; self.positive = positive; self.negative = negative
        self.models = models
    }

    /// What each inner model is, in order.
    var roles: [String] {
        config.method == .twoModel ? [control] + treatments : treatments.map { "\($0) vs \(control)" }
    }

    // MARK: fitting

    public static func fit(_ data: TrainingSet, config: UpliftConfig, selection: ColumnSelection,
                           progress: ProgressHandler?) throws -> UpliftModel {
        try config.validate()
        let file = data.file
        _ = try data.columnIndex(config.treatment, role: "treatment column")
        _ = try data.columnIndex(config.outcome, role: "outcome column")
        for name in [config.treatment, config.outcome] where selection.features?.contains(name) == true {
            throw PersonaError("--features names \"\(name)\", which is the \(name == config.treatment ? "treatment" : "outcome") column; leave it out")
        }
        let armLabels = try data.labels(of: config.treatment)
        if let i = armLabels.firstIndex(where: { $0 == nil }) {
            throw PersonaError.data(file: file, columnName: config.treatment, "the arm is missing in \(armLabels.filter { $0 == nil }.count) rows (the first is data row \(data.fileRow(i) + 1))",
                                    fix: "Every row needs its arm; drop rows that were never assigned")
        }
        let arms = Set(armLabels.map { $0! })
        guard arms.contains(config.control) else {
            throw PersonaError.data(file: file, columnName: config.treatment, "no row has the control arm \"\(config.control)\"",
                                    fix: "The arms are: \(arms.sorted().joined(separator: ", ")); pass one of them as --control")
        }
        let treatments = arms.subtracting([config.control]).sorted()
        guard !treatments.isEmpty else {
            throw PersonaError.data(file: file, columnName: config.treatment, "every row is in the control arm \"\(config.control)\"",
                                    fix: "An uplift model learns from treated and control customers")
        }
        guard treatments.count <= 20 else {
            throw PersonaError.data(file: file, columnName: config.treatment, "has \(arms.count) distinct arms",
                                    fix: "Is --treatment the column that holds each customer's arm?")
        }
        let outcome = try BinaryTarget.make(column: config.outcome, labels: try data.labels(of: config.outcome), positive: config.positive,
                                            file: file, delimiter: data.delimiter)
        let inner = ColumnSelection(features: selection.features, exclude: selection.exclude + [config.treatment])
        guard let family = ModelRegistry.family(kind: config.learner.rawValue) as? any RowModel.Type else {
            throw PersonaError("the \(config.learner.rawValue) learner is not a row-model family of this release")
        }
        var rng = PersonaRandom(seed: config.seed, stream: 7)
        var models: [any RowScoring] = []
        func rows(of arm: String) -> [Int] { armLabels.indices.filter { armLabels[$0] == arm } }
        switch config.method {
        case .twoModel:
            for arm in [config.control] + treatments {
                let part = data.subset(rows(of: arm), pipelineFromWhole: true)
                progress?("fitting \(config.learner.rawValue) on the \(part.rows) rows of arm \(arm)")
                models.append(try fitLearner(family, part, target: config.outcome, positive: outcome.positive, seed: config.seed,
                                             selection: inner, role: "arm \"\(arm)\"", settings: config.learner.settings))
            }
        case .transformedOutcome:
            for t in treatments {
                var treated = rows(of: t), controls = rows(of: config.control)
                // Equal arms, so that 2 P(z = 1) - 1 is the uplift.
                if treated.count > controls.count { treated = sample(treated, controls.count, &rng) }
                else if controls.count > treated.count { controls = sample(controls, treated.count, &rng) }
                let idx = (treated + controls).sorted()
                let isTreated = Set(treated)
                let z = idx.map { outcome.values[$0] == isTreated.contains($0) }
                let part = try data.subset(idx, pipelineFromWhole: true).replacing(column: config.outcome, with: z)
                progress?("fitting \(config.learner.rawValue) on the transformed outcome of \(t) against \(config.control) (\(part.rows) rows)")
                models.append(try fitLearner(family, part, target: config.outcome, positive: "1", seed: config.seed,
                                             selection: inner, role: "\(t) against \"\(config.control)\"", settings: config.learner.settings))
            }
        }
        let pipeline = models[0].card.pipeline
        precondition(models.allSatisfy { $0.card.pipeline == pipeline }, "the inner models of an uplift model share one pipeline")
        let card = ModelCard(kind: kind, pipeline: pipeline, hyperparameters: config.card, trainingMetrics: .null,
                             trainingData: DataFingerprintInfo(path: file, profile: data.profile),
                             details: .null)
        var model = UpliftModel(card: card, config: config, treatments: treatments, positive: outcome.positive, negative: outcome.negative,
                                models: models)
        model.card.details = model.details
        model.card.trainingMetrics = try model.evaluate(data, options: EvaluationOptions(seed: config.seed, delimiter: data.delimiter)).metrics
        return model
    }

    /// `n` of `rows`, seeded, in ascending order.
    static func sample(_ rows: [Int], _ n: Int, _ rng: inout PersonaRandom) -> [Int] {
        var r = rows
        rng.shuffle(&r)
        return Array(r.prefix(n)).sorted()
    }

    static func fitLearner<M: RowModel>(_ family: M.Type, _ data: TrainingSet, target: String, positive: String, seed: UInt64,
                                        selection: ColumnSelection, role: String, settings extra: [String: JSONValue]) throws -> any RowScoring {
        var settings = extra
        settings["target"] = .string(target)
        if M.Config.parameter("positive") != nil { settings["positive"] = .string(positive) }
        if M.Config.parameter("task") != nil { settings["task"] = "classification" }
        if M.Config.parameter("seed") != nil { settings["seed"] = .number(Double(seed)) }
        let config = try M.Config(card: .object(settings), file: "the \(M.kind) learner")
        do {
            guard let model = try M.fit(data, config: config, selection: selection, progress: nil) as? any ClassProbabilities,
                  model.probabilityClasses.contains(positive) else {
                throw PersonaError("the \(M.kind) learner does not give the probability of \"\(positive)\"")
            }
            return model
        } catch let e as PersonaError {
            throw PersonaError("\(role): \(e.message)")
        }
    }

    var details: JSONValue {
        .object(["treatment": .string(config.treatment), "control": .string(control), "outcome": .string(config.outcome),
                 "positive": .string(positive), "negative": .string(negative),
                 "treatments": .array(treatments.map(JSONValue.string)),
                 "models": .array(zip(roles, models).map { role, m in
                     .object(["role": .string(role), "card": (try? JSONValue(encoding: m.card)) ?? .null])
                 })])
    }

    // MARK: the model file

    public init(card: ModelCard, tensors: [String: Tensor], path: String) throws {
        func bad(_ what: String) -> PersonaError { PersonaError("\(path): corrupted uplift model (\(what))") }
        let config = try UpliftConfig(card: card.hyperparameters, file: path)
        guard let treatments = card.details["treatments"]?.array?.compactMap(\.string), !treatments.isEmpty,
              let positive = card.details["positive"]?.string, let negative = card.details["negative"]?.string,
              let entries = card.details["models"]?.array else { throw bad("its details are incomplete") }
        let expected = config.method == .twoModel ? treatments.count + 1 : treatments.count
        guard entries.count == expected else { throw bad("\(entries.count) inner models where \(expected) are needed") }
        var models: [any RowScoring] = []
        for (k, entry) in entries.enumerated() {
            guard let cardJSON = entry["card"], let data = try? JSONEncoder().encode(cardJSON),
                  let inner = try? JSONDecoder().decode(ModelCard.self, from: data) else { throw bad("inner model \(k) has no card") }
            guard let family = ModelRegistry.family(kind: inner.kind), inner.kind != Self.kind else {
                throw bad("inner model \(k) is of kind \"\(inner.kind)\"")
            }
            let prefix = "m\(k)/"
            var own: [String: Tensor] = [:]
            for (name, t) in tensors where name.hasPrefix(prefix) { own[String(name.dropFirst(prefix.count))] = t }
            guard let model = try family.init(card: inner, tensors: own, path: path) as? any ClassProbabilities else {
                throw bad("inner model \(k) gives no class probabilities")
            }
            guard model.card.pipeline == card.pipeline else { throw bad("inner model \(k) reads rows differently") }
            models.append(model)
        }
        self.init(card: card, config: config, treatments: treatments, positive: positive, negative: negative, models: models)
    }

    public func tensors() -> [String: Tensor] {
        var out: [String: Tensor] = [:]
        for (k, m) in models.enumerated() { for (name, t) in m.tensors() { out["m\(k)/" + name] = t } }
        return out
    }

    // MARK: scoring

    /// The class each inner model's probability is read for: a response (two
    /// models), or z = 1 (the transformed outcome).
    var innerPositive: String { config.method == .twoModel ? positive : "1" }

    /// Each inner model's probability of its positive class (a response, or z = 1).
    func innerProbabilities(_ batch: FloatMatrix) -> [[Double]] {
        models.map { m in (m as? any ClassProbabilities)?.probabilities(of: innerPositive, batch) ?? [] }
    }

    /// Each treatment's uplift for each row: [treatment][row].
    public func uplifts(_ batch: FloatMatrix) -> [[Double]] {
        let p = innerProbabilities(batch)
        switch config.method {
        case .twoModel: return (1..<p.count).map { t in zip(p[t], p[0]).map { $0 - $1 } }
        case .transformedOutcome: return p.map { $0.map { 2 * $0 - 1 } }
        }
    }

    public func score(_ batch: FloatMatrix, options: ScoreOptions) -> [ScoreColumn] {
        let u = uplifts(batch)
        var columns = treatments.indices.map { ScoreColumn(name: "uplift_" + treatments[$0], values: u[$0]) }
        var best = [Int](repeating: -1, count: batch.rows), bestValue = [Double](repeating: 0, count: batch.rows)
        var profit = [Double](repeating: 0, count: batch.rows)
        let margin = options.margin ?? 1, cost = options.cost ?? 0
        for i in 0..<batch.rows {
            for t in treatments.indices where margin * u[t][i] - cost > (best[i] < 0 ? 0 : margin * bestValue[i] - cost) {
                best[i] = t; bestValue[i] = u[t][i]
            }
            profit[i] = best[i] < 0 ? 0 : margin * bestValue[i] - cost
        }
        columns.append(ScoreColumn(name: "best_treatment", values: best.map(Double.init), labels: best.map { $0 < 0 ? control : treatments[$0] }))
        columns.append(ScoreColumn(name: "best_uplift", values: bestValue))
        if options.cost != nil || options.margin != nil { columns.append(ScoreColumn(name: "expected_profit", values: profit)) }
        return columns
    }

    // MARK: evaluation

    public func evaluate(path: String, options: EvaluationOptions) throws -> Evaluation {
        let (x, kept) = try card.pipeline.transform(path: path, delimiter: options.delimiter, keep: [config.treatment, config.outcome],
                                                    raw: readsRawValues)
        return try evaluate(x, arms: kept[0].map(BinaryTarget.label), outcomes: kept[1].map(BinaryTarget.label), file: path, options: options)
    }

    public func evaluate(_ data: TrainingSet, options: EvaluationOptions) throws -> Evaluation {
        let (x, labels) = try card.pipeline.transform(data, keep: [config.treatment, config.outcome], raw: readsRawValues)
        return try evaluate(x, arms: labels[0], outcomes: labels[1], file: data.file, options: options)
    }

    /// The share of rows `uplift_at_k` looks at.
    public static let topShare = 0.3

    func evaluate(_ x: FloatMatrix, arms: [String?], outcomes: [String?], file: String, options: EvaluationOptions) throws -> Evaluation {
        let y = try BinaryTarget.match(column: config.outcome, labels: outcomes, positive: positive, negative: negative, file: file,
                                       delimiter: options.delimiter)
        let u = uplifts(x)
        let known = Set([control] + treatments)
        let unknown = Set(arms.compactMap { $0 }).subtracting(known)
        var results: [JSONValue] = []
        var text = "\(x.rows) rows; uplift of \(config.outcome) = \(positive) against \(control)\(unknown.isEmpty ? "" : " (rows of unknown arms \(unknown.sorted().joined(separator: ", ")) left out)")\n"
        var qinis: [Double] = [], aucs: [Double] = []
        var curves: [(String, [Bool], [Double], [Bool])] = []
        for (t, name) in treatments.enumerated() {
            let rows = arms.indices.filter { arms[$0] == name || arms[$0] == control }
            let yy = rows.map { y[$0] }, ss = rows.map { u[t][$0] }, tt = rows.map { arms[$0] == name }
            let nt = tt.filter { $0 }.count, nc = rows.count - nt
            guard nt > 0 && nc > 0 && Set(yy).count == 2 else {
                results.append(.object(["name": .string(name), "rows": .number(Double(rows.count)), "note": "needs treated and control rows with both outcomes"]))
                text += "\(name): not enough rows to evaluate (\(nt) treated, \(nc) control)\n"
                continue
            }
            let qini = UpliftMetrics.qiniAUC(yy, ss, tt), auc = UpliftMetrics.upliftAUC(yy, ss, tt)
            qinis.append(qini); aucs.append(auc)
            let atK = UpliftMetrics.upliftAtK(yy, ss, tt, k: Self.topShare)
            let bins = UpliftMetrics.byPercentile(yy, ss, tt)
            let rt = Double(zip(yy, tt).filter { $0.0 && $0.1 }.count) / Double(nt)
            let rc = Double(zip(yy, tt).filter { $0.0 && !$0.1 }.count) / Double(nc)
            results.append(.object([
                "name": .string(name), "rows": .number(Double(rows.count)), "n_treatment": .number(Double(nt)), "n_control": .number(Double(nc)),
                "qini_auc": .number(qini), "uplift_auc": .number(auc), "uplift_at_k": atK.map(JSONValue.number) ?? .null,
                "k": .number(Self.topShare), "observed_uplift": .number(rt - rc), "mean_predicted_uplift": .number(ss.reduce(0, +) / Double(ss.count)),
                "deciles": .array(bins.enumerated().map { d, b in
                    .object(["decile": .number(Double(d + 1)), "n_treatment": .number(Double(b.nTreated)), "n_control": .number(Double(b.nControl)),
                             "rate_treatment": b.rateTreated.map(JSONValue.number) ?? .null, "rate_control": b.rateControl.map(JSONValue.number) ?? .null,
                             "uplift": b.uplift.map(JSONValue.number) ?? .null, "predicted_uplift": .number(b.meanPredicted)])
                }),
            ]))
            curves.append((name, yy, ss, tt))
            text += "\(name) against \(control): \(rows.count) rows; Qini AUC \(formatNumber(qini, digits: 4)), uplift AUC \(formatNumber(auc, digits: 4)), "
                + "uplift in the top \(Int(Self.topShare * 100))% \(atK.map { formatNumber($0, digits: 4) } ?? "n/a") (overall \(formatNumber(rt - rc, digits: 4)))\n"
            text += "  decile  treated  control  observed uplift  predicted\n"
            for (d, b) in bins.enumerated() {
                text += "  " + String(d + 1).leftPadded(6) + "  " + String(b.nTreated).leftPadded(7) + "  " + String(b.nControl).leftPadded(7) + "  "
                    + (b.uplift.map { formatNumber($0, digits: 3) } ?? "n/a").leftPadded(15) + "  " + formatNumber(b.meanPredicted, digits: 3).leftPadded(9) + "\n"
            }
        }
        var metrics: [String: JSONValue] = ["kind": .string(Self.kind), "rows": .number(Double(x.rows)), "treatments": .array(results)]
        if !qinis.isEmpty {
            metrics["qini_auc"] = .number(qinis.reduce(0, +) / Double(qinis.count))
            metrics["uplift_auc"] = .number(aucs.reduce(0, +) / Double(aucs.count))
        }
        var evaluation = Evaluation(task: .uplift, metrics: .object(metrics), text: text.trimmingCharacters(in: .newlines))
        evaluation.rows = .uplift(curves.map { (name: $0.0, y: $0.1, score: $0.2, treated: $0.3) })
        return evaluation
    }

    public static func prepareFolds(_ data: TrainingSet, config: UpliftConfig) throws -> (config: UpliftConfig, strata: [Int]?) {
        // Folds keep each arm's share and its responders' share.
        let arms = try data.labels(of: config.treatment), outcomes = try data.labels(of: config.outcome)
        var index: [String: Int] = [:]
        let strata = zip(arms, outcomes).map { a, o -> Int in
            let key = (a ?? "") + "\u{1F}" + (o ?? "")
            if let k = index[key] { return k }
            index[key] = index.count
            return index[key]!
        }
        return (config, strata)
    }

    public func summary() -> String {
        var lines = ["uplift of \(config.outcome) = \(positive) for \(treatments.count) treatment\(treatments.count == 1 ? "" : "s") (\(treatments.joined(separator: ", "))) against \(control)",
                     "method \(config.method.rawValue), learner \(config.learner.rawValue): \(models.count) inner models, \(card.pipeline.columns.count) feature columns"]
        if let ts = card.trainingMetrics["treatments"]?.array {
            for t in ts {
                if let q = t["qini_auc"]?.double, let name = t["name"]?.string {
                    lines.append("  \(name): training Qini AUC \(formatNumber(q, digits: 4)), uplift AUC \(formatNumber(t["uplift_auc"]?.double ?? .nan, digits: 4))")
                }
            }
        }
        for (role, m) in zip(roles, models) {
            lines.append("")
            lines.append("model for \(role):")
            lines.append(m.summary().split(separator: "\n").prefix(14).map { "  " + $0 }.joined(separator: "\n"))
        }
        return lines.joined(separator: "\n")
    }
}
