#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Deterministic, realistic sample data. The same kind, row count and seed give
/// the same bytes on every machine. Each generator plants structure that a
/// model should find (latent segments, a known churn model, low-rank taste),
/// which is what the tests and benchmarks check against.
public enum DatasetKind: String, CaseIterable, Sendable {
    case customers, churn, interactions, transactions, campaign, baskets
    case dirtyCustomers = "dirty-customers"
}

public enum Generators {
    public static func generate(_ kind: DatasetKind, rows: Int, seed: UInt64, to path: String) throws {
        if rows < 1 { throw PersonaError("--rows must be at least 1 (got \(rows))") }
        let w = try CSVWriter(path: path)
        do {
            switch kind {
            case .customers: customers(rows: rows, seed: seed, w)
            case .churn: churn(rows: rows, seed: seed, w)
            case .interactions: interactions(rows: rows, seed: seed, w)
            case .transactions: transactions(rows: rows, seed: seed, w)
            case .campaign: campaign(rows: rows, seed: seed, w)
            case .baskets: baskets(rows: rows, seed: seed, w)
            case .dirtyCustomers: dirtyCustomers(rows: rows, seed: seed, w)
            }
            try w.commit()
        } catch {
            w.abandon()
            throw error
        }
    }

    static let regions = ["North", "South", "East", "West", "Central"]

    // MARK: dirty customers

    static let firstNames = ["Anna", "Ben", "Clara", "David", "Emma", "Felix", "Grace", "Harry", "Isla", "Jack", "Kate", "Liam",
                             "Mia", "Noah", "Olivia", "Paul", "Quinn", "Ruby", "Sam", "Tara", "Umar", "Vera", "Will", "Zoe"]
    static let lastNames = ["Adams", "Brown", "Clarke", "Davies", "Evans", "Fisher", "Green", "Hughes", "Irwin", "Jones", "King",
                            "Lewis", "Morgan", "Nash", "Owen", "Patel", "Quinn", "Roberts", "Smith", "Taylor", "Walker", "Young"]

    /// Customer records as several systems export them (UK phone numbers):
    /// about a quarter of the customers appear twice, the second time from
    /// another system with its own id, the name in other case or spacing, the
    /// e-mail address in capitals or missing, the phone written another way or
    /// missing, the sign-up date day first; 1% of the rows are exact
    /// duplicates; spend sometimes with a pound sign, and a few test accounts
    /// spend millions. `true_customer` says which customer each record is.
    static func dirtyCustomers(rows: Int, seed: UInt64, _ w: CSVWriter) {
        var rng = PersonaRandom(seed: seed)
        w.row(["customer_id", "name", "email", "phone", "signup", "spend", "true_customer"])
        var written = 0, customer = 0, lastRow: [String] = []
        func emit(_ r: [String]) { w.row(r); lastRow = r; written += 1 }
        while written < rows {
            customer += 1
            let first = firstNames[rng.below(firstNames.count)], last = lastNames[rng.below(lastNames.count)]
            let email = "\(first.lowercased()).\(last.lowercased())\(customer)@mail.example"
            let area = ["20", "161", "121", "113", "131"][rng.below(5)]
            let number = String(1_000_000 + rng.below(8_999_999))
            let day = daysFromCivil(2019, 1, 1) + rng.below(2_000)
            let (y, m, d) = civilFromDays(day)
            func two(_ v: Int) -> String { v < 10 ? "0\(v)" : "\(v)" }
            var spend = rng.uniform() < 0.003 ? Double(1_000_000 + rng.below(9_000_000)) : (exp(3.5 + 0.8 * rng.normal()) * 100).rounded() / 100
            if spend < 1 { spend = 1 }
            let spendText = rng.uniform() < 0.15 ? "£" + String(format: "%.2f", spend) : String(format: "%.2f", spend)
            let truth = "T\(customer)"
            emit(["S1-\(customer)", "\(first) \(last)", email, "0\(area) \(number)", "\(y)-\(two(m))-\(two(d))", spendText, truth])
            if written < rows && rng.uniform() < 0.01 { emit(lastRow) }
            if written < rows && rng.uniform() < 0.25 {
                // the same customer from a second system
                let name = [first.uppercased() + " " + last.uppercased(), "\(first)  \(last)", "\(first.lowercased()) \(last.lowercased())", "\(first) \(last)"][rng.below(4)]
                let mail = rng.uniform() < 0.25 ? "" : rng.uniform() < 0.5 ? email.uppercased() : email
                let phone = rng.uniform() < 0.3 ? "" : rng.uniform() < 0.5 ? "+44 \(area) \(number)" : "0\(area)-\(number)"
                emit(["S2-\(customer)", name, mail, phone, "\(two(d))/\(two(m))/\(y)", String(format: "%.2f", spend), truth])
            }
        }
    }

