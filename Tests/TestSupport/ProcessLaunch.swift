import Foundation

extension Process {
    /// `run()`, with the signal mask a shell would give the child. A test calls `run()` on a thread
    /// of the concurrency pool, which blocks nearly every signal, and posix_spawn passes the
    /// calling thread's mask on: the child then started with SIGINT, SIGTERM and SIGALRM blocked,
    /// so `timeout` in a test's script could never fire and the binary under test took no signal
    /// the way it does when a shell or CI starts it. SIGCHLD stays blocked, as Foundation's wait
    /// for the child's exit needs it (and no child here relies on it).
    public func runUnmasked() throws {
        var mask = sigset_t()
        sigemptyset(&mask)
        sigaddset(&mask, SIGCHLD)
        var saved = sigset_t()
        pthread_sigmask(SIG_SETMASK, &mask, &saved)
        defer { pthread_sigmask(SIG_SETMASK, &saved, nil) }
        try run()
    }
}
