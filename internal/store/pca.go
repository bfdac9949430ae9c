package store

import (
	"context"
	"errors"
	"time"
)

// ErrAlreadyExists means a record with the same key is already stored.
var ErrAlreadyExists = errors.New("record already exists")

// CertificateAuthority is one private CA of the acm-pca API as stored.
//
// Enum fields use the acm-pca spelling (Status "PENDING_CERTIFICATE", Type
// "ROOT", KeyAlgorithm "EC_prime256v1"). A zero time means "not set".
type CertificateAuthority struct {
	ARN     string
	Account string
	Region  string

	Type                       string
	Status                     string
	FailureReason              string
	KeyAlgorithm               string
	SigningAlgorithm           string
	UsageMode                  string
	KeyStorageSecurityStandard string

	// Configuration and RevocationConfiguration are the API structures of
	// the same names as JSON, which the pca service encodes and decodes.
	Configuration           []byte
	RevocationConfiguration []byte

	CSRPEM              string
	CertificatePEM      string
	CertificateChainPEM string
	Serial              string
	NotBefore           time.Time
	NotAfter            time.Time

	// PrivateKeyPEM is the CA's signing key as PKCS#8 PEM. It never leaves
	// the server: no API response and no log carries it.
	PrivateKeyPEM []byte

	// Policy is the resource policy JSON set by PutPolicy, or "".
	Policy string
	// CRLNumber is the number of the last CRL signed for this CA.
	CRLNumber int64

	CreatedAt         time.Time
	LastStateChangeAt time.Time
	RestorableUntil   time.Time

	// Version counts updates, as Certificate.Version does.
	Version   int64
	UpdatedAt time.Time
}

// IssuedCertificate is a certificate that a private CA signed.
type IssuedCertificate struct {
	ARN   string
	CAARN string
	// Serial is the serial number in lower-case hex without separators.
	Serial         string
	CertificatePEM string
	IssuedAt       time.Time
	NotAfter       time.Time

	// ACMCertificateARN is the ACM certificate this was issued for, or "".
	ACMCertificateARN string

	RevokedAt        time.Time
	RevocationReason string
}

// Permission lets an AWS service principal act on a CA.
type Permission struct {
	CAARN         string
	Principal     string
	SourceAccount string
	Actions       []string
	CreatedAt     time.Time
}

// AuditReport is one audit report of a CA, kept with its body.
type AuditReport struct {
	ID         string
	CAARN      string
	BucketName string
	Key        string
	Format     string
	Status     string
	CreatedAt  time.Time
	Body       []byte
}

// CAListQuery selects one page of the CAs of an account and region.
type CAListQuery struct {
	Account string
	Region  string
	Limit   int
	// After is the opaque cursor returned with the previous page, or "".
	After string
}

// PCAStore keeps the records of the acm-pca API. Its methods follow the
// contract of Store: safe for concurrent use, durable on return,
// ErrNotFound for a record that is not there.
type PCAStore interface {
	// CreateCertificateAuthority inserts ca and its tags in one
	// transaction, with the idempotency rule of CreateCertificate.
	CreateCertificateAuthority(ctx context.Context, ca *CertificateAuthority, tags []Tag, idem *Idempotency) (arn string, created bool, err error)

	// GetCertificateAuthority returns the CA, or ErrNotFound.
	GetCertificateAuthority(ctx context.Context, account, region, arn string) (*CertificateAuthority, error)

	// UpdateCertificateAuthority writes ca when the stored Version equals
	// ca.Version and then sets ca.Version to the new value; otherwise it
	// returns ErrConflict or ErrNotFound.
	UpdateCertificateAuthority(ctx context.Context, ca *CertificateAuthority) error

	// DeleteCertificateAuthority removes the CA and every record that
	// belongs to it, or returns ErrNotFound.
	DeleteCertificateAuthority(ctx context.Context, account, region, arn string) error

	// ListCertificateAuthorities returns one page of CAs ordered by
	// creation time (then ARN) and the cursor of the next page ("" at the end).
	ListCertificateAuthorities(ctx context.Context, query CAListQuery) ([]*CertificateAuthority, string, error)

	// CertificateAuthoritiesByStatus returns up to limit CAs of any account
	// in the given status, oldest first, for background work.
	CertificateAuthoritiesByStatus(ctx context.Context, status string, limit int) ([]*CertificateAuthority, error)

	// ListCATags, AddCATags and RemoveCATags manage CA tags with the rules
	// of ListTags, AddTags and RemoveTags.
	ListCATags(ctx context.Context, account, region, arn string) ([]Tag, error)
	AddCATags(ctx context.Context, account, region, arn string, tags []Tag, maxTags int) error
	RemoveCATags(ctx context.Context, account, region, arn string, tags []Tag) error

	// CreateIssuedCertificate inserts cert; with a non-nil idem whose token
	// names a certificate issued by the same CA since idem.NotBefore it
	// inserts nothing and returns that certificate's ARN with created false.
	CreateIssuedCertificate(ctx context.Context, cert *IssuedCertificate, idem *Idempotency) (arn string, created bool, err error)

	// GetIssuedCertificate returns the certificate of a CA by ARN, or ErrNotFound.
	GetIssuedCertificate(ctx context.Context, caARN, arn string) (*IssuedCertificate, error)

	// GetIssuedCertificateBySerial returns the certificate of a CA by its
	// hex serial, or ErrNotFound.
	GetIssuedCertificateBySerial(ctx context.Context, caARN, serial string) (*IssuedCertificate, error)

	// RevokeIssuedCertificate records the revocation of the certificate
	// with the serial. It returns ErrNotFound when the CA issued no such
	// serial and ErrAlreadyExists when it is revoked already.
	RevokeIssuedCertificate(ctx context.Context, caARN, serial string, revokedAt time.Time, reason string) error

	// RevokedIssuedCertificates returns the revoked certificates of a CA.
	RevokedIssuedCertificates(ctx context.Context, caARN string) ([]*IssuedCertificate, error)

	// ListIssuedCertificates returns every certificate of a CA, oldest first.
	ListIssuedCertificates(ctx context.Context, caARN string) ([]*IssuedCertificate, error)

	// CreatePermission stores p, or returns ErrAlreadyExists when the CA
	// already has a permission for the principal and source account.
	CreatePermission(ctx context.Context, p *Permission) error
	// DeletePermission removes a permission, or returns ErrNotFound.
	DeletePermission(ctx context.Context, caARN, principal, sourceAccount string) error
	// ListPermissions returns the permissions of a CA, oldest first.
	ListPermissions(ctx context.Context, caARN string) ([]*Permission, error)

	// CreateAuditReport stores a report.
	CreateAuditReport(ctx context.Context, report *AuditReport) error
	// GetAuditReport returns a report of a CA, or ErrNotFound.
	GetAuditReport(ctx context.Context, caARN, id string) (*AuditReport, error)

	// RevokedCertificates returns the ACM certificates of type certType in
	// status REVOKED, of any account, for the CRL of their issuer.
	RevokedCertificates(ctx context.Context, certType string) ([]*Certificate, error)

	// CertificateBySerial returns the ACM certificate of type certType
	// whose serial (as ACM formats it) is serial, or ErrNotFound.
	CertificateBySerial(ctx context.Context, certType, serial string) (*Certificate, error)
}
