// Package metrics keeps OpenACM's Prometheus metrics: API requests, the
// certificates in the store, validation, issuance and renewal outcomes, the
// background worker and store latency. It owns one registry per server,
// so several servers in one test process never share counters.
//
// The packages it measures do not import Prometheus: they call the small
// observer interfaces they define, which Metrics implements.
package metrics

import (
	"context"
	"log/slog"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/openacm/openacm/internal/store"
)

// Outcome label values.
const (
	OutcomeSuccess = "success"
	OutcomeFailure = "failure"
)

// NoError is the error_code label of a request that succeeded.
const NoError = "none"

// countTimeout bounds the store query behind the certificates gauge on each scrape.
const countTimeout = 5 * time.Second

// Metrics holds every OpenACM metric and the registry that serves them.
type Metrics struct {
	registry *prometheus.Registry
	logger   *slog.Logger

	requests        *prometheus.CounterVec
	requestDuration *prometheus.HistogramVec

	validations        *prometheus.CounterVec
	validationDuration *prometheus.HistogramVec
	issuances          *prometheus.CounterVec
	issuanceDuration   *prometheus.HistogramVec
	failures           *prometheus.CounterVec
	renewals           *prometheus.CounterVec
	renewalDuration    *prometheus.HistogramVec

	workerPasses       prometheus.Counter
	workerPassDuration prometheus.Histogram
	workerLag          prometheus.Gauge
	workerPending      prometheus.Gauge

	storeDuration *prometheus.HistogramVec
	storeErrors   *prometheus.CounterVec
}

// New returns Metrics registered on a new registry, together with the Go
// runtime and process collectors.
func New(logger *slog.Logger) *Metrics {
	m := &Metrics{registry: prometheus.NewRegistry(), logger: logger}
	m.registry.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))

	m.requests = m.counterVec("openacm_api_requests_total",
		"API requests by service, operation and AWS error code (none when the request succeeded).",
		"service", "operation", "error_code")
	m.requestDuration = m.histogramVec("openacm_api_request_duration_seconds",
		"Time from reading an API request to writing its response, in seconds.",
		prometheus.DefBuckets, "service", "operation")

	m.validations = m.counterVec("openacm_validations_total",
		"Certificates whose domain validation finished, by validation method and outcome.",
		"method", "outcome")
	m.validationDuration = m.histogramVec("openacm_validation_duration_seconds",
		"Time from a certificate request until its last name passed validation, in seconds.",
		prometheus.ExponentialBuckets(0.1, 4, 10), "method")
	m.issuances = m.counterVec("openacm_issuances_total",
		"Signing attempts by certificate type and outcome.",
		"type", "outcome")
	m.issuanceDuration = m.histogramVec("openacm_issuance_duration_seconds",
		"Time to generate a certificate's key and sign it, in seconds.",
		prometheus.ExponentialBuckets(0.001, 2, 14), "type")
	m.failures = m.counterVec("openacm_certificate_failures_total",
		"Certificates moved to FAILED, by type and ACM failure reason.",
		"type", "reason")
	m.renewals = m.counterVec("openacm_renewals_total",
		"Renewals that finished, by certificate type, outcome and RenewalStatusReason (none when there is no reason).",
		"type", "outcome", "reason")
	m.renewalDuration = m.histogramVec("openacm_renewal_duration_seconds",
		"Time from the start of a renewal until it succeeded or failed, in seconds.",
		prometheus.ExponentialBuckets(1, 4, 12), "type", "outcome")

	m.workerPasses = m.counter("openacm_worker_passes_total",
		"Passes of the background worker over pending certificates.")
	m.workerPassDuration = m.histogram("openacm_worker_pass_duration_seconds",
		"Time of one worker pass, in seconds.", prometheus.ExponentialBuckets(0.001, 4, 10))
	m.workerLag = m.gauge("openacm_worker_lag_seconds",
		"How late the last worker pass started after the earliest certificate it had scheduled became due, in seconds.")
	m.workerPending = m.gauge("openacm_worker_pending_certificates",
		"Certificates in PENDING_VALIDATION read by the last worker pass.")

	m.storeDuration = m.histogramVec("openacm_store_operation_duration_seconds",
		"Time of one store call, in seconds.",
		prometheus.ExponentialBuckets(0.0001, 4, 10), "operation")
	m.storeErrors = m.counterVec("openacm_store_errors_total",
		"Store calls that failed, other than record-not-found, version conflicts and the other errors callers expect.",
		"operation")
	return m
}

// Handler serves the metrics in the Prometheus text format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.registry, promhttp.HandlerOpts{
		ErrorLog: slog.NewLogLogger(m.logger.Handler(), slog.LevelWarn),
	})
}

