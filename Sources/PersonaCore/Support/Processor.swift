import CPersonaKernels

/// What this processor can run, asked once for every C kernel with an AVX2 build.
enum Processor {
    /// The processor has AVX2 and the operating system saves its registers.
    static let hasAVX2 = persona_avx2() != 0
}
