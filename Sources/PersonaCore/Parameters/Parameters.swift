/// Hyperparameters declared once.
///
/// Each family lists its parameters in one table (`Hyperparameters.parameters`):
/// the Swift property, the key used in the model card and in experiment files,
/// the default (the value in `init()`), the constraint and the help line. The
/// command-line flags (`--` and the key with dashes), the `--help` text, the
/// experiment keys, the card entries and every validation message come from
/// that table, so they cannot disagree.

/// How a parameter is spelled to whoever set it.
public enum ParameterSpelling: Sendable {
    /// `--max-iter`, on the command line.
    case flag
    /// `max_iter`, in the model card and in experiment files.
    case key
    /// `maxIterations`, in Swift.
    case property
}

/// `s` with every `from` character replaced by `to` (a key's underscores and a
/// flag's dashes). Plain Swift: every command's help text is built from these
/// at start-up, and Foundation's replacement costs far more.
func swappingSeparator(_ s: String, _ from: Character, for to: Character) -> String {
    String(s.map { $0 == from ? to : $0 })
}

/// The names of one parameter.
public struct ParameterName: Hashable, Sendable {
    public let property: String
    public let key: String
    public var flag: String { "--" + swappingSeparator(key, "_", for: "-") }

    public init(property: String, key: String) { self.property = property; self.key = key }

    public func spelled(_ spelling: ParameterSpelling) -> String {
        switch spelling {
        case .flag: return flag
        case .key: return key
        case .property: return property
        }
    }
}

/// A parameter value that was refused, kept with the parameters it names so
/// the message can be written in the caller's terms: the flag on the command
/// line, the key in an experiment file, the property in Swift.
public struct ParameterError: Error, CustomStringConvertible {
    public let parameters: [ParameterName]
    private let compose: @Sendable ([String]) -> String

    /// `compose` receives the parameters' names, spelled as the caller needs.
    public init(_ parameters: [ParameterName], _ compose: @escaping @Sendable ([String]) -> String) {
        self.parameters = parameters; self.compose = compose
    }

    /// A problem with one parameter: "<name> must be at least 1 (got 0)".
    public init(_ parameter: ParameterName, _ problem: String) {
        self.init([parameter]) { "\($0[0]) \(problem)" }
    }

    public func message(_ spelling: ParameterSpelling) -> String { compose(parameters.map { $0.spelled(spelling) }) }
    public var description: String { message(.property) }
}

/// One declared hyperparameter of a configuration type.
public struct Parameter<Config>: @unchecked Sendable {
    public let name: ParameterName
    public let help: String
    /// What the value looks like in `--help` ("N", "X", "auto|newton|lbfgs").
    public let valueName: String
    /// A value must be given (there is no sensible default).
    public let isRequired: Bool
    /// A yes/no parameter: `--key` turns it on, `--no-key` off.
    public let isSwitch: Bool
    /// Other spellings accepted for the key (`no_scale` for `standardize: false`
    /// is declared as a negating alias).
    public let negatingAliases: [String]
    /// The default, as text for `--help` (nil: none).
    public let defaultText: String?
    /// The value as text, nil when unset.
    public let text: (Config) -> String?
    /// The value for the model card; nil leaves the key out.
    public let cardValue: (Config) -> JSONValue?
    /// Sets the value from text; returns what was expected when the text is not a value of this kind.
    let parse: (inout Config, String) -> String?
    /// Sets the value from the card; false when the card's value is not of this kind.
    let decode: (inout Config, JSONValue) -> Bool
    /// What is wrong with the current value, or nil.
    let violation: (Config) -> String?
    /// Whether the parameter applies to this configuration (a mini-batch size
    /// only with the mini-batch algorithm); one that does not is left out of the card.
    let applies: (Config) -> Bool

    public var flag: String { name.flag }
    public var key: String { name.key }

    /// Every spelling accepted for this parameter in an experiment file or on the
    /// command line, with underscores: the key, then the negating aliases.
    func matches(_ key: String) -> (matched: Bool, negated: Bool) {
        let k = swappingSeparator(key, "-", for: "_")
        if k == name.key { return (true, false) }
        if isSwitch && (negatingAliases.contains(k) || k == "no_" + name.key) { return (true, true) }
        return (false, false)
    }

    /// Sets the value from text, or throws naming this parameter.
    public func set(_ config: inout Config, _ value: String) throws {
        if let expected = parse(&config, value) {
            throw ParameterError(name, "expects \(expected) (got \"\(value)\")")
        }
    }

