/// How k-means chooses its starting centres.
public enum KMeansInit: Codable, Equatable, Sendable {
    /// Greedy k-means++ (D² sampling with 2 + ln k local trials per centre, as scikit-learn does).
    case kmeansPlusPlus
    /// k distinct rows drawn uniformly.
    case random
    /// Centres read from a CSV file with the feature columns, in original units.
    case file(String)

    public init(argument: String) {
        switch argument.lowercased() {
        case "kmeans++", "k-means++": self = .kmeansPlusPlus
        case "random": self = .random
        default: self = .file(argument)
        }
    }

    public var name: String {
        switch self {
        case .kmeansPlusPlus: return "kmeans++"
        case .random: return "random"
        case .file(let p): return "file:" + p
        }
    }

    public init(from decoder: Decoder) throws {
        let s = try decoder.singleValueContainer().decode(String.self)
        self = s.hasPrefix("file:") ? .file(String(s.dropFirst(5))) : KMeansInit(argument: s)
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.singleValueContainer()
        // A file path in the card would tie the model to one machine; record only its name.
        if case .file(let p) = self { try c.encode("file:" + (p.split(separator: "/").last.map(String.init) ?? p)) }
        else { try c.encode(name) }
    }
}

/// How the centres are found: auto, lloyd and hamerly give the same result;
/// minibatch approximates it while streaming the file.
public enum KMeansAlgorithm: String, Codable, Sendable, CaseIterable {
    /// Hamerly when k >= 8 (where skipping distance computations pays), else Lloyd.
    case auto
    /// Every distance, every iteration: one SGEMM per block of rows.
    case lloyd
    /// Lloyd's iterations with Hamerly's bounds, which rule out most distances.
    case hamerly
    /// Mini-batch updates streamed from the file in passes: for data larger than memory.
    case minibatch
}

/// Hyperparameters of k-means, stored exactly as given and validated once.
public struct KMeansConfig: Codable, Equatable, Sendable {
    public var k: Int
    public var initialization: KMeansInit = .kmeansPlusPlus
    public var maxIterations: Int = 300
    /// Convergence tolerance on the total squared centre shift, relative to the
    /// mean feature variance (scikit-learn's convention).
    public var tolerance: Double = 1e-4
    public var restarts: Int = 1
    public var seed: UInt64 = 0
    public var standardize: Bool = true
    public var algorithm: KMeansAlgorithm = .auto

    enum CodingKeys: String, CodingKey {
        case k, seed, standardize, algorithm
        case initialization = "init"
        case maxIterations = "max_iter"
        case tolerance = "tol"
        case restarts = "n_init"
    }

    public init(k: Int) { self.k = k }

    /// Checks every hyperparameter against its allowed range before any work.
    public func validate(rows: Int? = nil) throws {
        if k < 1 { throw PersonaError("--k must be at least 1 (got \(k))") }
        if let rows, k > rows {
            throw PersonaError("--k \(k) is larger than the number of rows (\(rows)); choose k between 1 and \(rows)")
        }
        if maxIterations < 1 { throw PersonaError("--max-iter must be at least 1 (got \(maxIterations))") }
        if !(tolerance >= 0) || !tolerance.isFinite { throw PersonaError("--tol must be a number >= 0 (got \(tolerance))") }
        if restarts < 1 { throw PersonaError("--n-init must be at least 1 (got \(restarts))") }
    }
}
