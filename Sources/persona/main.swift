import ArgumentParser
import Foundation
import PersonaCore

// Exit codes: 0 success, 1 bad data or model (a PersonaError, with a message
// naming the file, line and column), 2 usage error. Never a stack trace.
// Temporary copies of piped or compressed inputs go when the process ends,
// however it ends (Ctrl-C and termination included).
atexit { Inputs.removeTemporaries() }
for sig in [SIGINT, SIGTERM, SIGHUP, SIGPIPE] {
    signal(sig) { s in
        Inputs.removeTemporaries()
        AtomicOutput.removeTemporaries()
        _exit(128 + s)
    }
}

BLAS.quietIdleThreads()
do {
    var command = try Persona.parseAsRoot()
    try command.run()
    LiveLine.clear()
} catch let error as PersonaError {
    Console.error(Inputs.displayText(error.message))
    exit(1)
} catch let error as ParameterError {
    // A value that the data shows cannot work (k above the number of rows):
    // named as the flag the user typed.
    Console.error(Inputs.displayText(error.message(.flag)))
    exit(1)
} catch let error as ExitCode {
    exit(error.rawValue)
} catch {
    let code = Persona.exitCode(for: error)
    if code == .success {
        // Help: rendered unwrapped, then laid out so that examples stay whole.
        print(HelpText.layout(Persona.fullMessage(for: error, columns: 100_000), width: HelpText.width))
        exit(0)
    }
    let message = Persona.fullMessage(for: error)
    FileHandle.standardError.write(Data((message + "\n").utf8))
    exit(2)
}