    /// The constraint's complaint about the current value, naming this parameter.
    public func check(_ config: Config) -> ParameterError? {
        violation(config).map { ParameterError(name, $0) }
    }
}

/// A configuration whose parameters are declared in one table.
public protocol Hyperparameters: Equatable, Sendable {
    /// Every parameter at its default; required ones empty.
    init()
    static var parameters: [Parameter<Self>] { get }
    /// Rules between parameters, checked once each is within its own constraint.
    func combinationError() -> ParameterError?
}

extension Hyperparameters {
    public func combinationError() -> ParameterError? { nil }

    public static func parameter(_ key: String) -> Parameter<Self>? {
        parameters.first { $0.matches(key).matched }
    }

    /// The names of declared parameters, in the order given (for rules between them).
    public static func names(_ keys: String...) -> [ParameterName] {
        keys.map { k in
            guard let p = parameter(k) else { preconditionFailure("\(Self.self) declares no parameter \(k)") }
            return p.name
        }
    }

    /// Checks every parameter against its constraint, then the rules between them.
    public func validate() throws {
        for p in Self.parameters where p.applies(self) {
            if let e = p.check(self) { throw e }
        }
        if let e = combinationError() { throw e }
    }

    /// Sets one parameter from text, as given in an experiment file or on the
    /// command line (`max_iter` or `max-iter`; a switch takes true or false).
    public mutating func set(_ key: String, _ value: String) throws {
        guard let p = Self.parameter(key) else {
            throw PersonaError("\"\(key)\" is not a parameter; parameters are \(Self.parameters.map(\.key).joined(separator: ", "))")
        }
        let (_, negated) = p.matches(key)
        if p.isSwitch && negated {
            switch value.lowercased() {
            case "true", "yes": try p.set(&self, "false")
            case "false", "no": try p.set(&self, "true")
            default: throw ParameterError(p.name, "expects true or false (got \"\(value)\")")
            }
        } else {
            try p.set(&self, value)
        }
    }

    /// The entries of the model card: every parameter that applies and has a value.
    public var card: JSONValue {
        var o: [String: JSONValue] = [:]
        for p in Self.parameters where p.applies(self) {
            if let v = p.cardValue(self) { o[p.key] = v }
        }
        return .object(o)
    }

    /// Reads a card's entries; keys missing from older cards keep their defaults.
    public init(card: JSONValue, file: String) throws {
        self.init()
        guard case .object(let o) = card else {
            throw PersonaError("\(file): corrupted model card (hyperparameters are not an object)")
        }
        for p in Self.parameters {
            guard let v = o[p.key], v != .null else { continue }
            if !p.decode(&self, v) {
                throw PersonaError("\(file): corrupted model card (hyperparameter \(p.key) holds \(v))")
            }
        }
    }

    /// The parameters as `--help` lines: flag, value, default, help.
    public static var helpText: String {
        var lines: [String] = []
        for p in parameters {
            var head = "  " + (p.isSwitch ? p.flag : p.flag + " " + p.valueName)
            if p.isSwitch, let alias = p.negatingAliases.first {
                head += " | --" + swappingSeparator(alias, "_", for: "-")
            }
            var help = p.help
            if p.isRequired { help += " (required)" }
            else if let d = p.defaultText { help += " (default: \(d))" }
            // Wrapped here, within 78 columns, so the table stays a table.
            let indent = 30, width = 78
            var line = head.count < indent - 1 ? head + String(repeating: " ", count: indent - head.count) : head
            if head.count >= indent - 1 { lines.append(line); line = String(repeating: " ", count: indent) }
            var empty = true
            for word in help.split(separator: " ") {
                if !empty && line.count + 1 + word.count > width {
                    lines.append(line); line = String(repeating: " ", count: indent); empty = true
                }
                line += (empty ? "" : " ") + word
                empty = false
            }
            lines.append(line)
        }
        return lines.joined(separator: "\n")
    }
}

// MARK: declaring parameters

/// Bounds of a real-valued parameter.
public struct RealRange: Sendable {
    public var lower: Double?
    public var lowerInclusive: Bool
    public var upper: Double?
    public var upperInclusive: Bool

    public static let nonNegative = RealRange(lower: 0, lowerInclusive: true, upper: nil, upperInclusive: false)
    public static let positive = RealRange(lower: 0, lowerInclusive: false, upper: nil, upperInclusive: false)
    public static let openUnit = RealRange(lower: 0, lowerInclusive: false, upper: 1, upperInclusive: false)
    /// (0, 1]
    public static let fraction = RealRange(lower: 0, lowerInclusive: false, upper: 1, upperInclusive: true)

