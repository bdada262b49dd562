import Foundation

/// What every trained model is: a kind, a card, tensors, an evaluation and a
/// summary. The model file, `inspect` and `evaluate` work through this protocol.
/// What a model can do beyond that is declared as capabilities (`RowScoring`,
/// `RuleExplaining`, `Recommending`, and in Export and Reports `ONNXExportable`,
/// `SQLExportable`, `ReportFigures`), each conformance in the family's folder;
/// commands dispatch on the capability, never on a concrete type.
public protocol PersonaModel {
    static var kind: String { get }
    /// A sentence for `--help` and error messages ("k-means segmentation").
    static var title: String { get }
    var card: ModelCard { get }
    init(card: ModelCard, tensors: [String: Tensor], path: String) throws
    func tensors() -> [String: Tensor]
    /// Metrics on a data file (read through the model's pipeline), as JSON
    /// with the metric keys of the CLI contract, and as text for a terminal.
    func evaluate(path: String, options: EvaluationOptions) throws -> Evaluation
    /// A human-readable account of what was learned, for `inspect`.
    func summary() -> String
}

/// Scores rows: `persona score`, `--top`, batch scoring on every core.
public protocol RowScoring: PersonaModel {
    /// Predictions for a batch of pipeline-encoded rows.
    func score(_ batch: FloatMatrix, options: ScoreOptions) -> [ScoreColumn]
    /// The score column that `score --top N` ranks by (nil: the model has none).
    var rankingColumn: String? { get }
    /// True when the model reads raw values (missing numbers as NaN, missing
    /// categories as an all-zero block) rather than the imputed, scaled features.
    var readsRawValues: Bool { get }
    /// Rows whose ranking score is not above this are left out of the output, which
    /// then holds the remaining rows best first (uplift with a cost: the profitable customers).
    func minimumRanking(_ options: ScoreOptions) -> Double?
}

extension RowScoring {
    public var rankingColumn: String? { nil }
    public func minimumRanking(_ options: ScoreOptions) -> Double? { nil }
    public var readsRawValues: Bool { false }
    public func score(_ batch: FloatMatrix) -> [ScoreColumn] { score(batch, options: ScoreOptions()) }
}

/// A classifier's probability of each class, by the class's label: how a model
/// built from classifiers (uplift) reads its inner models, whatever their family.
public protocol ClassProbabilities: RowScoring {
    /// The classes, in the order of the model's probabilities (and of the
    /// columns of its ONNX `probabilities` output); empty for a regression.
    var probabilityClasses: [String] { get }
    /// Each row's probability of the class at `index` in `probabilityClasses`.
    func probabilities(ofClassAt index: Int, _ batch: FloatMatrix) -> [Double]
}

extension ClassProbabilities {
    /// Each row's probability of the class labelled `label`, or nil when the model does not predict it.
    public func probabilities(of label: String, _ batch: FloatMatrix) -> [Double]? {
        probabilityClasses.firstIndex(of: label).map { probabilities(ofClassAt: $0, batch) }
    }
}

/// Scores the change a treatment makes (`uplift_<treatment>`, `best_treatment`,
/// `best_uplift`), so `score` can rank customers by expected incremental profit
/// (`--budget`, `--cost`, `--margin`).
public protocol UpliftScoring: RowScoring {
    var treatments: [String] { get }
}

/// Explains each row's score: how much each original column moved it from the
/// model's average (`score --explain K`, `--contributions`). The contributions
/// and the bias add up to the raw score.
public protocol RowExplaining: RowScoring {
    /// What the contributions add up to, for messages ("log-odds of churned = 1").
    var contributionScale: String { get }
    /// Why this model cannot explain rows (an older file), or nil when it can.
    var explanationUnavailable: String? { get }
    func contributions(_ batch: FloatMatrix) -> Contributions
}

/// Per-row contributions of each original column, and the bias they start from.
public struct Contributions {
    public var columns: [String]
    public var bias: Double
    /// Each row's raw score (bias plus its contributions).
    public var raw: [Double]
    /// Row-major: rows x columns.
    public var values: [Double]

