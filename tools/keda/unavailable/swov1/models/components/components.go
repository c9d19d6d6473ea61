// Package components declares the model types KEDA's SolarWinds scaler names, with the SDK
// v0.13.0's types (see the module's doc.go: this is a stand-in, not SolarWinds' SDK).
package components

// MetricsAggregationMethods is how measurements are aggregated.
type MetricsAggregationMethods string

// The aggregation methods.
const (
	MetricsAggregationMethodsAvg   MetricsAggregationMethods = "AVG"
	MetricsAggregationMethodsCount MetricsAggregationMethods = "COUNT"
	MetricsAggregationMethodsMin   MetricsAggregationMethods = "MIN"
	MetricsAggregationMethodsMax   MetricsAggregationMethods = "MAX"
	MetricsAggregationMethodsSum   MetricsAggregationMethods = "SUM"
	MetricsAggregationMethodsLast  MetricsAggregationMethods = "LAST"
)

// ToPointer returns a pointer to a copy of e.
func (e MetricsAggregationMethods) ToPointer() *MetricsAggregationMethods { return &e }

// MetricsMetricSeriesType is the kind of series asked for.
type MetricsMetricSeriesType string

// The series types.
const (
	MetricsMetricSeriesTypeTimeseries MetricsMetricSeriesType = "TIMESERIES"
	MetricsMetricSeriesTypeScalar     MetricsMetricSeriesType = "SCALAR"
)

// MetricsMeasurement is one measurement (Value is a float64, as in v0.13.0).
type MetricsMeasurement struct {
	Time  string  `json:"time"`
	Value float64 `json:"value"`
}

// MetricsGrouping is a group of measurements.
type MetricsGrouping struct {
	Measurements []MetricsMeasurement `json:"measurements"`
}
