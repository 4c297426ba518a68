/// kapsoctl's version: `kapsoctl --version`, the `User-Agent` of every request, and the name of
/// the release archive (`scripts/release`). Bumped by hand for a release.
public enum KapsoctlVersion {
    public static let current = "0.2.0"
    /// `kapsoctl/0.2.0`
    public static let userAgent = "kapsoctl/\(current)"
}
