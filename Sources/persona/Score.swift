import ArgumentParser
import Foundation
import PersonaCore

extension BatchScorer.Format: ExpressibleByArgument {}

struct Score: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "score",
        abstract: "Score every row of a CSV file with a saved model.",
        discussion: """
        Streams the input in blocks through the model's fitted pipeline on every
        core, in constant memory, so files larger than memory work; rows come out
        in input order. The output file appears only when every row has been
        scored. A bad row (a ragged row, a number that is not one) stops the run
        with its line and column named; with --on-error skip such rows go to a
        reject file instead, with their line and reason, and are counted.

        k-means writes `segment` and `distance` (Euclidean, in the model's
        standardised feature space) per row. Every two-class classifier
        (logistic regression, a tree, boosted trees, a forest) writes
        `probability` (of the positive class), `predicted` (the positive class
        when the probability is at least the threshold) and `risk_decile` (1 = the
        riskiest tenth of the training customers); --top N keeps the N riskiest
        rows, riskiest first. A classifier of more classes writes
        `probability_<class>` for each class and `predicted` (the likeliest); a
        regression tree `predicted`, boosted regression `prediction`.

        --explain K adds each row's K strongest reasons (reason_k, the column, and
        contribution_k, how much it raised the score); --contributions adds
        raw_score, one contrib_<column> per input column and contrib_bias, which
        add up to raw_score. Trees and boosted trees use exact TreeSHAP (a
        decision tree explains its positive-class probability, boosted trees their
        log-odds); logistic regression uses coefficient times the deviation from
        the training mean, on the log-odds, summed over a column's encoded
        features.

        An uplift model writes `uplift_<treatment>` per treatment, `best_treatment`
        (control when no treatment is expected to help) and `best_uplift`.
        --budget N keeps the N customers with the largest uplift, largest first.
        --cost C --margin M (per customer treated, per response) add
        `expected_profit` = M x uplift - C of the best treatment, choose the
        treatment by it, and keep only customers worth treating, most profitable
        first (at most --budget of them).

        An association rules model reads baskets (the columns it was trained on,
        or --basket with --item or --items) and writes, for each basket, the
        items not in it that rules whose antecedent it holds suggest, best first
        (--top, default 5): basket_id, rank, item, confidence, lift, antecedent.

        A customer value model reads a transaction log of the columns it was
        trained on (cut at --as-of, default the model's calibration end,
        inclusive) or a summary table, and writes one row per customer:
        customer_id, frequency, recency, T, monetary_value, p_alive,
        expected_purchases (over --horizon periods), expected_spend (per
        purchase, Gamma-Gamma), clv (expected purchases x expected spend x
        --margin, each period discounted at --discount-rate), value_decile (1 =
        the most valuable tenth of the scored customers) and lifecycle:

        \(ValueScoreOptions.lifecycleRules)
        """
    )

    @Argument(help: "The model file.")
    var model: String

    @OptionGroup var input: DataInput

    @Option(help: ArgumentHelp("Where to write the scores.", valueName: "file"))
    var out: String

    @Option(help: "csv, or jsonl (one JSON object per row). Default: what the output's name says (.csv, .jsonl or .ndjson, .parquet; .gz or .zst after it compresses), else csv.")
    var format: BatchScorer.Format?

    /// The output's format, from its name or --format (checked in `validate`).
    var outputFormat: BatchScorer.Format { (try? dataOutputFormat(out, given: format)) ?? .csv }

    @Option(name: .customLong("on-error"), help: "fail on the first bad row (default), or skip bad rows into a reject file.")
    var onError: OnError = .fail

    @Option(help: ArgumentHelp("With --on-error skip: the reject file (default: the output's name with .rejects.csv).", valueName: "file"))
    var rejects: String?

    @Option(name: .customLong("id"), help: ArgumentHelp("Column(s) to carry into the output, comma-separated (default: the first column if it is an id).", valueName: "col"))
    var id: [String] = []

    @Option(help: "Classifiers: the probability from which a row is predicted positive (default: the model's, 0.5 for trees).")
    var threshold: Double?

    @Option(help: "Classifiers: keep only the N riskiest rows, riskiest first. Association rules: suggestions per basket (default 5). Customer value: the N most valuable customers, most valuable first.")
    var top: Int?

    @Option(help: ArgumentHelp("Association rules: the basket id column (default: the model's).", valueName: "col"))
    var basket: String?

    @Option(help: ArgumentHelp("Association rules: the item column, one row per basket and item (default: the model's).", valueName: "col"))
    var item: String?

    @Option(help: ArgumentHelp("Association rules: the column of a basket's items, one row per basket.", valueName: "col"))
    var items: String?

    @Option(help: ArgumentHelp("Association rules, with --items: what separates the items (default: the model's).", valueName: "text"))
    var separator: String?

    @Option(help: ArgumentHelp("Add reason_1..K and contribution_1..K: the columns pushing each row's score up most, largest first (trees, boosted trees, logistic regression).", valueName: "K"))
    var explain: Int?

    @Flag(help: "Add raw_score, contrib_<column> for every input column and contrib_bias; they add up to raw_score.")
    var contributions = false

    @Option(help: "Uplift models: keep the N customers with the largest expected uplift (or profit), largest first.")
    var budget: Int?

    @Option(help: "Uplift models: the cost of treating one customer (with --margin).")
    var cost: Double?

    @Option(help: "Uplift models: the value of one response (with --cost). Customer value: the share of spend that is margin (default \(formatNumber(ValueScoreOptions().margin))).")
    var margin: Double?

    @Option(name: .customLong("as-of"), help: ArgumentHelp("Customer value: score as of this day (YYYY-MM-DD; later purchases ignored).", valueName: "date"))
    var asOf: String?

    @Option(help: ArgumentHelp("Customer value: periods ahead for expected purchases and clv (default \(formatNumber(ValueScoreOptions().horizon))).", valueName: "periods"))
    var horizon: Double?

    @Option(name: .customLong("discount-rate"), help: ArgumentHelp("Customer value: the discount rate per period of clv (default \(formatNumber(ValueScoreOptions().discountRate))).", valueName: "rate"))
    var discountRate: Double?

    @Option(name: .customLong("new-periods"), help: ArgumentHelp("Customer value: a first purchase fewer than this many periods ago is `new` (default \(formatNumber(ValueScoreOptions().newPeriods))).", valueName: "periods"))
    var newPeriods: Double?

    @Option(name: .customLong("at-risk"), help: ArgumentHelp("Customer value: P(alive) below this is `at_risk` (default \(formatNumber(ValueScoreOptions().atRisk))).", valueName: "p"))
    var atRisk: Double?

    @Option(help: ArgumentHelp("Customer value: P(alive) below this is `lost` (default \(formatNumber(ValueScoreOptions().lost))).", valueName: "p"))
    var lost: Double?

    @OptionGroup var verbosity: Verbosity

    func validate() throws {
        _ = try dataOutputFormat(out, given: format)
        if let n = budget, n < 1 { throw ValidationError("--budget must be at least 1.") }
        if let k = explain, k < 1 { throw ValidationError("--explain must be at least 1.") }
        if budget != nil && top != nil { throw ValidationError("--budget and --top both cap the rows; give one.") }
        if let m = margin, !(m > 0 && m.isFinite) { throw ValidationError("--margin must be a positive number.") }
        if let c = cost, !(c >= 0 && c.isFinite) { throw ValidationError("--cost must be zero or more.") }
        if let t = threshold, !(t > 0 && t < 1) { throw ValidationError("--threshold must be between 0 and 1.") }
        if let n = top, n < 1 { throw ValidationError("--top must be at least 1.") }
        if rejects != nil && onError != .skip { throw ValidationError("--rejects goes with --on-error skip.") }
        if item != nil && items != nil { throw ValidationError("Give --item (one row per basket and item) or --items (one row per basket), not both.") }
        if separator == "" { throw ValidationError("--separator must not be empty.") }
        if let h = horizon, !(h > 0 && h <= 100_000) { throw ValidationError("--horizon must be a number of periods above 0 (at most 100000).") }
        if let d = discountRate, !(d >= 0 && d < 10) { throw ValidationError("--discount-rate must be 0 or more (a rate per period, such as 0.01).") }
        if let p = newPeriods, !(p >= 0 && p.isFinite) { throw ValidationError("--new-periods must be 0 or more.") }
        for (v, flag) in [(atRisk, "--at-risk"), (lost, "--lost")] { if let v, !(v >= 0 && v <= 1) { throw ValidationError("\(flag) must be between 0 and 1.") } }
        if let a = atRisk, let l = lost, l > a { throw ValidationError("--lost (\(formatNumber(l))) must not be above --at-risk (\(formatNumber(a))).") }
        if out == "-" && onError == .skip && rejects == nil {
            throw ValidationError("With --out - (standard output), --on-error skip needs --rejects FILE for the rows set aside.")
        }
    }

    func run() throws {
        verbosity.apply()
        let loaded = try ModelStore.load(path: model)
        if loaded is any Recommending {
            throw PersonaError("\(model): is a \(loaded.card.kind) recommender, which scores users against items; use `persona recommend \(model) --all-users --top N --out FILE`")
        }
        if let suggesting = loaded as? any BasketSuggesting {
            try suggest(suggesting)
            return
        }
        if let valuing = loaded as? any CustomerValuing {
            try value(valuing)
            return
        }
        if let flag = [(asOf != nil, "--as-of"), (horizon != nil, "--horizon"), (discountRate != nil, "--discount-rate"), (newPeriods != nil, "--new-periods"),
                       (atRisk != nil, "--at-risk"), (lost != nil, "--lost")].first(where: { $0.0 })?.1 {
            throw ValidationError("\(flag) is for customer value models; \(model) is a \(loaded.card.kind) model")
        }
        if let flag = [(basket, "--basket"), (item, "--item"), (items, "--items"), (separator, "--separator")].first(where: { $0.0 != nil })?.1 {
            throw ValidationError("\(flag) is for association rules models; \(model) is a \(loaded.card.kind) model, which scores rows")
        }
        if (cost == nil) != (margin == nil) { throw ValidationError("--cost and --margin go together: expected profit is margin x uplift - cost.") }
        if (budget != nil || cost != nil) && !(loaded is any UpliftScoring) {
            throw ValidationError("--budget, --cost and --margin rank customers by uplift; \(model) is a \(loaded.card.kind) model (train one with `persona train uplift`)")
        }
        let start = Date()
        let ids = id.isEmpty ? nil : id.flatMap(splitList)
        var options = ScoreOptions(threshold: threshold, top: top ?? budget)
        options.explain = explain
        options.contributions = contributions
        options.cost = cost
        options.margin = margin
        let settings = BatchScorer.Settings(idColumns: ids, options: options,
                                            delimiter: try input.delimiterByte(), format: outputFormat,
                                            skipBadRows: onError == .skip, rejects: rejects)
        let summary = try BatchScorer.score(model: loaded, input: try input.path(), output: out, settings: settings)
        let seconds = Date().timeIntervalSince(start)
        Console.wrote("scored \(summary.rows) rows -> \(out) (\(summary.columns.joined(separator: ",")))", dataOnStandardOutput: out == "-")
        if let path = summary.rejectsPath {
            Console.wrote("skipped \(summary.rejected) bad row\(summary.rejected == 1 ? "" : "s") -> \(path)", dataOnStandardOutput: out == "-")
        }
        Console.progress(String(format: "%.2f s, %.0f rows/s", seconds, Double(summary.rows) / max(seconds, 1e-9)))
    }

    /// One row per customer, from a customer value model.
    func value(_ model: any CustomerValuing) throws {
        let refused: [(Bool, String)] = [(threshold != nil, "--threshold"), (explain != nil, "--explain"), (contributions, "--contributions"),
                                         (budget != nil, "--budget"), (cost != nil, "--cost"), (onError == .skip, "--on-error skip"),
                                         (!id.isEmpty, "--id"), (basket != nil, "--basket"), (item != nil, "--item"), (items != nil, "--items")]
        if let flag = refused.first(where: { $0.0 })?.1 {
            throw ValidationError("\(flag) does not apply to a customer value model, which scores customers from their purchases")
        }
        var options = ValueScoreOptions()
        options.asOf = asOf
        if let horizon { options.horizon = horizon }
        if let discountRate { options.discountRate = discountRate }
        if let margin { options.margin = margin }
        if let newPeriods { options.newPeriods = newPeriods }
        if let atRisk { options.atRisk = atRisk }
        if let lost { options.lost = lost }
        if let l = lost, atRisk == nil, l > options.atRisk { throw ValidationError("--lost (\(formatNumber(l))) must not be above --at-risk (\(formatNumber(options.atRisk))).") }
        if let a = atRisk, lost == nil, options.lost > a { throw ValidationError("--at-risk (\(formatNumber(a))) must not be below --lost (\(formatNumber(options.lost))).") }
        options.top = top
        let start = Date()
        let s = try model.scoreCustomers(path: try input.path(), options: options, output: out, jsonLines: outputFormat == .jsonl, delimiter: try input.delimiterByte())
        Console.wrote("scored \(s.customers) customers\(s.asOf.map { " as of \($0)" } ?? "") -> \(out) (\(s.columns.joined(separator: ",")))", dataOnStandardOutput: out == "-")
        Console.wrote("lifecycle of \(top == nil ? "the" : "these") customers: " + s.lifecycle.map { "\($0.stage) \($0.customers)" }.joined(separator: ", "), dataOnStandardOutput: out == "-")
        Console.progress(String(format: "done in %.2f s", Date().timeIntervalSince(start)))
    }

    /// Suggestions for every basket of the file, from an association rules model.
    func suggest(_ model: any BasketSuggesting) throws {
        let refused: [(Bool, String)] = [(threshold != nil, "--threshold"), (explain != nil, "--explain"), (contributions, "--contributions"),
                                         (budget != nil, "--budget"), (cost != nil, "--cost"), (onError == .skip, "--on-error skip"),
                                         (!id.isEmpty, "--id")]
        if let flag = refused.first(where: { $0.0 })?.1 {
            throw ValidationError("\(flag) does not apply to an association rules model, which suggests items for baskets")
        }
        var layout = model.basketLayout
        if let basket { layout.basket = basket }
        if let item { layout.item = item; layout.items = nil }
        if let items { layout.items = items; layout.item = nil }
        if let separator { layout.separator = separator }
        let start = Date()
        let s = try model.suggest(path: try input.path(), layout: layout, top: top ?? type(of: model).defaultSuggestions, output: out, jsonLines: outputFormat == .jsonl,
                                  delimiter: try input.delimiterByte())
        Console.wrote("suggested \(s.rows) items for \(s.basketsWithSuggestions) of \(s.baskets) baskets -> \(out)", dataOnStandardOutput: out == "-")
        Console.progress(String(format: "done in %.2f s", Date().timeIntervalSince(start)))
    }
}
