import Foundation
import XCTest
@testable import PersonaCore

final class ALSTests: XCTestCase {
    func testSparseRowsTranspose() {
        let m = SparseRows.build(rows: 3, [0, 0, 2], [1, 2, 0], [5, 6, 7])
        let t = m.transposed(columns: 3)
        XCTAssertEqual(t.indptr, [0, 1, 2, 3])
        XCTAssertEqual(t.indices, [2, 0, 0])
        XCTAssertEqual(t.values, [7, 5, 6])
    }

    func testDuplicatesPolicies() throws {
        let t = TempDir()
        let p = t.file("d.csv", "u,i,r\na,x,1\na,x,3\nb,y,2\n")
        XCTAssertThrowsPersonaError(try Interactions.read(path: p, user: "u", item: "i", rating: "r", duplicates: .error),
                                    containing: ["d.csv", "line 3", "more than once", "--duplicates"])
        XCTAssertEqual(try Interactions.read(path: p, user: "u", item: "i", rating: "r", duplicates: .sum).byUser.values, [4, 2])
        XCTAssertEqual(try Interactions.read(path: p, user: "u", item: "i", rating: "r", duplicates: .last).byUser.values, [3, 2])
        XCTAssertEqual(try Interactions.read(path: p, user: "u", item: "i", rating: "r", duplicates: .mean).byUser.values, [2, 2])
        XCTAssertThrowsPersonaError(try Interactions.read(path: t.file("n.csv", "u,i,r\na,x,-1\n"), user: "u", item: "i", rating: "r", duplicates: .sum),
                                    containing: ["negative"])
        XCTAssertThrowsPersonaError(try Interactions.read(path: t.file("s.csv", "u,i,r\na,x,lots\n"), user: "u", item: "i", rating: "r", duplicates: .sum),
                                    containing: ["not a number", "line 2", "column 3"])
        XCTAssertThrowsPersonaError(try Interactions.read(path: t.file("e.csv", "u,i,r\n"), user: "u", item: "i", rating: "r", duplicates: .sum),
                                    containing: ["no interactions"])
    }

