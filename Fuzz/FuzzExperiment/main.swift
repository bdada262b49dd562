import Foundation
import PersonaCore

/// libFuzzer entry: arbitrary bytes as an experiment file, loaded and its grid
/// expanded (nothing is run: no file is read or written beyond the input).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    let text = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
    if let e = try? Experiment.load(text: text, path: "fuzz/experiment.yaml") {
        for combo in e.combinations.prefix(64) { _ = e.settings(combo) }
    }
    return 0
}

// SwiftPM links an executable's entry point under the name FuzzExperiment_main; built
// -parse-as-library for libFuzzer, that entry point hands over to libFuzzer's driver.
@_silgen_name("LLVMFuzzerRunDriver")
func LLVMFuzzerRunDriver(_ argc: UnsafeMutablePointer<Int32>,
                         _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
                         _ callback: @convention(c) (UnsafePointer<UInt8>, Int) -> Int32) -> Int32

@_cdecl("FuzzExperiment_main")
public func fuzzMain(_ argc: Int32, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> Int32 {
    var argc = argc
    var argv = argv
    return LLVMFuzzerRunDriver(&argc, &argv, fuzz)
}
