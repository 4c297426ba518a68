import Testing
@testable import KapsoKit

@Suite struct YAMLLoaderTests {
    func load(_ text: String, limits: YAMLLimits = .standard) throws(YAMLProblem) -> YAMLDocument {
        try YAMLLoader.load(Array(text.utf8), limits: limits)
    }

    func problem(_ text: String, limits: YAMLLimits = .standard) -> YAMLProblem? {
        do {
            _ = try load(text, limits: limits)
            return nil
        } catch {
            return error
        }
    }

    @Test func marksAreOneBased() throws {
        let doc = try load("a: 1\nb:\n  - x\n")
        guard case .mapping(let map) = doc.root else { Issue.record("not a mapping"); return }
        #expect(map.mark == Mark(line: 1, column: 1))
        #expect(map.entries[1].key.mark == Mark(line: 2, column: 1))
        guard case .sequence(let seq) = map.entries[1].value, case .scalar(let x) = seq.items[0] else {
            Issue.record("not a list"); return
        }
        #expect(x.mark == Mark(line: 3, column: 5))
        #expect(x.text == "x")
    }

    @Test func scalarsKeepTextAndStyle() throws {
        let doc = try load("a: yes\nb: 'yes'\nc: \"0x1F\"\nd: 0x1F\ne: !!str 5\nf: |\n  block\n")
        guard case .mapping(let map) = doc.root else { Issue.record("not a mapping"); return }
        let scalars = map.entries.compactMap { entry -> YAMLScalar? in
            if case .scalar(let s) = entry.value { return s }
            return nil
        }
        #expect(scalars.map(\.text) == ["yes", "yes", "0x1F", "0x1F", "5", "block\n"])
        #expect(scalars.map(\.style) == [.plain, .singleQuoted, .doubleQuoted, .plain, .plain, .literal])
        #expect(scalars[4].forcedString)
        #expect(!scalars[0].forcedString)
    }

    @Test func emptyFileIsAnError() {
        #expect(problem("")?.message.contains("empty") == true)
        #expect(problem("# only a comment\n")?.message.contains("empty") == true)
    }

    @Test func secondDocumentIsAnError() {
        let p = problem("a: 1\n---\nb: 2\n")
        #expect(p?.mark == Mark(line: 2, column: 1))
        #expect(p?.message.contains("second YAML document") == true)
    }

    @Test func deepNestingFailsCleanly() {
        let deep = String(repeating: "[", count: 20_000) + String(repeating: "]", count: 20_000)
        let p = problem("a: " + deep)
        #expect(p?.message == "nesting is deeper than 64 levels")
        #expect(p?.mark.line == 1)
    }

    @Test func deepBlockNestingFailsCleanly() {
        var text = ""
        for depth in 0..<200 { text += String(repeating: " ", count: depth) + "k:\n" }
        #expect(problem(text)?.message == "nesting is deeper than 64 levels")
    }

    @Test func billionLaughsIsBounded() {
        var text = "a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]\n"
        for level in 1...9 {
            let refs = Array(repeating: "*a\(level - 1)", count: 10).joined(separator: ", ")
            text += "a\(level): &a\(level) [\(refs)]\n"
        }
        let p = problem(text)
        #expect(p?.message.contains("aliases expand to more than 1000000 nodes") == true)
    }

    @Test func aliasBoundIsConfigurable() {
        var limits = YAMLLimits()
        limits.maxAliasNodes = 10
        let text = "a: &a [1, 2, 3, 4]\nb: *a\nc: *a\nd: *a\n"
        #expect(problem(text, limits: limits)?.mark == Mark(line: 4, column: 4))
    }

    @Test func undefinedAliasIsAnError() {
        let p = problem("a: *missing\n")
        #expect(p == YAMLProblem(mark: Mark(line: 1, column: 4), message: "alias '*missing' refers to no anchor defined before it"))
    }

