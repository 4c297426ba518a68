import Foundation
import KapsoKit

/// An HTTP request as the store sees it.
struct SimRequest: Sendable {
    var method: String
    var path: String
    var query: [(name: String, value: String)]
    var rawQuery: String
    var apiKey: String?
    var body: Data
    var userAgent: String? = nil
}

/// An answer of the simulator, for an HTTP front end to send: `drop` means close the connection
/// without answering.
public struct SimulatorAnswer: Sendable {
    public var status: Int
    public var headers: [String: String]
    public var body: Data
    public var drop: Bool
}

/// What to send back; `drop` closes the connection without an answer.
struct SimResponse: Error, Sendable {
    var status: Int
    var headers: [String: String] = [:]
    var body: Data = Data()
    var drop = false

    static let jsonContentType = ["Content-Type": "application/json; charset=utf-8"]

    static func json(_ status: Int, _ value: JSONValue, headers: [String: String] = [:]) -> SimResponse {
        SimResponse(status: status, headers: headers.merging(jsonContentType) { $1 }, body: value.serialized())
    }

    static func error(_ status: Int, _ message: String, headers: [String: String] = [:]) -> SimResponse {
        json(status, .object(["error": .string(message)]), headers: headers)
    }
}
