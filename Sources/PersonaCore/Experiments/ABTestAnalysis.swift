import Foundation

/// `persona abtest analyze`: one streaming pass over the file keeps each arm's
/// (and each segment's) moments, then every treatment is compared with control.
public struct ABTestAnalysis: Sendable {
    public struct Request: Sendable {
        public var path: String
        public var group: String
        public var control: String
        public var outcome: String
        public var metric: PowerAnalysis.Metric?
        public var pre: String?
        public var segment: String?
        public var plannedSplit: [Double]?
        public var alpha = 0.05
        public var delimiter = UInt8(ascii: ",")

        public init(path: String, group: String, control: String, outcome: String) {
            self.path = path; self.group = group; self.control = control; self.outcome = outcome
        }
    }

    public struct Arm: Sendable {
        public var name: String
        public var n: Int
        /// The rate (proportion) or mean.
        public var value: Double
        public var comparison: TwoSample.Comparison?
        public var relativeLift: Double?
        public var pValueHolm: Double?
        public var pValueBH: Double?
        public var cuped: TwoSample.Comparison?
        public var varianceReduction: Double?
    }

    public struct Segment: Sendable {
        public var value: String
        public var arms: [Arm]
    }

    public var request: Request
    public var metric: PowerAnalysis.Metric
    public var rows: Int
    public var arms: [Arm]
    public var plannedSplit: [Double]
    public var srmChiSquare: Double
    public var srmPValue: Double
    public var theta: Double?
    public var segments: [Segment]

    static let maxSegments = 200