    /// The read against a plain reference on shuffled rows with repeats: ids numbered
    /// in order of first appearance (spaces and tabs trimmed, quotes removed), each
    /// user's items in id order, duplicates merged in file order.
    func testInteractionsAgainstAReference() throws {
        var rng = PersonaRandom(seed: 11)
        var lines = ["user, item ,count"]
        var rows: [(String, String, Float)] = []
        for _ in 0..<3000 {
            let u = "u\(Int(rng.uniform() * 300))", i = "item \(Int(rng.uniform() * 80))"
            let v = Float(Int(rng.uniform() * 5))
            rows.append((u, i, v))
            let pad = Int(rng.uniform() * 3)
            lines.append((pad == 0 ? u : pad == 1 ? " \(u)\t" : "\"\(u)\"") + ",\"" + i + "\"," + "\(Int(v))")
        }
        let t = TempDir()
        let p = t.file("x.csv", lines.joined(separator: "\r\n") + "\r\n")
        defer { Profiler.parallelMinimumBytes = 8 << 20 }
        for (parallel, policy) in [(false, DuplicatePolicy.sum), (false, .last), (false, .mean), (true, .sum), (true, .last), (true, .mean)] {
            // In parallel: the file in eight parts, joined in file order.
            Profiler.parallelMinimumBytes = parallel ? 1 : Int.max
            let got = try Interactions.read(path: p, user: "user", item: "item", rating: "count", duplicates: policy)
            var userIds: [String] = [], itemIds: [String] = [], userIndex: [String: Int] = [:], itemIndex: [String: Int] = [:]
            for (u, i, _) in rows {
                if userIndex[u] == nil { userIndex[u] = userIds.count; userIds.append(u) }
                if itemIndex[i] == nil { itemIndex[i] = itemIds.count; itemIds.append(i) }
            }
            var cells: [Int: [Int: [Float]]] = [:]
            for (u, i, v) in rows { cells[userIndex[u]!, default: [:]][itemIndex[i]!, default: []].append(v) }
            XCTAssertEqual(got.userIds, userIds)
            XCTAssertEqual(got.itemIds, itemIds)
            var indices: [Int32] = [], values: [Float] = [], merged = 0
            for u in userIds.indices {
                for (i, vs) in cells[u]!.sorted(by: { $0.key < $1.key }) {
                    indices.append(Int32(i))
                    merged += vs.count - 1
                    switch policy {
                    case .sum: values.append(vs.dropFirst().reduce(vs[0], +))
                    case .last: values.append(vs.last!)
                    default:
                        var m = vs[0]
                        for (n, v) in vs.enumerated().dropFirst() { m += (v - m) / Float(n + 1) }
                        values.append(m)
                    }
                }
            }
            XCTAssertEqual(got.byUser.indices, indices)
            XCTAssertEqual(got.byUser.values, values, "\(policy)")
            XCTAssertEqual(got.duplicatesMerged, merged)
            XCTAssertEqual(got.byItem, got.byUser.transposed(columns: itemIds.count))
            Profiler.parallelMinimumBytes = Int.max
            XCTAssertEqual(got.fingerprint, try Interactions.read(path: p, user: "user", item: "item", rating: "count", duplicates: policy).fingerprint)
        }
        // Errors name the exact line whether the file was cut into parts or not:
        // a missing id on line 2,501 and a duplicate rating first seen again on line 2,999.
        var bad = lines
        bad[2500] = " NA ,x,1"
        let badPath = t.file("bad.csv", bad.joined(separator: "\n") + "\n")
        let dupPath = t.file("dup.csv", (Array(lines.prefix(1)) + (1..<3000).map { "u\($0),i\($0),1" } + ["u5,i5,2"]).joined(separator: "\n") + "\n")
        for parallel in [false, true] {
            Profiler.parallelMinimumBytes = parallel ? 1 : Int.max
            XCTAssertThrowsPersonaError(try Interactions.read(path: badPath, user: "user", item: "item", rating: "count", duplicates: .sum),
                                        containing: ["bad.csv", "line 2501", "user id is missing"])
            XCTAssertThrowsPersonaError(try Interactions.read(path: dupPath, user: "user", item: "item", rating: "count", duplicates: .error),
                                        containing: ["dup.csv", "line 3001", "\"u5\" rates item \"i5\" more than once"])
        }
        XCTAssertThrowsPersonaError(try Interactions.read(path: t.file("m.csv", "u,i\na,x\n NA ,y\n"), user: "u", item: "i", rating: nil,
                                                          duplicates: .sum), containing: ["m.csv", "line 3", "column 1", "user id is missing"])
        XCTAssertThrowsPersonaError(try Interactions.read(path: t.file("mi.csv", "u,i\na,\n"), user: "u", item: "i", rating: nil,
                                                          duplicates: .sum), containing: ["line 2", "column 2", "item id is missing"])
        // The same letter composed two ways: one id to every lookup by name, so refused.
        XCTAssertThrowsPersonaError(try Interactions.read(path: t.file("nfc.csv", "u,i\nJos\u{E9},x\nJose\u{301},y\n"), user: "u", item: "i",
                                                          rating: nil, duplicates: .sum), containing: ["nfc.csv", "two different user ids", "NFC"])
    }

