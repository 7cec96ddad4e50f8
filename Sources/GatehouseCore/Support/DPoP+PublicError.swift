// DPoP proofs (RFC 9449) are verified by the hub and the media server alike, so the verifier lives in its own small
// module (GatehouseDPoP: swift-crypto and GatehouseBasics only). Core re-exports it, so the hub's modules see the
// DPoP types through Core, and its errors answer like every other public error.
@_exported import GatehouseDPoP

extension DPoPError: PublicError {}
