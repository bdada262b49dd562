import Foundation
import XCTest
import PersonaCore

/// `persona run experiment.yaml` and `persona compare`: repeatable runs,
/// errors that name the key and its line, a ranked grid.
final class ExperimentCLITests: CLITestCase {
    let experiment = """
    name: churn-tree
    data:
      train: churn.csv
    split:
      test_fraction: 0.25
      stratify: churned
      seed: 3
    model:
      family: tree
      target: churned
      min_samples_leaf: 5
    grid:
      max_depth: [2, 4]
    evaluate:
      seed: 1
    output:
      dir: runs/REPLACE

    """

    func testAnExperimentRunTwiceGivesTheSameModelAndMetrics() throws {
        XCTAssertEqual(try persona("datasets", "generate", "churn", "--rows", "1500", "--seed", "5", "--out", "churn.csv").code, 0)
        let env = ["SOURCE_DATE_EPOCH": "1700000000"]
        for run in ["a", "b"] {
            _ = write("\(run).yaml", experiment.replacingOccurrences(of: "REPLACE", with: run))
            let r = try persona(["run", "\(run).yaml"], env: env)
            XCTAssertEqual(r.code, 0, r.err)
            XCTAssertTrue(r.out.contains("grid: 2 combinations of max_depth"), r.out)
            for file in ["model.safetensors", "metrics.json", "report.html", "resolved.yaml", "grid.csv", "train.csv", "test.csv"] {
                XCTAssertTrue(exists("runs/\(run)/\(file)"), file)
            }
        }
        for file in ["model.safetensors", "metrics.json", "grid.csv"] {
            let a = try Data(contentsOf: URL(fileURLWithPath: dir + "/runs/a/" + file))
            let b = try Data(contentsOf: URL(fileURLWithPath: dir + "/runs/b/" + file))
            XCTAssertEqual(a, b, "\(file) is byte-identical between two runs")
        }
        // the report names its run directory; otherwise it is the same page
        let ra = try String(contentsOfFile: dir + "/runs/a/report.html", encoding: .utf8)
        let rb = try String(contentsOfFile: dir + "/runs/b/report.html", encoding: .utf8)
        XCTAssertEqual(ra.replacingOccurrences(of: "runs/a/", with: "runs/b/"), rb)
        let grid = try String(contentsOfFile: dir + "/runs/a/grid.csv", encoding: .utf8).split(separator: "\n")
        XCTAssertEqual(grid[0], "rank,max_depth,cv_auc", "row families are ranked by cross-validation on the train part")
        XCTAssertEqual(grid.count, 3)
        let resolved = try String(contentsOfFile: dir + "/runs/a/resolved.yaml", encoding: .utf8)
        XCTAssertTrue(resolved.contains("family: tree") && resolved.contains("# Train command: persona train tree"), resolved)
        XCTAssertTrue(resolved.contains("max_depth: \"4\"") || resolved.contains("max_depth: \"2\""), resolved)
        // the resolved file is an experiment of its own and repeats the run exactly
        let before = try Data(contentsOf: URL(fileURLWithPath: dir + "/runs/a/model.safetensors"))
        let again = try persona(["run", "runs/a/resolved.yaml"], env: env)
        XCTAssertEqual(again.code, 0, again.err)
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: dir + "/runs/a/model.safetensors")), before)
        XCTAssertEqual(try String(contentsOfFile: dir + "/runs/a/metrics.json", encoding: .utf8),
                       try String(contentsOfFile: dir + "/runs/b/metrics.json", encoding: .utf8))

        let c = try persona("compare", "runs/a/model.safetensors", "m2.safetensors", "--data", "runs/a/test.csv")
        XCTAssertEqual(c.code, 1, "a missing model file is an error")
        XCTAssertEqual(try persona("train", "tree", "--data", "runs/a/train.csv", "--target", "churned", "--max-depth", "1", "--out", "m2.safetensors").code, 0)
        let ok = try persona("compare", "runs/a/model.safetensors", "m2.safetensors", "--data", "runs/a/test.csv")
        XCTAssertEqual(ok.code, 0, ok.err)
        let aucLine = try XCTUnwrap(ok.out.split(separator: "\n").first { $0.hasPrefix("auc ") })
        XCTAssertEqual(aucLine.filter { $0 == "*" }.count, 1, "one best AUC is marked: \(aucLine)")
        let lossLine = try XCTUnwrap(ok.out.split(separator: "\n").first { $0.hasPrefix("log_loss") })
        XCTAssertEqual(lossLine.filter { $0 == "*" }.count, 1, "one best log loss is marked: \(lossLine)")
        XCTAssertTrue(ok.out.hasPrefix("binary classification of churned: metrics on"), ok.out)
        // a model of another target is compared within its own group: no best across the two
        XCTAssertEqual(try persona("train", "tree", "--data", "runs/a/train.csv", "--target", "contract", "--max-depth", "2", "--out", "m3.safetensors").code, 0)
        let mixed = try persona("compare", "runs/a/model.safetensors", "m2.safetensors", "m3.safetensors", "--data", "runs/a/test.csv")
        XCTAssertEqual(mixed.code, 0, mixed.err)
        XCTAssertTrue(mixed.out.contains("different tasks or predict different targets"), mixed.out)
        let sections = mixed.out.components(separatedBy: "\n\n")
        XCTAssertEqual(sections.count, 2, mixed.out)
        XCTAssertTrue(sections[1].hasPrefix("classification into several classes of contract"), mixed.out)
        XCTAssertFalse(sections[1].contains("*"), "a group of one marks no best: \(sections[1])")
        let f1 = try XCTUnwrap(sections[0].split(separator: "\n").first { $0.hasPrefix("f1 ") })
        XCTAssertEqual(f1.split(separator: " ").filter { Double($0) != nil }.count, 2, "the churn group's table holds its two models: \(f1)")
    }

    func testMistakesNameTheKeyAndLineBeforeAnyWork() throws {
        XCTAssertEqual(try persona("datasets", "generate", "churn", "--rows", "300", "--out", "churn.csv").code, 0)
        let cases: [(String, [String])] = [
            ("data:\n  train: churn.csv\nmodel:\n  family: logreg\n  target: churned\n  l2: plenty\n", ["line 6", "model.l2", "plenty"]),
            ("data:\n  train: churn.csv\nmodel:\n  family: logreg\n  target: churned\n  learning_rate: 0.1\n", ["line 6", "model.learning_rate", "Keys of model", "max_iter"]),
            ("data:\n  train: churn.csv\n  tset: t.csv\nmodel:\n  family: logreg\n", ["line 3", "data.tset", "Keys of data"]),
            ("data:\n  train: churn.csv\nsplit:\n  test_fraction: 1.5\nmodel:\n  family: logreg\n", ["line 4", "split.test_fraction"]),
            ("data:\n  train: churn.csv\nmodel:\n  family: forest\n", ["line 4", "model.family", "kmeans, logreg, tree, gbdt, als"]),
            ("data:\n  train: churn.csv\nmodel:\n  family: tree\n  target: churned\ngrid:\n  max_depth: 3\n", ["line 7", "grid.max_depth", "list"]),
            ("data:\n  train: churn.csv\nmodels:\n  family: tree\n", ["line 3", "models", "not a section"]),
        ]
        for (i, (yaml, fragments)) in cases.enumerated() {
            _ = write("bad\(i).yaml", yaml)
            let r = try persona("run", "bad\(i).yaml")
            expectDataError(r, ["bad\(i).yaml"] + fragments)
            XCTAssertFalse(exists("runs/bad\(i)"), "nothing is written before the experiment is known to be valid")
        }
    }
}
