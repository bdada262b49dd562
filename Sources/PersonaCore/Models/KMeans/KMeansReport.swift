import Foundation

/// The segmentation report: elbow, silhouettes, segment profiles and a PCA projection.
extension KMeansModel: ReportFigures {
    func reportFigures(_ rows: EvaluatedRows?, options: EvaluationOptions) -> [Report.Figure] {
        guard case .encoded(let x)? = rows else { return [] }
        return KMeansReport.figures(self, x: x, options: options)
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

extension KMeansModel: InspectionFacts {
    /// The segments `inspect` prints: rows, share, name and centre in original
    /// units (numbers as numbers; a category as the share of each level).
    public func inspectionFacts() -> JSONValue {
        let total = Double(max(1, clusterSizes.reduce(0, +)))
        let segments = (0..<k).map { c -> JSONValue in
            var centre: [String: JSONValue] = [:]
            for (col, offset) in zip(card.pipeline.columns, card.pipeline.columnOffsets) {
                if col.type == .categorical {
                    let levels = (col.levels ?? []) + ["<other>"]
                    centre[col.name] = .object(Dictionary(uniqueKeysWithValues: levels.enumerated().map { ($1, JSONValue.finite(Double(centres[c, offset + $0]))) }))
                } else {
                    centre[col.name] = .finite(Double(centres[c, offset]) * col.scale + col.center)
                }
            }
            var o: [String: JSONValue] = ["segment": .number(Double(c)), "rows": .number(Double(clusterSizes[c])),
                                          "share": .number(Double(clusterSizes[c]) / total), "centre": .object(centre)]
            if let name = segmentNames[c] { o["name"] = .string(name) }
            return .object(o)
        }
        return .object(["segments": .array(segments)])
    }
}
