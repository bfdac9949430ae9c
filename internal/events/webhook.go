package events

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"sync"
	"time"
)

// WebhookOptions tune a Webhook. Zero values take the defaults.
type WebhookOptions struct {
	// QueueSize bounds the events waiting for delivery (default 1000);
	// Publish drops and logs an event that finds the queue full.
	QueueSize int
	// Attempts is how often one event is sent before it is dropped (default 6).
	Attempts int
	// InitialBackoff is the wait after the first failed attempt, doubled
	// after each further one up to MaxBackoff (defaults 1s and 1m).
	InitialBackoff time.Duration
	MaxBackoff     time.Duration
	// Timeout bounds one POST (default 10s).
	Timeout time.Duration
}

// Webhook POSTs each event as JSON to one URL from a background goroutine,
// retrying failures with exponential backoff. A 2xx status is success.
type Webhook struct {
	url     string
	options WebhookOptions
	client  *http.Client
	logger  *slog.Logger
	queue   chan Event

	stop    context.CancelFunc
	stopped chan struct{}
	mu      sync.Mutex
	closed  bool
	dropped int64
}

// NewWebhook starts delivering to url. Close stops it.
func NewWebhook(url string, logger *slog.Logger, options WebhookOptions) *Webhook {
	if options.QueueSize <= 0 {
		options.QueueSize = 1000
	}
	if options.Attempts <= 0 {
		options.Attempts = 6
	}
	if options.InitialBackoff <= 0 {
		options.InitialBackoff = time.Second
	}
	if options.MaxBackoff <= 0 {
		options.MaxBackoff = time.Minute
	}
	if options.Timeout <= 0 {
		options.Timeout = 10 * time.Second
	}

	ctx, stop := context.WithCancel(context.Background())
	w := &Webhook{
		url:     url,
		options: options,
		client:  &http.Client{Timeout: options.Timeout},
		logger:  logger,
		queue:   make(chan Event, options.QueueSize),
		stop:    stop,
		stopped: make(chan struct{}),
	}
	go w.run(ctx)
	// The URL may carry a secret in its path or query, so only its host is logged.
	logger.Info("event webhook started", "host", webhookHost(url), "queue_size", options.QueueSize)
	return w
}

// Publish queues event without blocking. When the queue is full the event
// is dropped and counted in the log.
func (w *Webhook) Publish(event Event) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed {
		return
	}
	select {
	case w.queue <- event:
	default:
		w.dropped++
		w.logger.Warn("event webhook queue full; event dropped",
			"event_id", event.ID, "detail_type", event.DetailType, "dropped_total", w.dropped)
	}
}

// Close stops delivery. Events still queued or waiting for a retry are
// dropped and logged, so a stop never waits on an unreachable webhook.
func (w *Webhook) Close() {
	w.mu.Lock()
	if w.closed {
		w.mu.Unlock()
		return
	}
	w.closed = true
	w.mu.Unlock()

	w.stop()
	<-w.stopped
	if left := len(w.queue); left > 0 {
		w.logger.Warn("event webhook stopped with undelivered events", "dropped", left)
	}
	w.logger.Info("event webhook stopped")
}

func (w *Webhook) run(ctx context.Context) {
	defer close(w.stopped)
	for {
		select {
		case <-ctx.Done():
			return
		case event := <-w.queue:
			w.deliver(ctx, event)
		}
	}
}

// deliver sends one event until it succeeds, the attempts run out or ctx ends.
func (w *Webhook) deliver(ctx context.Context, event Event) {
	body, err := json.Marshal(event)
	if err != nil {
		w.logger.Error("encode event failed; event dropped", "event_id", event.ID, "error", err)
		return
	}

	backoff := w.options.InitialBackoff
	for attempt := 1; ; attempt++ {
		err := w.post(ctx, body)
		if err == nil {
			return
		}
		if attempt >= w.options.Attempts || ctx.Err() != nil {
			w.logger.Error("event webhook delivery failed; event dropped",
				"event_id", event.ID, "detail_type", event.DetailType, "attempts", attempt, "error", err)
			return
		}
		w.logger.Warn("event webhook delivery failed; will retry",
			"event_id", event.ID, "attempt", attempt, "retry_in", backoff, "error", err)

		timer := time.NewTimer(backoff)
		select {
		case <-ctx.Done():
			timer.Stop()
		case <-timer.C:
		}
		backoff = min(2*backoff, w.options.MaxBackoff)
	}
}

func (w *Webhook) post(ctx context.Context, body []byte) error {
	request, err := http.NewRequestWithContext(ctx, http.MethodPost, w.url, bytes.NewReader(body))
	if err != nil {
		return err
	}
	request.Header.Set("Content-Type", "application/json")

	response, err := w.client.Do(request)
	if err != nil {
		return err
	}
	defer response.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(response.Body, 64<<10))
	if response.StatusCode < 200 || response.StatusCode > 299 {
		return fmt.Errorf("webhook returned status %d", response.StatusCode)
	}
	return nil
}

func webhookHost(raw string) string {
	parsed, err := url.Parse(raw)
	if err != nil {
		return "(invalid URL)"
	}
	return parsed.Host
}
