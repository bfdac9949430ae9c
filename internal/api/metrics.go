package api

import "github.com/openacm/openacm/internal/model"

// MetricsPath serves the Prometheus metrics, without authentication like
// the health paths.
const MetricsPath = "/metrics"

// unknownLabel is the metrics label of a service or operation that the
// service models do not define.
const unknownLabel = "unknown"

var (
	acmModel = model.ACM()
	pcaModel = model.ACMPCA()
)

// requestLabels returns the service and operation labels of an X-Amz-Target.
// Only names from the service models become labels, so clients cannot
// grow the number of series by sending made-up targets.
func requestLabels(target string) (service, operation string) {
	prefix, name := splitTarget(target)
	switch prefix {
	case acmTargetPrefix:
		service = "acm"
		if acmModel.HasOperation(name) {
			return service, name
		}
	case pcaTargetPrefix:
		service = "acm-pca"
		if pcaModel.HasOperation(name) {
			return service, name
		}
	default:
		service = unknownLabel
	}
	return service, unknownLabel
}
