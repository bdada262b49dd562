#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Binary classification metrics from predicted positive-class probabilities.
/// Definitions follow scikit-learn's (roc_auc_score, average_precision_score,
/// log_loss, brier_score_loss), so results can be compared directly.
public enum ClassificationMetrics {
    /// Indices sorted by score, highest first (ties in index order, for determinism).
    static func descending(_ p: [Double]) -> [Int] {
        p.indices.sorted { p[$0] != p[$1] ? p[$0] > p[$1] : $0 < $1 }
    }

    /// Area under the ROC curve; tied scores contribute a trapezoid. Nil with one class.
    public static func rocAUC(_ p: [Double], _ y: [Bool]) -> Double? {
        let order = descending(p)
        let positives = y.filter { $0 }.count, negatives = y.count - positives
        if positives == 0 || negatives == 0 { return nil }
        var tp = 0.0, fp = 0.0, area = 0.0
        var i = 0
        while i < order.count {
            let s = p[order[i]]
            var dtp = 0.0, dfp = 0.0
            while i < order.count && p[order[i]] == s { if y[order[i]] { dtp += 1 } else { dfp += 1 }; i += 1 }
            area += dfp * (tp + dtp / 2)
            tp += dtp; fp += dfp
        }
        return area / (Double(positives) * Double(negatives))
    }

    /// Average precision: Σ (R_k − R_{k−1}) P_k over the distinct score thresholds.
    public static func averagePrecision(_ p: [Double], _ y: [Bool]) -> Double? {
        let order = descending(p)
        let positives = y.filter { $0 }.count
        if positives == 0 { return nil }
        var tp = 0.0, seen = 0.0, ap = 0.0, lastRecall = 0.0
        var i = 0
        while i < order.count {
            let s = p[order[i]]
            while i < order.count && p[order[i]] == s { if y[order[i]] { tp += 1 }; seen += 1; i += 1 }
            let recall = tp / Double(positives)
            ap += (recall - lastRecall) * (tp / seen)
            lastRecall = recall
        }
        return ap
    }

    public static func logLoss(_ p: [Double], _ y: [Bool]) -> Double {
        let eps = Double.ulpOfOne
        var total = 0.0
        for (q, t) in zip(p, y) {
            let c = min(max(q, eps), 1 - eps)
            total -= t ? log(c) : log1p(-c)
        }
        return total / Double(max(1, p.count))
    }

    public static func brier(_ p: [Double], _ y: [Bool]) -> Double {
        var total = 0.0
        for (q, t) in zip(p, y) { let d = q - (t ? 1 : 0); total += d * d }
        return total / Double(max(1, p.count))
    }

    public struct Confusion: Equatable {
        public var tp = 0, fp = 0, tn = 0, fn = 0
        public var accuracy: Double { Double(tp + tn) / Double(max(1, tp + fp + tn + fn)) }
        public var precision: Double { tp + fp == 0 ? 0 : Double(tp) / Double(tp + fp) }
        public var recall: Double { tp + fn == 0 ? 0 : Double(tp) / Double(tp + fn) }
        public var f1: Double { tp == 0 ? 0 : 2 * Double(tp) / Double(2 * tp + fp + fn) }
    }

    /// Rows with probability >= threshold are called positive.
    public static func confusion(_ p: [Double], _ y: [Bool], threshold: Double) -> Confusion {
        var c = Confusion()
        for (q, t) in zip(p, y) {
            switch (q >= threshold, t) {
            case (true, true): c.tp += 1
            case (true, false): c.fp += 1
            case (false, false): c.tn += 1
            case (false, true): c.fn += 1
            }
        }
        return c
    }

    /// The counts of predictions made otherwise than by a threshold (a tree's
    /// likelier class, a tie going to the first class).
    public static func confusion(predicted: [Bool], _ y: [Bool]) -> Confusion {
        var c = Confusion()
        for (q, t) in zip(predicted, y) {
            switch (q, t) {
            case (true, true): c.tp += 1
            case (true, false): c.fp += 1
            case (false, false): c.tn += 1
            case (false, true): c.fn += 1
            }
        }
        return c
    }

