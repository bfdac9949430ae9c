// Package crlpublish keeps the signed CRL of each CA in the store, so that
// every node serves the same bytes. A node signs a new CRL only when the
// revoked entries, the issuer or the CRL settings changed, or when the stored
// CRL is due for refresh. It publishes it with a compare-and-swap on the
// stored value, so when several nodes sign at once, one CRL wins and all of
// them serve it. Signatures need not be deterministic: EC signatures are not.
package crlpublish

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"slices"
	"time"

	"github.com/openacm/openacm/internal/store"
)

// settingPrefix starts the name of the store setting that holds a CA's CRL.
const settingPrefix = "crl:"

// swapAttempts bounds the sign-and-swap rounds of one call. A lost swap means
// another node published a CRL just now, which the next round serves.
const swapAttempts = 3

// Sign signs a CRL of entries with the given CRL number and thisUpdate.
type Sign func(entries []x509.RevocationListEntry, number *big.Int, thisUpdate time.Time) ([]byte, error)

// Request describes the CRL a CA should serve now.
type Request struct {
	// Issuer is the CA name, such as its ARN, under which the CRL is stored.
	Issuer string
	// IssuerDER is the CA certificate, so a new CA certificate gets a new CRL.
	IssuerDER []byte
	// Settings are the CRL settings that shape the signed CRL, such as its
	// lifetime, so a change to them gets a new CRL.
	Settings string
	// Entries are the revoked certificates the CRL must list.
	Entries []x509.RevocationListEntry
	// Refresh is how long after its thisUpdate a stored CRL is signed again.
	Refresh time.Duration
}

// published is the stored form of a signed CRL.
type published struct {
	Digest     string    `json:"digest"`
	Number     int64     `json:"number"`
	ThisUpdate time.Time `json:"this_update"`
	DER        []byte    `json:"der"`
}

// Current returns the stored CRL of req.Issuer when it was signed for the
// same content less than req.Refresh ago. Otherwise it signs a new one with
// the next CRL number and a thisUpdate of now (never before the stored one),
// stores it unless another node stored one first, and returns the stored CRL.
func Current(ctx context.Context, st store.Store, req Request, now time.Time, sign Sign) ([]byte, error) {
	name := settingPrefix + req.Issuer
	digest := contentDigest(req)

	for range swapAttempts {
		raw, current, err := load(ctx, st, name)
		if err != nil {
			return nil, err
		}
		if current != nil && current.Digest == digest && now.Before(current.ThisUpdate.Add(req.Refresh)) {
			return current.DER, nil
		}

		next := published{Digest: digest, Number: 1, ThisUpdate: now.UTC().Truncate(time.Second)}
		if current != nil {
			next.Number = current.Number + 1
			// A node whose clock runs behind must not move thisUpdate back.
			if next.ThisUpdate.Before(current.ThisUpdate) {
				next.ThisUpdate = current.ThisUpdate
			}
		}
		next.DER, err = sign(req.Entries, big.NewInt(next.Number), next.ThisUpdate)
		if err != nil {
			return nil, err
		}

		encoded, err := json.Marshal(next)
		if err != nil {
			return nil, fmt.Errorf("encode CRL of %s: %w", req.Issuer, err)
		}
		swapped, err := st.SwapSetting(ctx, name, raw, encoded)
		if err != nil {
			return nil, fmt.Errorf("store CRL of %s: %w", req.Issuer, err)
		}
		if swapped {
			return next.DER, nil
		}
	}

	return nil, fmt.Errorf("store CRL of %s: the stored CRL changed %d times while signing", req.Issuer, swapAttempts)
}

// Forget removes the stored CRL of issuer, as when its CA is deleted.
func Forget(ctx context.Context, st store.Store, issuer string) error {
	return st.DeleteSetting(ctx, settingPrefix+issuer)
}

// load returns the stored CRL in its raw and decoded forms, or nil for both
// when none is stored.
func load(ctx context.Context, st store.Store, name string) ([]byte, *published, error) {
	raw, err := st.GetSetting(ctx, name)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil, nil
	}
	if err != nil {
		return nil, nil, fmt.Errorf("read stored CRL %s: %w", name, err)
	}

	var current published
	if err := json.Unmarshal(raw, &current); err != nil {
		return nil, nil, fmt.Errorf("decode stored CRL %s: %w", name, err)
	}
	return raw, &current, nil
}

// contentDigest hashes everything that shapes the CRL apart from its
// number and times, with the entries in serial order so that the store's
// row order does not matter.
func contentDigest(req Request) string {
	entries := slices.Clone(req.Entries)
	slices.SortFunc(entries, func(a, b x509.RevocationListEntry) int { return a.SerialNumber.Cmp(b.SerialNumber) })

	var text bytes.Buffer
	fmt.Fprintf(&text, "issuer %x\nsettings %q\n", sha256.Sum256(req.IssuerDER), req.Settings)
	for _, entry := range entries {
		fmt.Fprintf(&text, "%x %d %d\n", entry.SerialNumber, entry.RevocationTime.Unix(), entry.ReasonCode)
	}

	sum := sha256.Sum256(text.Bytes())
	return hex.EncodeToString(sum[:])
}
