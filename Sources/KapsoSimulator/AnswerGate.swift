/// Holds back the answers to writes until a test opens it: the write is stored and journalled at
/// once, its client waits. An in-process test closes it to keep a write in flight for as long as it
/// needs (a Ctrl-C that must land while a request is open), instead of a latency long enough for
/// a loaded machine.
public actor AnswerGate {
    private var closed = false
    private var waiting: [CheckedContinuation<Void, Never>] = []

    public init() {}

    /// From now on, answers to writes wait for ``open()``.
    public func close() {
        closed = true
    }

    /// Lets every held answer go, and those that come later pass.
    public func open() {
        closed = false
        let held = waiting
        waiting.removeAll()
        for answer in held { answer.resume() }
    }

    /// Returns at once while open; while closed, when ``open()`` is called.
    func pass() async {
        guard closed else { return }
        await withCheckedContinuation { waiting.append($0) }
    }
}