    /// The score columns `--explain K` and `--contributions` add.
    public func scoreColumns(explain k: Int?, all: Bool) -> [ScoreColumn] {
        let rows = raw.count, width = columns.count
        var out: [ScoreColumn] = []
        if let k, k > 0 {
            let shown = min(k, width)
            var reasons = [[String]](repeating: [], count: shown), amounts = [[Double]](repeating: [], count: shown)
            for r in 0..<rows {
                let row = Array(values[(r * width)..<((r + 1) * width)])
                // Largest first; ties by column order.
                let order = row.indices.sorted { row[$0] != row[$1] ? row[$0] > row[$1] : $0 < $1 }
                for j in 0..<shown { reasons[j].append(columns[order[j]]); amounts[j].append(row[order[j]]) }
            }
            for j in 0..<shown {
                out.append(ScoreColumn(name: "reason_\(j + 1)", values: amounts[j], labels: reasons[j]))
                out.append(ScoreColumn(name: "contribution_\(j + 1)", values: amounts[j], precise: true))
            }
        }
        if all {
            out.append(ScoreColumn(name: "raw_score", values: raw, precise: true))
            for (j, c) in columns.enumerated() {
                out.append(ScoreColumn(name: "contrib_" + c, values: (0..<rows).map { values[$0 * width + j] }, precise: true))
            }
            out.append(ScoreColumn(name: "contrib_bias", values: [Double](repeating: bias, count: rows), precise: true))
        }
        return out
    }
}

extension RowExplaining {
    /// Mean |contribution| of each original column over at most `limit` rows of
    /// `x`, evenly spaced, largest first.
    public func meanAbsoluteContributions(_ x: FloatMatrix, limit: Int = 5000) -> [(column: String, value: Double)] {
        let step = max(1, x.rows / limit)
        let rows = Array(stride(from: 0, to: x.rows, by: step).prefix(limit))
        var sample = FloatMatrix(rows: rows.count, cols: x.cols)
        for (i, r) in rows.enumerated() { for j in 0..<x.cols { sample[i, j] = x[r, j] } }
        let c = contributions(sample)
        let width = c.columns.count
        var sums = [Double](repeating: 0, count: width)
        for i in 0..<rows.count { for j in 0..<width { sums[j] += abs(c.values[i * width + j]) } }
        return c.columns.indices.map { (c.columns[$0], sums[$0] / Double(max(1, rows.count))) }.sorted { $0.value > $1.value }
    }

    /// The card's record of mean |contribution| per column, over training rows.
    func contributionSummary(_ data: TrainingSet, limit: Int = 2000) -> JSONValue? {
        guard explanationUnavailable == nil, data.rows > 0 else { return nil }
        let step = max(1, data.rows / limit)
        let rows = Array(stride(from: 0, to: data.rows, by: step).prefix(limit))
        guard let x = try? card.pipeline.transform(data.subset(rows), raw: readsRawValues).matrix else { return nil }
        return .object(Dictionary(uniqueKeysWithValues: meanAbsoluteContributions(x, limit: limit).map { ($0.column, JSONValue.number($0.value)) }))
    }

    /// Lines for `inspect`: the columns that move scores most, from the card.
    func contributionLines() -> [String] {
        guard let o = card.trainingMetrics["mean_abs_contribution"]?.object, !o.isEmpty else { return [] }
        let top = o.compactMap { k, v in v.double.map { (k, $0) } }.sorted { $0.1 != $1.1 ? $0.1 > $1.1 : $0.0 < $1.0 }.prefix(10)
        return ["", "mean |contribution| on training rows (\(contributionScale)):"]
            + top.map { "  " + $0.0.padding(toLength: 24, withPad: " ", startingAt: 0) + formatNumber($0.1, digits: 4) }
    }
}

extension ModelCard {
    /// Records one more training metric.
    mutating func setTrainingMetric(_ key: String, _ value: JSONValue?) {
        guard let value else { return }
        var o = trainingMetrics.object ?? [:]
        o[key] = value
        trainingMetrics = .object(o)
    }
}