    // MARK: customers

    /// Latent customer segments: (name, share, age, income k, orders/yr, order value, recency days,
    /// web visits, email open rate, preferred channels).
    struct Segment {
        var share: Double, age: Double, ageSD: Double, income: Double, orders: Double, orderValue: Double
        var recency: Double, visits: Double, openRate: Double, loyalty: Double, channel: [Double]
    }
    static let segments: [Segment] = [
        // young digital bargain hunters
        Segment(share: 0.28, age: 27, ageSD: 5, income: 38, orders: 14, orderValue: 32, recency: 12, visits: 22, openRate: 0.18, loyalty: 0.25, channel: [0.35, 0.55, 0.08, 0.02]),
        // affluent loyalists
        Segment(share: 0.17, age: 48, ageSD: 8, income: 115, orders: 22, orderValue: 140, recency: 8, visits: 9, openRate: 0.52, loyalty: 0.9, channel: [0.45, 0.2, 0.3, 0.05]),
        // families, steady mid spend
        Segment(share: 0.25, age: 39, ageSD: 6, income: 72, orders: 10, orderValue: 85, recency: 25, visits: 7, openRate: 0.33, loyalty: 0.55, channel: [0.4, 0.25, 0.3, 0.05]),
        // occasional shoppers
        Segment(share: 0.18, age: 55, ageSD: 12, income: 58, orders: 3, orderValue: 60, recency: 90, visits: 2, openRate: 0.12, loyalty: 0.15, channel: [0.2, 0.05, 0.55, 0.2]),
        // lapsed
        Segment(share: 0.12, age: 42, ageSD: 14, income: 50, orders: 0.8, orderValue: 45, recency: 300, visits: 0.5, openRate: 0.04, loyalty: 0.1, channel: [0.4, 0.2, 0.3, 0.1]),
    ]
    static let channels = ["web", "app", "store", "phone"]

    static func customers(rows: Int, seed: UInt64, _ w: CSVWriter) {
        var rng = PersonaRandom(seed: seed)
        w.row(["customer_id", "age", "gender", "region", "income", "tenure_months", "orders_12m", "avg_order_value",
               "days_since_last_order", "web_visits_30d", "email_open_rate", "support_tickets", "loyalty_member", "preferred_channel"])
        let shareCum = cumulativeWeights(segments.map(\.share))
        let channelCums = segments.map { cumulativeWeights($0.channel) }
        let genders = ["F", "M", "F", "M", "X"]
        let genderCum = cumulativeWeights([0.49, 0.47, 0, 0, 0.04])
        let regionCum = cumulativeWeights([0.22, 0.24, 0.2, 0.19, 0.15])
        let idPrefix = Array("C".utf8)
        for i in 0..<rows {
            let s = rng.pick(cumulative: shareCum)
            let g = segments[s]
            w.field(prefix: idPrefix, number: i + 1, width: 7)
            let age = min(90, max(18, rng.normal(mean: g.age, sd: g.ageSD)))
            if rng.bernoulli(0.01) { w.missing() } else { w.field(Int(age)) }
            w.field(genders[rng.pick(cumulative: genderCum)])
            w.field(regions[rng.pick(cumulative: regionCum)])
            let income = g.income * exp(rng.normal(mean: 0, sd: 0.3)) * 1000
            if rng.bernoulli(0.04) { w.missing() } else { w.field((income / 100).rounded() * 100, decimals: 0) }
            let tenure = min(240, max(1, rng.exponential(mean: s == 0 ? 14 : (s == 1 ? 70 : 40))))
            w.field(Int(tenure))
            let orders = rng.poisson(g.orders * exp(rng.normal(mean: 0, sd: 0.25)))
            w.field(orders)
            let aov = orders > 0 ? g.orderValue * exp(rng.normal(mean: 0, sd: 0.25)) : 0
            w.field(aov, decimals: 2)
            let recency = min(720, rng.exponential(mean: g.recency) + (orders == 0 ? 365 : 0))
            w.field(Int(recency))
            w.field(rng.poisson(g.visits))
            let open = min(1, max(0, rng.normal(mean: g.openRate, sd: 0.06)))
            if rng.bernoulli(0.02) { w.missing() } else { w.field(open, decimals: 3) }
            w.field(rng.poisson(s == 4 ? 1.5 : 0.4))
            w.field(rng.bernoulli(g.loyalty) ? "yes" : "no")
            w.field(channels[rng.pick(cumulative: channelCums[s])])
            w.endRow()
        }
    }

