import Foundation

/// A deterministic sample of row indices (all of them when there are few).
func reportSample(_ n: Int, _ size: Int, seed: UInt64) -> [Int] {
    guard n > size else { return Array(0..<n) }
    var rng = PersonaRandom(seed: seed, stream: 0x5E7)
    var idx = Array(0..<n)
    rng.shuffle(&idx)
    return Array(idx.prefix(size)).sorted()
}

private extension FloatMatrix {
    /// A matrix of the given rows, in that order.
    func selecting(rows idx: [Int]) -> FloatMatrix {
        var out = FloatMatrix(rows: idx.count, cols: cols)
        for (r, i) in idx.enumerated() { for j in 0..<cols { out.storage[r * cols + j] = storage[i * cols + j] } }
        return out
    }
}

enum TreeReport {
    static func figures(_ m: TreeModel, leaves l: [Int], labels: [String?], options: EvaluationOptions) -> [Report.Figure] {
        var figs: [Report.Figure] = []
        if m.task == .regression {
            let sample = reportSample(l.count, 2000, seed: options.seed)
            var pts: [(x: Double, y: Double)] = []
            for i in sample { if let s = labels[i], let v = NumberParser.parse(s) { pts.append((v, m.tree.value[l[i]][0])) } }
            let lo = min(pts.map(\.x).min() ?? 0, pts.map(\.y).min() ?? 0), hi = max(pts.map(\.x).max() ?? 1, pts.map(\.y).max() ?? 1)
            var plot = SVG.Plot(title: "Predicted against actual \(m.target)", xLabel: "actual \(m.target)", yLabel: "predicted \(m.target)")
            plot.xRange = lo...hi; plot.yRange = lo...hi
            plot.series = [SVG.Series("rows (\(pts.count) shown)", pts, kind: .points, color: SVG.palette[0]),
                           SVG.Series("perfect prediction", [(lo, lo), (hi, hi)], kind: .dashed, color: SVG.muted)]
            plot.legendAtBottomRight = false
            figs.append(Report.Figure(id: "predicted-actual", caption: "Each leaf predicts one value, so the points form horizontal bands.", svg: plot.render()))
        } else if let pos = m.positiveIndex {
            var p: [Double] = [], y: [Bool] = []
            for (i, leaf) in l.enumerated() { if let s = labels[i], m.classes.contains(s) { p.append(m.tree.value[leaf][pos]); y.append(s == m.classes[pos]) } }
            figs += Report.classifier(p: p, y: y, positive: m.classes[pos], negative: m.classes[1 - pos], target: m.target,
                                      threshold: options.threshold ?? 0.5)
        } else {
            let c = m.classes.count
            var counts = [[Int]](repeating: [Int](repeating: 0, count: c), count: c)
            for (i, leaf) in l.enumerated() { if let s = labels[i], let a = m.classes.firstIndex(of: s) { counts[a][m.predictedClass(leaf, threshold: nil)] += 1 } }
            figs.append(Report.Figure(id: "confusion", caption: "The most probable class of each row's leaf against its actual class.",
                                      svg: SVG.confusion(title: "Confusion matrix", classes: m.classes, counts: counts)))
            var roc = SVG.Plot(title: "ROC curves, each class against the rest", xLabel: "false positive rate (share of other classes flagged)",
                               yLabel: "true positive rate (share of the class caught)")
            roc.xRange = 0...1; roc.yRange = 0...1
            for (ci, cls) in m.classes.enumerated().prefix(SVG.palette.count) {
                var p: [Double] = [], y: [Bool] = []
                for (i, leaf) in l.enumerated() { if let s = labels[i], m.classes.contains(s) { p.append(m.tree.value[leaf][ci]); y.append(s == cls) } }
                let auc = ClassificationMetrics.rocAUC(p, y).map { " (AUC \(formatNumber($0, digits: 3)))" } ?? ""
                roc.series.append(SVG.Series(cls + auc, Report.curves(p, y).roc, color: SVG.palette[ci]))
            }
            roc.series.append(SVG.Series("random guess", [(0, 0), (1, 1)], kind: .dashed, color: SVG.muted))
            figs.append(Report.Figure(id: "roc", caption: "One curve per class: its probability ranks the rows of that class against all the others.", svg: roc.render()))
        }
        figs.append(Report.Figure(id: "importance", caption: "Share of the total impurity decrease from each column's splits.",
                                  svg: SVG.horizontalBars(title: "Feature importance", xLabel: "share of impurity decrease",
                                                          items: m.importances().filter { $0.1 > 0 })))
        figs.append(Report.Figure(id: "tree", caption: "The first \(diagramDepth) levels of the tree; a box shows its rows and the prediction there. Deeper parts are summarised.",
                                  svg: diagram(m), wide: true))
        return figs
    }