    func violation(_ v: Double) -> String? {
        var ok = v.isFinite
        if let l = lower { ok = ok && (lowerInclusive ? v >= l : v > l) }
        if let u = upper { ok = ok && (upperInclusive ? v <= u : v < u) }
        return ok ? nil : "must be \(description) (got \(formatNumber(v)))"
    }

    var description: String {
        switch (lower, upper) {
        case let (l?, u?):
            if !lowerInclusive && !upperInclusive { return "between \(formatNumber(l)) and \(formatNumber(u))" }
            if lowerInclusive && upperInclusive { return "between \(formatNumber(l)) and \(formatNumber(u)) inclusive" }
            return (lowerInclusive ? ">= " : "> ") + formatNumber(l) + " and " + (upperInclusive ? "<= " : "< ") + formatNumber(u)
        case let (l?, nil): return lowerInclusive ? ">= \(formatNumber(l))" : "> \(formatNumber(l))"
        case let (nil, u?): return upperInclusive ? "<= \(formatNumber(u))" : "< \(formatNumber(u))"
        default: return "a finite number"
        }
    }
}

extension Parameter {
    private init(_ property: String, _ key: String, help: String, valueName: String, required: Bool = false, isSwitch: Bool = false,
                 negatingAliases: [String] = [], defaultText: String?, text: @escaping (Config) -> String?,
                 card: @escaping (Config) -> JSONValue?, parse: @escaping (inout Config, String) -> String?,
                 decode: @escaping (inout Config, JSONValue) -> Bool, violation: @escaping (Config) -> String?,
                 applies: ((Config) -> Bool)?) {
        self.name = ParameterName(property: property, key: key)
        self.help = help; self.valueName = valueName; self.isRequired = required; self.isSwitch = isSwitch
        self.negatingAliases = negatingAliases; self.defaultText = defaultText; self.text = text; self.cardValue = card
        self.parse = parse; self.decode = decode; self.violation = violation; self.applies = applies ?? { _ in true }
    }
}

extension Parameter where Config: Hyperparameters {
    private static var defaults: Config { Config() }

    /// A whole number of at least `min` (and at most `max`).
    public static func integer(_ kp: WritableKeyPath<Config, Int>, _ property: String, key: String, min: Int, max: Int? = nil,
                               required: Bool = false, help: String, valueName: String = "N",
                               appliesWhen: ((Config) -> Bool)? = nil) -> Parameter {
        Parameter(property, key, help: help, valueName: valueName, required: required,
                  defaultText: required ? nil : String(defaults[keyPath: kp]),
                  text: { String($0[keyPath: kp]) },
                  card: { .number(Double($0[keyPath: kp])) },
                  parse: { c, s in
                      guard let v = Int(s.trimmingCharacters(in: [" "])) else { return "a whole number" }
                      c[keyPath: kp] = v; return nil
                  },
                  decode: { c, j in guard let d = j.double, d == d.rounded(), abs(d) < 1e15 else { return false }; c[keyPath: kp] = Int(d); return true },
                  violation: { c in
                      let v = c[keyPath: kp]
                      if let max, v < min || v > max { return "must be between \(min) and \(max) (got \(v))" }
                      return v < min ? "must be at least \(min) (got \(v))" : nil
                  },
                  applies: appliesWhen)
    }

    /// An optional whole number of at least `min`; absent means `absent` (such as "no limit").
    public static func integer(_ kp: WritableKeyPath<Config, Int?>, _ property: String, key: String, min: Int, max: Int? = nil,
                               absent: String, help: String, valueName: String = "N") -> Parameter {
        Parameter(property, key, help: help, valueName: valueName, defaultText: defaults[keyPath: kp].map(String.init) ?? absent,
                  text: { $0[keyPath: kp].map(String.init) },
                  card: { $0[keyPath: kp].map { .number(Double($0)) } },
                  parse: { c, s in
                      let t = s.trimmingCharacters(in: [" "])
                      if t.isEmpty || t.lowercased() == "none" { c[keyPath: kp] = nil; return nil }
                      guard let v = Int(t) else { return "a whole number, or none" }
                      c[keyPath: kp] = v; return nil
                  },
                  decode: { c, j in guard let d = j.double, d == d.rounded(), abs(d) < 1e15 else { return false }; c[keyPath: kp] = Int(d); return true },
                  violation: { c in c[keyPath: kp].flatMap { v in
                      if let max, v < min || v > max { return "must be between \(min) and \(max) (got \(v)); leave it out for \(absent)" }
                      return v < min ? "must be at least \(min) (got \(v)); leave it out for \(absent)" : nil
                  } },
                  applies: nil)
    }

