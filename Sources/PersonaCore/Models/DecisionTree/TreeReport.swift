import Foundation

/// The tree's report: the diagram, importance, and the classifier or regression figures.
extension TreeModel: ReportFigures {
    func reportFigures(_ rows: EvaluatedRows?, options: EvaluationOptions) -> [Report.Figure] {
        guard case .leaves(let leaves, let labels)? = rows else { return [] }
        return TreeReport.figures(self, leaves: leaves, labels: labels, options: options)
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
            var probabilities: [[Double]] = [], actual: [Int] = [], predicted: [Int] = []
            for (i, leaf) in l.enumerated() {
                guard let s = labels[i], let a = m.classes.firstIndex(of: s) else { continue }
                probabilities.append(m.tree.value[leaf]); actual.append(a); predicted.append(m.predictedClass(leaf, threshold: nil))
            }
            figs += Report.multiclass(probabilities: probabilities, actual: actual, predicted: predicted, classes: m.classes,
                                      caption: "The most probable class of each row's leaf against its actual class.")
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

extension TreeModel: InspectionFacts {
    /// What `inspect` prints beside the card: depth, leaves, each column's
    /// share of the impurity decrease, and the rules `inspect --rules` prints (one line each).
    public func inspectionFacts() -> JSONValue {
        var facts: [String: JSONValue] = [
            "depth": .number(Double(depth)), "leaves": .number(Double(leaves)),
            "importance": .array(importances().filter { $0.1 > 0 }.map { .object(["feature": .string($0.0), "share": .number($0.1)]) }),
            "rules": .array(rules().split(separator: "\n").map { .string(String($0)) }),
        ]
        if task == .classification { facts["classes"] = .array(classes.map { .string($0) }) }
        return .object(facts)
    }
}
