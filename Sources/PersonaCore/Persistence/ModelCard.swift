import Foundation

/// Where the training data came from, so a model can be traced back to it.
public struct DataFingerprintInfo: Codable, Equatable, Sendable {
    public var file: String
    public var rows: Int
    public var columns: Int
    public var hash: String
}

extension DataFingerprintInfo {
    /// The training data's record for a card: the file's name, its size and its fingerprint.
    init(path: String, profile: DataProfile) {
        self.init(file: (path as NSString).lastPathComponent, rows: profile.rows, columns: profile.columns.count, hash: profile.fingerprint)
    }
}

/// Everything a model says about itself. Stored as a JSON string in the model
/// file's `__metadata__`, and printed by `persona inspect`.
public struct ModelCard: Codable, Equatable, Sendable {
    public var formatVersion: Int
    public var kind: String
    public var toolVersion: String
    public var created: String
    public var pipeline: FeaturePipeline
    public var hyperparameters: JSONValue
    public var trainingMetrics: JSONValue
    public var trainingData: DataFingerprintInfo
    /// Family-specific facts that are not tensors (segment names, notes).
    public var details: JSONValue
    /// SHA-256 of all tensor bytes in file order, filled in when the file is written.
    public var tensorChecksum: String

    enum CodingKeys: String, CodingKey {
        case kind, created, pipeline, hyperparameters, details
        case formatVersion = "format_version"
        case toolVersion = "tool_version"
        case trainingMetrics = "training_metrics"
        case trainingData = "training_data"
        case tensorChecksum = "tensor_checksum"
    }

    public init(kind: String, pipeline: FeaturePipeline, hyperparameters: JSONValue, trainingMetrics: JSONValue,
                trainingData: DataFingerprintInfo, details: JSONValue = .object([:])) {
        self.formatVersion = PersonaVersion.modelFormat
        self.kind = kind
        self.toolVersion = PersonaVersion.tool
        self.created = ModelCard.creationTime()
        self.pipeline = pipeline
        self.hyperparameters = hyperparameters
        self.trainingMetrics = trainingMetrics
        self.trainingData = trainingData
        self.details = details
        self.tensorChecksum = ""
    }

    /// Now, or SOURCE_DATE_EPOCH when set (the reproducible-builds convention),
    /// so that the same training run can give a byte-identical file.
    public static func creationTime() -> String {
        var date = Date()
        if let epoch = ProcessInfo.processInfo.environment["SOURCE_DATE_EPOCH"], let seconds = Double(epoch) {
            date = Date(timeIntervalSince1970: seconds)
        }
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime]
        f.timeZone = TimeZone(identifier: "UTC")
        return f.string(from: date)
    }
}

extension BinaryTargetFacts {
    init(_ card: ModelCard) {
        self.init(positive: card.details["positive"]?.string ?? "1", negative: card.details["negative"]?.string ?? "0",
                  target: card.details["target"]?.string ?? "")
    }
}