    public static func run(_ r: Request) throws -> ABTestAnalysis {
        guard r.alpha > 0 && r.alpha < 1 else { throw PersonaError("--alpha must lie between 0 and 1 (got \(r.alpha))") }
        let reader = try CSVReader(path: r.path, delimiter: r.delimiter)
        let file = r.path
        func column(_ name: String, _ flag: String) throws -> Int {
            guard let i = reader.columnIndex(name) else {
                throw PersonaError.data(file: file, "no column \"\(name)\" (given by \(flag))",
                                        fix: "The columns are: \(reader.header.joined(separator: ", "))")
            }
            return i
        }
        let gi = try column(r.group, "--group"), oi = try column(r.outcome, "--outcome")
        let pi = try r.pre.map { try column($0, "--pre") }
        let si = try r.segment.map { try column($0, "--segment") }
        if gi == oi { throw PersonaError("--group and --outcome name the same column \"\(r.group)\"") }

        var armIndex: [String: Int] = [:], armNames: [String] = []
        var segmentIndex: [String: Int] = [:], segmentNames: [String] = []
        var cells: [[Moments]] = []     // [arm][segment]
        var binary = true
        var rec = CSVRecord()
        var rows = 0
        while try reader.next(into: &rec) {
            rows += 1
            if rec.isMissing(gi) {
                throw PersonaError.data(file: file, line: rec.line, column: gi + 1, columnName: r.group, "the arm is missing",
                                        fix: "Every row of an experiment needs its arm; drop rows that were never assigned")
            }
            let armName = rec.string(gi)
            let y = try outcomeValue(rec, oi, r, file)
            if y != 0 && y != 1 { binary = false }
            var x = 0.0
            if let pi {
                guard let v = rec.number(pi), v.isFinite else {
                    let what = rec.isMissing(pi) ? "the pre-period value is missing" : "\"\(rec.string(pi))\" is not a number"
                    throw PersonaError.data(file: file, line: rec.line, column: pi + 1, columnName: r.pre, what,
                                            fix: "CUPED needs a number in every row (0 for a customer with no pre-period activity)")
                }
                x = v
            }
            var s = 0
            if let si {
                let value = rec.isMissing(si) ? "(missing)" : rec.string(si)
                if let k = segmentIndex[value] { s = k } else {
                    if segmentNames.count == maxSegments {
                        throw PersonaError.data(file: file, line: rec.line, column: si + 1, columnName: r.segment,
                                                "more than \(maxSegments) distinct segments",
                                                fix: "Choose a --segment column with few values (a region, a plan, a customer tier)")
                    }
                    s = segmentNames.count
                    segmentIndex[value] = s
                    segmentNames.append(value)
                    for a in cells.indices { cells[a].append(Moments()) }
                }
            }
            let a: Int
            if let k = armIndex[armName] { a = k } else {
                if armNames.count == 50 {
                    throw PersonaError.data(file: file, line: rec.line, column: gi + 1, columnName: r.group, "more than 50 distinct arms",
                                            fix: "Is --group the column that holds each customer's arm?")
                }
                a = armNames.count
                armIndex[armName] = a
                armNames.append(armName)
                cells.append([Moments](repeating: Moments(), count: max(1, segmentNames.count)))
            }
            cells[a][s].add(y, x)
        }
        if rows == 0 { throw PersonaError.data(file: file, "the file has a header but no rows", fix: "Analyse the file that holds the experiment's rows") }
        guard armIndex[r.control] != nil else {
            throw PersonaError.data(file: file, columnName: r.group, "no row has the control arm \"\(r.control)\"",
                                    fix: "The arms found are: \(armNames.sorted().joined(separator: ", ")); pass one of them as --control")
        }
        guard armNames.count >= 2 else {
            throw PersonaError.data(file: file, columnName: r.group, "every row is in the arm \"\(r.control)\"",
                                    fix: "An A/B test compares at least two arms")
        }
        let metric = r.metric ?? (binary ? .proportion : .mean)
        if metric == .proportion && !binary {
            throw PersonaError.data(file: file, columnName: r.outcome, "the outcome has values other than 0 and 1",
                                    fix: "Use --metric mean for an outcome such as revenue, or a 0/1 column for conversion")
        }
        // Control first, then the treatments by name.
        let order = [armIndex[r.control]!] + armNames.indices.filter { armNames[$0] != r.control }.sorted { armNames[$0] < armNames[$1] }
        let totals: [Moments] = order.map { a in cells[a].reduce(into: Moments()) { $0.merge($1) } }

        let split = r.plannedSplit ?? [Double](repeating: 1, count: order.count)
        guard split.count == order.count else {
            throw PersonaError("--planned-split gives \(split.count) shares but the data has \(order.count) arms (\(order.map { armNames[$0] }.joined(separator: ", "))); give one share per arm, control first, then the others by name")
        }
        guard split.allSatisfy({ $0 > 0 && $0.isFinite }) else { throw PersonaError("--planned-split shares must be positive numbers") }
        let srm = TwoSample.sampleRatioMismatch(counts: totals.map(\.n), shares: split)

        var theta: Double? = nil, centre = 0.0
        if r.pre != nil {
            let all = totals.reduce(into: Moments()) { $0.merge($1) }
            guard all.varX > 0 else {
                throw PersonaError.data(file: file, columnName: r.pre, "the pre-period value is the same in every row",
                                        fix: "CUPED needs a covariate that varies; drop --pre")
            }
            theta = all.covXY / all.varX
            centre = all.meanX
        }
        var arms = try compare(order.map { armNames[$0] }, totals, metric: metric, alpha: r.alpha, theta: theta, centre: centre, file: file)
        let treated = Array(1..<arms.count)
        if treated.count > 1 {
            let holm = TwoSample.holm(treated.map { arms[$0].comparison!.pValue })
            for (k, i) in treated.enumerated() { arms[i].pValueHolm = holm[k] }
        }
        var segments: [Segment] = []
        if r.segment != nil {
            for s in segmentNames.indices.sorted(by: { segmentNames[$0] < segmentNames[$1] }) {
                let m = order.map { cells[$0][s] }
                let segmentArms = try compare(order.map { armNames[$0] }, m, metric: metric, alpha: r.alpha, theta: nil, centre: 0,
                                              file: file, strict: false)
                segments.append(Segment(value: segmentNames[s], arms: segmentArms))
            }
            var places: [(Int, Int)] = [], ps: [Double] = []
            for (si, seg) in segments.enumerated() {
                for (ai, arm) in seg.arms.enumerated() { if let c = arm.comparison { places.append((si, ai)); ps.append(c.pValue) } }
            }
            for (k, bh) in TwoSample.benjaminiHochberg(ps).enumerated() { segments[places[k].0].arms[places[k].1].pValueBH = bh }
        }
        return ABTestAnalysis(request: r, metric: metric, rows: rows, arms: arms, plannedSplit: split,
                              srmChiSquare: srm.chiSquare, srmPValue: srm.pValue, theta: theta, segments: segments)
    }