    // MARK: churn

    static let contracts = ["month-to-month", "one-year", "two-year"]
    static let plans = ["basic", "standard", "premium"]
    static let payments = ["card", "bank-transfer", "electronic-check", "mailed-check"]

    /// The known churn model: log-odds with non-linear effects (tenure on a log
    /// scale, a support-call threshold, a charge-by-contract interaction, and a
    /// usage drop). The intercept puts the churn rate near 22%.
    public static func churnLogit(tenure: Double, monthly: Double, contract: Int, plan: Int, payment: Int,
                                  supportCalls: Int, usageChange: Double, paperless: Bool, senior: Bool) -> Double {
        var z = -1.25
        z += -0.85 * log1p(tenure / 6)
        z += [1.1, -0.3, -1.4][contract]
        z += contract == 0 ? 0.025 * (monthly - 65) : 0.008 * (monthly - 65)
        z += supportCalls >= 4 ? 1.3 + 0.25 * Double(supportCalls - 4) : 0.12 * Double(supportCalls)
        z += -1.6 * usageChange           // usage falling (negative change) raises risk
        z += payment == 2 ? 0.45 : 0
        z += paperless ? 0.2 : 0
        z += senior ? 0.35 : 0
        z += plan == 2 ? -0.25 : 0
        return z
    }

    static func churn(rows: Int, seed: UInt64, _ w: CSVWriter) {
        var rng = PersonaRandom(seed: seed)
        w.row(["customer_id", "tenure_months", "monthly_charges", "total_charges", "contract", "plan", "region",
               "payment_method", "support_calls", "usage_gb", "usage_change", "paperless_billing", "senior", "churned"])
        let contractCum = cumulativeWeights([0.55, 0.25, 0.2])
        let planCum = cumulativeWeights([0.4, 0.4, 0.2])
        let paymentCum = cumulativeWeights([0.3, 0.25, 0.3, 0.15])
        let regionCum = cumulativeWeights([0.22, 0.24, 0.2, 0.19, 0.15])
        let idPrefix = Array("K".utf8)
        for i in 0..<rows {
            let contract = rng.pick(cumulative: contractCum)
            let plan = rng.pick(cumulative: planCum)
            let tenure = min(72, max(1, (rng.exponential(mean: [14, 30, 45][contract])).rounded(.up)))
            let monthly = max(15, [35, 65, 95][plan] + rng.normal(mean: 0, sd: 9))
            let total = monthly * tenure * (1 + rng.normal(mean: 0, sd: 0.03))
            let payment = rng.pick(cumulative: paymentCum)
            let support = rng.poisson(plan == 0 ? 1.6 : 1.1)
            let usage = max(0.1, [12, 35, 80][plan] * exp(rng.normal(mean: 0, sd: 0.5)))
            let usageChange = rng.normal(mean: 0, sd: 0.35)
            let paperless = rng.bernoulli(0.6)
            let senior = rng.bernoulli(0.16)
            let z = churnLogit(tenure: tenure, monthly: monthly, contract: contract, plan: plan, payment: payment,
                               supportCalls: support, usageChange: usageChange, paperless: paperless, senior: senior)
            let churned = rng.uniform() < 1 / (1 + exp(-z))
            w.field(prefix: idPrefix, number: i + 1, width: 7)
            w.field(Int(tenure))
            w.field(monthly, decimals: 2)
            if tenure <= 1 && rng.bernoulli(0.5) { w.missing() } else { w.field(total, decimals: 2) }
            w.field(contracts[contract])
            w.field(plans[plan])
            w.field(regions[rng.pick(cumulative: regionCum)])
            w.field(payments[payment])
            w.field(support)
            if rng.bernoulli(0.03) { w.missing() } else { w.field(usage, decimals: 1) }
            w.field(usageChange, decimals: 3)
            w.field(paperless ? "yes" : "no")
            w.field(senior ? 1 : 0)
            w.field(churned ? 1 : 0)
            w.endRow()
        }
    }

