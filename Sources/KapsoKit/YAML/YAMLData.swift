/// YAML data files (the simulator's seed) read as JSON values.
public enum YAMLData {
    /// Parses one YAML document into a ``JSONValue``. Plain `true`/`false` become booleans, plain
    /// decimal integers numbers, plain `null`/`~`/nothing null; every other scalar is a string.
    /// Throws the first problem, at its position.
    public static func jsonValue(from bytes: [UInt8]) throws(YAMLProblem) -> JSONValue {
        let document = try YAMLLoader.load(bytes)
        if let problem = document.problems.first { throw problem }
        return convert(document.root)
    }

    private static func convert(_ node: YAMLNode) -> JSONValue {
        switch node {
        case .mapping(let map):
            var object: [String: JSONValue] = [:]
            for entry in map.entries { object[entry.key.text] = convert(entry.value) }
            return .object(object)
        case .sequence(let seq):
            return .array(seq.items.map(convert))
        case .scalar(let s):
            if s.isNull { return .null }
            guard s.style == .plain, !s.forcedString else { return .string(s.text) }
            if s.text == "true" { return .bool(true) }
            if s.text == "false" { return .bool(false) }
            if let int = Int(s.text), s.text.utf8.allSatisfy({ ($0 >= 48 && $0 <= 57) || $0 == 45 }) { return .int(int) }
            return .string(s.text)
        }
    }
}
