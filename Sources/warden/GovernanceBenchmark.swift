/// The Governance benchmark (placeholder until the module lands).
enum GovernanceBenchmark {
    static func run(_ arguments: [String]) -> Int32 {
        FileHandleOutput.standardError("bench: the Governance benchmark is not built yet")
        return 2
    }
}
