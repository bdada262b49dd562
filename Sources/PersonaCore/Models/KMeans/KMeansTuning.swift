import Foundation

/// Fits k-means for a range of k on one encoded data set and recommends one.
public enum KMeansTuning {
    public struct Row {
        public var k: Int
        public var inertia: Double
        public var silhouette: Double?
        public var daviesBouldin: Double?
        public var calinskiHarabasz: Double?
    }

    public struct Report {
        public var rows: [Row]
        public var recommended: Int
        public var elbow: Int?
        public var reason: String
        public var silhouetteSample: Int

        public var json: JSONValue {
            func num(_ v: Double?) -> JSONValue { v.map { .number($0) } ?? .null }
            return .object([
                "results": .array(rows.map { r in .object(["k": .number(Double(r.k)), "inertia": .number(r.inertia), "silhouette": num(r.silhouette),
                                                           "davies_bouldin": num(r.daviesBouldin), "calinski_harabasz": num(r.calinskiHarabasz)]) }),
                "recommended_k": .number(Double(recommended)),
                "elbow_k": elbow.map { .number(Double($0)) } ?? .null,
                "reason": .string(reason),
                "silhouette_sample": .number(Double(silhouetteSample)),
            ])
        }

        /// The table with an inertia chart (the elbow) drawn in the terminal.
        public var text: String {
            var lines = ["   k       inertia  silhouette  Davies-Bouldin  Calinski-Harabasz  inertia"]
            let top = rows.map(\.inertia).max() ?? 1
            for r in rows {
                let bar = String(repeating: "█", count: Int((r.inertia / max(top, 1e-300) * 30).rounded()))
                let mark = r.k == recommended ? " ◀ recommended" : (r.k == elbow ? " ◀ elbow" : "")
                lines.append(String(r.k).leftPadded(4) + formatNumber(r.inertia, digits: 6).leftPadded(14)
                             + (r.silhouette.map { formatNumber($0, digits: 4) } ?? "n/a").leftPadded(12)
                             + (r.daviesBouldin.map { formatNumber($0, digits: 4) } ?? "n/a").leftPadded(16)
                             + (r.calinskiHarabasz.map { formatNumber($0, digits: 6) } ?? "n/a").leftPadded(19)
                             + "  " + bar + mark)
            }
            lines.append("")
            lines.append("recommended k = \(recommended): \(reason)")
            return lines.joined(separator: "\n")
        }
    }

    /// The k whose inertia lies farthest below the straight line from the first
    /// to the last point, on axes scaled to [0, 1] (the "knee" of the curve).
    public static func elbow(_ rows: [Row]) -> Int? {
        guard rows.count >= 3, let first = rows.first, let last = rows.last, first.inertia > last.inertia else { return nil }
        var best: (Int, Double)? = nil
        for r in rows {
            let x = Double(r.k - first.k) / Double(last.k - first.k)
            let y = (r.inertia - last.inertia) / (first.inertia - last.inertia)
            let gap = (1 - x) - y
            if best == nil || gap > best!.1 { best = (r.k, gap) }
        }
        return best.map(\.0)
    }

    public static func run(x: FloatMatrix, ks: [Int], base: KMeansConfig, silhouetteSample: Int,
                           progress: ProgressHandler? = nil) throws -> Report {
        var rows: [Row] = []
        for k in ks {
            var c = base
            c.k = k
            let result = try KMeans.fit(x, config: c)
            let sil = ClusteringMetrics.silhouette(x, labels: result.labels, sample: silhouetteSample, seed: base.seed)
            rows.append(Row(k: k, inertia: result.inertia, silhouette: sil.score,
                            daviesBouldin: ClusteringMetrics.daviesBouldin(x, labels: result.labels, k: k),
                            calinskiHarabasz: ClusteringMetrics.calinskiHarabasz(x, labels: result.labels, k: k)))
            progress?("k=\(k): inertia \(formatNumber(result.inertia)), silhouette \(sil.score.map { formatNumber($0, digits: 4) } ?? "n/a")")
        }
        let elbowK = elbow(rows)
        let scored = rows.filter { $0.silhouette != nil }
        let recommended: Int
        var reason: String
        if let best = scored.max(by: { $0.silhouette! != $1.silhouette! ? $0.silhouette! < $1.silhouette! : $0.k > $1.k }) {
            recommended = best.k
            reason = "it has the highest silhouette (\(formatNumber(best.silhouette!, digits: 4))): its segments are the most compact and best separated"
            if let e = elbowK {
                reason += e == best.k ? ", and it is also the elbow of the inertia curve" : "; the elbow of the inertia curve is at k = \(e)"
            }
            if let db = rows.filter({ $0.daviesBouldin != nil }).min(by: { $0.daviesBouldin! < $1.daviesBouldin! }), db.k == best.k {
                reason += "; Davies-Bouldin agrees"
            }
        } else {
            recommended = elbowK ?? ks.first ?? 1
            reason = "the elbow of the inertia curve (no silhouette could be computed)"
        }
        return Report(rows: rows, recommended: recommended, elbow: elbowK, reason: reason, silhouetteSample: min(silhouetteSample, x.rows))
    }
}