    @Test func aliasesResolve() throws {
        let doc = try load("a: &x [1, 2]\nb: *x\n")
        guard case .mapping(let map) = doc.root, case .sequence(let b) = map.entries[1].value else {
            Issue.record("shape"); return
        }
        #expect(b.items.count == 2)
    }

    @Test func mergeKeysExplicitKeysWinAndEarlierSourcesWin() throws {
        let doc = try load("""
        x: &x {a: 1, b: 1}
        y: &y {b: 2, c: 2}
        m:
          <<: [*x, *y]
          a: 3
        n:
          <<: *y
        """)
        guard case .mapping(let map) = doc.root, case .mapping(let m) = map.entries[2].value,
              case .mapping(let n) = map.entries[3].value else {
            Issue.record("shape"); return
        }
        let values = Dictionary(uniqueKeysWithValues: m.entries.map { entry -> (String, String) in
            if case .scalar(let s) = entry.value { return (entry.key.text, s.text) }
            return (entry.key.text, "?")
        })
        #expect(values == ["a": "3", "b": "1", "c": "2"])
        #expect(n.entries.map(\.key.text) == ["b", "c"])
        #expect(doc.problems.isEmpty)
    }

    @Test func mergeOfAScalarIsReported() throws {
        let doc = try load("m:\n  <<: 5\n")
        #expect(doc.problems.first?.message.contains("merge key '<<' takes a mapping") == true)
        #expect(doc.problems.first?.mark == Mark(line: 2, column: 7))
    }

    @Test func duplicateKeyIsReportedAtTheDuplicate() throws {
        let doc = try load("a: 1\nb: 2\na: 3\n")
        #expect(doc.problems == [YAMLProblem(mark: Mark(line: 3, column: 1),
                                             message: "duplicate key 'a'; it is first defined at line 1, column 1")])
    }

    @Test func nonScalarKeyIsReported() throws {
        let doc = try load("? [a, b]\n: 1\n")
        #expect(doc.problems.first?.message.contains("mapping keys must be scalars") == true)
    }

    @Test func invalidUTF8IsReportedWithPosition() {
        var bytes = Array("a: 1\nb: x".utf8)
        bytes += [0xC3, 0x28]
        do {
            _ = try YAMLLoader.load(bytes)
            Issue.record("loaded invalid UTF-8")
        } catch {
            // libyaml names the offending octet: 0x28 is not a valid continuation of 0xC3.
            #expect(error.mark == Mark(line: 2, column: 6))
            #expect(error.message.contains("invalid trailing UTF-8 octet (byte 0x28)"))
        }
    }

    @Test func syntaxErrorCarriesLibyamlsText() {
        let p = problem("a: [1, 2\nb: 3\n")
        #expect(p?.message.hasPrefix("YAML syntax error: ") == true)
        #expect(p?.message.contains("flow sequence") == true)
    }

    @Test func unknownTagIsReported() throws {
        let doc = try load("a: !secret x\nb: !!str 1\nc: !!map {}\nd: !!seq []\n")
        #expect(doc.problems == [YAMLProblem(mark: Mark(line: 1, column: 4),
                                             message: "unsupported tag '!secret'; only the standard !!str, !!int, !!bool, !!map and !!seq tags are accepted")])
    }

    @Test func sizeAndScalarBoundsHold() {
        var limits = YAMLLimits()
        limits.maxBytes = 10
        #expect(problem("a: 12345678901", limits: limits)?.message.contains("the limit is 10 bytes") == true)
        limits = YAMLLimits()
        limits.maxScalarBytes = 4
        #expect(problem("a: 12345", limits: limits)?.mark == Mark(line: 1, column: 4))
    }

    @Test func markAtOffsetCountsCharacters() {
        let bytes = Array("é\nab€c".utf8)
        #expect(YAMLLoader.mark(atOffset: 0, in: bytes) == Mark(line: 1, column: 1))
        #expect(YAMLLoader.mark(atOffset: 3, in: bytes) == Mark(line: 2, column: 1))
        #expect(YAMLLoader.mark(atOffset: 8, in: bytes) == Mark(line: 2, column: 4))
    }
}
