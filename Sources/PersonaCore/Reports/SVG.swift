import Foundation

/// Small, dependency-free SVG charts for the HTML reports: every chart has a
/// title, labelled axes with units, ticks at round numbers and a legend, and
/// is valid standalone XML.
public enum SVG {
    public static let palette = ["#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1", "#ff9da7", "#9c755f", "#bab0ac"]
    static let muted = "#888888"

    public static func escape(_ s: String) -> String {
        var out = ""
        for ch in s {
            switch ch {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&apos;"
            default:
                if let a = ch.asciiValue, a < 32, a != 9, a != 10, a != 13 { continue }   // not allowed in XML 1.0
                out.append(ch)
            }
        }
        return out
    }

    static func f(_ v: Double) -> String {
        guard v.isFinite else { return "0" }
        let r = (v * 100).rounded() / 100
        return r == r.rounded() ? String(Int(r)) : String(format: "%.2f", r)
    }

    /// Round tick values covering lo...hi (about `count` of them).
    static func ticks(_ lo: Double, _ hi: Double, count: Int = 5) -> [Double] {
        guard hi > lo, lo.isFinite, hi.isFinite else { return [lo] }
        let raw = (hi - lo) / Double(count)
        let mag = pow(10, floor(log10(raw)))
        let step = [1.0, 2, 2.5, 5, 10].map { $0 * mag }.first { $0 >= raw } ?? 10 * mag
        var out: [Double] = []
        var t = (lo / step).rounded(.up) * step
        while t <= hi + step * 1e-9 { out.append(abs(t) < step * 1e-9 ? 0 : t); t += step }
        return out
    }

    static func label(_ v: Double) -> String {
        if v == 0 { return "0" }
        let a = abs(v)
        if a >= 1e6 || a < 1e-3 { return String(format: "%.1e", v) }
        if v == v.rounded() { return String(Int(v)) }
        var s = String(format: "%.3f", v)
        while s.hasSuffix("0") { s.removeLast() }
        if s.hasSuffix(".") { s.removeLast() }
        return s
    }

    static func open(_ width: Double, _ height: Double, title: String) -> String {
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 \(f(width)) \(f(height))\" width=\"\(f(width))\" height=\"\(f(height))\" role=\"img\" aria-label=\"\(escape(title))\" font-family=\"Helvetica, Arial, sans-serif\" font-size=\"12\">"
            + "<title>\(escape(title))</title>"
            + "<rect width=\"100%\" height=\"100%\" fill=\"#ffffff\"/>"
            + "<text x=\"\(f(width / 2))\" y=\"20\" text-anchor=\"middle\" font-size=\"15\" font-weight=\"bold\">\(escape(title))</text>"
    }

    /// The width a legend of these labels takes.
    static func legendWidth(_ items: [(String, String, Bool)]) -> Double { 24 + Double(items.map(\.0.count).max() ?? 0) * 6.6 }