extension RowScoring {
    /// The model's score columns, then the explanation columns the options ask for.
    public func scoreExplained(_ batch: FloatMatrix, options: ScoreOptions) -> [ScoreColumn] {
        var columns = score(batch, options: options)
        if options.explain != nil || options.contributions, let e = self as? any RowExplaining {
            columns += e.contributions(batch).scoreColumns(explain: options.explain, all: options.contributions)
        }
        return columns
    }
}

/// A model whose report draws figures of its own from the rows its evaluation
/// read. Each family conforms in its own folder.
protocol ReportFigures: PersonaModel {
    func reportFigures(_ rows: EvaluatedRows?, options: EvaluationOptions) -> [Report.Figure]
}

/// Explains itself as if-then rules in original units (`inspect --rules`).
public protocol RuleExplaining: PersonaModel {
    func rules() -> String
}

/// Recommends items to users (`persona recommend`, `persona similar`) rather
/// than scoring rows.
public protocol Recommending: PersonaModel {
    var userIds: [String] { get }
    var itemIds: [String] { get }
}

/// Suggests items for market baskets (`persona score` on a basket file) rather
/// than scoring rows.
public protocol BasketSuggesting: PersonaModel {
    /// The columns the model was trained on, the default for a basket file.
    var basketLayout: Baskets.Layout { get }
    /// Suggestions per basket when `--top` does not say.
    static var defaultSuggestions: Int { get }
    /// Writes each basket's top suggestions (`basket_id,rank,item,confidence,lift,antecedent`).
    func suggest(path: String, layout: Baskets.Layout, top: Int, output: String, jsonLines: Bool, delimiter: UInt8) throws -> SuggestionSummary
}

/// Values customers from their purchases (`persona score` on a transaction log
/// or a summary table): P(alive), expected purchases and spend, lifetime value,
/// the value decile and the lifecycle stage.
public protocol CustomerValuing: PersonaModel {
    func scoreCustomers(path: String, options: ValueScoreOptions, output: String, jsonLines: Bool, delimiter: UInt8) throws -> ValueScoreSummary
}

/// Facts `inspect --json` adds to the card as top-level keys: what the text of
/// `inspect` shows that the card does not hold (fitted parameters and their errors).
public protocol InspectionFacts: PersonaModel {
    func inspectionFacts() -> JSONValue
}

/// Lists what was mined as tables (`inspect --rules`, `--itemsets`).
public protocol RuleTables: PersonaModel {
    /// The rules, best first by `sort`, at most `top`: a header and rows of text.
    func ruleTable(sort: RuleSort, top: Int?) -> (header: [String], rows: [[String]])
    /// Every frequent itemset: `itemset,support,count`.
    func itemsetTable(top: Int?) -> (header: [String], rows: [[String]])
}

/// A family trained from a data file, with hyperparameters declared once
/// (`Config.parameters`).
public protocol TrainableModel: PersonaModel {
    associatedtype Config: Hyperparameters
    /// Reads the data file and fits a model. `selection` chooses the feature
    /// columns of families that read row data; the others ignore it.
    static func train(path: String, config: Config, selection: ColumnSelection,
                      delimiter: UInt8, progress: ProgressHandler?) throws -> Self
    /// The settings the model was trained with, decoded once at load.
    var config: Config { get }
    /// Splits a data file into the parts this family trains and is tested on:
    /// seeded rows (stratified by a column) by default; a recommender holds out
    /// part of each user's interactions instead.
    static func holdOut(path: String, config: Config, testFraction: Double, stratify: String?, seed: UInt64,
                        trainOut: String, testOut: String, delimiter: UInt8) throws
}

extension TrainableModel {
    public static func holdOut(path: String, config: Config, testFraction: Double, stratify: String?, seed: UInt64,
                               trainOut: String, testOut: String, delimiter: UInt8) throws {
        _ = try Splitter.split(path: path, testFraction: testFraction, stratify: stratify, seed: seed,
                               trainOut: trainOut, testOut: testOut, delimiter: delimiter)
    }
}