    /// With the item factors fixed, an explicit update is the ridge solution, checked in closed form.
    func testExplicitUpdateIsTheClosedFormSolution() {
        let y = FloatMatrix([[1, 0], [0, 2], [1, 1]])
        let data = SparseRows.build(rows: 1, [0, 0, 0], [0, 1, 2], [3, 4, 5])
        var x = FloatMatrix(rows: 1, cols: 2)
        var c = ALSConfig(user: "u", item: "i"); c.rating = "r"; c.regularization = 0.5
        ALSSolver.update(&x, fixed: y, rows: data, config: c)
        // (YᵀY + 0.5·3 I) x = Yᵀr: YᵀY = [[2,1],[1,5]], Yᵀr = [8, 13] -> [[3.5,1],[1,6.5]] x = [8,13]
        let det = 3.5 * 6.5 - 1.0
        XCTAssertEqual(Double(x[0, 0]), (8 * 6.5 - 13) / det, accuracy: 1e-5)
        XCTAssertEqual(Double(x[0, 1]), (3.5 * 13 - 8) / det, accuracy: 1e-5)
        // Implicit: conjugate gradient with enough steps reaches the Cholesky answer.
        var ci = ALSConfig(user: "u", item: "i"); ci.implicit = true; ci.alpha = 2; ci.regularization = 0.1; ci.cgSteps = 10
        var a = FloatMatrix(rows: 1, cols: 2), b = a
        ALSSolver.update(&a, fixed: y, rows: data, config: ci)
        ci.solver = .cholesky
        ALSSolver.update(&b, fixed: y, rows: data, config: ci)
        XCTAssertEqual(a.storage, b.storage, accuracy: 1e-4)
    }

    /// The C passes of the conjugate-gradient solve, generic and AVX2, give the
    /// bits of the same steps written with the Swift `dot` and `axpy`, for factor
    /// counts on and off the sixteen-wide blocks, rows gathered or read in place.
    func testConjugateGradientKernelsMatchTheSwiftSteps() {
        var rng = PersonaRandom(seed: 21)
        let variants = [ALSSolver.Kernels.generic] + (Processor.hasAVX2 ? [ALSSolver.Kernels.avx2] : [])
        for k in [1, 5, 16, 17, 32, 40, 64] {
            let rows = 50, m = 23
            let factors = (0..<(rows * k)).map { _ in Float(rng.uniform() * 2 - 1) }
            let items = (0..<m).map { _ in Int32(rng.uniform() * Double(rows)) }
            let values = (0..<m).map { _ in Float(Int(rng.uniform() * 5)) }
            let x = (0..<k).map { _ in Float(rng.uniform() - 0.5) }, p = (0..<k).map { _ in Float(rng.uniform() - 0.5) }
            let alpha: Float = 1.7
            // The reference: the steps in Swift.
            var r0 = [Float](repeating: 0.25, count: k), ap0 = [Float](repeating: -0.5, count: k), total0 = 3.0
            factors.withUnsafeBufferPointer { f in
                for t in 0..<m {
                    let y = f.baseAddress! + Int(items[t]) * k
                    let c = 1 + alpha * values[t]
                    let d = ALSSolver.dot(y, x, k)
                    r0.withUnsafeMutableBufferPointer { ALSSolver.axpy(c - (c - 1) * d, y, $0.baseAddress!, k) }
                    total0 += Double(c) * (1 - Double(d)) * (1 - Double(d)) - Double(d) * Double(d)
                    ap0.withUnsafeMutableBufferPointer { ALSSolver.axpy((c - 1) * ALSSolver.dot(y, p, k), y, $0.baseAddress!, k) }
                }
            }
            for kernels in variants {
                var r = [Float](repeating: 0.25, count: k), gathered = [Float](repeating: .nan, count: m * k)
                let total = kernels.firstPass(factors, items, m, m, values, alpha, x, k, &r, &gathered, 3.0)
                XCTAssertEqual(r.map(\.bitPattern), r0.map(\.bitPattern), "k \(k)")
                XCTAssertEqual(total.bitPattern, total0.bitPattern, "k \(k)")
                for t in 0..<m { XCTAssertEqual(Array(gathered[(t * k)..<((t + 1) * k)]), Array(factors[(Int(items[t]) * k)..<((Int(items[t]) + 1) * k)])) }
                var inPlace = [Float](repeating: -0.5, count: k), side = inPlace
                kernels.cgPass(factors, items, m, m, values, alpha, p, k, &inPlace)
                kernels.cgPass(gathered, nil, m, 0, values, alpha, p, k, &side)
                XCTAssertEqual(inPlace.map(\.bitPattern), ap0.map(\.bitPattern), "k \(k)")
                XCTAssertEqual(side.map(\.bitPattern), ap0.map(\.bitPattern), "k \(k)")
            }
        }
    }

