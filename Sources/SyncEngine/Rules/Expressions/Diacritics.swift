import Foundation

/// NormalizeDiacritics: letters with diacritical marks replaced by their plain Latin letters, so a name
/// can become a login or a mail alias ("Zoë Łukasiewicz-Ørsted" → "Zoe Lukasiewicz-Orsted").
enum Diacritics {
    /// Letters Unicode does not decompose into a base letter and a mark: their usual transliteration.
    private static let letters: [Character: String] = [
        "ß": "ss", "ẞ": "SS", "æ": "ae", "Æ": "AE", "œ": "oe", "Œ": "OE", "ø": "o", "Ø": "O",
        "ł": "l", "Ł": "L", "đ": "d", "Đ": "D", "ð": "d", "Ð": "D", "þ": "th", "Þ": "TH", "ħ": "h", "Ħ": "H",
        "ı": "i", "ŀ": "l", "Ŀ": "L", "ŧ": "t", "Ŧ": "T", "ŋ": "n", "Ŋ": "N", "ĸ": "k", "ſ": "s",
    ]

    static func normalize(_ value: String) -> String {
        var result = ""
        for character in value {
            if let replacement = letters[character] { result += replacement; continue }
            // Canonical decomposition puts the marks apart from the letter (é → e + ◌́); drop the marks.
            let decomposed = String(character).decomposedStringWithCanonicalMapping
            result.unicodeScalars.append(contentsOf: decomposed.unicodeScalars.filter { $0.properties.generalCategory != .nonspacingMark })
        }
        return result
    }
}
