import XCTest
@testable import PersonaCore

/// Every family's hyperparameters come from one declared table: each refuses a
/// value outside its constraint with an error naming it, and a configuration
/// round-trips through the model card.
final class ParameterTests: XCTestCase {
    /// Values that break some constraint of some kind of parameter.
    let candidates = ["-1", "0", "1", "1.5", "256", "-0.5", "nan", "inf", "abc", "", "maybe", "1:0", "file:"]

    /// A configuration with its required parameters filled in and every rule between parameters kept.
    func valid<C: Hyperparameters>(_ type: C.Type) throws -> C {
        var c = C()
        for p in C.parameters where p.isRequired {
            // distinct names, so that rules such as "treatment and outcome differ" hold
            try c.set(p.key, p.valueName == "N" ? "2" : p.key)
        }
        if C.self == ALSConfig.self { try c.set("implicit", "true") }
        if C.self == RulesConfig.self { try c.set("item", "item") }
        if C.self == ValueConfig.self { try c.set("customer", "customer"); try c.set("time", "time") }
        try c.validate()
        return c
    }

    func checkFamily<M: TrainableModel>(_ family: M.Type) throws {
        let base = try valid(M.Config.self)
        XCTAssertFalse(M.Config.parameters.isEmpty, M.kind)
        XCTAssertEqual(Set(M.Config.parameters.map(\.key)).count, M.Config.parameters.count, "\(M.kind): keys are unique")
        for p in M.Config.parameters {
            XCTAssertEqual(p.key, p.key.lowercased(), "\(M.kind).\(p.key): keys are snake_case")
            XCTAssertFalse(p.help.isEmpty, "\(M.kind).\(p.key) has help")
            var refused = 0
            for value in candidates {
                var c = base
                // the parameter must apply for its constraint to be checked (mini-batch size with minibatch)
                if M.Config.self == KMeansConfig.self, ["batch_size", "passes"].contains(p.key) { try c.set("algorithm", "minibatch") }
                if M.Config.self == GBDTConfig.self, p.key == "huber_delta" { try c.set("task", "regression"); try c.set("loss", "huber") }
                do {
                    try c.set(p.key, value)
                    try c.validate()
                } catch let e as ParameterError {
                    refused += 1
                    XCTAssertTrue(e.parameters.contains(p.name), "\(M.kind).\(p.key) = \"\(value)\": the error names \(e.parameters.map(\.key))")
                    XCTAssertTrue(e.message(.flag).contains(p.flag), e.message(.flag))
                    XCTAssertTrue(e.message(.key).contains(p.key), e.message(.key))
                    XCTAssertTrue(e.message(.property).contains(p.name.property), e.message(.property))
                }
            }
            // Optional text (such as the positive class, or a file to read) has no constraint to break.
            if p.valueName != "value" && !(p.defaultText != nil && ["col", "file"].contains(p.valueName)) {
                XCTAssertGreaterThan(refused, 0, "\(M.kind).\(p.key): some value outside its constraint is refused")
            }
        }
        // The default configuration, and one with every parameter moved, round-trip through the card.
        XCTAssertEqual(try M.Config(card: base.card, file: "m"), base, M.kind)
        var moved = base
        for p in M.Config.parameters {
            for value in ["3", "0.25", "true", "false", "balanced", "random", "entropy", "regression", "lbfgs", "cholesky", "lloyd", "last"] {
                var c = moved
                if (try? c.set(p.key, value)) != nil, (try? c.validate()) != nil, p.applies(c), p.text(c) != p.text(base) { moved = c; break }
            }
        }
        XCTAssertNotEqual(moved, base, M.kind)
        XCTAssertEqual(try M.Config(card: moved.card, file: "m"), moved, M.kind)
        // A card from an older release, without some keys, keeps the defaults for them.
        XCTAssertEqual(try M.Config(card: .object([:]), file: "m"), M.Config())
        // A card entry of the wrong kind is named.
        if let first = M.Config.parameters.first(where: { !$0.isSwitch }) {
            XCTAssertThrowsPersonaError(try M.Config(card: .object([first.key: .array([])]), file: "m.safetensors"),
                                        containing: ["m.safetensors", first.key])
        }
    }

    func testEveryParameterOfEveryFamilyRefusesValuesOutsideItsConstraint() throws {
        for family in ModelRegistry.families { try checkFamily(family) }
    }