    static func outcomeValue(_ rec: CSVRecord, _ oi: Int, _ r: Request, _ file: String) throws -> Double {
        if let v = rec.number(oi), v.isFinite { return v }
        let text = rec.string(oi)
        switch text.lowercased() {
        case "true", "yes": return 1
        case "false", "no": return 0
        default:
            let what = rec.isMissing(oi) ? "the outcome is missing" : "\"\(text)\" is not a number"
            throw PersonaError.data(file: file, line: rec.line, column: oi + 1, columnName: r.outcome, what,
                                    fix: "Every row needs its outcome: 0/1 for a conversion, a number for revenue (0 for none)")
        }
    }

    static func compare(_ names: [String], _ m: [Moments], metric: PowerAnalysis.Metric, alpha: Double, theta: Double?, centre: Double,
                        file: String, strict: Bool = true) throws -> [Arm] {
        let c = m[0]
        var arms = [Arm(name: names[0], n: Int(c.n), value: c.meanY)]
        for i in 1..<m.count {
            let t = m[i]
            var arm = Arm(name: names[i], n: Int(t.n), value: t.meanY)
            let enough = metric == .proportion ? (t.n >= 1 && c.n >= 1) : (t.n >= 2 && c.n >= 2)
            if !enough {
                if strict {
                    let small = t.n < c.n ? names[i] : names[0]
                    throw PersonaError.data(file: file, "the arm \"\(small)\" has too few rows to compare",
                                            fix: "A comparison of means needs at least two rows in each arm")
                }
                arms.append(arm)
                continue
            }
            arm.comparison = metric == .proportion
                ? TwoSample.proportions(treatment: t.successes, t.n, control: c.successes, c.n, alpha: alpha)
                : TwoSample.welch(treatment: t.meanY, v1: t.varY, n1: t.n, control: c.meanY, v2: c.varY, n2: c.n, alpha: alpha)
            arm.relativeLift = c.meanY != 0 ? (t.meanY - c.meanY) / c.meanY : nil
            if let theta, t.n >= 2 && c.n >= 2 {
                let at = t.adjusted(theta: theta, centre: centre), ac = c.adjusted(theta: theta, centre: centre)
                let cuped = TwoSample.welch(treatment: at.mean, v1: at.variance, n1: t.n, control: ac.mean, v2: ac.variance, n2: c.n, alpha: alpha)
                arm.cuped = cuped
                let plain = t.varY / t.n + c.varY / c.n
                if plain > 0 { arm.varianceReduction = 1 - (at.variance / t.n + ac.variance / c.n) / plain }
            }
            arms.append(arm)
        }
        return arms
    }

    // MARK: output

    func armJSON(_ a: Arm) -> JSONValue {
        var o: [String: JSONValue] = ["name": .string(a.name), "n": .number(Double(a.n)),
                                      (metric == .proportion ? "rate" : "mean"): .number(a.value)]
        if let c = a.comparison {
            o["difference"] = .number(c.difference)
            o["ci_low"] = .number(c.ciLow)
            o["ci_high"] = .number(c.ciHigh)
            o["p_value"] = .number(c.pValue)
            o["statistic"] = .number(c.statistic)
            o["relative_lift"] = a.relativeLift.map(JSONValue.number) ?? .null
        }
        if let p = a.pValueHolm { o["p_value_holm"] = .number(p) }
        if let p = a.pValueBH { o["p_value_bh"] = .number(p) }
        if let c = a.cuped {
            o["cuped_difference"] = .number(c.difference)
            o["cuped_ci_low"] = .number(c.ciLow)
            o["cuped_ci_high"] = .number(c.ciHigh)
            o["cuped_p_value"] = .number(c.pValue)
            o["variance_reduction"] = a.varianceReduction.map(JSONValue.number) ?? .null
        }
        return .object(o)
    }

    public var json: JSONValue {
        var o: [String: JSONValue] = [
            "metric": .string(metric.rawValue), "outcome": .string(request.outcome), "group": .string(request.group),
            "control": .string(request.control), "rows": .number(Double(rows)), "alpha": .number(request.alpha),
            "srm_p_value": .number(srmPValue), "srm_chi_square": .number(srmChiSquare),
            "planned_split": .array(plannedSplit.map(JSONValue.number)),
            "arms": .array(arms.map(armJSON)),
        ]
        if let theta, let pre = request.pre { o["cuped_theta"] = .number(theta); o["pre"] = .string(pre) }
        if let seg = request.segment {
            o["segment"] = .string(seg)
            o["segments"] = .array(segments.map { s in .object(["value": .string(s.value), "arms": .array(s.arms.map(armJSON))]) })
        }
        return .object(o)
    }