    // MARK: campaign

    static let campaignArms = ["control", "offer_a", "offer_b"]

    /// The known campaign model, on the log-odds of converting in the campaign
    /// window. `arm` 0 is control, 1 offer_a, 2 offer_b. offer_a's effect is
    /// heterogeneous: strong for new and young customers and for those who open
    /// emails, harmful for premium customers (who dislike discount offers);
    /// offer_b lifts everyone a little.
    public static func campaignLogit(age: Double, tenure: Double, plan: Int, visits: Double, emailOptIn: Bool,
                                     preRevenue: Double, arm: Int) -> Double {
        var z = -2.6
        z += 0.35 * log1p(preRevenue / 40)
        z += 0.04 * min(visits, 20)
        z += [0, 0.15, 0.3][plan]
        z += emailOptIn ? 0.2 : 0
        switch arm {
        case 1:
            z += -0.15 + (tenure < 12 ? 0.9 : 0) + (age < 35 ? 0.45 : 0) + (emailOptIn ? 0.35 : 0) + (plan == 2 ? -0.7 : 0)
        case 2:
            z += 0.18
        default:
            break
        }
        return z
    }

    static func campaign(rows: Int, seed: UInt64, _ w: CSVWriter) {
        var rng = PersonaRandom(seed: seed)
        w.row(["customer_id", "age", "tenure_months", "region", "plan", "visits_30d", "email_opt_in", "pre_revenue",
               "group", "converted", "revenue", "true_uplift"])
        let planCum = cumulativeWeights([0.45, 0.35, 0.2])
        let regionCum = cumulativeWeights([0.22, 0.24, 0.2, 0.19, 0.15])
        let idPrefix = Array("C".utf8)
        func sigmoid(_ z: Double) -> Double { 1 / (1 + exp(-z)) }
        for i in 0..<rows {
            let age = min(85, max(18, rng.normal(mean: 41, sd: 13).rounded()))
            let tenure = min(120, max(1, rng.exponential(mean: 26).rounded(.up)))
            let plan = rng.pick(cumulative: planCum)
            let region = rng.pick(cumulative: regionCum)
            let visits = Double(rng.poisson(2 + 3 * Double(plan) + (age < 35 ? 3 : 0)))
            let optIn = rng.bernoulli(0.55)
            // Pre-period revenue: zero for a third, otherwise log-normal, higher on better plans.
            let pre = rng.bernoulli(0.33) ? 0 : exp(rng.normal(mean: 3.2 + 0.4 * Double(plan) + 0.01 * min(tenure, 60), sd: 0.8))
            let arm = rng.below(3)
            let pArm = sigmoid(campaignLogit(age: age, tenure: tenure, plan: plan, visits: visits, emailOptIn: optIn, preRevenue: pre, arm: arm))
            let converted = rng.uniform() < pArm
            // Spend in the window: the customer's usual level, more on a conversion.
            let usual = 0.35 * pre * exp(rng.normal(mean: 0, sd: 0.35))
            let revenue = usual + (converted ? (25 + 0.2 * pre) * exp(rng.normal(mean: 0, sd: 0.4)) : 0)
            let p0 = sigmoid(campaignLogit(age: age, tenure: tenure, plan: plan, visits: visits, emailOptIn: optIn, preRevenue: pre, arm: 0))
            let p1 = sigmoid(campaignLogit(age: age, tenure: tenure, plan: plan, visits: visits, emailOptIn: optIn, preRevenue: pre, arm: 1))
            w.field(prefix: idPrefix, number: i + 1, width: 7)
            w.field(Int(age))
            w.field(Int(tenure))
            w.field(regions[region])
            w.field(plans[plan])
            w.field(Int(visits))
            w.field(optIn ? "yes" : "no")
            w.field(pre, decimals: 2)
            w.field(campaignArms[arm])
            w.field(converted ? 1 : 0)
            w.field(revenue, decimals: 2)
            w.field(p1 - p0, decimals: 6)
            w.endRow()
        }
    }

