// Package store defines what OpenACM keeps: certificate records, their tags,
// idempotency tokens, worker leases and a few server-wide settings, and the Store interface
// that every database implementation satisfies.
//
// Records here are row models, apart from the API shapes the service
// returns. Only implementations under store/ import a SQL driver.
package store

import (
	"context"
	"errors"
	"time"
)

// Errors returned by every Store. Callers branch on them with errors.Is.
var (
	// ErrNotFound means no record matches the account, region and ARN given.
	ErrNotFound = errors.New("record not found")
	// ErrConflict means the record changed since it was read (its Version moved).
	ErrConflict = errors.New("record changed concurrently")
	// ErrTooManyTags means a tag change would leave more tags than allowed.
	ErrTooManyTags = errors.New("too many tags")
	// ErrBadCursor means a ListQuery.After cursor was not one the store
	// returned for the same sort order.
	ErrBadCursor = errors.New("invalid pagination cursor")
)

// Certificate is one ACM certificate as stored.
//
// Enum fields use the ACM API spelling (Status "PENDING_VALIDATION", Type
// "AMAZON_ISSUED", KeyAlgorithm "RSA_2048"). A zero time means "not set".
type Certificate struct {
	ARN     string
	Account string
	Region  string

	DomainName              string
	SubjectAlternativeNames []string
	Type                    string
	Status                  string
	FailureReason           string
	KeyAlgorithm            string
	ValidationMethod        string
	DomainValidations       []DomainValidation
	CertificateAuthorityArn string
	ManagedBy               string

	// Options as requested: "ENABLED" or "DISABLED".
	CTLoggingPreference string
	ExportOption        string

	CreatedAt  time.Time
	IssuedAt   time.Time
	ImportedAt time.Time
	RevokedAt  time.Time
	NotBefore  time.Time
	NotAfter   time.Time

	RevocationReason   string
	Serial             string
	Subject            string
	Issuer             string
	SignatureAlgorithm string
	KeyUsages          []string
	ExtendedKeyUsages  []ExtendedKeyUsage

	CertificatePEM      string
	CertificateChainPEM string
	// PrivateKeyPEM is the certificate's private key as PKCS#8 PEM.
	PrivateKeyPEM []byte

	InUseBy            []string
	Exported           bool
	RenewalEligibility string

	// ValidationStartedAt opens the 72-hour validation window: the request
	// time, or the last ResendValidationEmail. Zero means CreatedAt.
	ValidationStartedAt time.Time
	// Renewal is the latest managed renewal, or nil before the first one.
	Renewal *Renewal
	// ExpiryNoticeAt is when the last approaching-expiration event was sent.
	ExpiryNoticeAt time.Time

	// Version counts updates; UpdateCertificate succeeds only when it still
	// equals the stored value, so concurrent writers cannot lose each other's changes.
	Version   int64
	UpdatedAt time.Time
}

// DomainValidation is the validation state of one name of a certificate.
type DomainValidation struct {
	DomainName       string
	ValidationDomain string
	ValidationMethod string
	ValidationStatus string

	// DNS validation record; empty for other methods.
	ResourceRecordName  string
	ResourceRecordType  string
	ResourceRecordValue string

	// ValidationEmails are the approval addresses for EMAIL validation.
	ValidationEmails []string

	// RedirectFrom and RedirectTo are the HTTP validation redirect; empty
	// for other methods.
	RedirectFrom string
	RedirectTo   string

	// ApprovalNonce is the random input of the e-mail approval link's
	// token; replacing it voids every link sent before.
	ApprovalNonce string
	// EmailDelivered and EmailBounced are the approval addresses that
	// accepted or permanently rejected the message.
	EmailDelivered []string
	EmailBounced   []string
	// EmailAttempts counts delivery rounds; EmailNextAttemptAt is when the
	// next round for the remaining addresses is due.
	EmailAttempts      int
	EmailNextAttemptAt time.Time
}

// Renewal is the state of one managed renewal of a certificate.
type Renewal struct {
	// Status is PENDING_AUTO_RENEWAL, PENDING_VALIDATION, SUCCESS or FAILED.
	Status string
	// StatusReason is a FailureReason value when Status is FAILED.
	StatusReason      string
	DomainValidations []DomainValidation
	StartedAt         time.Time
	UpdatedAt         time.Time
}

// ExtendedKeyUsage is an extended key usage as ACM names it, with its OID.
type ExtendedKeyUsage struct {
	Name string
	OID  string
}

// Tag is a certificate tag. A nil Value is a tag with no value, which ACM
// keeps apart from a tag whose value is the empty string.
type Tag struct {
	Key   string
	Value *string
}

// Idempotency makes CreateCertificate reuse the certificate created with
// the same token in the same account and region since NotBefore.
type Idempotency struct {
	Token     string
	NotBefore time.Time
}

// CertificateLeasePrefix starts the name of the worker lease of a
// certificate; the ARN follows.
const CertificateLeasePrefix = "certificate:"