    /// The threshold (one of the scores) that maximises F1, with that F1.
    public static func bestF1(_ p: [Double], _ y: [Bool]) -> (threshold: Double, f1: Double, precision: Double, recall: Double) {
        let order = descending(p)
        let positives = y.filter { $0 }.count
        var tp = 0, fp = 0
        var best = (threshold: 0.5, f1: 0.0, precision: 0.0, recall: 0.0)
        var i = 0
        while i < order.count {
            let s = p[order[i]]
            while i < order.count && p[order[i]] == s { if y[order[i]] { tp += 1 } else { fp += 1 }; i += 1 }
            let f1 = tp == 0 ? 0 : 2 * Double(tp) / Double(tp + fp + positives)
            if f1 > best.f1 {
                best = (s, f1, Double(tp) / Double(tp + fp), positives == 0 ? 0 : Double(tp) / Double(positives))
            }
        }
        return best
    }

    public struct GainsRow {
        public var decile: Int, rows: Int, positives: Int
        public var cumulativeShare: Double    // share of all positives in deciles 1...decile
        public var lift: Double               // positive rate in this decile / overall rate
        public var cumulativeLift: Double
        public var minProbability: Double
    }

    /// Cumulative gains and lift by decile of predicted risk (decile 1 = highest).
    public static func gains(_ p: [Double], _ y: [Bool]) -> [GainsRow] {
        let order = descending(p)
        let n = order.count
        let positives = y.filter { $0 }.count
        let base = Double(positives) / Double(max(1, n))
        var rows: [GainsRow] = []
        var cumulative = 0, cumulativeRows = 0
        for d in 0..<10 {
            let range = (n * d / 10)..<(n * (d + 1) / 10)
            if range.isEmpty { continue }
            let pos = range.filter { y[order[$0]] }.count
            cumulative += pos; cumulativeRows += range.count
            rows.append(GainsRow(decile: d + 1, rows: range.count, positives: pos,
                                 cumulativeShare: positives == 0 ? 0 : Double(cumulative) / Double(positives),
                                 lift: base == 0 ? 0 : Double(pos) / Double(range.count) / base,
                                 cumulativeLift: base == 0 ? 0 : Double(cumulative) / Double(cumulativeRows) / base,
                                 minProbability: p[order[range.upperBound - 1]]))
        }
        return rows
    }

    public struct CalibrationRow { public var low: Double, high: Double, rows: Int, meanPredicted: Double, observedRate: Double }

    /// Ten equal-width bins of predicted probability: mean prediction against the observed rate.
    public static func calibration(_ p: [Double], _ y: [Bool], bins: Int = 10) -> [CalibrationRow] {
        var count = [Int](repeating: 0, count: bins), sum = [Double](repeating: 0, count: bins), pos = [Int](repeating: 0, count: bins)
        for (q, t) in zip(p, y) {
            let b = min(bins - 1, max(0, Int(q * Double(bins))))
            count[b] += 1; sum[b] += q; if t { pos[b] += 1 }
        }
        return (0..<bins).filter { count[$0] > 0 }.map { b in
            CalibrationRow(low: Double(b) / Double(bins), high: Double(b + 1) / Double(bins), rows: count[b],
                           meanPredicted: sum[b] / Double(count[b]), observedRate: Double(pos[b]) / Double(count[b]))
        }
    }

    /// Everything `persona evaluate` reports for a binary classifier, as JSON.
    public static func report(_ p: [Double], _ y: [Bool], threshold: Double) -> JSONValue {
        func num(_ v: Double?) -> JSONValue { v.map { .number($0) } ?? .null }
        let c = confusion(p, y, threshold: threshold)
        let best = bestF1(p, y)
        let bestConfusion = confusion(p, y, threshold: best.threshold)
        return .object([
            "rows": .number(Double(p.count)),
            "positives": .number(Double(y.filter { $0 }.count)),
            "auc": num(rocAUC(p, y)),
            "pr_auc": num(averagePrecision(p, y)),
            "log_loss": .number(logLoss(p, y)),
            "brier": .number(brier(p, y)),
            "threshold": .number(threshold),
            "accuracy": .number(c.accuracy),
            "precision": .number(c.precision),
            "recall": .number(c.recall),
            "f1": .number(c.f1),
            "confusion_matrix": .object(["tp": .number(Double(c.tp)), "fp": .number(Double(c.fp)),
                                         "tn": .number(Double(c.tn)), "fn": .number(Double(c.fn))]),
            "best_f1": .object(["threshold": .number(best.threshold), "f1": .number(best.f1),
                                "precision": .number(best.precision), "recall": .number(best.recall),
                                "accuracy": .number(bestConfusion.accuracy)]),
            "gains": .array(gains(p, y).map { g in .object([
                "decile": .number(Double(g.decile)), "rows": .number(Double(g.rows)), "positives": .number(Double(g.positives)),
                "cumulative_share": .number(g.cumulativeShare), "lift": .number(g.lift),
                "cumulative_lift": .number(g.cumulativeLift), "min_probability": .number(g.minProbability)]) }),
            "calibration": .array(calibration(p, y).map { b in .object([
                "low": .number(b.low), "high": .number(b.high), "rows": .number(Double(b.rows)),
                "mean_predicted": .number(b.meanPredicted), "observed_rate": .number(b.observedRate)]) }),
        ])
    }

