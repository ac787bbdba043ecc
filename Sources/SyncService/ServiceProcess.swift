import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Which process holds a lock file, from the kernel's lock table: a pid recorded in the database may be
/// stale (a service that died, its pid since reused by another program), the lock's holder is not.
enum LockHolders {
    /// The pids holding a flock(2) on `path`; empty when none does. Throws when the lock table or the file
    /// cannot be read (then nothing can be said about who holds it).
    static func pids(of path: String) throws -> [Int32] {
        var status = stat()
        guard stat(path, &status) == 0 else {
            if errno == ENOENT { return [] }
            throw ServiceError("cannot read the lock file \(path): \(String(cString: strerror(errno)))")
        }
        guard let table = readWhole("/proc/locks") else {
            throw ServiceError("cannot read /proc/locks to find the process holding \(path)")
        }
        // "1: FLOCK  ADVISORY  WRITE 4242 08:01:1234567 0 EOF" (a "->" marks a waiter, not a holder).
        let device = String(format: "%02x:%02x:%llu", major(status.st_dev), minor(status.st_dev), UInt64(status.st_ino))
        let holders = table.split(separator: "\n").compactMap { line -> Int32? in
            let fields = line.split(separator: " ", omittingEmptySubsequences: true)
            guard fields.count >= 6, fields[1] == "FLOCK", fields[5] == Substring(device) else { return nil }
            return Int32(fields[4])
        }
        // A table that changes while it is read a page at a time can show a line twice (the kernel resumes
        // by position), and one lock shared by a forked child is listed once per process: each pid once.
        var seen = Set<Int32>()
        return holders.filter { seen.insert($0).inserted }
    }

    /// A /proc file read to its end. /proc files have no size, and the kernel hands out a long one (the lock
    /// table of a busy machine) a page per read: reading "the file's size" would stop after the first page.
    private static func readWhole(_ path: String) -> String? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var bytes: [UInt8] = [], chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let count = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if count == 0 { return String(decoding: bytes, as: UTF8.self) }
            if count < 0 {
                if errno == EINTR { continue }
                return nil
            }
            bytes += chunk[..<count]
        }
    }

    private static func major(_ device: dev_t) -> UInt32 { UInt32((device >> 8) & 0xfff) | UInt32((device >> 32) & ~0xfff) }
    private static func minor(_ device: dev_t) -> UInt32 { UInt32(device & 0xff) | UInt32((device >> 12) & ~0xff) }
}

enum ServiceProcess {
    /// Whether `pid` is an `idsync service run`: its name and command line, which /proc shows for any
    /// process (its executable link is hidden once it made itself non-dumpable).
    static func isService(_ pid: Int32) -> Bool {
        guard let name = try? String(contentsOfFile: "/proc/\(pid)/comm", encoding: .utf8),
              name.trimmingCharacters(in: .whitespacesAndNewlines) == "idsync",
              let commandLine = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline") else { return false }
        let arguments = commandLine.split(separator: 0).map { String(decoding: $0, as: UTF8.self) }
        return arguments.count >= 3 && arguments[1...].starts(with: ["service", "run"])
    }
}
