// Package swov1 stands in for github.com/solarwinds/swo-sdk-go/swov1 in the KEDA build of
// tools/keda (docs/keda.md). It is not SolarWinds' SDK.
//
// KEDA v2.18.3 requires swov1 v0.13.0, which the Go module proxy reachable here refuses (403
// "This module version is not available"); the versions it serves (v0.15.3, v0.16.0) changed
// MetricsMeasurement.Value from float64 to *float64, and KEDA's SolarWinds scaler does not compile
// against them. Only that one scaler imports the SDK. This module declares the few names it
// uses, with v0.13.0's types, and every call fails with ErrUnavailable: a ScaledObject with a
// solarwinds trigger reports that error instead of a metric. Every other scaler, Prometheus's
// among them, is KEDA's own, unchanged.
package swov1

import (
	"context"
	"errors"

	"github.com/solarwinds/swo-sdk-go/swov1/models/operations"
)

// ErrUnavailable is what every call returns.
var ErrUnavailable = errors.New("KEDA's SolarWinds scaler is not available in this build: " +
	"the Go module proxy refuses github.com/solarwinds/swo-sdk-go/swov1 v0.13.0 (see docs/keda.md)")

// SDKOption configures the client (ignored: there is nothing to call).
type SDKOption func(*Swo)

// WithServerURL is accepted and ignored.
func WithServerURL(string) SDKOption { return func(*Swo) {} }

// WithSecurity is accepted and ignored.
func WithSecurity(string) SDKOption { return func(*Swo) {} }

// Swo is the client.
type Swo struct {
	Metrics *Metrics
}

// New returns a client whose every call fails with ErrUnavailable.
func New(opts ...SDKOption) *Swo {
	s := &Swo{Metrics: &Metrics{}}
	for _, o := range opts {
		o(s)
	}
	return s
}

// Metrics is the metrics API.
type Metrics struct{}

// ListMetricMeasurements fails with ErrUnavailable.
func (*Metrics) ListMetricMeasurements(context.Context, operations.ListMetricMeasurementsRequest, ...operations.Option) (*operations.ListMetricMeasurementsResponse, error) {
	return nil, ErrUnavailable
}
