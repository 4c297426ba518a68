/// A scope's entry as declared in one file: a config (legacy), a phone number or the project block.
struct ScopeDecl {
    var scope: WebhookScope
    /// Where the scope's id (or the project block) is written.
    var idMark: Mark
    var name: Located<String>?
    var prune: Located<Bool>?
    var webhooks: [DesiredWebhook]
    var mark: Mark
    /// `ignore:` patterns: server webhooks another system owns.
    var ignore: [IgnorePattern] = []
}

/// What one file declares.
struct SpecFileContent {
    var api: APIGeneration
    /// Where `api:` is written, when it is.
    var apiMark: Mark?
    var scopes: [ScopeDecl]
    /// Every value substituted from the environment.
    var secretValues: Set<String>
}
