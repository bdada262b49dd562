#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Ranking quality of a recommender on held-out interactions, always beside
/// the same figures for a most-popular baseline so the lift is visible.
/// With relevant set R (the user's held-out items) and the top-k list:
/// precision@k = hits / k, recall@k = hits / |R|,
/// NDCG@k = Σ_hits 1/log2(rank + 1) / Σ_{j < min(k, |R|)} 1/log2(j + 2),
/// MAP@k = Σ_hits precision@rank / min(k, |R|), averaged over users.
public enum RankingMetrics {
    public struct Scores { public var precision = 0.0, recall = 0.0, ndcg = 0.0, map = 0.0, users = 0 }

    static func add(_ s: inout Scores, list: [Int], relevant: Set<Int>, k: Int) {
        var hits = 0, dcg = 0.0, ap = 0.0
        for (r, item) in list.prefix(k).enumerated() where relevant.contains(item) {
            hits += 1
            dcg += 1 / log2(Double(r) + 2)
            ap += Double(hits) / Double(r + 1)
        }
        let ideal = (0..<min(k, relevant.count)).reduce(0.0) { $0 + 1 / log2(Double($1) + 2) }
        s.precision += Double(hits) / Double(k)
        s.recall += Double(hits) / Double(relevant.count)
        s.ndcg += ideal > 0 ? dcg / ideal : 0
        s.map += ap / Double(min(k, relevant.count))
        s.users += 1
    }

    static func mean(_ s: Scores) -> Scores {
        let n = Double(max(1, s.users))
        return Scores(precision: s.precision / n, recall: s.recall / n, ndcg: s.ndcg / n, map: s.map / n, users: s.users)
    }
}
