// Package events delivers certificate events shaped as Amazon EventBridge
// delivers ACM's events (source "aws.acm"), to the structured log and,
// when configured, to a webhook. It owns formatting and delivery; the acm
// package decides when an event happens.
package events

import (
	"context"
	"log/slog"
	"time"

	"github.com/google/uuid"
)

// Source is the EventBridge source of every ACM event.
const Source = "aws.acm"

// Detail types of the events ACM sends to EventBridge.
const (
	ApproachingExpiration = "ACM Certificate Approaching Expiration"
	Expired               = "ACM Certificate Expired"
	Available             = "ACM Certificate Available"
	RenewalActionRequired = "ACM Certificate Renewal Action Required"
)

// Event is one EventBridge event envelope.
type Event struct {
	Version    string   `json:"version"`
	ID         string   `json:"id"`
	DetailType string   `json:"detail-type"`
	Source     string   `json:"source"`
	Account    string   `json:"account"`
	Time       string   `json:"time"`
	Region     string   `json:"region"`
	Resources  []string `json:"resources"`
	Detail     any      `json:"detail"`
}

// New returns an event of detailType about one certificate at time at.
func New(detailType, account, region, certificateArn string, at time.Time, detail any) Event {
	return Event{
		Version:    "0",
		ID:         uuid.NewString(),
		DetailType: detailType,
		Source:     Source,
		Account:    account,
		Time:       at.UTC().Format(time.RFC3339),
		Region:     region,
		Resources:  []string{certificateArn},
		Detail:     detail,
	}
}

// Sink receives events. Publish must not block on slow delivery.
type Sink interface {
	Publish(event Event)
}

// Sinks publishes each event to every sink in order.
type Sinks []Sink

// Publish sends event to every sink.
func (sinks Sinks) Publish(event Event) {
	for _, sink := range sinks {
		sink.Publish(event)
	}
}

// LogSink writes each event to the structured log at Info level.
type LogSink struct {
	Logger *slog.Logger
}

// Publish logs event with its id, type, account and resources.
func (s LogSink) Publish(event Event) {
	s.Logger.LogAttrs(context.Background(), slog.LevelInfo, "certificate event",
		slog.String("event_id", event.ID),
		slog.String("detail_type", event.DetailType),
		slog.String("account", event.Account),
		slog.String("region", event.Region),
		slog.Any("resources", event.Resources),
		slog.Any("detail", event.Detail))
}
