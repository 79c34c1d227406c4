/// The Tokens benchmark (placeholder until the module lands).
enum TokensBenchmark {
    static func run(_ arguments: [String]) -> Int32 {
        FileHandleOutput.standardError("bench: the Tokens benchmark is not built yet")
        return 2
    }
}