    static let diagramDepth = 4

    /// The tree drawn top-down: split boxes with their test, leaves with their prediction.
    static func diagram(_ m: TreeModel) -> String {
        let t = m.tree
        var slots: [Int: Double] = [:]       // node -> x slot
        var depthOf: [Int: Int] = [:]
        var next = 0.0
        func place(_ n: Int, _ d: Int) -> Double {
            depthOf[n] = d
            if t.feature[n] < 0 || d == diagramDepth { slots[n] = next; next += 1; return slots[n]! }
            let a = place(Int(t.left[n]), d + 1), b = place(Int(t.right[n]), d + 1)
            slots[n] = (a + b) / 2
            return slots[n]!
        }
        _ = place(0, 0)
        let boxW = 190.0, boxH = 62.0, gapX = 12.0, levelH = 100.0
        let width = max(560, next * (boxW + gapX) + 40), height = 60 + Double(min(m.depth, diagramDepth) + 1) * levelH
        func cx(_ n: Int) -> Double { 20 + slots[n]! * (boxW + gapX) + boxW / 2 }
        func cy(_ n: Int) -> Double { 44 + Double(depthOf[n]!) * levelH }
        var s = SVG.open(width, height, title: "Decision tree for \(m.target) (depth \(m.depth), \(m.leaves) leaves)")
        func shorten(_ s: String, _ n: Int) -> String { s.count <= n ? s : String(s.prefix(n - 1)) + "…" }
        func prediction(_ n: Int) -> String {
            if m.task == .regression { return "\(m.target) ≈ \(formatNumber(t.value[n][0], digits: 4))" }
            let c = m.predictedClass(n, threshold: nil)
            return "\(m.classes[c]) (\(formatNumber(t.value[n][c] * 100, digits: 3))%)"
        }
        for n in slots.keys.sorted() where t.feature[n] >= 0 && depthOf[n]! < diagramDepth {
            for (child, word) in [(Int(t.left[n]), "yes"), (Int(t.right[n]), "no")] {
                s += "<line x1=\"\(SVG.f(cx(n)))\" y1=\"\(SVG.f(cy(n) + boxH))\" x2=\"\(SVG.f(cx(child)))\" y2=\"\(SVG.f(cy(child)))\" stroke=\"#999999\"/>"
                s += "<text x=\"\(SVG.f((cx(n) + cx(child)) / 2 + (word == "yes" ? -14 : 14)))\" y=\"\(SVG.f((cy(n) + boxH + cy(child)) / 2))\" text-anchor=\"middle\" fill=\"#555555\" font-size=\"11\">\(word)</text>"
            }
        }
        for n in slots.keys.sorted() {
            let x = cx(n) - boxW / 2, y = cy(n)
            let isLeaf = t.feature[n] < 0
            let collapsed = !isLeaf && depthOf[n]! == diagramDepth
            let fill = isLeaf ? "#eef4fa" : collapsed ? "#f4f4f4" : "#fff8ee"
            s += "<g class=\"node\"><rect x=\"\(SVG.f(x))\" y=\"\(SVG.f(y))\" width=\"\(SVG.f(boxW))\" height=\"\(SVG.f(boxH))\" rx=\"5\" fill=\"\(fill)\" stroke=\"#888888\"/>"
            var lines: [String] = []
            if isLeaf { lines = ["→ " + prediction(n), "\(Int(t.samples[n])) rows"] }
            else if collapsed { lines = ["… a subtree", prediction(n), "\(Int(t.samples[n])) rows"] }
            else { lines = [m.condition(n, left: true) + " ?", prediction(n), "\(Int(t.samples[n])) rows"] }
            for (i, line) in lines.enumerated() {
                s += "<text x=\"\(SVG.f(cx(n)))\" y=\"\(SVG.f(y + 17 + Double(i) * 16))\" text-anchor=\"middle\" font-size=\"11\"\(i == 0 ? " font-weight=\"bold\"" : "")>\(SVG.escape(shorten(line, 32)))</text>"
            }
            s += "<title>\(SVG.escape(lines.joined(separator: "; ")))</title></g>"
        }
        return s + "</svg>"
    }
}

