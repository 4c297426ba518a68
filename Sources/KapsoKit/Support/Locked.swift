import Synchronization

/// A value behind a lock, held by a class instance: how kapsoctl keeps process-wide (`static`)
/// mutable state. (A `Mutex` stored in a class instance's property, as elsewhere, is fine.)
///
/// Not a `Mutex` in a `static let`: on Linux with Swift 6.3.1, a `Mutex` stored in a `static let`
/// did not exclude — two threads changed a string inside it at once and the process crashed
/// (`kapsoctl-bench --long`: apply under a rate limit, progress ticking while requests reported;
/// a 40-line program reproduces it in milliseconds). The same `Mutex` held by a class instance
/// excludes. `LockedTests` hammers this type the way that crashed.
public final class Locked<Value: Sendable>: Sendable {
    private let mutex: Mutex<Value>

    public init(_ value: Value) {
        mutex = Mutex(value)
    }

    public func withLock<Result, E: Error>(_ body: (inout sending Value) throws(E) -> sending Result) throws(E) -> sending Result {
        try mutex.withLock(body)
    }
}
