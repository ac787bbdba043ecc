import Foundation
import SyncStore
import Testing
@testable import SyncEngine

private func eval(_ text: String, _ attributes: AttributeMap = [:], context: EvaluationContext = EvaluationContext()) throws -> [String] {
    try FlowExpression.parse(text).evaluate(attributes, context: context)
}

/// The error evaluating `text` throws; fails the test when it throws none.
private func failure(_ text: String, _ attributes: AttributeMap = [:], sourceLocation: SourceLocation = #_sourceLocation) -> ExpressionError? {
    #expect(throws: ExpressionError.self, sourceLocation: sourceLocation) { try eval(text, attributes) }
}

private func parseFails(_ text: String, saying part: String, sourceLocation: SourceLocation = #_sourceLocation) {
    let error = #expect(throws: FlowExpression.ParseError.self, "\(text)", sourceLocation: sourceLocation) { try FlowExpression.parse(text) }
    #expect(error?.reason.contains(part) == true, "\(text): \(error?.reason ?? "no error")", sourceLocation: sourceLocation)
}

/// The expression language's functions (docs/rules.md, Expressions), by theme.
@Suite("Expression functions")
struct ExpressionFunctionTests {}

extension ExpressionFunctionTests {
    @Suite("syntax, names, errors")
    struct Syntax {
        @Test func entraSyntaxAndAliases() throws {
            #expect(try FlowExpression.parse("[mail]") == .attribute("mail"))
            #expect(try FlowExpression.parse("[ mail ]") == FlowExpression.parse("mail"))
            #expect(try FlowExpression.parse("TOLOWER([mail])") == FlowExpression.parse("lower(mail)"))
            #expect(try FlowExpression.parse("COALESCE(a, b)") == .coalesce([.attribute("a"), .attribute("b")]))
            #expect(try FlowExpression.parse("42") == .constant("42"))
            #expect(try FlowExpression.parse("&HF7") == .constant("247"))
            #expect(try eval(#""Company \"Contoso\"""#) == [#"Company "Contoso""#])
        }

        @Test func joinsTwoConventions() throws {
            // idsync's join(source, separator): the second argument a constant, the first not.
            #expect(try FlowExpression.parse("join(member, ',')") == .join(.attribute("member"), separator: ","))
            #expect(try eval("join(x, ';')", ["x": ["a", "b"]]) == ["a;b"])
            // Entra's Join(separator, sources…).
            #expect(try eval(#"Join(", ", [x])"#, ["x": ["a", "b"]]) == ["a, b"])
            #expect(try eval(#"Join("-", [givenName], [sn])"#, ["givenName": ["Ada"], "sn": ["Lovelace"]]) == ["Ada-Lovelace"])
            #expect(try eval(#"Join(",", "a")"#) == ["a"])
        }

        @Test func unknownFunctionsAndArgumentCounts() {
            let unknown = #expect(throws: FlowExpression.ParseError.self) { try FlowExpression.parse("Frobnicate([x])") }
            for name in ["Append", "SelectUniqueValue", "Word", "base64", "bit_clear", "ref"] {
                #expect(unknown?.reason.contains(name) == true, "\(name)")
            }
            parseFails("Left([x])", saying: "Left takes 2 argument(s)")
            parseFails("Mid([x], 1)", saying: "Mid takes 3")
            parseFails("IIF([a], [b])", saying: "IIF takes 3")
            parseFails("Join(\",\")", saying: "Join takes 2 or more")
            parseFails("Replace([x], \"a\")", saying: "Replace takes 3 or 7")
            parseFails("Switch([x], \"d\", \"k\")", saying: "Switch takes 4 or more")
            parseFails("Switch([x], \"d\", \"k\", \"v\", \"k2\")", saying: "a value for every key")
            parseFails("Coalesce([a], , [b])", saying: "argument 2 is missing")
            parseFails("Left([x], \"abc\")", saying: "whole number")
            parseFails("Item([x], 0)", saying: "starts at 1")
            parseFails("Mid([x], 0, 2)", saying: "1-based")
            parseFails("Mid([x], 1, -2)", saying: "negative")
            parseFails("InStr([x], \"a\", 1, \"vbFuzzyCompare\")", saying: "compare type")
            parseFails("base64('x')", saying: "attribute name")
            parseFails("Join(\",\", SelectUniqueValue([a], [b]))", saying: "whole expression")
            parseFails("SelectUniqueValue([a])", saying: "2 or more")
            parseFails("SelectUniqueValue([a], [b]) = 'x'", saying: "whole expression")
            parseFails("[mail", saying: "\"]\"")
            parseFails("&HZZ", saying: "hexadecimal")
        }

