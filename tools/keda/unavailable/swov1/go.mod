// Not SolarWinds' SDK: a stand-in of ours, so that KEDA v2.18.3 builds where the Go module proxy
// refuses the SDK version it requires. See doc.go.
module github.com/solarwinds/swo-sdk-go/swov1

go 1.22
