import PackagePlugin

/// Fails the build of PersonaCore when a file names a type declared in a
/// layer above its own (`persona-layers`; the layers are listed there and
/// drawn in docs/ARCHITECTURE.md). Runs again whenever a source file changes.
@main
struct LayerCheck: BuildToolPlugin {
    func createBuildCommands(context: PluginContext, target: Target) throws -> [Command] {
        guard let target = target as? SourceModuleTarget else { return [] }
        let stamp = context.pluginWorkDirectory.appending("LayersChecked.swift")
        return [.buildCommand(displayName: "Checking the layers of \(target.name)",
                              executable: try context.tool(named: "persona-layers").path,
                              arguments: [target.directory.string, stamp.string],
                              inputFiles: target.sourceFiles(withSuffix: "swift").map(\.path),
                              outputFiles: [stamp])]
    }
}