    // MARK: interactions

    /// Users and items with rank-8 tastes; item popularity follows a power law.
    /// Each user's items are drawn by popularity and kept with a probability that
    /// grows with the user-item affinity; the rating is that affinity plus noise.
    static func interactions(rows: Int, seed: UInt64, _ w: CSVWriter) {
        var rng = PersonaRandom(seed: seed)
        w.row(["user_id", "item_id", "rating"])
        let rank = 8
        let users = max(20, rows / 25)
        let items = max(10, min(50_000, Int(Double(rows).squareRoot() * 4)))
        var itemFactors = [Double](repeating: 0, count: items * rank)
        for t in itemFactors.indices { itemFactors[t] = rng.normal() / Double(rank).squareRoot() }
        let popularity = cumulativeWeights((0..<items).map { pow(Double($0 + 1), -0.7) })
        let userPrefix = Array("U".utf8), itemPrefix = Array("I".utf8)
        var written = 0
        var user = 0
        var userFactor = [Double](repeating: 0, count: rank)
        var seen = Set<Int>()
        let meanPerUser = Double(rows) / Double(users)
        while written < rows {
            for t in 0..<rank { userFactor[t] = rng.normal() / Double(rank).squareRoot() * 2.2 }
            let count = min(items / 2, max(1, Int(rng.exponential(mean: meanPerUser)) + 1), rows - written)
            seen.removeAll(keepingCapacity: true)
            var attempts = 0
            while seen.count < count && attempts < count * 50 {
                attempts += 1
                let item = rng.pick(cumulative: popularity)
                if seen.contains(item) { continue }
                var affinity = 0.0
                for t in 0..<rank { affinity += userFactor[t] * itemFactors[item * rank + t] }
                if rng.uniform() > 1 / (1 + exp(2 - 8 * affinity)) { continue }
                seen.insert(item)
                let rating = min(5, max(1, (3.4 + 2.5 * affinity + rng.normal(mean: 0, sd: 0.6)).rounded()))
                w.field(prefix: userPrefix, number: user + 1, width: 6)
                w.field(prefix: itemPrefix, number: item + 1, width: 5)
                w.field(Int(rating))
                w.endRow()
            }
            written += seen.count
            user += 1
        }
    }

    // MARK: transactions

    static let categories = ["grocery", "electronics", "fashion", "home", "beauty", "sports", "books"]

    /// Purchases of customers who differ in rate, spend and lifetime, between
    /// 2024-07-01 and 2026-06-30, grouped by customer and in time order.
    static func transactions(rows: Int, seed: UInt64, _ w: CSVWriter) {
        var rng = PersonaRandom(seed: seed)
        w.row(["customer_id", "timestamp", "amount", "category"])
        let start = daysFromCivil(2024, 7, 1), end = daysFromCivil(2026, 6, 30)
        let span = Double(end - start)
        let idPrefix = Array("C".utf8)
        var written = 0
        var customer = 0
        var times: [Double] = []
        while written < rows {
            customer += 1
            let perYear = exp(rng.normal(mean: 1.8, sd: 0.9))          // median ~6 purchases a year
            let meanAmount = exp(rng.normal(mean: 3.7, sd: 0.6))       // median ~40
            let first = rng.uniform() * span * 0.9
            let lifetime = rng.bernoulli(0.35) ? rng.uniform() * (span - first) : span - first
            let favourite = rng.below(categories.count)
            times.removeAll(keepingCapacity: true)
            var t = first
            while t <= first + lifetime && written + times.count < rows {
                times.append(t)
                t += rng.exponential(mean: 365 / perYear)
            }
            for t in times {
                let day = start + Int(t)
                let seconds = Int((t - t.rounded(.down)) * 86_400)
                w.field(prefix: idPrefix, number: customer, width: 7)
                w.field(isoDateTime(days: day, seconds: seconds))
                w.field(max(0.5, meanAmount * exp(rng.normal(mean: 0, sd: 0.5))), decimals: 2)
                w.field(categories[rng.bernoulli(0.6) ? favourite : rng.below(categories.count)])
                w.endRow()
            }
            written += times.count
        }
    }
}

