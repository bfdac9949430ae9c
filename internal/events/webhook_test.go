package events

import (
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"
)

func TestWebhookRetriesUntilAccepted(t *testing.T) {
	var (
		mu       sync.Mutex
		attempts int
		received []Event
	)
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		attempts++
		if attempts < 3 {
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		var event Event
		if err := json.NewDecoder(r.Body).Decode(&event); err != nil {
			t.Errorf("decode event: %v", err)
		}
		if r.Header.Get("Content-Type") != "application/json" {
			t.Errorf("Content-Type = %q, want application/json", r.Header.Get("Content-Type"))
		}
		received = append(received, event)
	}))
	t.Cleanup(hook.Close)

	webhook := NewWebhook(hook.URL, slog.New(slog.NewTextHandler(io.Discard, nil)),
		WebhookOptions{InitialBackoff: 5 * time.Millisecond})
	t.Cleanup(webhook.Close)

	sent := New(Expired, "111122223333", "us-east-1", "arn:aws:acm:us-east-1:111122223333:certificate/x",
		time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC), map[string]any{"CommonName": "example.com"})
	webhook.Publish(sent)

	deadline := time.Now().Add(5 * time.Second)
	for {
		mu.Lock()
		done := len(received) == 1
		mu.Unlock()
		if done {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no event delivered after retries (%d attempts)", attempts)
		}
		time.Sleep(5 * time.Millisecond)
	}

	mu.Lock()
	defer mu.Unlock()
	got := received[0]
	if got.ID != sent.ID || got.Source != "aws.acm" || got.DetailType != Expired || got.Time != "2030-01-02T03:04:05Z" {
		t.Errorf("delivered event = %+v, want %+v", got, sent)
	}
	if attempts != 3 {
		t.Errorf("attempts = %d, want 3", attempts)
	}
}

func TestWebhookQueueIsBounded(t *testing.T) {
	release := make(chan struct{})
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		<-release
	}))
	t.Cleanup(hook.Close)
	t.Cleanup(func() { close(release) })

	webhook := NewWebhook(hook.URL, slog.New(slog.NewTextHandler(io.Discard, nil)), WebhookOptions{QueueSize: 2})
	defer webhook.Close()

	published := make(chan struct{})
	go func() {
		for range 10 {
			webhook.Publish(New(Expired, "1", "r", "a", time.Now(), nil))
		}
		close(published)
	}()
	select {
	case <-published:
	case <-time.After(5 * time.Second):
		t.Fatal("Publish blocked on a full queue")
	}
	webhook.mu.Lock()
	dropped := webhook.dropped
	webhook.mu.Unlock()
	if dropped < 7 {
		t.Errorf("dropped = %d, want at least 7 of 10 with a queue of 2 and one in flight", dropped)
	}
}
