/// This release of Persona: its version, and the model file format it writes.
public enum PersonaVersion {
    public static let tool = "0.1.0"
    /// The model file format this release writes. It reads every version up to this one.
    public static let modelFormat = 1
}
