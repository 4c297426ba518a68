/// Reading an attribute's value from a spec, by its kind.
extension SpecFileDecoder {
    /// One attribute's value from its node, checked by its kind's spec rules; nil after reporting.
    mutating func declared(_ attribute: Attribute, _ node: YAMLNode) -> DeclaredValue? {
        let what = "'\(attribute.name)'"
        switch attribute.kind {
        case .url:
            guard let (url, fromEnvironment, template) = string(node, what) else { return nil }
            if let problem = Self.urlProblem(url.value) {
                error(url.mark, problem)
                return nil
            }
            return DeclaredValue(value: .string(url.value), mark: url.mark, template: template, fromEnvironment: fromEnvironment)
        case .secret:
            guard let (secret, fromEnvironment, template) = string(node, what) else { return nil }
            guard !secret.value.isEmpty else {
                error(secret.mark, "\(what) must not be empty")
                return nil
            }
            return DeclaredValue(value: .string(secret.value), mark: secret.mark, template: template, fromEnvironment: fromEnvironment)
        case .events(let buffered):
            guard let list = events(node, what, buffered: buffered) else { return nil }
            return DeclaredValue(value: .list(list.value.map(\.value)), mark: list.mark, items: list.value)
        case .boolean:
            return bool(node, what).map { DeclaredValue(value: .bool($0.value), mark: $0.mark) }
        case .integer(let range):
            return integer(node, what, in: range).map { DeclaredValue(value: .int($0.value), mark: $0.mark) }
        case .headers:
            guard let list = headers(node) else { return nil }
            return DeclaredValue(value: .map(Dictionary(list.value.map { ($0.name, $0.value) }) { _, last in last }),
                                 mark: list.mark, headers: list.value)
        }
    }
}