// CertificateLease returns the name of the worker lease of the certificate arn.
func CertificateLease(arn string) string {
	return CertificateLeasePrefix + arn
}

// SortOrder is the order of ListCertificates results by creation time.
type SortOrder string

const (
	Ascending  SortOrder = "ASCENDING"
	Descending SortOrder = "DESCENDING"
)

// ListQuery selects certificates of one account and region. An empty filter
// list means "no filter on this field". A certificate passes a list filter
// when its value is one of the list's values, or for key usages when it has
// at least one of them.
type ListQuery struct {
	Account string
	Region  string

	Statuses          []string
	Types             []string
	KeyAlgorithms     []string
	KeyUsages         []string
	ExtendedKeyUsages []string
	ExportOption      string
	ManagedBy         string

	Order SortOrder
	// Limit is the page size; the store returns at most Limit records.
	Limit int
	// After is the opaque cursor returned with the previous page, or "".
	After string
}

// CertificateCount is the number of certificates with one status and type.
type CertificateCount struct {
	Status string
	Type   string
	Count  int64
}

// Store keeps OpenACM's records. Every method is safe for concurrent use,
// and every change is durable when the method returns.
type Store interface {
	// CreateCertificate inserts cert and tags in one transaction. With a
	// non-nil idem, when a certificate was created with the same token in the
	// same account and region since idem.NotBefore, it inserts nothing and
	// returns that certificate's ARN with created false.
	CreateCertificate(ctx context.Context, cert *Certificate, tags []Tag, idem *Idempotency) (arn string, created bool, err error)

	// GetCertificate returns the certificate, or ErrNotFound.
	GetCertificate(ctx context.Context, account, region, arn string) (*Certificate, error)

	// GetCertificateDetails returns the certificate without PrivateKeyPEM,
	// CertificatePEM and CertificateChainPEM, or ErrNotFound. It reads no
	// key, so it costs no decryption; never write its result back with
	// UpdateCertificate.
	GetCertificateDetails(ctx context.Context, account, region, arn string) (*Certificate, error)

	// UpdateCertificate writes cert when the stored Version equals
	// cert.Version, and then sets cert.Version to the new value. Otherwise
	// it returns ErrConflict (or ErrNotFound when the record is gone).
	UpdateCertificate(ctx context.Context, cert *Certificate) error

	// UpdateCertificateAndEndLease is UpdateCertificate that also ends the
	// certificate's lease (CertificateLease), of any holder, in the same
	// transaction, so the next claim takes the certificate at once. Requests
	// that change what the worker must do next, such as an e-mail approval,
	// use it, because the worker would otherwise wait for the lease to end.
	UpdateCertificateAndEndLease(ctx context.Context, cert *Certificate) error

	// FinishCertificateWork writes work.Certificate as UpdateCertificate
	// does, inserts work.Issued and ends work.LeaseHolder's lease on the
	// certificate, all in one transaction. When the update returns
	// ErrConflict or ErrNotFound, nothing is written and the lease stays.
	FinishCertificateWork(ctx context.Context, work CertificateWork) error

	// DeleteCertificate removes the certificate, its tags and its lease, or
	// returns ErrNotFound.
	DeleteCertificate(ctx context.Context, account, region, arn string) error

	// ListCertificates returns one page of matching certificates ordered by
	// creation time (then ARN), and the cursor of the next page ("" at the end).
	// The certificates are summaries: they carry only ARN, Account, Region,
	// DomainName, SubjectAlternativeNames, Type, Status, KeyAlgorithm,
	// ManagedBy, ExportOption, KeyUsages, ExtendedKeyUsages (names only,
	// without OIDs), InUseBy,
	// Exported, RenewalEligibility, Version and the creation, update,
	// issue, import, revocation and validity times. So a page costs no key
	// decryption and no PEM; never write them back with UpdateCertificate.
	ListCertificates(ctx context.Context, query ListQuery) (certs []*Certificate, next string, err error)

	// DataVersion returns a number that changes whenever anything, in this
	// process or another, commits a change to the store, so a result read
	// while it had one value is still current while it keeps that value.
	// ok is false for stores that cannot tell, and then version means
	// nothing.
	DataVersion(ctx context.Context) (version int64, ok bool, err error)

	// PendingCertificates returns up to limit certificates of any account in
	// status PENDING_VALIDATION, or ISSUED with RenewalStatus
	// PENDING_AUTO_RENEWAL, oldest first, for the background worker.
	PendingCertificates(ctx context.Context, limit int) ([]*Certificate, error)

	// DueIssuedCertificates returns up to limit ISSUED certificates of any
	// account whose NotAfter is before now plus the longer of within and the
	// longest DaysBeforeExpiry of any account configuration. The worker's
	// sweep then reads only certificates that may be due for renewal, an
	// expiry event or expiry. Pages start after the position
	// after ("" for the first) and follow NotAfter order; next is the
	// position after the page, "" when no more follow. A certificate whose
	// NotAfter changes between pages may be returned twice or not at all.
	DueIssuedCertificates(ctx context.Context, now time.Time, within time.Duration, after string, limit int) (certs []*Certificate, next string, err error)

	// ListTags returns the certificate's tags in the order they were first added.
	ListTags(ctx context.Context, account, region, arn string) ([]Tag, error)

	// AddTags adds or overwrites tags by key. When the result would hold more
	// than maxTags tags it changes nothing and returns ErrTooManyTags.
	AddTags(ctx context.Context, account, region, arn string, tags []Tag, maxTags int) error

	// RemoveTags removes each tag whose key matches and, when the given tag
	// has a Value, whose value equals it too.
	RemoveTags(ctx context.Context, account, region, arn string, tags []Tag) error

	// SearchCertificates returns one page of the certificates that match
	// query.Filter in query's order, and the cursor of the next page ("" at
	// the end). It finds them through indexes, not by reading every
	// certificate of the account. A malformed query.After returns ErrBadCursor.
	// Like ListCertificates, it returns certificates without PrivateKeyPEM.
	SearchCertificates(ctx context.Context, query SearchQuery) (certs []*Certificate, next string, err error)

	// GetAccountConfiguration returns the account's configuration in the
	// region, or ErrNotFound when it was never set.
	GetAccountConfiguration(ctx context.Context, account, region string) (*AccountConfiguration, error)

	// PutAccountConfiguration stores config unless idem.Token was used for
	// the same account and region since idem.NotBefore; it reports whether
	// it stored config.
	PutAccountConfiguration(ctx context.Context, config *AccountConfiguration, idem Idempotency) (stored bool, err error)

	// ClaimPendingCertificates leases to holder, until the time until, up to
	// limit certificates in status PENDING_VALIDATION whose lease
	// (CertificateLease) is missing or expired at now, and returns them
	// oldest first. A certificate whose lease runs is skipped even when
	// holder holds it, because the worker keeps a lease until the
	// certificate is due again. Nodes that claim at once get disjoint sets.
	ClaimPendingCertificates(ctx context.Context, holder string, now, until time.Time, limit int) ([]*Certificate, error)

	// AcquireLease takes or renews the lease called name for holder until
	// the time until, unless another holder's lease is still running at now,
	// and reports whether holder holds it afterwards.
	AcquireLease(ctx context.Context, name, holder string, now, until time.Time) (bool, error)

	// KeepLease moves the end of holder's lease called name to until, and
	// reports whether holder held it. A lease that is gone, such as one an
	// approval ended, or that another holder took is left as it is, so an
	// outside event that ended a lease is never undone.
	KeepLease(ctx context.Context, name, holder string, until time.Time) (bool, error)

	// ReleaseLease ends holder's lease called name; another holder's lease
	// on it is left alone.
	ReleaseLease(ctx context.Context, name, holder string) error

	// ReleaseLeases ends every lease of holder and returns how many it
	// ended, for a node that stops.
	ReleaseLeases(ctx context.Context, holder string) (int, error)

	// GetSetting returns the value stored under name, or ErrNotFound.
	GetSetting(ctx context.Context, name string) ([]byte, error)

	// PCAStore holds the private CA records.
	PCAStore

	// InitSetting stores value under name unless a value is already stored,
	// and returns the stored value, so concurrent first starts agree on one.
	InitSetting(ctx context.Context, name string, value []byte) ([]byte, error)

	// SwapSetting stores value under name when the stored value equals old,
	// or when nothing is stored and old is nil, and reports whether it
	// stored it; of concurrent swaps from one old value, one succeeds.
	SwapSetting(ctx context.Context, name string, old, value []byte) (bool, error)

	// DeleteSetting removes the setting stored under name, if any.
	DeleteSetting(ctx context.Context, name string) error

	// GetSecret returns the secret stored under name, or ErrNotFound.
	// Secrets are kept sealed with the master key and returned opened.
	GetSecret(ctx context.Context, name string) ([]byte, error)

	// InitSecret stores value under name unless a secret is already stored,
	// and returns the stored secret, as InitSetting does for settings.
	InitSecret(ctx context.Context, name string, value []byte) ([]byte, error)

	// CountAccountCertificates returns how many certificates an account has in a region.
	CountAccountCertificates(ctx context.Context, account, region string) (int, error)

	// CountCertificates returns how many certificates of every account and
	// region exist for each status and type; pairs with none are left out.
	CountCertificates(ctx context.Context) ([]CertificateCount, error)

	// Reset deletes every certificate, tag and idempotency token of every
	// account in one transaction. Settings, such as OpenACM's own CA, stay.
	Reset(ctx context.Context) error

	// Ping checks that the database responds.
	Ping(ctx context.Context) error

	// Close releases the database.
	Close() error
}
