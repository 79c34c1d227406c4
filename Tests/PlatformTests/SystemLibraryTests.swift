import CLinuxIO
import COpenSSL
import CSQLite
import Testing

/// The system C modules import and link: these fail when a `-dev` package or a module map is missing.
@Suite("system libraries")
struct SystemLibraryTests {
    @Test("SQLite 3 links and is new enough for WAL and RETURNING")
    func sqliteLinks() {
        #expect(sqlite3_libversion_number() >= 3_035_000)
        #expect(sqlite3_threadsafe() != 0)
    }

    @Test("epoll, eventfd and timerfd are reachable through CLinuxIO")
    func linuxIOReachable() {
        let epoll = epoll_create1(Int32(EPOLL_CLOEXEC))
        #expect(epoll >= 0)
        let event = eventfd(0, Int32(EFD_NONBLOCK | EFD_CLOEXEC))
        #expect(event >= 0)
        let timer = timerfd_create(CLOCK_MONOTONIC, Int32(TFD_NONBLOCK | TFD_CLOEXEC))
        #expect(timer >= 0)
        for descriptor in [epoll, event, timer] where descriptor >= 0 { close(descriptor) }
    }

    @Test("the OpenSSL shim hashes the empty string to the known SHA-256")
    func opensslShim() {
        var digest = [UInt8](repeating: 0, count: 32)
        let ok = digest.withUnsafeMutableBufferPointer { warden_sha256(nil, 0, $0.baseAddress) }
        #expect(ok == 1)
        let hex = digest.map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined()
        #expect(hex == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
    }
}
