// Package store defines what OpenACM keeps: certificate records, their tags,
// idempotency tokens and a few server-wide settings, and the Store interface
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

	// RenewalStatus, RenewalStatusReason and RenewalUpdatedAt are the
	// RenewalSummary; RenewalStatus is "" while no renewal happened.
	RenewalStatus       string
	RenewalStatusReason string
	RenewalUpdatedAt    time.Time

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

// Idempotency asks CreateCertificate to reuse the certificate created with
// the same token in the same account and region since NotBefore.
type Idempotency struct {
	Token     string
	NotBefore time.Time
}

// SortOrder is the order of ListCertificates results by creation time.
type SortOrder string

const (
	Ascending  SortOrder = "ASCENDING"
	Descending SortOrder = "DESCENDING"
)

// ListQuery selects certificates of one account and region. Empty filter
// lists mean "no filter on this field"; a certificate passes a list filter
// when its value is one of the list's values (for key usages: when it has
// at least one of them).
type ListQuery struct {
	Account string
	Region  string

	Statuses          []string
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

	// UpdateCertificate writes cert when the stored Version equals
	// cert.Version, and then sets cert.Version to the new value. Otherwise
	// it returns ErrConflict (or ErrNotFound when the record is gone).
	UpdateCertificate(ctx context.Context, cert *Certificate) error

	// DeleteCertificate removes the certificate and its tags, or returns ErrNotFound.
	DeleteCertificate(ctx context.Context, account, region, arn string) error

	// ListCertificates returns one page of matching certificates ordered by
	// creation time (then ARN), and the cursor of the next page ("" at the end).
	ListCertificates(ctx context.Context, query ListQuery) (certs []*Certificate, next string, err error)

	// PendingCertificates returns up to limit certificates of any account in
	// status PENDING_VALIDATION, or ISSUED with RenewalStatus
	// PENDING_AUTO_RENEWAL, oldest first, for the background worker.
	PendingCertificates(ctx context.Context, limit int) ([]*Certificate, error)

	// ListTags returns the certificate's tags in the order they were first added.
	ListTags(ctx context.Context, account, region, arn string) ([]Tag, error)

	// AddTags adds or overwrites tags by key. When the result would hold more
	// than maxTags tags it changes nothing and returns ErrTooManyTags.
	AddTags(ctx context.Context, account, region, arn string, tags []Tag, maxTags int) error

	// RemoveTags removes each tag whose key matches and, when the given tag
	// has a Value, whose value equals it too.
	RemoveTags(ctx context.Context, account, region, arn string, tags []Tag) error

	// GetSetting returns the value stored under name, or ErrNotFound.
	GetSetting(ctx context.Context, name string) ([]byte, error)

	// PCAStore holds the private CA records.
	PCAStore

	// InitSetting stores value under name unless a value is already stored,
	// and returns the stored value, so concurrent first starts agree on one.
	InitSetting(ctx context.Context, name string, value []byte) ([]byte, error)

	// Ping checks that the database answers.
	Ping(ctx context.Context) error

	// Close releases the database.
	Close() error
}