        @Test func constantsThatCannotWorkFailWhenRulesLoad() {
            parseFails(#"Replace([x], , "([a-z", , "", , )"#, saying: "not a valid regular expression")
            parseFails(#"Replace([x], "a", "^b", , "c", , )"#, saying: "either an old value or a regex pattern")
            parseFails(#"Replace([x], , , , "c", , )"#, saying: "either an old value or a regex pattern")
            parseFails(#"Replace([x], "a", , , , , )"#, saying: "replacement value or a template")
            parseFails(#"Replace([x], , "a", , , , )"#, saying: "needs a replacement value")
            parseFails(#"FormatDateTime([d], "yyyy'MM", "yyyy")"#, saying: "not closed")
            parseFails(#"FormatDateTime([d], "Sometimes", "yyyy", "yyyy")"#, saying: "not a date-time style")
            parseFails(#"FormatDateTime([d], "ffffffff", "yyyy")"#, saying: "at most 7 digits")
        }

        @Test func attributeNamesTellTheImportWhatToRead() throws {
            let expression = try FlowExpression.parse("Join(',', base64(objectSid), [mail], ref(manager), bit_clear(uac, 2), 'x')")
            #expect(expression.attributeNames == ["objectSid": .base64, "mail": .text, "manager": .text, "uac": .text])
            // Read both ways, it must be read raw: the import keeps the base64 text, which a text read is too.
            #expect(try FlowExpression.parse("Coalesce(thumbnailPhoto, base64(thumbnailPhoto))").attributeNames == ["thumbnailPhoto": .base64])
            #expect(try FlowExpression.parse(#"Replace([a], , "x", "g", , [b], )"#).attributeNames == ["a": .text, "b": .text])
            #expect(try FlowExpression.parse("'constant'").attributeNames.isEmpty)
        }

        @Test func base64GivesTheStoredValuesAndReferencesStayDNs() throws {
            let attributes: AttributeMap = ["objectSid": ["AQUAAAAAAAUVAAAA", "AQIAAAAAAAUgAAAA"], "manager": ["CN=Boss,DC=x"]]
            #expect(try eval("base64(objectSid)", attributes) == ["AQUAAAAAAAUVAAAA", "AQIAAAAAAAUgAAAA"])
            #expect(try eval("base64(thumbnailPhoto)", attributes) == [])
            #expect(try eval("ref(manager)", attributes) == ["CN=Boss,DC=x"])
        }

        @Test func errorsNameTheFunctionAndTheValue() {
            let error = failure("DateFromNum([n])", ["n": ["abc"]])
            #expect(error?.function == "DateFromNum")
            #expect(error?.description == #"DateFromNum: "abc" is not a number"#)
            #expect(failure("CBool('maybe')")?.description == #"CBool: "maybe" is not a boolean (true, false or a number)"#)
        }

        /// The examples of docs/rules.md's Expressions section that other tests do not show.
        @Test func documentedExamples() throws {
            #expect(try eval(#"Replace([phone], , "\\+(?<isd>\\d+) (?<rest>.*)", , "(${isd}) ${rest}", , )"#, ["phone": ["+33 1 23 45"]])
                    == ["(33) 1 23 45"])
            #expect(try eval(#"Join(", ", [sn], [givenName])"#, ["givenName": ["Ada"], "sn": ["Lovelace"]]) == ["Lovelace, Ada"])
            #expect(try eval(#"Replace([telephoneNumber], " ", "")"#, ["telephoneNumber": ["+1 555 0100"]]) == ["+15550100"])
            #expect(try eval(#"Append([mailNickname], "@contoso.com")"#, ["mailNickname": ["ada"]]) == ["ada@contoso.com"])
            #expect(try eval(#"IIF([c] = "US", "USA", [c])"#, ["c": ["FR"]]) == ["FR"])
            #expect(try eval(#"Switch([st], "Australia/Sydney", "QLD", "Australia/Brisbane")"#, ["st": ["QLD"]]) == ["Australia/Brisbane"])
        }
    }

    @Suite("text")
    struct Text {
        let several: AttributeMap = ["x": ["alpha", "Beta"], "name": ["Zoë Łukasiewicz"], "empty": [""]]

        @Test func append() throws {
            #expect(try eval(#"Append([x], "@x.org")"#, several) == ["alpha@x.org", "Beta@x.org"])
            #expect(try eval(#"Append([name], "ü")"#, several) == ["Zoë Łukasiewiczü"])
            #expect(try eval(#"Append([missing], "@x.org")"#) == [])
            #expect(try eval(#"Append([x], [missing])"#, several) == ["alpha", "Beta"])
        }

        @Test func left() throws {
            #expect(try eval("Left([x], 3)", several) == ["alp", "Bet"])
            #expect(try eval("Left([name], 1)", several) == ["Z"])
            #expect(try eval("Left([x], 0)", several) == [])
            #expect(try eval("Left([x], -1)", several) == ["alpha", "Beta"])
            #expect(try eval("Left([x], 99)", several) == ["alpha", "Beta"])
            #expect(try eval("Left([missing], 2)") == [])
            #expect(failure("Left([x], [n])", ["x": ["a"], "n": ["two"]])?.description == #"Left: "two" is not a whole number"#)
            #expect(failure("Left([x], [n])", ["x": ["a"]])?.function == "Left")
        }

        @Test func mid() throws {
            #expect(try eval("Mid([x], 2, 3)", several) == ["lph", "eta"])
            #expect(try eval("Mid([name], 3, 4)", several) == ["ë Łu"])
            #expect(try eval("Mid([x], 9, 3)", several) == [])
            #expect(try eval("Mid([missing], 1, 3)") == [])
            #expect(failure("Mid([x], [s], 2)", ["x": ["abc"], "s": ["0"]])?.function == "Mid")
        }

        @Test func word() throws {
            #expect(try eval(#"Word("The quick brown fox", 3, " ")"#) == ["brown"])
            #expect(try eval(#"Word("This,string!has&many separators", 3, ",!&#")"#) == ["has"])
            #expect(try eval(#"Word("a,,b", 2, ",")"#) == ["b"])
            #expect(try eval(#"Word([name], 2, " ")"#, several) == ["Łukasiewicz"])
            #expect(try eval(#"Word("one two", 0, " ")"#) == [])
            #expect(try eval(#"Word("one two", 3, " ")"#) == [])
            #expect(try eval(#"Word([x], 1, "e")"#, several) == ["alpha", "B"])
            #expect(failure(#"Word("a b", [n], " ")"#, ["n": ["x"]])?.function == "Word")
        }

        @Test func pCase() throws {
            #expect(try eval(#"PCase("NEW YORK")"#) == ["New York"])
            #expect(try eval(#"PCase("jean-luc PICARD")"#) == ["Jean-Luc Picard"])
            #expect(try eval(#"PCase("joHN o'neil", " '")"#) == ["John O'Neil"])
            #expect(try eval(#"PCase("ÉLODIE ŁUKASZ")"#) == ["Élodie Łukasz"])
            #expect(try eval("PCase([x])", several) == ["Alpha", "Beta"])
            #expect(try eval("PCase([missing])") == [])
        }

        @Test func stripSpaces() throws {
            #expect(try eval("StripSpaces(' a b\tc ')") == ["abc"])
            #expect(try eval("StripSpaces('a\u{00A0}b')") == ["ab"])
            #expect(try eval(#"StripSpaces("   ")"#) == [])
            #expect(try eval("StripSpaces([name])", several) == ["ZoëŁukasiewicz"])
        }

        @Test func normalizeDiacritics() throws {
            #expect(try eval(#"NormalizeDiacritics("Zoë Łukasiewicz-Ørsted")"#) == ["Zoe Lukasiewicz-Orsted"])
            #expect(try eval(#"NormalizeDiacritics("Straße Æsir Œuvre")"#) == ["Strasse AEsir OEuvre"])
            #expect(try eval(#"NormalizeDiacritics("Crème brûlée, Ñandú, Dvořák, þór")"#) == ["Creme brulee, Nandu, Dvorak, thor"])
            #expect(try eval(#"NormalizeDiacritics("plain ASCII 123")"#) == ["plain ASCII 123"])
            #expect(try eval("NormalizeDiacritics([v])", ["v": ["José", "Ángel"]]) == ["Jose", "Angel"])
            #expect(try eval("NormalizeDiacritics([missing])") == [])
        }

        @Test func caseChanges() throws {
            #expect(try eval("ToLower([x])", several) == ["alpha", "beta"])
            #expect(try eval("ToUpper([x])", several) == ["ALPHA", "BETA"])
            #expect(try eval(#"ToUpper("straße")"#) == ["STRASSE"])
            #expect(try eval(#"ToLower("ISTANBUL", "tr-TR")"#) == ["ıstanbul"])
            #expect(try eval(#"ToLower("ISTANBUL", "en-US")"#) == ["istanbul"])
            #expect(try eval("ToLower([missing])") == [])
        }

        @Test func convertToBase64() throws {
            #expect(try eval(#"ConvertToBase64("Hello world!")"#) == ["SABlAGwAbABvACAAdwBvAHIAbABkACEA"])
            #expect(try eval("ConvertToBase64('é')") == ["6QA="])
            // A character outside the BMP is two UTF-16 units (D83D DE00), each written little-endian.
            #expect(try eval("ConvertToBase64('😀')") == ["PdgA3g=="])
            #expect(try eval("ConvertToBase64([x])", ["x": ["a", "b"]]) == ["YQA=", "YgA="])
            #expect(try eval("ConvertToBase64([missing])") == [])
        }

        @Test func cStr() throws {
            #expect(try eval("CStr(42)") == ["42"])
            #expect(try eval("CStr([x])", several) == ["alpha", "Beta"])
            #expect(try eval("CStr([empty])", several) == [])
        }

        @Test func inStr() throws {
            #expect(try eval(#"InStr("The quick brown fox", "quick")"#) == ["5"])
            #expect(try eval(#"InStr("repEated", "e", 3, vbBinaryCompare)"#) == ["7"])
            #expect(try eval(#"InStr("repEated", "e", 3, vbTextCompare)"#) == ["4"])
            #expect(try eval(#"InStr("repEated", "E", , "vbTextCompare")"#) == ["2"])
            #expect(try eval(#"InStr("abc", "z")"#) == ["0"])
            #expect(try eval(#"InStr("abc", "a", 9)"#) == ["0"])
            #expect(try eval(#"InStr("abc", "", 2)"#) == ["2"])
            #expect(try eval(#"InStr("Zoë Zoë", "ë", 4)"#) == ["7"])
            #expect(try eval(#"InStr([x], "a")"#, several) == ["1", "4"])
            #expect(try eval(#"InStr([missing], "a")"#) == [])
            #expect(failure(#"InStr("abc", "a", [s])"#, ["s": ["first"]])?.function == "InStr")
            #expect(failure(#"InStr("abc", "a", 1, [c])"#, ["c": ["vbSometimes"]])?.function == "InStr")
        }
    }

    @Suite("logic")
    struct Logic {
        @Test func cBoolAndNot() throws {
            #expect(try eval("CBool('true')") == ["true"])
            #expect(try eval("CBool('FALSE')") == ["false"])
            #expect(try eval("CBool(0)") == ["false"])
            #expect(try eval("CBool(-12)") == ["true"])
            #expect(try eval("CBool([v])", ["v": ["0", "1"]]) == ["false"])
            #expect(try eval("CBool([missing])") == [])
            #expect(failure("CBool('maybe')")?.function == "CBool")
            #expect(try eval("Not('true')") == ["false"])
            #expect(try eval("Not(bit_clear(uac, 2))", ["uac": ["514"]]) == ["true"])
            #expect(try eval("Not([missing])") == [])
            #expect(failure("Not('wahr')")?.description == #"Not: "wahr" is not a boolean (true, false or a number)"#)
        }

        @Test func presence() throws {
            let attributes: AttributeMap = ["dept": ["Sales"], "blank": [""], "many": ["a", "b"]]
            for (expression, expected) in [("IsNull([missing])", "true"), ("IsNull([blank])", "false"), ("IsNull([dept])", "false"),
                                           ("IsNullOrEmpty([missing])", "true"), ("IsNullOrEmpty([blank])", "true"),
                                           ("IsNullOrEmpty([many])", "false"), ("IsPresent([dept])", "true"),
                                           ("IsPresent([blank])", "false"), ("IsPresent([missing])", "false")] {
                #expect(try eval(expression, attributes) == [expected], "\(expression)")
            }
        }

        @Test func iifAndComparisons() throws {
            let attributes: AttributeMap = ["c": ["US"], "dept": ["Sales"]]
            #expect(try eval(#"IIF([c]="US", [c], [dept])"#, attributes) == ["US"])
            #expect(try eval(#"IIF([c] <> "US", "abroad", "home")"#, attributes) == ["home"])
            #expect(try eval(#"IIF(IsPresent([title]), [title], "none")"#, attributes) == ["none"])
            // A condition without a value does not hold.
            #expect(try eval(#"IIF([flag], "yes", "no")"#, attributes) == ["no"])
            #expect(try eval(#"[c] = "us""#, attributes) == ["false"])
            #expect(try eval(#"[missing] = [absent]"#) == ["true"])
            #expect(failure(#"IIF([dept], "yes", "no")"#, attributes)?.function == "IIF")
        }

        @Test func switchChoosesByKey() throws {
            let expression = #"Switch([state], "Australia/Sydney", "NSW", "Australia/Sydney", "QLD", "Australia/Brisbane", "SA", "Australia/Adelaide")"#
            #expect(try eval(expression, ["state": ["QLD"]]) == ["Australia/Brisbane"])
            #expect(try eval(expression, ["state": ["WA"]]) == ["Australia/Sydney"])
            #expect(try eval(expression, ["state": ["qld"]]) == ["Australia/Sydney"])
            #expect(try eval(expression, [:]) == ["Australia/Sydney"])
            #expect(try eval(expression, ["state": ["SA", "QLD"]]) == ["Australia/Adelaide"])
            #expect(try eval(#"Switch([c], [missing], "Ö", "Österreich")"#, ["c": ["Ö"]]) == ["Österreich"])
            #expect(try eval(#"Switch([c], [missing], "Ö", "Österreich")"#, ["c": ["DE"]]) == [])
        }

        @Test func bitAnd() throws {
            #expect(try eval("BitAnd(&HF, &HF7)") == ["7"])
            #expect(try eval("BitAnd([uac], 2)", ["uac": ["514"]]) == ["2"])
            #expect(try eval("BitAnd([uac], 2)", ["uac": ["512"]]) == ["0"])
            #expect(try eval("BitAnd([missing], 2)") == [])
            #expect(failure("BitAnd([uac], 2)", ["uac": ["five"]])?.description == #"BitAnd: "five" is not a whole number"#)
        }

        @Test func ignoreFlowIfNullOrEmpty() throws {
            #expect(try eval("IgnoreFlowIfNullOrEmpty([x])", ["x": ["a", "", "b"]]) == ["a", "b"])
            #expect(try eval("IgnoreFlowIfNullOrEmpty([x])", ["x": [""]]) == [])
            #expect(try eval("IgnoreFlowIfNullOrEmpty(Left([missing], 2))") == [])
        }
    }

    @Suite("values as a whole")
    struct Collections {
        let attributes: AttributeMap = ["proxy": ["SMTP:ada@x.org", "smtp:a@x.org", "SMTP:ada@x.org"], "givenName": ["Ada"],
                                        "sn": ["Lovelace"], "perm": ["PermissionSetOne, PermissionSetTwo"]]

        @Test func countAndItem() throws {
            #expect(try eval("Count([proxy])", attributes) == ["3"])
            #expect(try eval("Count([missing])") == ["0"])
            #expect(try eval("Item([proxy], 1)", attributes) == ["SMTP:ada@x.org"])
            #expect(try eval("Item([proxy], 2)", attributes) == ["smtp:a@x.org"])
            #expect(try eval("Item([proxy], 4)", attributes) == [])
            #expect(try eval("Item([missing], 1)") == [])
            #expect(try eval("Item([proxy], [n])", attributes.merging(["n": ["-1"]]) { $1 }) == [])
            #expect(failure("Item([proxy], [n])", ["proxy": ["a"], "n": ["first"]])?.function == "Item")
        }

        @Test func joinSplitCoalesceRemoveDuplicates() throws {
            #expect(try eval(#"Join(", ", [givenName], [missing], [sn])"#, attributes) == ["Ada, Lovelace"])
            #expect(try eval(#"Join("|", [proxy])"#, attributes) == ["SMTP:ada@x.org|smtp:a@x.org|SMTP:ada@x.org"])
            #expect(try eval(#"Join(",", [missing], [absent])"#) == [])
            #expect(try eval(#"Split([perm], ",")"#, attributes) == ["PermissionSetOne", "PermissionSetTwo"])
            #expect(try eval(#"Split([missing], ",")"#) == [])
            #expect(try eval(#"Coalesce([mail], [missing], "none")"#) == ["none"])
            #expect(try eval(#"Coalesce([proxy], [sn])"#, attributes) == attributes["proxy"])
            #expect(try eval("RemoveDuplicates([proxy])", attributes) == ["SMTP:ada@x.org", "smtp:a@x.org"])
            #expect(try eval("RemoveDuplicates([v])", ["v": ["é", "é", "É"]]) == ["é", "É"])
            #expect(try eval("RemoveDuplicates([missing])") == [])
        }
    }

    @Suite("Replace")
    struct Replacing {
        @Test func plainReplace() throws {
            #expect(try eval(#"Replace([x], "a", "4")"#, ["x": ["banana", "Apple"]]) == ["b4n4n4", "Apple"])
            #expect(try eval(#"Replace([x], "ö", "oe")"#, ["x": ["Jörg Möller"]]) == ["Joerg Moeller"])
            #expect(try eval(#"Replace([x], "abc", "")"#, ["x": ["abc", "abcd"]]) == ["d"])
            #expect(try eval(#"Replace([missing], "a", "b")"#) == [])
            #expect(try eval(#"Replace([BusinessTitle], "Product Developer", , , "Software Engineer", , )"#,
                             ["BusinessTitle": ["Product Developer"]]) == ["Software Engineer"])
        }

        @Test func template() throws {
            #expect(try eval(#"Replace([UserID], "<username>", , , , , "<username>@contoso.com")"#, ["UserID": ["jdoe", "ada"]])
                    == ["jdoe@contoso.com", "ada@contoso.com"])
            #expect(try eval(#"Replace([UserID], "<username>", , , , , "<username>@contoso.com")"#) == [])
        }

        @Test func regularExpressions() throws {
            let proxies: AttributeMap = ["proxyAddresses": ["SMTP:ada@x.org", "smtp:alias@x.org", "X500:/o=x"]]
            #expect(try eval(#"Replace([proxyAddresses], , "^SMTP:", , "", , )"#, proxies) == ["ada@x.org", "smtp:alias@x.org", "X500:/o=x"])
            #expect(try eval(#"Replace([proxyAddresses], , "(?i)^smtp:", , "", , )"#, proxies) == ["ada@x.org", "alias@x.org", "X500:/o=x"])
            let phone: AttributeMap = ["phone": ["+33 1 23 45 67"]]
            #expect(try eval(#"Replace([phone], , "\\+(?<isd>\\d+) (?<rest>.*)", , "(${isd}) $2 $$", , )"#, phone) == ["(33) 1 23 45 67 $"])
            #expect(try eval(#"Replace([mail], , "@(?<domain>.*)$", "domain", "contoso.com", , )"#, ["mail": ["ada@x.org", "zoë@ü.de"]])
                    == ["ada@contoso.com", "zoë@contoso.com"])
        }

        @Test func replacementAttribute() throws {
            let expression = #"Replace([mailNickname], , "^(?<alias>[^@]+)@", "alias", , [userPrincipalName], )"#
            #expect(try eval(expression, ["userPrincipalName": ["ada@x.org"]]) == ["ada"])
            #expect(try eval(expression, ["mailNickname": ["lovelace"], "userPrincipalName": ["ada@x.org"]]) == ["lovelace"])
            #expect(try eval(expression, ["userPrincipalName": ["no-at-sign"]]) == [])
        }

        @Test func aPatternFromAnAttributeIsCompiledWhenEvaluated() throws {
            #expect(try eval(#"Replace([x], , [pattern], , "-", , )"#, ["x": ["a1b22"], "pattern": ["[0-9]+"]]) == ["a-b-"])
            #expect(failure(#"Replace([x], , [pattern], , "-", , )"#, ["x": ["a"], "pattern": ["(["]])?.function == "Replace")
            #expect(failure(#"Replace([x], , [pattern], , "-", , )"#, ["x": ["a"]])?.reason == "the regex pattern has no value")
        }
    }

    @Suite("dates")
    struct DateFunctions {
        @Test func dateFromNum() throws {
            #expect(try eval("DateFromNum(129699324000000000)") == ["2012-01-01T23:00:00Z"])
            #expect(try eval("DateFromNum([t])", ["t": ["116444736000000000", "116444736009999999"]])
                    == ["1970-01-01T00:00:00Z", "1970-01-01T00:00:00Z"])
            #expect(try eval("DateFromNum(1)") == ["1601-01-01T00:00:00Z"])
            // AD's "never" (accountExpires): no value.
            #expect(try eval("DateFromNum([t])", ["t": ["0", "9223372036854775807"]]) == [])
            #expect(try eval("DateFromNum([missing])") == [])
            #expect(failure("DateFromNum(-5)")?.function == "DateFromNum")
            #expect(failure("DateFromNum('12x')")?.description == #"DateFromNum: "12x" is not a number"#)
        }

        @Test func formatDateTimeReadsGeneralizedTime() throws {
            let changed: AttributeMap = ["whenChanged": ["20150123105347.1Z", "20240229235959.0Z"]]
            #expect(try eval(#"FormatDateTime([whenChanged], , "yyyyMMddHHmmss.fZ", "yyyy-MM-dd")"#, changed) == ["2015-01-23", "2024-02-29"])
            #expect(try eval(#"FormatDateTime([whenChanged], "yyyyMMddHHmmss.fZ", "yyyy-MM-ddTHH:mm:ss.fffzzz")"#, changed)
                    == ["2015-01-23T10:53:47.100+00:00", "2024-02-29T23:59:59.000+00:00"])
            // An offset in the input is taken away: the output is UTC.
            #expect(try eval(#"FormatDateTime("20150123105347.0+0200", "yyyyMMddHHmmss.fZ", "yyyy-MM-dd HH:mm:ssK")"#)
                    == ["2015-01-23 08:53:47Z"])
            #expect(try eval(#"FormatDateTime("20150101003000Z", "yyyyMMddHHmmssZ", "dd/MM/yyyy HH:mm")"#) == ["01/01/2015 00:30"])
            #expect(try eval(#"FormatDateTime("20150101003000+0100", "yyyyMMddHHmmssZ", "yyyy-MM-dd HH:mm")"#) == ["2014-12-31 23:30"])
            #expect(try eval(#"FormatDateTime([missing], "yyyyMMddHHmmss.fZ", "yyyy")"#) == [])
        }