/// A family trained on rows of feature columns: the data is read once into a
/// training set, outside `fit`, so cross-validation, grids and tuning fit on
/// index sets of rows in memory.
public protocol RowModel: TrainableModel {
    /// Fits a model on the rows of `data`.
    static func fit(_ data: TrainingSet, config: Config, selection: ColumnSelection, progress: ProgressHandler?) throws -> Self
    /// Metrics on rows in memory, the same as `evaluate(path:)` on a file of those rows.
    func evaluate(_ data: TrainingSet, options: EvaluationOptions) throws -> Evaluation
    /// Settles choices the configuration leaves to the data (such as which class
    /// is positive) on the whole set, so every fold of a cross-validation makes the
    /// same choice; and returns the stratum of each row (its class), if folds
    /// should keep the classes' shares.
    static func prepareFolds(_ data: TrainingSet, config: Config) throws -> (config: Config, strata: [Int]?)
}

extension RowModel {
    /// Reads the file into a training set, then fits.
    public static func train(path: String, config: Config, selection: ColumnSelection,
                             delimiter: UInt8 = UInt8(ascii: ","), progress: ProgressHandler? = nil) throws -> Self {
        try config.validate()
        let start = Date()
        let data = try TrainingSet.read(path: path, delimiter: delimiter)
        progress?("read \(data.rows) rows, \(data.profile.columns.count) columns in \(String(format: "%.3f", Date().timeIntervalSince(start))) s")
        return try fit(data, config: config, selection: selection, progress: progress)
    }

    public static func prepareFolds(_ data: TrainingSet, config: Config) throws -> (config: Config, strata: [Int]?) { (config, nil) }
}

/// The model families this release knows, by kind.
public enum ModelRegistry {
    public static let families: [any TrainableModel.Type] = [KMeansModel.self, LogisticModel.self, TreeModel.self, GBDTModel.self, ALSModel.self,
                                                                  UpliftModel.self, RulesModel.self, ValueModel.self]

    public static func family(kind: String) -> (any TrainableModel.Type)? {
        families.first { $0.kind == kind }
    }

    public static var kinds: [String] { families.map { $0.kind } }

    /// The families that train on rows of feature columns (cross-validation, grids).
    public static var rowFamilies: [any RowModel.Type] { families.compactMap { $0 as? any RowModel.Type } }
}

public enum ModelStore {
    public static func save(_ model: some PersonaModel, to path: String) throws {
        try ModelFile.write(card: model.card, tensors: model.tensors(), to: path)
    }

    /// Replaces the model file it was loaded from, atomically (any other output
    /// refuses to overwrite a model the command read).
    public static func rewrite(_ model: some PersonaModel, at path: String) throws {
        Inputs.forgetInput(path)
        try save(model, to: path)
    }

    /// Loads any model, checking the file and the kind.
    public static func load(path: String) throws -> any PersonaModel {
        let (card, tensors) = try ModelFile.read(path: path)
        guard let family = ModelRegistry.family(kind: card.kind) else {
            throw PersonaError("\(path): a model of kind \"\(card.kind)\", which this release of Persona does not know. Upgrade Persona")
        }
        return try family.init(card: card, tensors: tensors, path: path)
    }

    /// Loads a model that must be of one family.
    public static func load<M: PersonaModel>(path: String, as type: M.Type, forCommand command: String) throws -> M {
        let (card, tensors) = try ModelFile.read(path: path)
        guard card.kind == M.kind else {
            throw PersonaError("\(path): is a \(card.kind) model, but `\(command)` needs a \(M.kind) model. Pass a model trained with `persona train \(M.kind)`")
        }
        return try M(card: card, tensors: tensors, path: path)
    }
}

extension JSONValue {
    /// A number, or null when it is not finite (JSON has no NaN or infinity).
    static func finite(_ v: Double?) -> JSONValue { v.map { $0.isFinite ? .number($0) : .null } ?? .null }
}
