import Foundation
import PersonaCore

/// libFuzzer entry: arbitrary bytes as a model file, decoded and loaded by its kind.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    guard let (card, tensors) = try? ModelFile.decode(bytes, path: "fuzz.safetensors"),
          let family = ModelRegistry.family(kind: card.kind) else { return 0 }
    if let model = try? family.init(card: card, tensors: tensors, path: "fuzz.safetensors") {
        _ = model.summary()
        if let scorer = model as? any RowScoring {
            _ = scorer.score(FloatMatrix(rows: 2, cols: card.pipeline.width))
        }
    }
    return 0
}

// SwiftPM links an executable's entry point under the name FuzzModelFile_main; built
// -parse-as-library for libFuzzer, that entry point hands over to libFuzzer's driver.
@_silgen_name("LLVMFuzzerRunDriver")
func LLVMFuzzerRunDriver(_ argc: UnsafeMutablePointer<Int32>,
                         _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
                         _ callback: @convention(c) (UnsafePointer<UInt8>, Int) -> Int32) -> Int32

@_cdecl("FuzzModelFile_main")
public func fuzzMain(_ argc: Int32, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> Int32 {
    var argc = argc
    var argv = argv
    return LLVMFuzzerRunDriver(&argc, &argv, fuzz)
}