extension Generators {
    /// Named products, most popular first; the rest of the catalogue is SKU numbers.
    static let basketProducts = ["milk", "bread", "bananas", "eggs", "coffee beans", "pasta", "tomato sauce", "butter", "yoghurt",
                                 "apples", "cheddar", "rice", "tortilla chips", "chicken", "nappies", "beer", "orange juice",
                                 "parmesan", "salsa", "tea", "onions", "potatoes", "cereal", "chocolate", "wine"]

    /// Associations planted in the baskets: a basket holding the antecedent gets
    /// the consequent with the given probability, so a test knows what to find.
    static let plantedBundles: [(antecedent: [String], consequent: String, share: Double, confidence: Double)] = [
        (["pasta", "tomato sauce"], "parmesan", 0.06, 0.75),
        (["nappies"], "beer", 0.05, 0.6),
        (["tortilla chips"], "salsa", 0.05, 0.8),
        (["coffee beans"], "milk", 0.08, 0.7),
    ]

    /// Shopping baskets in long form (`basket_id,item`; `rows` baskets): a Poisson
    /// number of items per basket (mean 4) drawn by Zipf popularity from a
    /// catalogue that grows with the data, plus the planted bundles above.
    static func baskets(rows: Int, seed: UInt64, _ w: CSVWriter) {
        var rng = PersonaRandom(seed: seed)
        w.row(["basket_id", "item"])
        let catalogue = max(basketProducts.count + 15, min(2_000, rows / 10))
        let names = basketProducts + (basketProducts.count..<catalogue).map { "SKU" + String(100_000 + $0).dropFirst() }
        let index = Dictionary(uniqueKeysWithValues: names.enumerated().map { ($1, $0) })
        let popularity = cumulativeWeights((0..<catalogue).map { pow(Double($0 + 2), -1.0) })
        let prefix = Array("B".utf8)
        var basket: [Int] = []
        for b in 1...rows {
            basket.removeAll(keepingCapacity: true)
            let size = 1 + rng.poisson(3)
            while basket.count < min(size, catalogue) {
                let item = rng.pick(cumulative: popularity)
                if !basket.contains(item) { basket.append(item) }
            }
            for bundle in plantedBundles where rng.bernoulli(bundle.share) {
                for a in bundle.antecedent where !basket.contains(index[a]!) { basket.append(index[a]!) }
                if rng.bernoulli(bundle.confidence), !basket.contains(index[bundle.consequent]!) { basket.append(index[bundle.consequent]!) }
            }
            for item in basket {
                w.field(prefix: prefix, number: b, width: 7)
                w.field(names[item])
                w.endRow()
            }
        }
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm).
public func daysFromCivil(_ y0: Int, _ m: Int, _ d: Int) -> Int {
    let y = m <= 2 ? y0 - 1 : y0
    let era = (y >= 0 ? y : y - 399) / 400
    let yoe = y - era * 400
    let doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
    return era * 146_097 + doe - 719_468
}

/// The (year, month, day) of a day count since 1970-01-01.
public func civilFromDays(_ z0: Int) -> (year: Int, month: Int, day: Int) {
    let z = z0 + 719_468
    let era = (z >= 0 ? z : z - 146_096) / 146_097
    let doe = z - era * 146_097
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
    let mp = (5 * doy + 2) / 153
    let d = doy - (153 * mp + 2) / 5 + 1
    let m = mp < 10 ? mp + 3 : mp - 9
    return (yoe + era * 400 + (m <= 2 ? 1 : 0), m, d)
}

func isoDateTime(days: Int, seconds: Int) -> String {
    let (y, m, d) = civilFromDays(days)
    func two(_ v: Int) -> String { v < 10 ? "0\(v)" : "\(v)" }
    return "\(y)-\(two(m))-\(two(d))T\(two(seconds / 3600)):\(two(seconds / 60 % 60)):\(two(seconds % 60))"
}
