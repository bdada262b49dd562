/// One column of `persona score` output for a batch of rows.
public struct ScoreColumn {
    public var name: String
    public var values: [Double]
    public var isInteger: Bool
    public var labels: [String]?   // when set, written instead of values
    /// Written with every digit of a Double (contributions that must add up), not as a Float.
    public var precise = false
    public init(name: String, values: [Double], isInteger: Bool = false, labels: [String]? = nil, precise: Bool = false) {
        self.name = name; self.values = values; self.isInteger = isInteger; self.labels = labels; self.precise = precise
    }
}
