import KapsoCLI

/// The `kapsoctl` executable: everything lives in KapsoCLI so tests can reach it.
@main
enum Entry {
    static func main() async {
        await Kapsoctl.runMain()
    }
}
