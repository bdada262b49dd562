import Foundation

/// `persona abtest plan`: the fixed-sample size per arm and, with looks, the
/// group-sequential boundaries and the maximum sample they need.
public struct ABTestPlan: Sendable {
    public var request: PowerAnalysis.Request
    public var fixed: PowerAnalysis.Result
    public var sequential: GroupSequential.Design?

    public static func make(_ r: PowerAnalysis.Request, looks: Int?, spending: GroupSequential.Spending) throws -> ABTestPlan {
        let fixed = try PowerAnalysis.solve(r)
        var design: GroupSequential.Design? = nil
        if let looks, looks > 1 {
            design = try GroupSequential.design(looks: looks, spending: spending, alpha: r.alpha, sides: r.sides, power: r.power)
        } else if let looks, looks < 1 {
            throw PersonaError("--looks must be at least 1 (got \(looks))")
        }
        return ABTestPlan(request: r, fixed: fixed, sequential: design)
    }

    /// Arm sizes at the last look of the sequential plan (the fixed ones without looks).
    public var maxControl: Int {
        guard let d = sequential else { return fixed.nControl }
        return PowerAnalysis.roundUp(fixed.exactControl * d.inflation)
    }
    public var maxTreatment: Int {
        guard let d = sequential else { return fixed.nTreatment }
        return PowerAnalysis.roundUp(fixed.exactControl * request.ratio * d.inflation)
    }

    /// Customers in control and in treatment by the time of a look.
    func armsAt(_ look: GroupSequential.Look) -> (control: Int, treatment: Int) {
        (Int((Double(maxControl) * look.information).rounded(.up)), Int((Double(maxTreatment) * look.information).rounded(.up)))
    }

    public var json: JSONValue {
        var o: [String: JSONValue] = [
            "metric": .string(request.metric.rawValue), "alpha": .number(request.alpha), "power": .number(request.power),
            "sides": .number(Double(request.sides)), "ratio": .number(request.ratio),
            "effect_size": .number(fixed.effectSize), "difference": .number(fixed.difference),
            "n_per_arm": .number(Double(fixed.nPerArm)), "n_control": .number(Double(fixed.nControl)),
            "n_treatment": .number(Double(fixed.nTreatment)), "n_total": .number(Double(fixed.nControl + fixed.nTreatment)),
        ]
        if let b = request.baseline { o[request.metric == .proportion ? "baseline_rate" : "baseline_mean"] = .number(b) }
        if let t = fixed.treatmentValue { o[request.metric == .proportion ? "treatment_rate" : "treatment_mean"] = .number(t) }
        if let sd = request.sd { o["sd"] = .number(sd) }
        if let d = sequential {
            var looks: [JSONValue] = []
            for (k, l) in d.looks.enumerated() {
                looks.append(["look": .number(Double(k + 1)), "information": .number(l.information),
                              "z_boundary": .number(l.boundary), "nominal_alpha": .number(l.nominalAlpha),
                              "cumulative_alpha": .number(l.cumulativeAlpha),
                              "n_control": .number(Double(armsAt(l).control)), "n_treatment": .number(Double(armsAt(l).treatment))])
            }
            o["sequential"] = ["spending": .string(d.spending.rawValue), "looks": .array(looks), "inflation": .number(d.inflation),
                               "max_n_control": .number(Double(maxControl)), "max_n_treatment": .number(Double(maxTreatment)),
                               "max_n_per_arm": .number(Double(max(maxControl, maxTreatment)))]
        }
        return .object(o)
    }

    public var text: String {
        let r = request
        var s: String
        let sided = r.sides == 2 ? "two-sided" : "one-sided"
        switch r.metric {
        case .proportion:
            s = "Detect a change in conversion from \(formatNumber(r.baseline ?? 0, digits: 4)) to \(formatNumber(fixed.treatmentValue ?? 0, digits: 4))"
                + " (\(ABTestAnalysis.signed(fixed.difference)) absolute, Cohen's h \(formatNumber(fixed.effectSize, digits: 4)))\n"
        case .mean:
            s = "Detect a difference in means of \(ABTestAnalysis.signed(fixed.difference)) with standard deviation \(formatNumber(r.sd ?? 0, digits: 4))"
                + " (Cohen's d \(formatNumber(fixed.effectSize, digits: 4)))\n"
        }
        s += "with a \(sided) test at alpha \(formatNumber(r.alpha, digits: 4)) and power \(formatNumber(r.power, digits: 4))"
        s += r.ratio == 1 ? ":\n" : ", treatment:control \(formatNumber(r.ratio, digits: 4)):1:\n"
        if r.ratio == 1 {
            s += "  \(fixed.nPerArm) customers per arm, \(fixed.nControl + fixed.nTreatment) in all\n"
        } else {
            s += "  control \(fixed.nControl), treatment \(fixed.nTreatment), \(fixed.nControl + fixed.nTreatment) in all\n"
        }
        if let d = sequential {
            s += "\nGroup-sequential plan, \(d.looks.count) equally spaced looks, \(d.spending.title)-type alpha spending (Lan-DeMets):\n"
            s += "  maximum sample: control \(maxControl), treatment \(maxTreatment) (\(formatNumber(d.inflation, digits: 4)) x the fixed design)\n"
            var rows = [["look", "information", "control", "treatment", "z boundary", "nominal p", "alpha spent"]]
            for (k, l) in d.looks.enumerated() {
                rows.append(["\(k + 1)", formatNumber(l.information, digits: 3),
                             "\(armsAt(l).control)", "\(armsAt(l).treatment)",
                             String(format: "%.4f", l.boundary), formatNumber(l.nominalAlpha, digits: 4), formatNumber(l.cumulativeAlpha, digits: 4)])
            }
            s += ABTestAnalysis.table(rows).split(separator: "\n").map { "  " + $0 }.joined(separator: "\n") + "\n"
            s += "  Stop at a look when \(d.sides == 2 ? "|z|" : "z") reaches its boundary (its p-value is below the nominal p).\n"
        }
        return s
    }
}