    /// A legend box: a line sample (dashed when asked) and a label per item.
    static func legend(_ items: [(String, String, Bool)], x: Double, y: Double) -> String {
        var s = "<g class=\"legend\">"
        let width = legendWidth(items)
        s += "<rect x=\"\(f(x - 6))\" y=\"\(f(y - 12))\" width=\"\(f(width + 12))\" height=\"\(f(Double(items.count) * 18 + 6))\" fill=\"#ffffff\" fill-opacity=\"0.85\" stroke=\"#dddddd\"/>"
        for (i, item) in items.enumerated() {
            let yy = y + Double(i) * 18
            s += "<line x1=\"\(f(x))\" y1=\"\(f(yy - 4))\" x2=\"\(f(x + 16))\" y2=\"\(f(yy - 4))\" stroke=\"\(item.1)\" stroke-width=\"3\"\(item.2 ? " stroke-dasharray=\"4 3\"" : "")/>"
            s += "<text x=\"\(f(x + 22))\" y=\"\(f(yy))\">\(escape(item.0))</text>"
        }
        return s + "</g>"
    }

    /// The x-axis title under the plot area and the y-axis title beside it.
    static func axisTitles(_ xLabel: String, _ yLabel: String, left: Double, top: Double, pw: Double, ph: Double, height: Double) -> String {
        "<text x=\"\(f(left + pw / 2))\" y=\"\(f(height - 12))\" text-anchor=\"middle\">\(escape(xLabel))</text>"
            + "<text transform=\"translate(16 \(f(top + ph / 2))) rotate(-90)\" text-anchor=\"middle\">\(escape(yLabel))</text>"
    }

    // MARK: x-y plots

    public struct Series {
        public enum Kind { case line, dashed, points, step, horizontalArea }
        public var name: String
        public var points: [(x: Double, y: Double)]
        public var kind: Kind
        public var color: String
        public var radius = 2.2
        public init(_ name: String, _ points: [(x: Double, y: Double)], kind: Kind = .line, color: String, radius: Double = 2.2) {
            self.name = name; self.points = points; self.kind = kind; self.color = color; self.radius = radius
        }
    }

    /// A numeric x-y chart: lines, dashed reference lines, points, steps.
    public struct Plot {
        public var title: String
        public var xLabel: String
        public var yLabel: String
        public var series: [Series] = []
        public var xRange: ClosedRange<Double>? = nil
        public var yRange: ClosedRange<Double>? = nil
        public var width = 560.0
        public var height = 400.0
        public var legendAtBottomRight = true
        public var yTickLabels: [(Double, String)]? = nil

        public init(title: String, xLabel: String, yLabel: String) {
            self.title = title; self.xLabel = xLabel; self.yLabel = yLabel
        }

        public func render() -> String {
            let left = max(70.0, 30 + Double(yTickLabels?.map(\.1.count).max() ?? 0) * 6.5), right = 20.0, top = 36.0, bottom = 56.0
            let pw = width - left - right, ph = height - top - bottom
            let xs = series.flatMap { $0.points.map(\.x) }.filter(\.isFinite)
            let ys = series.flatMap { $0.points.map(\.y) }.filter(\.isFinite)
            var xr = xRange ?? ((xs.min() ?? 0)...(xs.max() ?? 1))
            var yr = yRange ?? ((ys.min() ?? 0)...(ys.max() ?? 1))
            if xr.upperBound <= xr.lowerBound { xr = (xr.lowerBound - 0.5)...(xr.lowerBound + 0.5) }
            if yr.upperBound <= yr.lowerBound { yr = (yr.lowerBound - 0.5)...(yr.lowerBound + 0.5) }
            func px(_ x: Double) -> Double { left + (x - xr.lowerBound) / (xr.upperBound - xr.lowerBound) * pw }
            func py(_ y: Double) -> Double { top + ph - (y - yr.lowerBound) / (yr.upperBound - yr.lowerBound) * ph }
            var s = open(width, height, title: title)
            // grid and ticks
            s += "<g class=\"axes\" stroke=\"#e5e5e5\">"
            for t in ticks(xr.lowerBound, xr.upperBound) { s += "<line x1=\"\(f(px(t)))\" y1=\"\(f(top))\" x2=\"\(f(px(t)))\" y2=\"\(f(top + ph))\"/>" }
            let yTicks = yTickLabels ?? ticks(yr.lowerBound, yr.upperBound).map { ($0, label($0)) }
            for (t, _) in yTicks { s += "<line x1=\"\(f(left))\" y1=\"\(f(py(t)))\" x2=\"\(f(left + pw))\" y2=\"\(f(py(t)))\"/>" }
            s += "</g><rect x=\"\(f(left))\" y=\"\(f(top))\" width=\"\(f(pw))\" height=\"\(f(ph))\" fill=\"none\" stroke=\"#333333\"/>"
            for t in ticks(xr.lowerBound, xr.upperBound) {
                s += "<text x=\"\(f(px(t)))\" y=\"\(f(top + ph + 16))\" text-anchor=\"middle\">\(escape(label(t)))</text>"
            }
            for (t, l) in yTicks {
                s += "<text x=\"\(f(left - 6))\" y=\"\(f(py(t) + 4))\" text-anchor=\"end\">\(escape(l))</text>"
            }
            s += axisTitles(xLabel, yLabel, left: left, top: top, pw: pw, ph: ph, height: height)
            // marks, clipped to the plot area
            let clip = "clip-" + String(title.unicodeScalars.reduce(UInt32(5381)) { ($0 &* 33) ^ $1.value }, radix: 16)
            s += "<defs><clipPath id=\"\(clip)\"><rect x=\"\(f(left))\" y=\"\(f(top))\" width=\"\(f(pw))\" height=\"\(f(ph))\"/></clipPath></defs>"
            s += "<g clip-path=\"url(#\(clip))\">"
            for se in series {
                let pts = se.points.filter { $0.x.isFinite && $0.y.isFinite }
                switch se.kind {
                case .points:
                    s += "<g fill=\"\(se.color)\" fill-opacity=\"\(se.radius > 3 ? "0.9" : "0.55")\" class=\"series\">"
                    for p in pts { s += "<circle cx=\"\(f(px(p.x)))\" cy=\"\(f(py(p.y)))\" r=\"\(f(se.radius))\"/>" }
                    s += "</g>"
                case .horizontalArea:
                    guard let first = pts.first, let last = pts.last else { continue }
                    var d = "M\(f(px(0))),\(f(py(first.y)))"
                    for p in pts { d += " L\(f(px(p.x))),\(f(py(p.y)))" }
                    d += " L\(f(px(0))),\(f(py(last.y))) Z"
                    s += "<path class=\"series\" d=\"\(d)\" fill=\"\(se.color)\" fill-opacity=\"0.8\" stroke=\"none\"/>"
                default:
                    guard !pts.isEmpty else { continue }
                    var d = ""
                    for (i, p) in pts.enumerated() {
                        if se.kind == .step && i > 0 { d += " L\(f(px(p.x))),\(f(py(pts[i - 1].y)))" }
                        d += (i == 0 ? "M" : " L") + "\(f(px(p.x))),\(f(py(p.y)))"
                    }
                    s += "<path class=\"series\" d=\"\(d)\" fill=\"none\" stroke=\"\(se.color)\" stroke-width=\"\(se.kind == .dashed ? "1.5" : "2.5")\"\(se.kind == .dashed ? " stroke-dasharray=\"6 4\"" : "")/>"
                }
            }
            s += "</g>"
            let items = series.filter { !$0.name.isEmpty }.map { ($0.name, $0.color, $0.kind == .dashed) }
            if !items.isEmpty {
                let lx = legendAtBottomRight ? left + pw - legendWidth(items) - 8 : left + 14
                let ly = legendAtBottomRight ? top + ph - Double(items.count) * 18 + 4 : top + 20
                s += legend(items, x: lx, y: ly)
            }
            return s + "</svg>"
        }
    }

    // MARK: bars

    /// Vertical bars over named categories, one group per category and one
    /// bar per series, with an optional dashed reference level.
    public struct Bars {
        public var title: String
        public var xLabel: String
        public var yLabel: String
        public var categories: [String]
        public var series: [(name: String, values: [Double], color: String)]
        public var reference: (value: Double, name: String)? = nil
        public var width = 560.0
        public var height = 400.0

        public init(title: String, xLabel: String, yLabel: String, categories: [String], series: [(name: String, values: [Double], color: String)]) {
            self.title = title; self.xLabel = xLabel; self.yLabel = yLabel; self.categories = categories; self.series = series
        }

        public func render() -> String {
            let left = 70.0, right = 20.0, top = 36.0, bottom = 56.0
            let pw = width - left - right, ph = height - top - bottom
            let maxV = max(series.flatMap(\.values).filter(\.isFinite).max() ?? 1, reference?.value ?? 0) * 1.08
            // Negative values (an uplift below zero) hang down from a zero line.
            let minV = min(0, (series.flatMap(\.values).filter(\.isFinite).min() ?? 0) * 1.08)
            let yr = minV...max(maxV, minV + 1e-12)
            func py(_ y: Double) -> Double { top + ph - (y - yr.lowerBound) / (yr.upperBound - yr.lowerBound) * ph }
            var s = open(width, height, title: title)
            s += "<g stroke=\"#e5e5e5\">"
            for t in ticks(yr.lowerBound, yr.upperBound) { s += "<line x1=\"\(f(left))\" y1=\"\(f(py(t)))\" x2=\"\(f(left + pw))\" y2=\"\(f(py(t)))\"/>" }
            s += "</g><rect x=\"\(f(left))\" y=\"\(f(top))\" width=\"\(f(pw))\" height=\"\(f(ph))\" fill=\"none\" stroke=\"#333333\"/>"
            for t in ticks(yr.lowerBound, yr.upperBound) { s += "<text x=\"\(f(left - 6))\" y=\"\(f(py(t) + 4))\" text-anchor=\"end\">\(escape(label(t)))</text>" }
            let group = pw / Double(max(1, categories.count))
            let barW = group * 0.8 / Double(max(1, series.count))
            for (ci, c) in categories.enumerated() {
                let gx = left + Double(ci) * group + group * 0.1
                for (si, se) in series.enumerated() where ci < se.values.count && se.values[ci].isFinite {
                    let v = se.values[ci]
                    s += "<rect class=\"bar\" x=\"\(f(gx + Double(si) * barW))\" y=\"\(f(min(py(v), py(0))))\" width=\"\(f(barW - 1))\" height=\"\(f(abs(py(0) - py(v))))\" fill=\"\(se.color)\"><title>\(escape("\(c): \(se.name) \(label(v))"))</title></rect>"
                }
                s += "<text x=\"\(f(left + (Double(ci) + 0.5) * group))\" y=\"\(f(top + ph + 16))\" text-anchor=\"middle\">\(escape(c))</text>"
            }
            if minV < 0 { s += "<line x1=\"\(f(left))\" y1=\"\(f(py(0)))\" x2=\"\(f(left + pw))\" y2=\"\(f(py(0)))\" stroke=\"#333333\"/>" }
            var items = series.filter { !$0.name.isEmpty }.map { ($0.name, $0.color, false) }
            if let r = reference {
                s += "<line x1=\"\(f(left))\" y1=\"\(f(py(r.value)))\" x2=\"\(f(left + pw))\" y2=\"\(f(py(r.value)))\" stroke=\"\(muted)\" stroke-width=\"1.5\" stroke-dasharray=\"6 4\"/>"
                items.append((r.name, muted, true))
            }
            s += axisTitles(xLabel, yLabel, left: left, top: top, pw: pw, ph: ph, height: height)
            if !items.isEmpty { s += legend(items, x: left + pw - legendWidth(items) - 8, y: top + 20) }
            return s + "</svg>"
        }
    }

    /// Horizontal bars for named values (feature importance), largest first.
    public static func horizontalBars(title: String, xLabel: String, items: [(String, Double)], color: String = palette[0]) -> String {
        let rows = items.prefix(20)
        let labelWidth = min(260, 20 + Double(rows.map(\.0.count).max() ?? 4) * 6.6)
        let width = 560.0, top = 36.0, rowH = 22.0, bottom = 50.0
        let height = top + Double(max(1, rows.count)) * rowH + bottom
        let pw = width - labelWidth - 30
        let maxV = max(rows.map(\.1).max() ?? 1, 1e-12) * 1.05
        var s = open(width, height, title: title)
        for t in ticks(0, maxV) {
            let x = labelWidth + t / maxV * pw
            s += "<line x1=\"\(f(x))\" y1=\"\(f(top))\" x2=\"\(f(x))\" y2=\"\(f(top + Double(rows.count) * rowH))\" stroke=\"#e5e5e5\"/>"
            s += "<text x=\"\(f(x))\" y=\"\(f(top + Double(rows.count) * rowH + 16))\" text-anchor=\"middle\">\(escape(label(t)))</text>"
        }
        for (i, r) in rows.enumerated() {
            let y = top + Double(i) * rowH
            s += "<text x=\"\(f(labelWidth - 8))\" y=\"\(f(y + 15))\" text-anchor=\"end\">\(escape(r.0))</text>"
            s += "<rect class=\"bar\" x=\"\(f(labelWidth))\" y=\"\(f(y + 3))\" width=\"\(f(max(0, r.1) / maxV * pw))\" height=\"\(f(rowH - 6))\" fill=\"\(color)\"><title>\(escape("\(r.0): \(label(r.1))"))</title></rect>"
        }
        s += "<line x1=\"\(f(labelWidth))\" y1=\"\(f(top))\" x2=\"\(f(labelWidth))\" y2=\"\(f(top + Double(rows.count) * rowH))\" stroke=\"#333333\"/>"
        s += "<text x=\"\(f(labelWidth + pw / 2))\" y=\"\(f(height - 10))\" text-anchor=\"middle\">\(escape(xLabel))</text>"
        return s + "</svg>"
    }

    /// A confusion matrix: actual classes down, predicted across, cells shaded by share of the row.
    public static func confusion(title: String, classes: [String], counts: [[Int]]) -> String {
        let n = classes.count
        let cell = n <= 4 ? 90.0 : max(36, 360 / Double(n))
        let left = 150.0, top = 70.0
        let width = max(560, left + cell * Double(n) + 40), height = top + cell * Double(n) + 60
        var s = open(width, height, title: title)
        s += "<text x=\"\(f(left + cell * Double(n) / 2))\" y=\"\(f(top - 28))\" text-anchor=\"middle\" font-weight=\"bold\">predicted class</text>"
        s += "<text transform=\"translate(\(f(24)) \(f(top + cell * Double(n) / 2))) rotate(-90)\" text-anchor=\"middle\" font-weight=\"bold\">actual class</text>"
        for (j, c) in classes.enumerated() {
            s += "<text x=\"\(f(left + (Double(j) + 0.5) * cell))\" y=\"\(f(top - 8))\" text-anchor=\"middle\">\(escape(c))</text>"
            s += "<text x=\"\(f(left - 8))\" y=\"\(f(top + (Double(j) + 0.5) * cell + 4))\" text-anchor=\"end\">\(escape(c))</text>"
        }
        for i in 0..<n {
            let rowTotal = max(1, counts[i].reduce(0, +))
            for j in 0..<n {
                let share = Double(counts[i][j]) / Double(rowTotal)
                let color = i == j ? "78,121,167" : "225,87,89"
                s += "<rect class=\"cell\" x=\"\(f(left + Double(j) * cell))\" y=\"\(f(top + Double(i) * cell))\" width=\"\(f(cell))\" height=\"\(f(cell))\" fill=\"rgb(\(color))\" fill-opacity=\"\(f(0.08 + 0.8 * share))\" stroke=\"#ffffff\"/>"
                s += "<text x=\"\(f(left + (Double(j) + 0.5) * cell))\" y=\"\(f(top + (Double(i) + 0.5) * cell))\" text-anchor=\"middle\" font-size=\"14\">\(counts[i][j])</text>"
                s += "<text x=\"\(f(left + (Double(j) + 0.5) * cell))\" y=\"\(f(top + (Double(i) + 0.5) * cell + 16))\" text-anchor=\"middle\" fill=\"#444444\">\(escape(String(format: "%.1f%% of row", 100 * share)))</text>"
            }
        }
        s += "<text x=\"\(f(width / 2))\" y=\"\(f(height - 14))\" text-anchor=\"middle\" fill=\"#444444\">shading: share of the actual class</text>"
        return s + "</svg>"
    }
}