    /// An optional real number within `range`; absent means `absent`.
    public static func real(_ kp: WritableKeyPath<Config, Double?>, _ property: String, key: String, range: RealRange,
                            absent: String, help: String, valueName: String = "X", appliesWhen: ((Config) -> Bool)? = nil) -> Parameter {
        Parameter(property, key, help: help, valueName: valueName, defaultText: defaults[keyPath: kp].map(shortestText) ?? absent,
                  text: { $0[keyPath: kp].map { formatNumber($0) } },
                  card: { $0[keyPath: kp].map { .number($0) } },
                  parse: { c, s in
                      let t = s.trimmingCharacters(in: [" "])
                      if t.isEmpty || t.lowercased() == "none" { c[keyPath: kp] = nil; return nil }
                      guard let v = Double(t) else { return "a number, or none" }
                      c[keyPath: kp] = v; return nil
                  },
                  decode: { c, j in guard let d = j.double else { return false }; c[keyPath: kp] = d; return true },
                  violation: { c in c[keyPath: kp].flatMap { range.violation($0) } },
                  applies: appliesWhen)
    }

    /// A seed: any whole number from 0 to 2⁶⁴ − 1.
    public static func seed(_ kp: WritableKeyPath<Config, UInt64>, _ property: String = "seed", key: String = "seed",
                            help: String) -> Parameter {
        Parameter(property, key, help: help, valueName: "S", defaultText: String(defaults[keyPath: kp]),
                  text: { String($0[keyPath: kp]) },
                  card: { .number(Double($0[keyPath: kp])) },
                  parse: { c, s in
                      guard let v = UInt64(s.trimmingCharacters(in: [" "])) else { return "a whole number of 0 or more" }
                      c[keyPath: kp] = v; return nil
                  },
                  decode: { c, j in guard let d = j.double, d >= 0, d == d.rounded(), d < 1.8446744073709552e19 else { return false }; c[keyPath: kp] = UInt64(d); return true },
                  violation: { _ in nil },
                  applies: nil)
    }

    /// A real number within `range`.
    public static func real(_ kp: WritableKeyPath<Config, Double>, _ property: String, key: String, range: RealRange,
                            help: String, valueName: String = "X", appliesWhen: ((Config) -> Bool)? = nil) -> Parameter {
        Parameter(property, key, help: help, valueName: valueName, defaultText: shortestText(defaults[keyPath: kp]),
                  text: { formatNumber($0[keyPath: kp]) },
                  card: { .number($0[keyPath: kp]) },
                  parse: { c, s in
                      guard let v = Double(s.trimmingCharacters(in: [" "])) else { return "a number" }
                      c[keyPath: kp] = v; return nil
                  },
                  decode: { c, j in guard let d = j.double else { return false }; c[keyPath: kp] = d; return true },
                  violation: { c in range.violation(c[keyPath: kp]) },
                  applies: appliesWhen)
    }

    /// One of an enumeration's cases, by name.
    public static func choice<E: RawRepresentable & CaseIterable>(_ kp: WritableKeyPath<Config, E>, _ property: String, key: String,
                                                                  help: String) -> Parameter where E.RawValue == String {
        let names = E.allCases.map(\.rawValue)
        return Parameter(property, key, help: help, valueName: names.joined(separator: "|"), defaultText: defaults[keyPath: kp].rawValue,
                         text: { $0[keyPath: kp].rawValue },
                         card: { .string($0[keyPath: kp].rawValue) },
                         parse: { c, s in
                             guard let v = E(rawValue: s.trimmingCharacters(in: [" "]).lowercased()) else { return "one of \(names.joined(separator: ", "))" }
                             c[keyPath: kp] = v; return nil
                         },
                         decode: { c, j in guard let s = j.string, let v = E(rawValue: s) else { return false }; c[keyPath: kp] = v; return true },
                         violation: { _ in nil },
                         applies: nil)
    }

