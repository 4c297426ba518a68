/// The variables a spec's `${VAR}` may read: the environment, less what a spec must never see.
///
/// A spec is text a pull request can change, read in a job that holds the team's secrets. Whatever
/// `${VAR}` reads can end up in a URL, a header or a signature, so it reads only variables meant
/// for the spec:
/// - never the API key nor kapsoctl's own variables (`KAPSO_API_KEY`, `KAPSO_API_URL`, `KAPSOCTL_*`), the CI's
///   (`GITHUB_*`, `RUNNER_*`, `ACTIONS_*`, `CI`, ...) or the shell's and system's (`HOME`, `PATH`,
///   proxies, ...): those are refused even when listed;
/// - when the run sets `KAPSOCTL_SPEC_VARS` (the workflow does: a pull request cannot change it),
///   only the names it lists (`NAME`, or `PREFIX_*` for every name that starts with `PREFIX_`).
public struct SpecVariables: Sendable {
    /// The variable that lists what a spec may read.
    public static let allowListName = "KAPSOCTL_SPEC_VARS"

    private let environment: [String: String]
    /// Variables that are not secret (`--var`, `--var-file`): substituted as if written in the
    /// spec, shown in plans, never masked. They win over the environment.
    private let plain: [String: String]
    /// Exact names and prefixes from `KAPSOCTL_SPEC_VARS`; nil when it is not set.
    private let allowedNames: Set<String>?
    private let allowedPrefixes: [String]

    public init(environment: [String: String], plain: [String: String] = [:]) {
        self.environment = environment
        self.plain = plain
        if let list = environment[Self.allowListName] {
            var names = Set<String>(), prefixes: [String] = []
            for item in list.split(whereSeparator: { $0 == "," || $0 == " " || $0 == "\n" || $0 == "\t" }) {
                if item.hasSuffix("*") { prefixes.append(String(item.dropLast())) } else { names.insert(String(item)) }
            }
            allowedNames = names
            allowedPrefixes = prefixes
        } else {
            allowedNames = nil
            allowedPrefixes = []
        }
    }

    /// What `${name}` gives.
    enum Found {
        /// From the environment: a secret.
        case secret(String)
        /// A plain variable's value: as if written in the spec.
        case plain(String)
        case unset
    }

    /// What `${name}` gives, or why the spec may not read it.
    func lookup(_ name: String) -> Result<Found, Refusal> {
        if let value = plain[name] { return .success(.plain(value)) }
        if let why = Self.reservedReason(name) { return .failure(Refusal(message: "\(name) \(why); a spec may not read it (${VAR} never reads the API key, kapsoctl's own variables, or the CI's and the shell's)")) }
        if let allowedNames, !allowedNames.contains(name), !allowedPrefixes.contains(where: { !$0.isEmpty && name.hasPrefix($0) }) {
            return .failure(Refusal(message: "\(name) is not in \(Self.allowListName), the list of variables this run lets the spec read; add it there (in the workflow, not in the spec)"))
        }
        return .success(environment[name].map(Found.secret) ?? .unset)
    }

    struct Refusal: Error {
        var message: String
    }

    /// Why a name is never readable, or nil.
    static func reservedReason(_ name: String) -> String? {
        let upper = name.uppercased()
        if upper == "KAPSO_API_KEY" { return "is the API key" }
        if upper == "KAPSO_API_URL" || upper.hasPrefix("KAPSOCTL_") { return "is one of kapsoctl's own variables" }
        if ciPrefixes.contains(where: upper.hasPrefix) || ciNames.contains(upper) { return "is the CI's" }
        if systemNames.contains(upper) || systemPrefixes.contains(where: upper.hasPrefix) { return "is the shell's or the system's" }
        return nil
    }

    private static let ciPrefixes = ["GITHUB_", "RUNNER_", "ACTIONS_", "INPUT_", "STATE_", "CI_", "GITLAB_", "BUILDKITE_", "CIRCLE_", "TRAVIS_", "JENKINS_", "BITBUCKET_", "DRONE_", "TEAMCITY_", "SYSTEM_", "AGENT_", "BUILD_"]
    private static let ciNames: Set<String> = ["CI", "GITHUB_TOKEN", "GH_TOKEN", "ACTIONS_RUNTIME_TOKEN", "ACTIONS_ID_TOKEN_REQUEST_TOKEN", "ACTIONS_ID_TOKEN_REQUEST_URL", "BUILD_ID", "JOB_NAME"]
    private static let systemNames: Set<String> = [
        "HOME", "PATH", "USER", "LOGNAME", "SHELL", "PWD", "OLDPWD", "TMPDIR", "TMP", "TEMP", "HOSTNAME",
        "TERM", "LANG", "LANGUAGE", "MAIL", "DISPLAY", "EDITOR", "VISUAL", "PAGER", "SHLVL", "IFS", "PS1", "PS2",
        "HTTPS_PROXY", "HTTP_PROXY", "ALL_PROXY", "NO_PROXY", "FTP_PROXY", "SSL_CERT_FILE", "SSL_CERT_DIR", "NO_COLOR",
        "NETRC", "CURL_HOME", "GIT_ASKPASS", "SSH_AUTH_SOCK", "DOCKER_HOST", "DOCKER_CONFIG", "KUBECONFIG",
    ]
    private static let systemPrefixes = ["LC_", "XDG_", "SSH_", "SUDO_", "DBUS_", "LD_", "GIT_", "GPG_", "GNUPG"]
}
