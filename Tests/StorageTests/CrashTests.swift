import Foundation
import Storage
import Testing

@Suite("kill -9 of a writer")
struct CrashTests {
    /// Kill-and-reopen rounds per test: each restarts the writer on the same database.
    static let rounds = 5

    @Test("an acknowledged entry survives kill -9 of the writer, and nothing half-written is served")
    func acknowledgedEntriesSurviveKill() throws {
        let binary = try #require(TortureWriter.binaryPath(), "warden not found beside the test bundle or in .build/debug; `swift build --build-tests` builds it")
        try withTemporaryDirectory { directory in
            let path = directory + "/torture.db"
            var acknowledged: UInt64 = 0
            for round in 0..<Self.rounds {
                let writer = try TortureWriter(binary: binary, path: path, errorPath: directory + "/stderr-\(round).txt")
                // Wait for a different amount of progress each round, so the kill lands at different points.
                let target = acknowledged + 50 + UInt64(round) * 1_237
                let progressed = writer.waitForAcknowledgement(atLeast: target)
                writer.killAndReap()
                let errors = (try? String(contentsOfFile: directory + "/stderr-\(round).txt", encoding: .utf8)) ?? ""
                #expect(progressed, "round \(round): the writer did not reach index \(target); its stderr: \(errors)")
                acknowledged = max(acknowledged, writer.acknowledgedIndex)
                let lastIndex = try TortureCheck.verify(path: path, acknowledgedIndex: acknowledged)
                acknowledged = max(acknowledged, lastIndex)
            }
            #expect(acknowledged > 0)
        }
    }

    @Test("a writer killed before its first acknowledgement leaves a store that opens")
    func killRightAfterStart() throws {
        let binary = try #require(TortureWriter.binaryPath(), "warden not found beside the test bundle or in .build/debug; `swift build --build-tests` builds it")
        try withTemporaryDirectory { directory in
            let path = directory + "/torture.db"
            for round in 0..<Self.rounds {
                let writer = try TortureWriter(binary: binary, path: path, errorPath: directory + "/stderr.txt")
                usleep(UInt32(round) * 20_000)
                writer.killAndReap()
                try TortureCheck.verify(path: path, acknowledgedIndex: writer.acknowledgedIndex)
            }
        }
    }
}
