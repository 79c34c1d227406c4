/// The Raft benchmark (placeholder until the module lands).
enum RaftBenchmark {
    static func run(_ arguments: [String]) -> Int32 {
        FileHandleOutput.standardError("bench: the Raft benchmark is not built yet")
        return 2
    }
}
