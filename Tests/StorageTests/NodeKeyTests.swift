import Foundation
import Storage
import Testing

@Suite("node key file")
struct NodeKeyTests {
    @Test("a saved key reads back and its file has mode 0600")
    func roundTrip() throws {
        try withTemporaryDirectory { directory in
            let path = directory + "/node.key"
            let key = (0..<64).map { UInt8($0) }
            try SQLiteLogStore.saveNodeKey(key, path: path)
            #expect(try SQLiteLogStore.loadNodeKey(path: path) == key)
            let permissions = try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int
            #expect(permissions == 0o600)
            #expect(!FileManager.default.fileExists(atPath: path + ".partial"))
        }
    }

    @Test("an existing key is never replaced")
    func refusesToReplace() throws {
        try withTemporaryDirectory { directory in
            let path = directory + "/node.key"
            try SQLiteLogStore.saveNodeKey([1, 2, 3], path: path)
            let error = #expect(throws: StorageError.self) { try SQLiteLogStore.saveNodeKey([4], path: path) }
            #expect(error?.description.contains("already exists") == true)
            #expect(try SQLiteLogStore.loadNodeKey(path: path) == [1, 2, 3])
        }
    }

    @Test("a key readable by group or others is refused with a chmod remedy")
    func refusesExposedKey() throws {
        try withTemporaryDirectory { directory in
            let path = directory + "/node.key"
            try SQLiteLogStore.saveNodeKey([1, 2, 3], path: path)
            for mode in [0o640, 0o604, 0o660] {
                #expect(chmod(path, mode_t(mode)) == 0)
                let error = #expect(throws: StorageError.self) { try SQLiteLogStore.loadNodeKey(path: path) }
                #expect(error?.description.contains("chmod 600 \(path)") == true)
                #expect(error?.description.contains("0" + String(mode, radix: 8)) == true)
            }
        }
    }

    @Test("a missing key file or a missing directory is reported with its path")
    func missingFile() throws {
        try withTemporaryDirectory { directory in
            let error = #expect(throws: StorageError.self) { try SQLiteLogStore.loadNodeKey(path: directory + "/none.key") }
            #expect(error?.description.contains(directory + "/none.key") == true)
            #expect(throws: StorageError.self) { try SQLiteLogStore.saveNodeKey([1], path: directory + "/no/such/node.key") }
        }
    }
}
