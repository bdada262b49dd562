/// How k-means chooses its starting centres.
public enum KMeansInit: Equatable, Sendable {
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

    /// The card's form: a file of centres is recorded by its name only, since
    /// a path would tie the model to one machine.
    var cardText: String {
        if case .file(let p) = self { return "file:" + (p.split(separator: "/").last.map(String.init) ?? p) }
        return name
    }

    init(cardText s: String) { self = s.hasPrefix("file:") ? .file(String(s.dropFirst(5))) : KMeansInit(argument: s) }
}

/// How the centres are found: auto, lloyd and hamerly give the same result;
/// minibatch approximates it while streaming the file.
public enum KMeansAlgorithm: String, Sendable, CaseIterable {
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
public struct KMeansConfig: Hyperparameters {
    public var k: Int = 0
    public var initialization: KMeansInit = .kmeansPlusPlus
    public var maxIterations: Int = 300
    /// Convergence tolerance on the total squared centre shift, relative to the
    /// mean feature variance (scikit-learn's convention).
    public var tolerance: Double = 1e-4
    public var restarts: Int = 1
    public var seed: UInt64 = 0
    public var standardize: Bool = true
    public var algorithm: KMeansAlgorithm = .auto
    /// Mini-batch only: rows per batch, and passes over the data.
    public var batchSize: Int = 4096
    public var passes: Int = 5

    public init() {}
    public init(k: Int) { self.k = k }

    static func isMiniBatch(_ c: KMeansConfig) -> Bool { c.algorithm == .minibatch }

    public static let parameters: [Parameter<KMeansConfig>] = [
        .integer(\.k, "k", key: "k", min: 1, required: true, help: "Number of segments (1 to the number of rows)."),
        .custom(\.initialization, "initialization", key: "init", valueName: "kmeans++|random|FILE",
                help: "Starting centres: kmeans++, random, or a CSV file of centres with the feature columns in original units.",
                parse: { $0.isEmpty ? nil : KMeansInit(argument: $0) }, expected: "kmeans++, random or a file name",
                format: { $0.name }, cardText: { $0.cardText }, parseCard: { KMeansInit(cardText: $0) }),
        .integer(\.maxIterations, "maxIterations", key: "max_iter", min: 1, help: "Most Lloyd iterations per run."),
        .real(\.tolerance, "tolerance", key: "tol", range: .nonNegative, help: "Stop when the total squared centre shift falls to tol x the mean feature variance."),
        .integer(\.restarts, "restarts", key: "n_init", min: 1, help: "Runs from different seeds; the lowest inertia wins."),
        .seed(\.seed, help: "Random seed: the same data, options and seed give the same model file."),
        .flag(\.standardize, "standardize", key: "standardize", negatingAliases: ["no_scale"], help: "Standardise numeric features (--no-scale: leave them in their units)."),
        .choice(\.algorithm, "algorithm", key: "algorithm", help: "auto (Hamerly from k = 8), lloyd or hamerly: the same result, found faster or slower; minibatch: streams the file in passes, for data larger than memory."),
        .integer(\.batchSize, "batchSize", key: "batch_size", min: 1, help: "With algorithm minibatch: rows per batch.", appliesWhen: isMiniBatch),
        .integer(\.passes, "passes", key: "passes", min: 1, help: "With algorithm minibatch: passes over the file (stops early when the centres settle).", appliesWhen: isMiniBatch),
    ]

    public func combinationError() -> ParameterError? {
        if algorithm == .minibatch, case .file = initialization {
            return ParameterError(Self.names("algorithm", "init")) { "\($0[0]) minibatch starts from k-means++ on a sample; \($0[1]) FILE is for the other algorithms" }
        }
        return nil
    }

    /// Checks every hyperparameter, and k against the number of rows.
    public func validate(rows: Int) throws {
        try validate()
        if k > rows {
            throw ParameterError(Self.parameter("k")!.name, "\(k) is larger than the number of rows (\(rows)); choose k between 1 and \(rows)")
        }
    }
}
