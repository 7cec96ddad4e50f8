import Foundation

/// Storage of claimed media servers and their shares.
public protocol ServerStore: Sendable {
}