    /// The conjugate-gradient step reports the loss of the factors it starts from,
    /// which must be the objective `loss` computes in its own pass.
    func testLossReportedByTheUserStepIsTheObjective() {
        var rng = PersonaRandom(seed: 3)
        let users = 300, items = 40, k = 5
        var r: [Int32] = [], c: [Int32] = [], v: [Float] = []
        for u in 0..<users { for i in 0..<items where rng.uniform() < 0.2 { r.append(Int32(u)); c.append(Int32(i)); v.append(Float(1 + Int(rng.uniform() * 4))) } }
        let byUser = SparseRows.build(rows: users, r, c, v), byItem = byUser.transposed(columns: items)
        var x = FloatMatrix(rows: users, cols: k), y = FloatMatrix(rows: items, cols: k)
        for t in x.storage.indices { x.storage[t] = Float(rng.uniform() - 0.5) }
        for t in y.storage.indices { y.storage[t] = Float(rng.uniform() - 0.5) }
        var config = ALSConfig(user: "u", item: "i"); config.implicit = true; config.alpha = 2; config.regularization = 0.3
        let expected = ALSSolver.loss(x: x, y: y, byUser: byUser, byItem: byItem, config: config)
        let penalty = ALSSolver.penalty(x: x, y: y, byUser: byUser, byItem: byItem, config: config)
        let reported = ALSSolver.update(&x, fixed: y, rows: byUser, config: config)
        XCTAssertNotNil(reported)
        XCTAssertEqual(reported! + penalty, expected, accuracy: 1e-5 * abs(expected))
        XCTAssertNotEqual(ALSSolver.loss(x: x, y: y, byUser: byUser, byItem: byItem, config: config), expected)
        if Processor.hasAVX2 {
            // The same factors from either kernel, gathered rows or not.
            let saved = ALSSolver.kernels
            defer { ALSSolver.kernels = saved }
            var a = x, b = x
            ALSSolver.kernels = .generic
            let la = ALSSolver.update(&a, fixed: y, rows: byUser, config: config)
            ALSSolver.kernels = .avx2
            let lb = ALSSolver.update(&b, fixed: y, rows: byUser, config: config)
            XCTAssertEqual(a.storage.map(\.bitPattern), b.storage.map(\.bitPattern))
            XCTAssertEqual(la, lb)
        }
        config.solver = .cholesky
        XCTAssertNil(ALSSolver.update(&x, fixed: y, rows: byUser, config: config))
    }

    func testExplicitLossDecreasesAndLowRankBeatsPopularity() throws {
        let t = TempDir()
        let path = t.join("i.csv")
        try Generators.generate(.interactions, rows: 20000, seed: 5, to: path)
        _ = try InteractionSplit.byUser(path: path, user: "user_id", testFraction: 0.2, seed: 1, trainOut: t.join("tr.csv"), testOut: t.join("te.csv"))
        var c = ALSConfig(user: "user_id", item: "item_id"); c.rating = "rating"; c.factors = 8; c.regularization = 0.1; c.iterations = 8
        let explicit = try ALSModel.train(path: t.join("tr.csv"), config: c)
        let losses = explicit.card.trainingMetrics["loss"]!.array!.compactMap(\.double)
        for i in 1..<losses.count { XCTAssertLessThanOrEqual(losses[i], losses[i - 1] * (1 + 1e-6), "iteration \(i)") }
        c.implicit = true; c.rating = nil
        let implicit = try ALSModel.train(path: t.join("tr.csv"), config: c)
        let m = try implicit.evaluate(path: t.join("te.csv"), options: EvaluationOptions()).metrics
        let ours = m["precision_at_k"]!.double!, popular = m["baseline"]!["precision_at_k"]!.double!
        XCTAssertGreaterThan(ours, 1.3 * popular, "ALS \(ours) vs most popular \(popular)")
        XCTAssertGreaterThan(m["ndcg_at_k"]!.double!, 1.3 * m["baseline"]!["ndcg_at_k"]!.double!)
    }