    /// One of an enumeration's cases, or absent (`absent` says what that means).
    public static func choice<E: RawRepresentable & CaseIterable>(_ kp: WritableKeyPath<Config, E?>, _ property: String, key: String,
                                                                  absent: String, help: String) -> Parameter where E.RawValue == String {
        let names = E.allCases.map(\.rawValue)
        return Parameter(property, key, help: help, valueName: names.joined(separator: "|"), defaultText: defaults[keyPath: kp]?.rawValue ?? absent,
                         text: { $0[keyPath: kp]?.rawValue },
                         card: { $0[keyPath: kp].map { .string($0.rawValue) } },
                         parse: { c, s in
                             guard let v = E(rawValue: s.trimmingCharacters(in: [" "]).lowercased()) else { return "one of \(names.joined(separator: ", "))" }
                             c[keyPath: kp] = v; return nil
                         },
                         decode: { c, j in guard let s = j.string, let v = E(rawValue: s) else { return false }; c[keyPath: kp] = v; return true },
                         violation: { _ in nil },
                         applies: nil)
    }

    /// A column name or other text; required ones must not be empty.
    public static func text(_ kp: WritableKeyPath<Config, String>, _ property: String, key: String, required: Bool,
                            help: String, valueName: String = "col") -> Parameter {
        Parameter(property, key, help: help, valueName: valueName, required: required,
                  defaultText: required ? nil : defaults[keyPath: kp],
                  text: { $0[keyPath: kp].isEmpty ? nil : $0[keyPath: kp] },
                  card: { .string($0[keyPath: kp]) },
                  parse: { c, s in c[keyPath: kp] = s; return nil },
                  decode: { c, j in guard let s = j.string else { return false }; c[keyPath: kp] = s; return true },
                  violation: { c in c[keyPath: kp].isEmpty ? "is required" : nil },
                  applies: nil)
    }

    /// Optional text; absent means `absent`.
    public static func text(_ kp: WritableKeyPath<Config, String?>, _ property: String, key: String, absent: String,
                            help: String, valueName: String = "col") -> Parameter {
        Parameter(property, key, help: help, valueName: valueName, defaultText: absent,
                  text: { $0[keyPath: kp] },
                  card: { $0[keyPath: kp].map { .string($0) } },
                  parse: { c, s in c[keyPath: kp] = s.isEmpty ? nil : s; return nil },
                  decode: { c, j in guard let s = j.string else { return false }; c[keyPath: kp] = s; return true },
                  violation: { _ in nil },
                  applies: nil)
    }

    /// Yes or no: `--key` / `--no-key` on the command line, true/false in files.
    public static func flag(_ kp: WritableKeyPath<Config, Bool>, _ property: String, key: String, negatingAliases: [String] = [],
                            help: String) -> Parameter {
        Parameter(property, key, help: help, valueName: "true|false", isSwitch: true, negatingAliases: negatingAliases,
                  defaultText: defaults[keyPath: kp] ? "on" : "off",
                  text: { $0[keyPath: kp] ? "true" : "false" },
                  card: { .bool($0[keyPath: kp]) },
                  parse: { c, s in
                      switch s.trimmingCharacters(in: [" "]).lowercased() {
                      case "true", "yes": c[keyPath: kp] = true; return nil
                      case "false", "no": c[keyPath: kp] = false; return nil
                      default: return "true or false"
                      }
                  },
                  decode: { c, j in guard case .bool(let b) = j else { return false }; c[keyPath: kp] = b; return true },
                  violation: { _ in nil },
                  applies: nil)
    }

    /// A value with its own text form (class weights, starting centres). The card
    /// holds `cardText` of the value (by default its text form) and is read back by `parseCard`.
    public static func custom<V>(_ kp: WritableKeyPath<Config, V>, _ property: String, key: String, valueName: String, help: String,
                                 parse: @escaping (String) -> V?, expected: String, format: @escaping (V) -> String,
                                 cardText: ((V) -> String)? = nil, parseCard: ((String) -> V?)? = nil) -> Parameter {
        let cardText = cardText ?? format, parseCard = parseCard ?? parse
        return Parameter(property, key, help: help, valueName: valueName, defaultText: format(defaults[keyPath: kp]),
                         text: { format($0[keyPath: kp]) },
                         card: { .string(cardText($0[keyPath: kp])) },
                         parse: { c, s in guard let v = parse(s) else { return expected }; c[keyPath: kp] = v; return nil },
                         decode: { c, j in guard let s = j.string, let v = parseCard(s) else { return false }; c[keyPath: kp] = v; return true },
                         violation: { _ in nil },
                         applies: nil)
    }
}

/// A number as a person writes it: 1000, 0.5, 1e-08.
func shortestText(_ v: Double) -> String {
    v == v.rounded() && abs(v) < 1e15 ? String(Int64(v)) : String(v)
}
