// Package operations declares the request and response KEDA's SolarWinds scaler names (see the
// module's doc.go: this is a stand-in, not SolarWinds' SDK).
package operations

import (
	"time"

	"github.com/solarwinds/swo-sdk-go/swov1/models/components"
)

// Option is a per-call option (none is implemented).
type Option func(*Options) error

// Options are the per-call options.
type Options struct{}

// ListMetricMeasurementsRequest asks for a metric's measurements.
type ListMetricMeasurementsRequest struct {
	Name        string
	Filter      *string
	AggregateBy *components.MetricsAggregationMethods
	SeriesType  components.MetricsMetricSeriesType
	StartTime   *time.Time
	EndTime     *time.Time
}

// ListMetricMeasurementsResponseBody holds the groupings.
type ListMetricMeasurementsResponseBody struct {
	Groupings []components.MetricsGrouping `json:"groupings"`
}

// ListMetricMeasurementsResponse is the answer.
type ListMetricMeasurementsResponse struct {
	Object *ListMetricMeasurementsResponseBody
}
