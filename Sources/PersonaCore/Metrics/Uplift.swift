/// Uplift metrics for one treatment against control, defined as scikit-uplift
/// defines them (`sklift.metrics`), so that the numbers agree on the same scores.
///
/// Rows are ranked by predicted uplift, highest first. At each distinct score,
/// with n_t and n_c treated and control rows ranked so far, y_t and y_c their
/// responders and n = n_t + n_c:
/// - the **uplift curve** is (y_t / n_t - y_c / n_c) * n (a term is 0 while its arm is empty);
/// - the **Qini curve** is y_t - y_c * n_t / n_c (0 while n_c is 0).
/// Each curve starts at (0, 0). Its area (trapezoids) less the area under the
/// straight line from (0, 0) to its end, over the same for the perfect ranking,
/// is `uplift_auc` and `qini_auc`. The perfect uplift ranking puts treated
/// responders and control non-responders first (`perfect_uplift_curve`); the
/// perfect Qini ranking scores each row y * t - y * (1 - t) (`negative_effect=True`).
public enum UpliftMetrics {
    public struct Curve: Sendable {
        public var x: [Double]
        public var y: [Double]
    }

    /// Row order by score, highest first, ties in reverse row order (numpy's
    /// stable argsort, reversed, as scikit-uplift ranks).
    static func order(_ score: [Double]) -> [Int] {
        let ascending = score.indices.sorted { score[$0] < score[$1] || (score[$0] == score[$1] && $0 < $1) }
        return ascending.reversed()
    }

    static func curve(_ y: [Bool], _ score: [Double], _ treated: [Bool], qini: Bool) -> Curve {
        let idx = order(score)
        var xs: [Double] = [], ys: [Double] = []
        var nt = 0.0, yt = 0.0, yc = 0.0
        for (k, i) in idx.enumerated() {
            if treated[i] { nt += 1; if y[i] { yt += 1 } } else if y[i] { yc += 1 }
            let last = k == idx.count - 1
            if !last && score[idx[k + 1]] == score[i] { continue }
            let n = Double(k + 1), nc = n - nt
            let value: Double
            if qini {
                value = yt - yc * (nc != 0 ? nt / nc : 0)
            } else {
                value = ((nt != 0 ? yt / nt : 0) - (nc != 0 ? yc / nc : 0)) * n
            }
            xs.append(n); ys.append(value)
        }
        if xs.isEmpty || ys[0] != 0 || xs[0] != 0 { xs.insert(0, at: 0); ys.insert(0, at: 0) }
        return Curve(x: xs, y: ys)
    }

    public static func upliftCurve(_ y: [Bool], _ score: [Double], _ treated: [Bool]) -> Curve { curve(y, score, treated, qini: false) }
    public static func qiniCurve(_ y: [Bool], _ score: [Double], _ treated: [Bool]) -> Curve { curve(y, score, treated, qini: true) }

    static func area(_ c: Curve) -> Double {
        var a = 0.0
        for i in 1..<max(1, c.x.count) { a += (c.x[i] - c.x[i - 1]) * (c.y[i] + c.y[i - 1]) / 2 }
        return a
    }

    static func normalised(actual: Curve, perfect: Curve) -> Double {
        let baseline = perfect.x.last! * perfect.y.last! / 2
        return (area(actual) - baseline) / (area(perfect) - baseline)
    }

    public static func perfectUpliftCurve(_ y: [Bool], _ treated: [Bool]) -> Curve {
        var controlResponders = 0, treatedNonResponders = 0
        for i in y.indices {
            if y[i] && !treated[i] { controlResponders += 1 }
            if !y[i] && treated[i] { treatedNonResponders += 1 }
        }
        let byOutcome = controlResponders > treatedNonResponders
        let perfect = y.indices.map { i in 2 * (y[i] == treated[i] ? 1.0 : 0) + ((byOutcome ? y[i] : treated[i]) ? 1 : 0) }
        return upliftCurve(y, perfect, treated)
    }

    public static func perfectQiniCurve(_ y: [Bool], _ treated: [Bool]) -> Curve {
        let perfect = y.indices.map { i in y[i] ? (treated[i] ? 1.0 : -1) : 0 }
        return qiniCurve(y, perfect, treated)
    }

    public static func upliftAUC(_ y: [Bool], _ score: [Double], _ treated: [Bool]) -> Double {
        normalised(actual: upliftCurve(y, score, treated), perfect: perfectUpliftCurve(y, treated))
    }

    public static func qiniAUC(_ y: [Bool], _ score: [Double], _ treated: [Bool]) -> Double {
        normalised(actual: qiniCurve(y, score, treated), perfect: perfectQiniCurve(y, treated))
    }

    /// The response rate of treated minus control rows among the top share `k`
    /// of rows ranked by score (`uplift_at_k(strategy="overall")`); nil when an arm is absent there.
    public static func upliftAtK(_ y: [Bool], _ score: [Double], _ treated: [Bool], k: Double) -> Double? {
        let n = Int(Double(y.count) * k)
        var nt = 0.0, yt = 0.0, nc = 0.0, yc = 0.0
        for i in order(score).prefix(n) {
            if treated[i] { nt += 1; if y[i] { yt += 1 } } else { nc += 1; if y[i] { yc += 1 } }
        }
        guard nt > 0 && nc > 0 else { return nil }
        return yt / nt - yc / nc
    }

    public struct Bin: Sendable {
        public var nTreated: Int, nControl: Int
        public var rateTreated: Double?, rateControl: Double?
        public var uplift: Double? {
            guard let t = rateTreated, let c = rateControl else { return nil }
            return t - c
        }
        public var meanPredicted: Double
    }

    /// Rows ranked by score cut into `bins` parts (the first parts one row larger
    /// when they do not divide evenly, as numpy's `array_split`), each with its
    /// observed uplift (`uplift_by_percentile(strategy="overall")`).
    public static func byPercentile(_ y: [Bool], _ score: [Double], _ treated: [Bool], bins: Int = 10) -> [Bin] {
        let idx = order(score)
        let n = idx.count, base = n / bins, extra = n % bins
        var out: [Bin] = [], start = 0
        for b in 0..<bins {
            let size = base + (b < extra ? 1 : 0)
            var nt = 0, nc = 0, yt = 0, yc = 0, sum = 0.0
            for i in idx[start..<(start + size)] {
                sum += score[i]
                if treated[i] { nt += 1; if y[i] { yt += 1 } } else { nc += 1; if y[i] { yc += 1 } }
            }
            out.append(Bin(nTreated: nt, nControl: nc, rateTreated: nt > 0 ? Double(yt) / Double(nt) : nil,
                           rateControl: nc > 0 ? Double(yc) / Double(nc) : nil, meanPredicted: size > 0 ? sum / Double(size) : .nan))
            start += size
        }
        return out
    }
}