enum KMeansReport {
    static func figures(_ m: KMeansModel, x: FloatMatrix, options: EvaluationOptions) -> [Report.Figure] {
        let idx = reportSample(x.rows, 3000, seed: options.seed)
        let sample = x.selecting(rows: idx)
        let labels = m.assign(sample).segments
        let k = m.centres.rows
        let names = m.segmentNames.enumerated().map { $1 ?? "segment \($0)" }
        var figs: [Report.Figure] = []

        // elbow: inertia of k-means on the sample for k = 2...10 (and the model's k)
        var elbow: [(x: Double, y: Double)] = []
        for kk in Array(Set(Array(2...min(10, max(2, sample.rows - 1))) + [k])).sorted() where kk < sample.rows {
            var c = KMeansConfig(k: kk); c.seed = options.seed; c.restarts = 2
            if let r = try? KMeans.fit(sample, config: c) { elbow.append((Double(kk), r.inertia)) }
        }
        var elbowPlot = SVG.Plot(title: "Elbow: within-segment spread against k", xLabel: "number of segments k",
                                 yLabel: "inertia on \(sample.rows) rows (squared distance)")
        elbowPlot.series = [SVG.Series("k-means on the sample", elbow, color: SVG.palette[0])]
        if let mine = elbow.first(where: { Int($0.x) == k }) {
            elbowPlot.series.append(SVG.Series("this model's k = \(k)", [(mine.x, mine.y)], kind: .points, color: SVG.palette[2], radius: 6))
        }
        figs.append(Report.Figure(id: "elbow", caption: "Inertia falls as k grows; past the bend extra segments split real groups less than they split noise.", svg: elbowPlot.render()))

        // silhouette plot on a smaller sample
        let (sIdx, silValues) = ClusteringMetrics.silhouettes(sample, labels: labels, sample: 1200, seed: options.seed)
        let sl = sIdx.map { labels[$0] }
        let sil = silValues ?? sl.map { _ in 0 }
        var silPlot = SVG.Plot(title: "Silhouette of each customer, by segment", xLabel: "silhouette coefficient (-1 to 1; higher = better placed)",
                               yLabel: "")
        var y = 0.0
        var yLabels: [(Double, String)] = []
        for c in 0..<k {
            let values = sl.indices.filter { sl[$0] == Int32(c) }.map { sil[$0] }.sorted(by: >)
            if values.isEmpty { continue }
            let pts = values.enumerated().map { (x: $0.element, y: y + Double($0.offset)) }
            silPlot.series.append(SVG.Series("", pts, kind: .horizontalArea, color: SVG.palette[c % SVG.palette.count]))
            yLabels.append((y + Double(values.count) / 2, shortName(names[c])))
            y += Double(values.count) + 8
        }
        let mean = sil.isEmpty ? 0 : sil.reduce(0, +) / Double(sil.count)
        silPlot.series.append(SVG.Series("mean \(formatNumber(mean, digits: 3))", [(mean, 0), (mean, y)], kind: .dashed, color: "#222222"))
        silPlot.xRange = min(-0.2, (sil.min() ?? 0) - 0.05)...1
        silPlot.yRange = 0...max(1, y)
        silPlot.yTickLabels = yLabels
        silPlot.legendAtBottomRight = true
        figs.append(Report.Figure(id: "silhouette", caption: "For \(sIdx.count) sampled customers: how much closer each is to its own segment than to the next one. Wide, positive shapes are well separated segments.", svg: silPlot.render()))

        // 2-D projection on the first two principal components
        let (axes, explained) = principalAxes(sample)
        var proj = SVG.Plot(title: "Segments on the first two principal components", xLabel: "PC 1 (\(formatNumber(explained.0 * 100, digits: 3))% of variance)",
                            yLabel: "PC 2 (\(formatNumber(explained.1 * 100, digits: 3))% of variance)")
        let d = sample.cols
        func project(_ row: UnsafePointer<Float>) -> (x: Double, y: Double) {
            var a = 0.0, b = 0.0
            for j in 0..<d { a += Double(row[j]) * axes.0[j]; b += Double(row[j]) * axes.1[j] }
            return (a, b)
        }
        var points = [[(x: Double, y: Double)]](repeating: [], count: k)
        sample.storage.withUnsafeBufferPointer { p in
            for r in 0..<sample.rows { points[Int(labels[r])].append(project(p.baseAddress! + r * d)) }
        }
        for c in 0..<k { proj.series.append(SVG.Series(shortName(names[c]), points[c], kind: .points, color: SVG.palette[c % SVG.palette.count])) }
        var centres: [(x: Double, y: Double)] = []
        m.centres.storage.withUnsafeBufferPointer { p in for c in 0..<k { centres.append(project(p.baseAddress! + c * d)) } }
        proj.series.append(SVG.Series("segment centres", centres, kind: .points, color: "#000000", radius: 5))
        figs.append(Report.Figure(id: "projection", caption: "\(sample.rows) sampled customers in the standardised feature space, projected on the two directions of largest variance (PCA through LAPACK).", svg: proj.render()))

        // segment profiles: each segment's centre on the numeric columns, in standard deviations
        let pipe = m.card.pipeline
        let offsets = pipe.columnOffsets
        let numeric = pipe.columns.indices.filter { pipe.columns[$0].type != .categorical }
        var heat: [[Double]] = []
        var values: [[String]] = []
        for c in 0..<k {
            heat.append(numeric.map { Double(m.centres.storage[c * d + offsets[$0]]) })
            values.append(numeric.map { j in
                let col = pipe.columns[j]
                return formatNumber(Double(m.centres.storage[c * d + offsets[j]]) * col.scale + col.center, digits: 4)
            })
        }
        figs.append(Report.Figure(id: "profiles", caption: "Each segment's centre on every numeric column: the value in original units, shaded by how far it sits from the average customer (blue above, red below, in standard deviations).",
                                  svg: profileHeatmap(segments: names.map(shortName), columns: numeric.map { pipe.columns[$0].name }, z: heat, values: values)))
        return figs
    }