// Registry returns the registry, for tests and extra collectors.
func (m *Metrics) Registry() *prometheus.Registry { return m.registry }

// ObserveRequest counts one API request and its latency. The caller keeps
// the operation label to the names of the service model, so a client
// cannot create label values at will.
func (m *Metrics) ObserveRequest(service, operation, errorCode string, latency time.Duration) {
	if errorCode == "" {
		errorCode = NoError
	}
	m.requests.WithLabelValues(service, operation, errorCode).Inc()
	m.requestDuration.WithLabelValues(service, operation).Observe(latency.Seconds())
}

// NamesValidated records that the last name of a certificate passed validation.
func (m *Metrics) NamesValidated(method string, sinceRequest time.Duration) {
	m.validations.WithLabelValues(method, OutcomeSuccess).Inc()
	m.validationDuration.WithLabelValues(method).Observe(sinceRequest.Seconds())
}

// IssuanceFinished records one signing attempt.
func (m *Metrics) IssuanceFinished(certType string, err error, elapsed time.Duration) {
	outcome := OutcomeSuccess
	if err != nil {
		outcome = OutcomeFailure
	}
	m.issuances.WithLabelValues(certType, outcome).Inc()
	m.issuanceDuration.WithLabelValues(certType).Observe(elapsed.Seconds())
}

// CertificateFailed records a certificate that moved to FAILED.
func (m *Metrics) CertificateFailed(certType, reason string) {
	m.failures.WithLabelValues(certType, reason).Inc()
}

// RenewalFinished records a renewal that reached status SUCCESS or FAILED.
func (m *Metrics) RenewalFinished(certType, status, reason string, elapsed time.Duration) {
	outcome := OutcomeFailure
	if status == "SUCCESS" {
		outcome = OutcomeSuccess
	}
	if reason == "" {
		reason = NoError
	}
	m.renewals.WithLabelValues(certType, outcome, reason).Inc()
	m.renewalDuration.WithLabelValues(certType, outcome).Observe(elapsed.Seconds())
}

// PassFinished records one worker pass.
func (m *Metrics) PassFinished(pending int, lag, elapsed time.Duration) {
	m.workerPasses.Inc()
	m.workerPassDuration.Observe(elapsed.Seconds())
	m.workerLag.Set(lag.Seconds())
	m.workerPending.Set(float64(pending))
}

// WatchCertificates registers the openacm_certificates gauge, which counts
// the certificates in st by status and type on every scrape.
func (m *Metrics) WatchCertificates(st store.Store) {
	m.registry.MustRegister(&certificateCollector{store: st, logger: m.logger})
}

func (m *Metrics) counterVec(name, help string, labels ...string) *prometheus.CounterVec {
	c := prometheus.NewCounterVec(prometheus.CounterOpts{Name: name, Help: help}, labels)
	m.registry.MustRegister(c)
	return c
}

func (m *Metrics) histogramVec(name, help string, buckets []float64, labels ...string) *prometheus.HistogramVec {
	h := prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: name, Help: help, Buckets: buckets}, labels)
	m.registry.MustRegister(h)
	return h
}

func (m *Metrics) counter(name, help string) prometheus.Counter {
	c := prometheus.NewCounter(prometheus.CounterOpts{Name: name, Help: help})
	m.registry.MustRegister(c)
	return c
}

func (m *Metrics) histogram(name, help string, buckets []float64) prometheus.Histogram {
	h := prometheus.NewHistogram(prometheus.HistogramOpts{Name: name, Help: help, Buckets: buckets})
	m.registry.MustRegister(h)
	return h
}

func (m *Metrics) gauge(name, help string) prometheus.Gauge {
	g := prometheus.NewGauge(prometheus.GaugeOpts{Name: name, Help: help})
	m.registry.MustRegister(g)
	return g
}

// certificateCollector reads certificate counts from the store at scrape
// time, so the gauge is right on every node that shares the database.
type certificateCollector struct {
	store  store.Store
	logger *slog.Logger
}

var certificatesDesc = prometheus.NewDesc("openacm_certificates",
	"Certificates in the store, of every account and region, by status and type.",
	[]string{"status", "type"}, nil)

func (c *certificateCollector) Describe(ch chan<- *prometheus.Desc) { ch <- certificatesDesc }

func (c *certificateCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), countTimeout)
	defer cancel()

	counts, err := c.store.CountCertificates(ctx)
	if err != nil {
		c.logger.Warn("count certificates for metrics failed", "error", err)
		ch <- prometheus.NewInvalidMetric(certificatesDesc, err)
		return
	}
	for _, count := range counts {
		ch <- prometheus.MustNewConstMetric(certificatesDesc, prometheus.GaugeValue, float64(count.Count), count.Status, count.Type)
	}
}
