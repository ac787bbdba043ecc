import Foundation

/// The key export file (miiskmu /e): the key set with an export wrapper only.
public struct KeyFile: Codable, Sendable {
    public static let format = "idsync-key-export-v1"
    public var format: String = KeyFile.format
    public var keySet: StoredKeySet

    public init(keySet: StoredKeySet) { self.keySet = keySet }

    public func encoded() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted]
        encoder.dateEncodingStrategy = .iso8601
        return try encoder.encode(self)
    }

    /// Decodes a key file and checks its shape (`KeySetLimits`) and scrypt cost before any work is done
    /// with it: a hostile or damaged file is an error, never a trap or minutes of derivation.
    public static func decode(_ data: Data) throws -> KeyFile {
        guard data.count <= KeySetLimits.maxEncodedBytes else {
            throw VaultError.malformed("key file (larger than \(KeySetLimits.maxEncodedBytes / 1024 / 1024) MiB)")
        }
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        guard let file = try? decoder.decode(KeyFile.self, from: data), file.format == format else {
            throw VaultError.malformed("key file (expected \(format))")
        }
        try KeySetLimits.check(file.keySet)
        for wrapper in file.keySet.wrappers { try wrapper.parameters.validate() }
        return file
    }
}
