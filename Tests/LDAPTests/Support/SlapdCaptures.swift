import Foundation

/// Values captured from a real exchange between Debian 12's ldapsearch (libldap 2.5.13) and slapd 2.5.13
/// with syncprov, started by scripts/slapd-server, with `ldapsearch -d 2 -E '!sync=ro/COOKIE'` (which dumps
/// every packet) and from the base64 values ldapsearch prints for response controls.
enum SlapdCaptures {
    /// The Sync Request control value ldapsearch sends for `-E '!sync=ro/<cookie>'` (no reloadHint).
    static let requestCookie = Array("rid=000,csn=20261125141449.383944Z#000000#000#000000".utf8)
    static let requestWithCookie: [UInt8] = [0x30, 0x39, 0x0A, 0x01, 0x01, 0x04, 0x34] + requestCookie
    /// …and for `-E '!sync=ro'`.
    static let requestWithoutCookie: [UInt8] = [0x30, 0x03, 0x0A, 0x01, 0x01]

    /// The Sync State control of an entry sent in a refresh: state add, entryUUID 51aea9e4-7d26-1041-9cb8-e724100ba14a.
    static let stateAdd = base64("MBUKAQEEEFGuqeR9JhBBnLjnJBALoUo=")
    static let stateAddUUID = "51aea9e4-7d26-1041-9cb8-e724100ba14a"

    /// The Sync Done control ending a refresh with a present phase (refreshDeletes left at its default FALSE).
    static let donePresent = base64("MDYENHJpZD0wMDAsY3NuPTIwMjYxMTI1MTQxNDQ5LjM5NTQyOVojMDAwMDAwIzAwMCMwMDAwMDA=")
    static let donePresentCookie = "rid=000,csn=20261125141449.395429Z#000000#000#000000"
    /// Ending the initial refresh (no cookie sent): refreshDeletes TRUE although no delete phase can have been.
    static let doneInitial = base64("MDkENHJpZD0wMDAsY3NuPTIwMjYxMTI1MTQxNDA4LjE4MzQ0NVojMDAwMDAwIzAwMCMwMDAwMDABAf8=")
    static let doneInitialCookie = "rid=000,csn=20261125141408.183445Z#000000#000#000000"
    /// Ending a refresh of an unchanged directory: no cookie, refreshDeletes TRUE.
    static let doneUnchanged = base64("MAMBAf8=")
    /// Ending a refresh whose cookie slapd could not parse: an empty cookie, refreshDeletes TRUE.
    static let doneBogusCookie = base64("MAUEAAEB/w==")

    /// The responseValue of the Sync Info Message naming the present entries in a present phase: a
    /// syncIdSet without cookie or refreshDeletes (FALSE), three UUIDs.
    static let presentIDSet = base64("ozgxNgQQUa6p5H0mEEGcuOckEAuhSgQQUa7pmn0mEEGcuuckEAuhSgQQUbCqPH0mEEGcu+ckEAuhSg==")
    static let presentIDSetUUIDs = [
        "51aea9e4-7d26-1041-9cb8-e724100ba14a", "51aee99a-7d26-1041-9cba-e724100ba14a",
        "51b0aa3c-7d26-1041-9cbb-e724100ba14a",
    ]
    /// The Sync Info Message slapd with a session log sends for deletes: a syncIdSet with a cookie (slapd
    /// 2.5 adds its delcsn), refreshDeletes TRUE and one UUID.
    static let deleteIDSet = base64(
        "o30EZHJpZD0wMDAsY3NuPTIwMjYxMTI1MTQxNTAxLjUwMDIzMlojMDAwMDAwIzAwMCMwMDAwMDAsZGVsY3NuPTIwMjYxMTI1MTQxNTEyLjAwNTYwMlojMDAwMDAwIzAwMCMwMDAwMDABAf8xEgQQUbCqPH0mEEGcu+ckEAuhSg==")
    static let deleteIDSetCookie =
        "rid=000,csn=20261125141501.500232Z#000000#000#000000,delcsn=20261125141512.005602Z#000000#000#000000"
    static let deleteIDSetUUID = "51b0aa3c-7d26-1041-9cbb-e724100ba14a"

    private static func base64(_ text: String) -> [UInt8] {
        guard let data = Data(base64Encoded: text) else { fatalError("bad capture \(text)") }
        return Array(data)
    }
}