    static func shortName(_ s: String) -> String { s.count <= 26 ? s : String(s.prefix(25)) + "…" }

    /// The two leading eigenvectors of the sample covariance (SYRK, then LAPACK syev) and their shares of the variance.
    static func principalAxes(_ x: FloatMatrix) -> (([Double], [Double]), (Double, Double)) {
        let n = x.rows, d = x.cols
        var mean = [Double](repeating: 0, count: d)
        for r in 0..<n { for j in 0..<d { mean[j] += Double(x.storage[r * d + j]) } }
        for j in 0..<d { mean[j] /= Double(max(1, n)) }
        var centred = DoubleMatrix(rows: n, cols: d)
        for r in 0..<n { for j in 0..<d { centred.storage[r * d + j] = Double(x.storage[r * d + j]) - mean[j] } }
        var cov = DoubleMatrix(rows: d, cols: d)
        BLAS.syrk(centred, into: &cov, alpha: 1 / Double(max(1, n - 1)))
        var w = [Double](repeating: 0, count: d)
        let info = cov.storage.withUnsafeMutableBufferPointer { c in w.withUnsafeMutableBufferPointer { Double._syev(d, c.baseAddress!, $0.baseAddress!) } }
        guard info == 0, d >= 2 else {
            return (([Double](repeating: 0, count: d), [Double](repeating: 0, count: d)), (0, 0))
        }
        // eigenvalues ascending; row-major eigenvectors are the columns
        let first = (0..<d).map { cov.storage[$0 * d + d - 1] }, second = (0..<d).map { cov.storage[$0 * d + d - 2] }
        let total = max(1e-12, w.reduce(0, +))
        return ((first, second), (w[d - 1] / total, w[d - 2] / total))
    }

    static func profileHeatmap(segments: [String], columns: [String], z: [[Double]], values: [[String]]) -> String {
        let cellW = 92.0, cellH = 30.0, left = 190.0, top = 120.0
        let width = max(560, left + cellW * Double(columns.count) + 90), height = top + cellH * Double(segments.count) + 50
        var s = SVG.open(width, height, title: "Segment profiles (centres on the numeric columns)")
        for (j, c) in columns.enumerated() {
            let x = left + (Double(j) + 0.5) * cellW
            s += "<text transform=\"translate(\(SVG.f(x)) \(SVG.f(top - 8))) rotate(-35)\" text-anchor=\"start\">\(SVG.escape(shortName(c)))</text>"
        }
        for (i, seg) in segments.enumerated() {
            let y = top + Double(i) * cellH
            s += "<text x=\"\(SVG.f(left - 8))\" y=\"\(SVG.f(y + cellH / 2 + 4))\" text-anchor=\"end\">\(SVG.escape(seg))</text>"
            for j in columns.indices {
                let v = max(-2, min(2, z[i][j]))
                let color = v >= 0 ? "78,121,167" : "225,87,89"
                s += "<rect class=\"cell\" x=\"\(SVG.f(left + Double(j) * cellW))\" y=\"\(SVG.f(y))\" width=\"\(SVG.f(cellW))\" height=\"\(SVG.f(cellH))\" fill=\"rgb(\(color))\" fill-opacity=\"\(SVG.f(abs(v) / 2 * 0.85))\" stroke=\"#ffffff\"/>"
                s += "<text x=\"\(SVG.f(left + (Double(j) + 0.5) * cellW))\" y=\"\(SVG.f(y + cellH / 2 + 4))\" text-anchor=\"middle\" font-size=\"11\">\(SVG.escape(values[i][j]))</text>"
            }
        }
        s += "<text x=\"\(SVG.f(width / 2))\" y=\"\(SVG.f(height - 14))\" text-anchor=\"middle\" fill=\"#444444\">cell: the segment's centre in original units; shade: standard deviations from the average (blue above, red below, full at ±2)</text>"
        return s + "</svg>"
    }
}