    func testRoundTripReproducibilityRecommendAndGolden() throws {
        let t = TempDir()
        let path = t.join("i.csv")
        try Generators.generate(.interactions, rows: 3000, seed: 2, to: path)
        var c = ALSConfig(user: "user_id", item: "item_id"); c.implicit = true; c.rating = "rating"; c.factors = 4; c.iterations = 3
        setenv("SOURCE_DATE_EPOCH", "1700000000", 1)
        defer { unsetenv("SOURCE_DATE_EPOCH") }
        try ModelStore.save(try ALSModel.train(path: path, config: c), to: t.join("a.safetensors"))
        try ModelStore.save(try ALSModel.train(path: path, config: c), to: t.join("b.safetensors"))
        XCTAssertEqual(FileManager.default.contents(atPath: t.join("a.safetensors")), FileManager.default.contents(atPath: t.join("b.safetensors")))
        let m = try ModelStore.load(path: t.join("a.safetensors"), as: ALSModel.self, forCommand: "test")
        var lines: [String] = []
        let s = try Recommender.run(model: m, users: .one(m.userIds[0]), top: 5, excludeSeen: true, history: nil, output: nil) { lines.append($0) }
        XCTAssertEqual(s.rows, 5)
        let seen = Set(m.seenItems(0).map { m.itemIds[$0] })
        for line in lines.dropFirst() { XCTAssertFalse(seen.contains(String(line.split(separator: ",")[1]))) }
        XCTAssertThrowsPersonaError(try Recommender.run(model: m, users: .one("nobody"), top: 5, excludeSeen: true, history: nil, output: nil) { _ in },
                                    containing: ["\"nobody\" is not in the model", "--history"])
        let history = t.file("h.csv", "user_id,item_id,rating\nnewbie,\(m.itemIds[0]),5\nnewbie,\(m.itemIds[1]),3\n")
        var got: [String] = []
        _ = try Recommender.run(model: m, users: .one("newbie"), top: 3, excludeSeen: true, history: history, output: nil) { got.append($0) }
        XCTAssertTrue(got.dropFirst().allSatisfy { $0.hasSuffix(",history") })
        XCTAssertThrowsPersonaError(try Recommender.similar(model: m, item: "nothing", top: 3), containing: ["\"nothing\" is not in the model"])
        // The committed golden file of format 1 still loads and recommends the same.
        guard let dir = Bundle.module.url(forResource: "Golden", withExtension: nil)?.path else { return XCTFail("no Golden folder") }
        let golden = try ModelStore.load(path: dir + "/als-v1.safetensors", as: ALSModel.self, forCommand: "test")
        var out: [String] = []
        _ = try Recommender.run(model: golden, users: .all, top: 3, excludeSeen: true, history: nil, output: nil) { out.append($0) }
        let expected = try String(contentsOfFile: dir + "/als-v1-expected.csv", encoding: .utf8).split(separator: "\n").map(String.init)
        XCTAssertEqual(out.count, expected.count)
        for (a, b) in zip(out, expected) {
            let x = a.split(separator: ","), y = b.split(separator: ",")
            XCTAssertEqual(x[0..<3], y[0..<3])
            if let p = Double(x[3]), let q = Double(y[3]) { XCTAssertEqual(p, q, accuracy: 1e-5) }
        }
    }
}