extension SVG {
    /// Estimates with their intervals, one row each (a forest plot), around a dashed reference line.
    public static func intervals(title: String, xLabel: String, rows: [(label: String, estimate: Double, low: Double, high: Double, color: String)],
                                 reference: Double = 0) -> String {
        let labelWidth = min(280, 24 + Double(rows.map(\.label.count).max() ?? 4) * 6.6)
        let width = 620.0, top = 36.0, rowH = 26.0, bottom = 50.0
        let height = top + Double(max(1, rows.count)) * rowH + bottom
        let pw = width - labelWidth - 30
        let values = rows.flatMap { [$0.low, $0.high, $0.estimate] }.filter(\.isFinite) + [reference]
        var lo = values.min() ?? -1, hi = values.max() ?? 1
        let pad = max((hi - lo) * 0.08, 1e-9)
        lo -= pad; hi += pad
        func px(_ v: Double) -> Double { labelWidth + (v - lo) / (hi - lo) * pw }
        let bottomY = top + Double(rows.count) * rowH
        var s = open(width, height, title: title)
        for t in ticks(lo, hi) {
            s += "<line x1=\"\(f(px(t)))\" y1=\"\(f(top))\" x2=\"\(f(px(t)))\" y2=\"\(f(bottomY))\" stroke=\"#e5e5e5\"/>"
            s += "<text x=\"\(f(px(t)))\" y=\"\(f(bottomY + 16))\" text-anchor=\"middle\">\(escape(label(t)))</text>"
        }
        s += "<line x1=\"\(f(px(reference)))\" y1=\"\(f(top))\" x2=\"\(f(px(reference)))\" y2=\"\(f(bottomY))\" stroke=\"#333333\" stroke-dasharray=\"6 4\"/>"
        for (i, r) in rows.enumerated() {
            let y = top + Double(i) * rowH + rowH / 2
            s += "<text x=\"\(f(labelWidth - 8))\" y=\"\(f(y + 4))\" text-anchor=\"end\">\(escape(r.label))</text>"
            guard r.estimate.isFinite else { continue }
            s += "<g class=\"series\"><title>\(escape("\(r.label): \(label(r.estimate)) [\(label(r.low)), \(label(r.high))]"))</title>"
            if r.low.isFinite && r.high.isFinite {
                s += "<line x1=\"\(f(px(r.low)))\" y1=\"\(f(y))\" x2=\"\(f(px(r.high)))\" y2=\"\(f(y))\" stroke=\"\(r.color)\" stroke-width=\"2.5\"/>"
            }
            s += "<circle cx=\"\(f(px(r.estimate)))\" cy=\"\(f(y))\" r=\"4.5\" fill=\"\(r.color)\"/></g>"
        }
        s += "<text x=\"\(f(labelWidth + pw / 2))\" y=\"\(f(height - 10))\" text-anchor=\"middle\">\(escape(xLabel))</text>"
        return s + "</svg>"
    }
}
