package integration

import (
	"context"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/acm"
	"github.com/aws/aws-sdk-go-v2/service/acm/types"

	"github.com/openacm/openacm/internal/config"
	"github.com/openacm/openacm/internal/events"
)

// TestExpiryEventsFollowAccountConfiguration sets DaysBeforeExpiry to 30
// in us-east-1 only: the certificate there gets its first
// approaching-expiration event 30 days before NotAfter, while the one in
// us-west-2 keeps ACM's default of 45 days.
func TestExpiryEventsFollowAccountConfiguration(t *testing.T) {
	hook := startWebhook(t)
	s := startTimeServer(t, func(cfg *config.Config) { cfg.EventWebhookURL = hook.url })
	east, west := s.client("us-east-1"), s.client("us-west-2")

	_, err := east.PutAccountConfiguration(context.Background(), &acm.PutAccountConfigurationInput{
		IdempotencyToken: aws.String("thirtydays"),
		ExpiryEvents:     &types.ExpiryEventsConfiguration{DaysBeforeExpiry: aws.Int32(30)},
	})
	if err != nil {
		t.Fatalf("PutAccountConfiguration: %v", err)
	}

	eastArn := requestCertificate(t, east, &acm.RequestCertificateInput{
		DomainName: aws.String("thirty.example.com"), ValidationMethod: types.ValidationMethodDns,
	})
	westArn := requestCertificate(t, west, &acm.RequestCertificateInput{
		DomainName: aws.String("default.example.com"), ValidationMethod: types.ValidationMethodDns,
	})
	s.advance(t, time.Second)
	eastDetail, westDetail := describeCertificate(t, east, eastArn), describeCertificate(t, west, westArn)
	if eastDetail.Status != types.CertificateStatusIssued || westDetail.Status != types.CertificateStatusIssued {
		t.Fatalf("Status %s and %s, want both ISSUED", eastDetail.Status, westDetail.Status)
	}
	eastNotAfter, westNotAfter := aws.ToTime(eastDetail.NotAfter), aws.ToTime(westDetail.NotAfter)
	if !eastNotAfter.Equal(westNotAfter) {
		t.Fatalf("NotAfter %s and %s differ; the test needs them equal", eastNotAfter, westNotAfter)
	}

	s.clock.Set(eastNotAfter.Add(-45 * 24 * time.Hour))
	s.runPass(t)
	first := hook.waitFor(t, events.ApproachingExpiration, 1)
	if got := first[0].Resources; len(got) != 1 || got[0] != westArn {
		t.Fatalf("first event at 45 days names %v, want only the us-west-2 certificate %s", got, westArn)
	}
	if first[0].Region != "us-west-2" {
		t.Errorf("first event region = %s, want us-west-2", first[0].Region)
	}

	s.clock.Set(eastNotAfter.Add(-30*24*time.Hour - time.Hour))
	s.runPass(t)
	if got := eventsFor(hook.ofType(events.ApproachingExpiration), eastArn); len(got) != 0 {
		t.Fatalf("%d events for the us-east-1 certificate 30 days and 1 hour before NotAfter, want 0", len(got))
	}

	s.advance(t, time.Hour)
	deadline := time.Now().Add(10 * time.Second)
	var eastEvents []events.Event
	for len(eastEvents) == 0 && time.Now().Before(deadline) {
		eastEvents = eventsFor(hook.ofType(events.ApproachingExpiration), eastArn)
		time.Sleep(10 * time.Millisecond)
	}
	if len(eastEvents) != 1 {
		t.Fatalf("%d events for the us-east-1 certificate 30 days before NotAfter, want 1", len(eastEvents))
	}
	if days := detailNumber(t, eastEvents[0], "DaysToExpiry"); days != 30 {
		t.Errorf("DaysToExpiry = %v, want 30", days)
	}
}

// eventsFor returns the events that name arn as their resource.
func eventsFor(all []events.Event, arn string) []events.Event {
	var matching []events.Event
	for _, event := range all {
		if len(event.Resources) == 1 && event.Resources[0] == arn {
			matching = append(matching, event)
		}
	}
	return matching
}