    static func signed(_ v: Double, _ digits: Int = 4) -> String { (v > 0 ? "+" : "") + formatNumber(v, digits: digits) }
    static func percent(_ v: Double?) -> String { v.map { signed($0 * 100, 3) + "%" } ?? "n/a" }
    public static func pText(_ p: Double) -> String { p < 1e-4 ? "<0.0001" : formatNumber(p, digits: 3) }

    static func table(_ rows: [[String]]) -> String {
        guard let first = rows.first else { return "" }
        let widths = first.indices.map { c in rows.map { c < $0.count ? $0[c].count : 0 }.max() ?? 0 }
        return rows.map { r in
            r.enumerated().map { c, s in c == 0 ? s.padding(toLength: widths[c], withPad: " ", startingAt: 0)
                                                 : String(repeating: " ", count: widths[c] - s.count) + s }
                .joined(separator: "  ").replacingOccurrences(of: "\\s+$", with: "", options: .regularExpression)
        }.joined(separator: "\n")
    }

    func armRows(_ arms: [Arm], adjusted: String?) -> [[String]] {
        let level = formatNumber((1 - request.alpha) * 100, digits: 3)
        var rows = [["arm", "n", metric == .proportion ? "rate" : "mean", "difference", "\(level)% interval", "lift", "p-value"]
                    + (adjusted.map { [$0] } ?? [])]
        for a in arms {
            var r = [a.name, "\(a.n)", formatNumber(a.value, digits: 4)]
            if let c = a.comparison {
                r += [Self.signed(c.difference), "[\(Self.signed(c.ciLow)), \(Self.signed(c.ciHigh))]", Self.percent(a.relativeLift), Self.pText(c.pValue)]
                if adjusted != nil { r.append((a.pValueHolm ?? a.pValueBH).map(Self.pText) ?? "") }
            } else if a.name != arms[0].name {
                r += ["too few rows", "", "", ""]
            }
            rows.append(r)
        }
        return rows
    }

    public var text: String {
        var s = "A/B test of \(request.outcome) (\(metric == .proportion ? "conversion rate" : "mean")) by \(request.group), control \"\(request.control)\", \(rows) rows\n"
        let split = plannedSplit.map { formatNumber($0, digits: 4) }.joined(separator: ":")
        s += "sample ratio: chi-square \(formatNumber(srmChiSquare, digits: 4)), p = \(Self.pText(srmPValue)) against the planned split \(split)"
        if srmPValue < 0.001 { s += "\nWARNING: sample ratio mismatch: the arms' sizes are unlikely under the planned split; check the assignment before trusting the effects" }
        s += "\n\n" + Self.table(armRows(arms, adjusted: arms.count > 2 ? "Holm" : nil)) + "\n"
        if let theta, let pre = request.pre {
            s += "\nCUPED with \(pre) (theta \(formatNumber(theta, digits: 4))):\n"
            var rows = [["arm", "difference", "interval", "p-value", "variance cut"]]
            for a in arms.dropFirst() {
                guard let c = a.cuped else { continue }
                rows.append([a.name, Self.signed(c.difference), "[\(Self.signed(c.ciLow)), \(Self.signed(c.ciHigh))]", Self.pText(c.pValue),
                             a.varianceReduction.map { formatNumber($0 * 100, digits: 3) + "%" } ?? ""])
            }
            s += Self.table(rows) + "\n"
        }
        if let seg = request.segment {
            s += "\nBy \(seg) (p-values adjusted by Benjamini-Hochberg across segments and arms):\n"
            var rows: [[String]] = []
            for g in segments {
                for r in armRows(g.arms, adjusted: "BH").dropFirst(rows.isEmpty ? 0 : 1) {
                    rows.append(rows.isEmpty ? ["segment"] + r : [g.value] + r)
                }
            }
            s += Self.table(rows) + "\n"
        }
        return s
    }
}