        @Test func formatDateTimeSpecifiers() throws {
            #expect(try eval(#"FormatDateTime("2015-01-23", "yyyy-MM-dd", "dddd, d MMMM yyyy; ddd MMM yy")"#)
                    == ["Friday, 23 January 2015; Fri Jan 15"])
            #expect(try eval(#"FormatDateTime("23 jan 2015 3:07 PM", "dd MMM yyyy h:mm tt", "HH:mm 'at' hh tt")"#) == ["15:07 at 03 PM"])
            #expect(try eval(#"FormatDateTime("1969-12-31T23:59:59.5Z", "yyyy-MM-ddTHH:mm:ss.FFFK", "yyyyMMddHHmmss.FFF")"#)
                    == ["19691231235959.5"])
            #expect(try eval(#"FormatDateTime("2015-01-23T10:00:00Z", "yyyy-MM-ddTHH:mm:ssK", "HH:mm:ss.FF")"#) == ["10:00:00"])
            #expect(try eval(#"FormatDateTime("  2015-01-23 ", "AllowWhiteSpaces", "yyyy-MM-dd", "yyyyMMdd")"#) == ["20150123"])
        }

        @Test func formatDateTimeRefusesWhatDoesNotMatch() {
            for bad in ["2023-02-29", "2015-13-01", "2015-1-01", "2015-01-23x", "  2015-01-23", "Ｔ2015"] {
                let error = failure(#"FormatDateTime([d], "yyyy-MM-dd", "yyyy")"#, ["d": [bad]])
                #expect(error?.description == #"FormatDateTime: "\#(bad)" does not match the input format "yyyy-MM-dd""#, "\(bad)")
            }
            #expect(failure(#"FormatDateTime([d], [styles], "yyyy", "yyyy")"#, ["d": ["2015"], "styles": ["Whenever"]])?.function == "FormatDateTime")
            #expect(failure(#"FormatDateTime([d], "yyyy", [out])"#, ["d": ["2015"], "out": ["'open"]])?.function == "FormatDateTime")
        }

        @Test func civilTimeRoundTrips() {
            for days in stride(from: Int64(-200_000), through: 200_000, by: 997) {
                let date = CivilTime.date(days: days)
                #expect(CivilTime.days(year: date.year, month: date.month, day: date.day) == days)
            }
            #expect(CivilTime(epochSeconds: 951_782_400).day == 29)
            #expect(CivilTime(epochSeconds: -1) == CivilTime(year: 1969, month: 12, day: 31, hour: 23, minute: 59, second: 59))
        }
    }

    @Suite("SelectUniqueValue")
    struct UniqueValues {
        let expression = "SelectUniqueValue([mailNickname], ToLower([givenName]), ToLower(Join(\".\", [givenName], [sn])))"
        let attributes: AttributeMap = ["givenName": ["Ada"], "sn": ["Lovelace"]]

        @Test func theFirstCandidateNotTaken() throws {
            let taken: Set<String> = ["ada"]
            let context = EvaluationContext(isTaken: { taken.contains($0) })
            #expect(try eval(expression, attributes, context: context) == ["ada.lovelace"])
            #expect(try eval(expression, attributes.merging(["mailNickname": ["lovelace"]]) { $1 }, context: context) == ["lovelace"])
            #expect(try eval(expression, attributes) == ["ada"])
            #expect(try eval(expression, [:], context: context) == [])
        }

        @Test func everyCandidateTakenIsAnError() {
            let context = EvaluationContext(isTaken: { _ in true })
            let error = #expect(throws: ExpressionError.self) { try eval(expression, attributes, context: context) }
            #expect(error?.description == #"SelectUniqueValue: every candidate is taken: "ada", "ada.lovelace""#)
        }

        @Test func theTargetsFailureIsThrown() {
            struct Unreachable: Error {}
            let context = EvaluationContext(isTaken: { _ in throw Unreachable() })
            #expect(throws: Unreachable.self) { try eval(expression, attributes, context: context) }
        }
    }
}