    /// The terminal view of `report`: headline metrics, confusion matrix, and
    /// a lift bar chart by decile.
    public static func render(_ m: JSONValue, positive: String) -> String {
        var lines: [String] = []
        func f(_ k: String) -> String { m[k]?.double.map { formatNumber($0, digits: 4) } ?? "n/a" }
        lines.append("\(m["rows"]?.int ?? 0) rows, \(m["positives"]?.int ?? 0) positive (\(positive))")
        lines.append("AUC \(f("auc"))   PR AUC \(f("pr_auc"))   log loss \(f("log_loss"))   Brier \(f("brier"))")
        lines.append("at threshold \(f("threshold")): accuracy \(f("accuracy"))  precision \(f("precision"))  recall \(f("recall"))  F1 \(f("f1"))")
        if let b = m["best_f1"] {
            let g = { (k: String) in b[k]?.double.map { formatNumber($0, digits: 4) } ?? "" }
            lines.append("best F1 \(g("f1")) at threshold \(g("threshold")) (precision \(g("precision")), recall \(g("recall")))")
        }
        if let c = m["confusion_matrix"] {
            let v = { (k: String) in String(c[k]?.int ?? 0) }
            let w = max(11, [v("tp"), v("fp"), v("tn"), v("fn")].map(\.count).max() ?? 11)
            lines.append("")
            lines.append("confusion matrix      " + "predicted +".leftPadded(w + 3) + "predicted -".leftPadded(w + 3))
            lines.append("  actual +            " + v("tp").leftPadded(w + 3) + v("fn").leftPadded(w + 3))
            lines.append("  actual -            " + v("fp").leftPadded(w + 3) + v("tn").leftPadded(w + 3))
        }
        if let gains = m["gains"]?.array, !gains.isEmpty {
            lines.append("")
            lines.append("decile    rows  positives  captured     lift")
            let maxLift = gains.compactMap { $0["lift"]?.double }.max() ?? 1
            for g in gains {
                let lift = g["lift"]?.double ?? 0
                let bar = String(repeating: "█", count: Int((lift / max(maxLift, 1e-9) * 24).rounded()))
                lines.append(String(g["decile"]?.int ?? 0).leftPadded(6) + String(g["rows"]?.int ?? 0).leftPadded(8)
                             + String(g["positives"]?.int ?? 0).leftPadded(11)
                             + (formatNumber((g["cumulative_share"]?.double ?? 0) * 100, digits: 3) + "%").leftPadded(10)
                             + formatNumber(lift, digits: 3).leftPadded(9) + "  " + bar)
            }
        }
        if let cal = m["calibration"]?.array, !cal.isEmpty {
            lines.append("")
            lines.append("calibration: predicted  observed  rows")
            for b in cal {
                lines.append("  " + (formatNumber(b["low"]?.double ?? 0, digits: 2) + "-" + formatNumber(b["high"]?.double ?? 0, digits: 2)).leftPadded(9)
                             + formatNumber(b["mean_predicted"]?.double ?? 0, digits: 3).leftPadded(11)
                             + formatNumber(b["observed_rate"]?.double ?? 0, digits: 3).leftPadded(10)
                             + String(b["rows"]?.int ?? 0).leftPadded(6))
            }
        }
        return lines.joined(separator: "\n")
    }
}
