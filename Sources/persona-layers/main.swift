// Checks that PersonaCore's layers hold: a file in one folder of
// Sources/PersonaCore names no type declared in a folder above it. Run by the
// LayerCheck build plugin on every build of PersonaCore; a file that breaks
// the rule fails the build with the file, the line and the type it names.
//
//   persona-layers SOURCES_DIR STAMP_FILE
import Foundation

/// The layers of Sources/PersonaCore, lowest first, each one or more folders.
/// A layer may use its own folders and the layers before it, none after it
/// (docs/ARCHITECTURE.md draws the same picture).
let layerFolders: [[String]] = [["Linalg", "Support"], ["Parameters"], ["Data"], ["Persistence"], ["Metrics"], ["Reports"],
                                ["Export"], ["Experiments"], ["Tasks"], ["Models"], ["Selection"], ["Workflow"]]
let layers = layerFolders.map { $0.joined(separator: "/") }
func layerIndex(_ folder: String) -> Int? { layerFolders.firstIndex { $0.contains(folder) } }

struct SourceFile {
    var path: String
    var layer: String
    var rank: Int
    var lines: [Substring]
}

/// The file's lines with comments and the text of string literals blanked
/// (interpolations inside a string are kept: they are code).
func code(_ text: String) -> [Substring] {
    var out = [UInt8]()
    let b = Array(text.utf8)
    var i = 0
    var inBlock = 0
    var stringDepth: [(multi: Bool, parens: Int)] = []   // open strings, innermost last, with the interpolation's parens
    while i < b.count {
        let c = b[i]
        let next = i + 1 < b.count ? b[i + 1] : 0
        if inBlock > 0 {
            if c == UInt8(ascii: "*") && next == UInt8(ascii: "/") { inBlock -= 1; out += [32, 32]; i += 2; continue }
            if c == UInt8(ascii: "/") && next == UInt8(ascii: "*") { inBlock += 1; out += [32, 32]; i += 2; continue }
            out.append(c == 10 ? 10 : 32); i += 1; continue
        }
        if let top = stringDepth.last, top.parens == 0 {
            // inside a string's text
            if c == UInt8(ascii: "\\") && next == UInt8(ascii: "(") {
                stringDepth[stringDepth.count - 1].parens = 1; out += [32, 40]; i += 2; continue
            }
            if c == UInt8(ascii: "\\") { out += [32, 32]; i += 2; continue }
            if top.multi, c == 34, next == 34, i + 2 < b.count, b[i + 2] == 34 { stringDepth.removeLast(); out += [34, 34, 34]; i += 3; continue }
            if !top.multi, c == 34 { stringDepth.removeLast(); out.append(34); i += 1; continue }
            out.append(c == 10 ? 10 : 32); i += 1; continue
        }
        if c == UInt8(ascii: "/") && next == UInt8(ascii: "/") {
            while i < b.count && b[i] != 10 { out.append(32); i += 1 }
            continue
        }
        if c == UInt8(ascii: "/") && next == UInt8(ascii: "*") { inBlock = 1; out += [32, 32]; i += 2; continue }
        if c == 34 {
            if next == 34, i + 2 < b.count, b[i + 2] == 34 { stringDepth.append((true, 0)); out += [34, 34, 34]; i += 3; continue }
            stringDepth.append((false, 0)); out.append(34); i += 1; continue
        }
        if !stringDepth.isEmpty {
            // inside an interpolation: count its parens to find where it ends
            if c == 40 { stringDepth[stringDepth.count - 1].parens += 1 }
            if c == 41 { stringDepth[stringDepth.count - 1].parens -= 1 }
        }
        out.append(c); i += 1
    }
    return String(decoding: out, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false)
}