    func testRulesBetweenParametersNameBoth() throws {
        var c = LogisticConfig(target: "y"); c.solver = .newton; c.l1 = 0.1
        XCTAssertThrowsParameterError(try c.validate(), naming: "l1", containing: ["solver newton", "l1"])
        do { try c.validate() } catch let e as ParameterError {
            XCTAssertEqual(e.message(.flag), "--solver newton cannot handle an L1 penalty (--l1 > 0); use --solver lbfgs (OWL-QN) or auto")
            XCTAssertEqual(e.message(.key), "solver newton cannot handle an L1 penalty (l1 > 0); use solver lbfgs (OWL-QN) or auto")
        }
        var t = TreeConfig(target: "y"); t.task = .regression; t.criterion = .gini
        XCTAssertThrowsParameterError(try t.validate(), naming: "criterion", containing: ["task regression"])
        var k = KMeansConfig(k: 3); k.algorithm = .minibatch; k.initialization = .file("c.csv")
        XCTAssertThrowsParameterError(try k.validate(), naming: "init", containing: ["algorithm minibatch"])
        let a = ALSConfig(user: "u", item: "i")
        XCTAssertThrowsParameterError(try a.validate(), naming: "rating", containing: ["explicit ALS needs rating"])
    }

    func testSwitchesAndAliases() throws {
        var c = LogisticConfig(target: "y")
        try c.set("no_scale", "true")
        XCTAssertFalse(c.standardize)
        try c.set("standardize", "true")
        XCTAssertTrue(c.standardize)
        try c.set("no-scale", "false")
        XCTAssertTrue(c.standardize)
        try c.set("max-iter", "7")
        XCTAssertEqual(c.maxIterations, 7)
        XCTAssertThrowsPersonaError(try c.set("learning_rate", "0.1"), containing: ["learning_rate", "max_iter"])
    }

    func testCardEntriesMatchEarlierReleases() throws {
        // The keys and values a v1 logistic regression card holds, made from the table.
        var c = LogisticConfig(target: "churned"); c.l2 = 0.001
        XCTAssertEqual(c.card, .object(["class_weight": "none", "l1": 0, "l2": 0.001, "max_iter": 1000, "solver": "auto",
                                        "standardize": true, "target": "churned", "threshold": 0.5, "tol": 1e-08]))
        // Mini-batch settings are recorded only for the mini-batch algorithm.
        var k = KMeansConfig(k: 3)
        XCTAssertNil(k.card["batch_size"])
        k.algorithm = .minibatch
        XCTAssertEqual(k.card["batch_size"], 4096)
        XCTAssertEqual(k.card["passes"], 5)
        // A file of starting centres is recorded by its name only.
        k.algorithm = .auto; k.initialization = .file("/data/run/centres.csv")
        XCTAssertEqual(k.card["init"], "file:centres.csv")
    }

    func testLibraryAndCommandLineDefaultsAgree() {
        // The iteration limit was once 100 through the library and 1000 through the CLI.
        XCTAssertEqual(LogisticConfig().maxIterations, 1000)
        XCTAssertTrue(LogisticConfig.helpText.contains("--max-iter N"))
        XCTAssertTrue(LogisticConfig.helpText.contains("(default: 1000)"))
    }

    func testValuesTheDataRefusesNameTheParameter() throws {
        let t = TempDir()
        let data = t.file("d.csv", "x,y\n1,a\n2,b\n3,a\n4,b\n")
        var k = KMeansConfig(k: 3); k.initialization = .file(t.file("init.csv", "x,y\n1,a\n4,b\n"))
        XCTAssertThrowsParameterError(try KMeansModel.train(path: data, config: k, selection: ColumnSelection()), naming: "k",
                                      containing: ["k is 3", "holds 2 starting centres"])
        var l = LogisticConfig(target: "y"); l.positive = "c"
        XCTAssertThrowsParameterError(try LogisticModel.train(path: data, config: l, selection: ColumnSelection()), naming: "positive",
                                      containing: ["d.csv", "positive \"c\" is not a class"])
        XCTAssertThrowsParameterError(try KMeansModel.train(path: data, config: KMeansConfig(k: 9), selection: ColumnSelection()), naming: "k",
                                      containing: ["larger than the number of rows (4)"])
        var tree = TreeConfig(target: "x"); tree.classWeight = .explicit(negative: 1, positive: 2)
        let three = t.file("three.csv", "x,y\n1,a\n2,b\n3,c\n")
        XCTAssertThrowsParameterError(try TreeModel.train(path: three, config: { var c = tree; c.target = "y"; return c }(), selection: ColumnSelection()),
                                      naming: "class_weight", containing: ["NEG:POS is for two classes"])
    }
}
