import Foundation
import FoundationNetworking
let s = URLSession(configuration: .ephemeral)
for u in ["https://127.0.0.1:18282/", "https://127.0.0.1:18181/"] {
    var r = URLRequest(url: URL(string: u)!); r.timeoutInterval = 3
    do { _ = try await s.data(for: r) } catch let e as URLError {
        print(u, e.code.rawValue, e.userInfo.map { "\($0.key)=\($0.value)" })
    } catch { print(u, error) }
}