enum ALSReport {
    static func figures(_ m: ALSModel, test: Interactions, options: EvaluationOptions) -> [Report.Figure] {
        let (users, relevant, _) = RankingEvaluation.heldOut(model: m, test: test)
        guard !users.isEmpty else { return [] }
        let maxK = min(20, m.itemIds.count)
        var precision = [[Double]](repeating: [Double](repeating: 0, count: maxK), count: 2)
        var recall = precision
        let order = m.popularity.indices.sorted { m.popularity[$0] != m.popularity[$1] ? m.popularity[$0] > m.popularity[$1] : $0 < $1 }
        var rank = [Int](repeating: 0, count: m.itemIds.count)
        for (r, i) in order.enumerated() { rank[i] = r }
        var decileShare = [[Double]](repeating: [Double](repeating: 0, count: 10), count: 2)
        let cut = min(options.k, maxK)
        RankingEvaluation.forEachList(model: m, users: users, n: maxK) { u, ours, popular in
            let rel = relevant[u]
            for (s, items) in [ours, popular].enumerated() {
                var hits = 0
                for k in 0..<maxK {
                    if k < items.count && rel.contains(items[k]) { hits += 1 }
                    precision[s][k] += Double(hits) / Double(k + 1)
                    recall[s][k] += Double(hits) / Double(rel.count)
                }
                for i in items.prefix(cut) { decileShare[s][min(9, rank[i] * 10 / m.itemIds.count)] += 1 }
            }
        }
        let n = Double(users.count)
        func line(_ v: [Double]) -> [(x: Double, y: Double)] { v.enumerated().map { (Double($0.offset + 1), $0.element / n) } }
        var figs: [Report.Figure] = []
        for (id, name, values) in [("precision-at-k", "precision", precision), ("recall-at-k", "recall", recall)] {
            var plot = SVG.Plot(title: "\(name.capitalized) at k: model against most popular", xLabel: "k (items recommended per user)",
                                yLabel: "\(name) at k (mean over \(users.count) users)")
            plot.xRange = 1...Double(maxK)
            plot.yRange = 0...max(1e-9, values.flatMap { $0 }.max().map { $0 / n * 1.08 } ?? 1)
            plot.series = [SVG.Series("ALS model", line(values[0]), color: SVG.palette[0]),
                           SVG.Series("most popular (baseline)", line(values[1]), kind: .dashed, color: SVG.muted)]
            plot.legendAtBottomRight = name == "recall"
            figs.append(Report.Figure(id: id, caption: "Held-out items of each user found in the top k, seen items excluded, beside recommending the most popular unseen items.", svg: plot.render()))
        }
        let totals = decileShare.map { max(1, $0.reduce(0, +)) }
        let bars = SVG.Bars(title: "Popularity of recommended items (top \(cut))", xLabel: "item popularity decile of the catalogue (1 = most popular tenth)",
                            yLabel: "share of recommendations (%)", categories: (1...10).map(String.init),
                            series: [("ALS model", decileShare[0].map { $0 / totals[0] * 100 }, SVG.palette[0]),
                                     ("most popular (baseline)", decileShare[1].map { $0 / totals[1] * 100 }, SVG.muted)])
        figs.append(Report.Figure(id: "popularity", caption: "Where the recommended items sit in the popularity ranking: a model that reaches beyond the head of the catalogue spreads to the right.", svg: bars.render()))
        return figs
    }
}