func isIdentifierByte(_ c: UInt8) -> Bool {
    (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c == 95
}

/// The identifiers of a line that start with a capital letter.
func typeNames(_ line: Substring) -> [Substring] {
    var names: [Substring] = []
    var start: String.Index? = nil
    var previous: UInt8 = 32
    for i in line.utf8.indices {
        let c = line.utf8[i]
        if isIdentifierByte(c) {
            if start == nil, c >= 65, c <= 90, previous != UInt8(ascii: "."), !isIdentifierByte(previous) { start = i }
        } else if let s = start {
            names.append(line[s..<i]); start = nil
        }
        previous = c
    }
    if let s = start { names.append(line[s...]) }
    return names
}

/// The type names a file declares: at its top level only, or at any depth
/// (a nested type shadows a top-level one of the same name in its file).
func declarations(_ lines: [Substring], nested: Bool = false) -> [Substring] {
    let keywords: Set<Substring> = ["struct", "class", "enum", "protocol", "typealias", "actor"]
    var names: [Substring] = []
    for var line in lines {
        if nested { line = line.drop(while: { $0 == " " || $0 == "\t" }) }
        guard let first = line.utf8.first, first != 32, first != 9, first != 125 else { continue }
        let words = line.split(whereSeparator: { $0 == " " || $0 == ":" || $0 == "<" || $0 == "{" || $0 == "=" })
        for (k, w) in words.enumerated() where keywords.contains(w) && k + 1 < words.count {
            let before = words[..<k]
            if before.allSatisfy({ ["public", "internal", "private", "fileprivate", "final", "indirect"].contains($0) || $0.hasPrefix("@") }) {
                names.append(words[k + 1])
            }
            break
        }
    }
    return names
}

let args = CommandLine.arguments
guard args.count == 3 else {
    FileHandle.standardError.write(Data("usage: persona-layers SOURCES_DIR STAMP_FILE\n".utf8))
    exit(2)
}
let root = URL(fileURLWithPath: args[1]).standardizedFileURL.path
var files: [SourceFile] = []
var problems: [String] = []
let enumerator = FileManager.default.enumerator(atPath: root)
while let relative = enumerator?.nextObject() as? String {
    guard relative.hasSuffix(".swift") else { continue }
    let layer = String(relative.split(separator: "/").first ?? "")
    let path = root + "/" + relative
    guard let rank = layerIndex(layer), relative.contains("/") else {
        problems.append("\(path):1:1: error: \(relative) is in no layer of PersonaCore; put it in one of \(layerFolders.joined().joined(separator: ", ")) (docs/ARCHITECTURE.md)")
        continue
    }
    guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
        problems.append("\(path):1:1: error: cannot read \(relative) as UTF-8")
        continue
    }
    files.append(SourceFile(path: path, layer: layers[rank], rank: rank, lines: code(text)))
}
files.sort { $0.path < $1.path }

// Each top-level type's layer; a name declared in several layers counts at the lowest.
var owner: [Substring: Int] = [:]
for f in files {
    let rank = f.rank
    for name in declarations(f.lines) { owner[name] = min(owner[name] ?? rank, rank) }
}
for f in files {
    let rank = f.rank
    let own = Set(declarations(f.lines, nested: true))
    for (n, line) in f.lines.enumerated() {
        var reported = Set<Substring>()
        for name in typeNames(line) where !reported.contains(name) && !own.contains(name) {
            if let o = owner[name], o > rank {
                reported.insert(name)
                problems.append("\(f.path):\(n + 1):1: error: \(f.layer) names \(name), declared in \(layers[o]), a layer above it: "
                                + "move the code to \(layers[o]) or above, or what it needs below \(f.layer) (docs/ARCHITECTURE.md, Layers)")
            }
        }
    }
}
if !problems.isEmpty {
    FileHandle.standardError.write(Data((problems.joined(separator: "\n") + "\n").utf8))
    exit(1)
}
let stamp = "// PersonaCore's layers were checked: \(files.count) files, \(layers.joined(separator: " < ")).\n"
try? FileManager.default.removeItem(atPath: args[2])
_ = FileManager.default.createFile(atPath: args[2], contents: Data(stamp.utf8))
