/// Logistic regression explains its log-odds exactly: each encoded feature
/// contributes its coefficient times its deviation from the training mean,
/// summed over the features of an original column (its one-hot levels, its
/// missing indicator); the bias is the log-odds at the training means.
extension LogisticModel: RowExplaining {
    public var contributionScale: String { "log-odds of \(target) = \(positive)" }

    public var explanationUnavailable: String? {
        featureMeans == nil ? "this model file was written before Persona kept the training means of the features, which explanations need; train it again" : nil
    }

    /// The original column each encoded feature belongs to.
    var featureOwners: [Int] {
        var owners: [Int] = []
        for (k, c) in card.pipeline.columns.enumerated() {
            owners += [Int](repeating: k, count: c.encodedWidth)
        }
        return owners
    }

    public func contributions(_ batch: FloatMatrix) -> Contributions {
        let means = featureMeans ?? [Double](repeating: 0, count: batch.cols)
        let owners = featureOwners
        let width = card.pipeline.columns.count, d = batch.cols
        var bias = coefficients[0]
        for j in 0..<d { bias += coefficients[j + 1] * means[j] }
        var values = [Double](repeating: 0, count: batch.rows * width)
        var raw = [Double](repeating: 0, count: batch.rows)
        batch.storage.withUnsafeBufferPointer { xp in
            for i in 0..<batch.rows {
                var total = bias
                for j in 0..<d {
                    let c = coefficients[j + 1] * (Double(xp[i * d + j]) - means[j])
                    values[i * width + owners[j]] += c
                    total += c
                }
                raw[i] = total
            }
        }
        return Contributions(columns: card.pipeline.columns.map(\.name), bias: bias, raw: raw, values: values)
    }
}
