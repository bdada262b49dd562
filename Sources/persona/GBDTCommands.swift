import ArgumentParser
import Foundation
import PersonaCore

/// Gradient-boosted trees at the command line.
enum GBDTCommands: FamilyCommands {
    typealias Model = GBDTModel
    static let abstract = "Predict churn, one of several classes, or a number with gradient-boosted trees: histogram boosting, leaf-wise, with early stopping."
    static let discussion = """
        By default a stratified, seeded tenth of the rows is held out and boosting
        stops when its loss has not improved for 20 rounds; the model keeps the
        best round, and the card records both loss curves. --early-stopping-rounds 0
        holds nothing out and keeps every tree (--trees of them).

        A target of more than two classes is boosted with softmax: each round grows
        one tree per class, scoring writes probability_<class> for each class and
        predicted (the most probable), and ONNX and SQL exports do the same.
        Reason codes (--explain, --contributions) cover two classes and regression.

        --mode rf grows a random forest on the same engine instead: 100 trees (--trees)
        of up to 1024 leaves, each on a bootstrap sample of the rows, each split
        choosing among about sqrt(columns) columns (--colsample-bynode), averaged;
        the card records the out-of-bag AUC (or R²), and the probability, ONNX, SQL
        and --explain all use the average. --validation FILE
        stops early on that file's rows instead, holding no training rows out. Categories are
        split natively; levels with fewer than --min-category-rows rows go with
        unseen ones, to the right of every split.

        Example:
          persona train gbdt --data churn.csv --target churned --out models/churn-gbdt.safetensors

        """
    static let validationHelp: String? = "Stop early on this file's rows (same columns as --data) instead of holding out --validation-fraction of the training rows."

    static func train(_ run: TrainingRun<GBDTConfig>) throws -> GBDTModel {
        guard let validation = run.validation else {
            return try GBDTModel.train(path: run.path, config: run.config, selection: run.selection, delimiter: run.delimiter, progress: Console.progress)
        }
        if run.config.isForest {
            throw ValidationError("--validation is for boosting's early stopping; a random forest (--mode rf) reports its out-of-bag score instead")
        }
        return try GBDTModel.train(path: run.path, validation: validation, config: run.config, selection: run.selection,
                                   delimiter: run.delimiter, progress: Console.progress)
    }

    static func summary(_ m: GBDTModel) -> [String] {
        let t = m.card.trainingMetrics
        var lines: [String] = []
        var line = "trained gbdt: \(m.treeCount) trees, \(m.card.trainingData.rows) rows, \(m.card.pipeline.columns.count) columns"
        if let best = t["best_iteration"]?.int { line += "; best round \(best) of \(t["rounds"]?.int ?? 0)" }
        lines.append(line)
        if let accuracy = t["validation_accuracy"]?.double {
            lines.append("validation accuracy \(formatNumber(accuracy, digits: 5)), training accuracy \(formatNumber(t["accuracy"]?.double ?? .nan, digits: 5)); \(m.classes.count) classes")
        } else if let accuracy = t["accuracy"]?.double, m.isMulticlass {
            lines.append("training accuracy \(formatNumber(accuracy, digits: 5)); \(m.classes.count) classes")
        } else if let auc = t["oob_auc"]?.double { lines.append("out-of-bag AUC \(formatNumber(auc, digits: 5)), training AUC \(formatNumber(t["auc"]?.double ?? .nan, digits: 5))") }
        else if let auc = t["validation_auc"]?.double { lines.append("validation AUC \(formatNumber(auc, digits: 5)), training AUC \(formatNumber(t["auc"]?.double ?? .nan, digits: 5))") }
        else if let auc = t["auc"]?.double { lines.append("training AUC \(formatNumber(auc, digits: 5))") }
        if let r2 = t["oob_r2"]?.double { lines.append("out-of-bag R² \(formatNumber(r2, digits: 5))") }
        else if let r2 = t["r2"]?.double { lines.append("training R² \(formatNumber(r2, digits: 5))") }
        return lines
    }
}

