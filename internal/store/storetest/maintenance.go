package storetest

import (
	"context"
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/openacm/openacm/internal/store"
)

func testCountCertificates(t *testing.T, s store.Store) {
	ctx := context.Background()

	counts, err := s.CountCertificates(ctx)
	if err != nil {
		t.Fatalf("CountCertificates(empty store): %v", err)
	}
	if len(counts) != 0 {
		t.Errorf("CountCertificates(empty store) = %+v, want none", counts)
	}

	kinds := []struct {
		account, region, status, kind string
	}{
		{account, region, "ISSUED", "AMAZON_ISSUED"},
		{account, region, "ISSUED", "AMAZON_ISSUED"},
		{otherAccount, otherRegion, "ISSUED", "AMAZON_ISSUED"},
		{account, region, "ISSUED", "IMPORTED"},
		{account, otherRegion, "PENDING_VALIDATION", "AMAZON_ISSUED"},
		{otherAccount, region, "FAILED", "PRIVATE"},
	}
	for i, k := range kinds {
		cert := newCertificate(k.account, k.region, i+1)
		cert.Status = k.status
		cert.Type = k.kind
		mustCreate(t, s, cert)
	}

	counts, err = s.CountCertificates(ctx)
	if err != nil {
		t.Fatalf("CountCertificates: %v", err)
	}
	got := map[[2]string]int64{}
	for _, c := range counts {
		key := [2]string{c.Status, c.Type}
		if _, seen := got[key]; seen {
			t.Errorf("CountCertificates returned %s/%s twice", c.Status, c.Type)
		}
		got[key] = c.Count
	}
	want := map[[2]string]int64{
		{"ISSUED", "AMAZON_ISSUED"}:             3,
		{"ISSUED", "IMPORTED"}:                  1,
		{"PENDING_VALIDATION", "AMAZON_ISSUED"}: 1,
		{"FAILED", "PRIVATE"}:                   1,
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("CountCertificates = %v, want %v", got, want)
	}
}

func testReset(t *testing.T, s store.Store) {
	ctx := context.Background()

	first := newCertificate(account, region, 1)
	idem := &store.Idempotency{Token: "reset-token", NotBefore: baseTime.Add(-time.Hour)}
	if _, _, err := s.CreateCertificate(ctx, first, []store.Tag{{Key: "k", Value: strPtr("v")}}, idem); err != nil {
		t.Fatalf("CreateCertificate: %v", err)
	}
	mustCreate(t, s, newCertificate(otherAccount, otherRegion, 2))
	if _, err := s.InitSetting(ctx, "kept", []byte("value")); err != nil {
		t.Fatalf("InitSetting: %v", err)
	}

	if err := s.Reset(ctx); err != nil {
		t.Fatalf("Reset: %v", err)
	}

	for _, c := range []struct{ account, region, arn string }{
		{account, region, first.ARN},
		{otherAccount, otherRegion, certificateARN(otherAccount, otherRegion, 2)},
	} {
		if _, err := s.GetCertificate(ctx, c.account, c.region, c.arn); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("GetCertificate(%s) after Reset error = %v, want ErrNotFound", c.arn, err)
		}
	}
	if counts, err := s.CountCertificates(ctx); err != nil || len(counts) != 0 {
		t.Errorf("CountCertificates after Reset = %+v, %v; want none", counts, err)
	}
	if value, err := s.GetSetting(ctx, "kept"); err != nil || string(value) != "value" {
		t.Errorf("GetSetting(kept) after Reset = %q, %v; want the value kept", value, err)
	}

	// The token was wiped with the certificates, so it creates a new one,
	// even under the ARN the deleted certificate had.
	again := newCertificate(account, region, 1)
	arn, created, err := s.CreateCertificate(ctx, again, nil, idem)
	if err != nil {
		t.Fatalf("CreateCertificate(same token after Reset): %v", err)
	}
	if !created || arn != again.ARN {
		t.Errorf("CreateCertificate(same token after Reset) = %s, created %v; want %s, created true", arn, created, again.ARN)
	}
	if tags := mustListTags(t, s, account, region, again.ARN); len(tags) != 0 {
		t.Errorf("tags of the recreated certificate = %s, want none", formatTags(tags))
	}
}
