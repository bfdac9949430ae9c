package pca

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/openacm/openacm/internal/apierr"
	"github.com/openacm/openacm/internal/store"
)

// CA states, types and the other enum values the service sets.
const (
	StatusCreating           = "CREATING"
	StatusPendingCertificate = "PENDING_CERTIFICATE"
	StatusActive             = "ACTIVE"
	StatusDisabled           = "DISABLED"
	StatusDeleted            = "DELETED"
	StatusExpired            = "EXPIRED"
	StatusFailed             = "FAILED"

	TypeRoot        = "ROOT"
	TypeSubordinate = "SUBORDINATE"

	defaultKeyStorage = "FIPS_140_2_LEVEL_3_OR_HIGHER"
	defaultUsageMode  = "GENERAL_PURPOSE"

	// createTokenWindow is how long a CreateCertificateAuthority
	// idempotency token is remembered; AWS documents five minutes.
	createTokenWindow = 5 * time.Minute
	// defaultDeletionDays is the restore window when the request sets none.
	defaultDeletionDays = 30
	maxTagsPerCA        = 50
	defaultPageSize     = 100
)

// caArnPattern matches the ARN of a private CA and captures region, account and id.
var caArnPattern = regexp.MustCompile(`^arn:aws[a-z-]*:acm-pca:([a-z0-9-]+):([0-9]{12}):certificate-authority/([0-9a-f-]{36})$`)

// CAARN returns the ARN of a CA.
func CAARN(region, account, id string) string {
	return fmt.Sprintf("arn:aws:acm-pca:%s:%s:certificate-authority/%s", region, account, id)
}

// parseCAArn returns the region and account of a CA ARN, or InvalidArnException.
func parseCAArn(arn string) (region, account string, err error) {
	match := caArnPattern.FindStringSubmatch(arn)
	if match == nil {
		return "", "", invalidArn(arn)
	}
	return match[1], match[2], nil
}

// CreateCertificateAuthority stores a new CA in status CREATING; the
// background loop generates its key and CSR.
func (s *Service) CreateCertificateAuthority(ctx context.Context, caller Caller, in *CreateCertificateAuthorityInput) (*CreateCertificateAuthorityOutput, error) {
	config := in.CertificateAuthorityConfiguration
	if err := checkCAConfiguration(config); err != nil {
		return nil, err
	}
	if err := checkRevocationConfiguration(in.RevocationConfiguration); err != nil {
		return nil, err
	}
	if err := checkTagKeys(in.Tags); err != nil {
		return nil, err
	}

	configJSON, err := json.Marshal(config)
	if err != nil {
		return nil, fmt.Errorf("encode CA configuration: %w", err)
	}
	revocationJSON, err := encodeRevocation(in.RevocationConfiguration)
	if err != nil {
		return nil, err
	}

	now := s.clock.Now()
	ca := &store.CertificateAuthority{
		ARN:                        CAARN(caller.Region, caller.Account, uuid.NewString()),
		Account:                    caller.Account,
		Region:                     caller.Region,
		Type:                       in.CertificateAuthorityType,
		Status:                     StatusCreating,
		KeyAlgorithm:               config.KeyAlgorithm,
		SigningAlgorithm:           config.SigningAlgorithm,
		UsageMode:                  valueOr(in.UsageMode, defaultUsageMode),
		KeyStorageSecurityStandard: valueOr(in.KeyStorageSecurityStandard, defaultKeyStorage),
		Configuration:              configJSON,
		RevocationConfiguration:    revocationJSON,
		CreatedAt:                  now,
		LastStateChangeAt:          now,
		UpdatedAt:                  now,
	}

	var idem *store.Idempotency
	if in.IdempotencyToken != "" {
		idem = &store.Idempotency{Token: in.IdempotencyToken, NotBefore: now.Add(-createTokenWindow)}
	}
	arn, created, err := s.store.CreateCertificateAuthority(ctx, ca, toStoreTags(in.Tags), idem)
	if err != nil {
		return nil, fmt.Errorf("store certificate authority: %w", err)
	}
	if created {
		s.logger.Info("certificate authority created", "arn", arn, "account", caller.Account,
			"type", ca.Type, "key_algorithm", ca.KeyAlgorithm)
		s.Wake()
	}
	return &CreateCertificateAuthorityOutput{CertificateAuthorityArn: arn}, nil
}

func valueOr(value, fallback string) string {
	if value == "" {
		return fallback
	}
	return value
}

// checkCAConfiguration applies the rules the model cannot express.
func checkCAConfiguration(config *CertificateAuthorityConfiguration) error {
	if keyFamily(config.KeyAlgorithm) == "" {
		// TODO: support ML-DSA and SM2 keys, which crypto/x509 cannot sign with.
		return invalidArgs("The key algorithm %s is not supported by this server; use an RSA or EC key algorithm.", config.KeyAlgorithm)
	}
	if signingFamily(config.SigningAlgorithm) != keyFamily(config.KeyAlgorithm) {
		return invalidArgs("The signing algorithm %s is not compatible with the key algorithm %s.",
			config.SigningAlgorithm, config.KeyAlgorithm)
	}
	if subjectIsEmpty(&config.Subject) {
		return invalidArgs("The certificate authority subject must contain at least one attribute.")
	}
	if _, err := distinguishedName(&config.Subject); err != nil {
		return err
	}
	return nil
}

// checkRevocationConfiguration rejects settings OpenACM cannot honour.
func checkRevocationConfiguration(config *RevocationConfiguration) error {
	if config == nil || config.CrlConfiguration == nil {
		return nil
	}
	crl := config.CrlConfiguration
	if !crl.Enabled && (crl.S3BucketName != "" || crl.CustomCname != "" || crl.ExpirationInDays != nil) {
		return invalidArgs("CRL settings other than Enabled are allowed only when Enabled is true.")
	}
	return nil
}

func encodeRevocation(config *RevocationConfiguration) ([]byte, error) {
	if config == nil {
		return nil, nil
	}
	encoded, err := json.Marshal(config)
	if err != nil {
		return nil, fmt.Errorf("encode revocation configuration: %w", err)
	}
	return encoded, nil
}

func checkTagKeys(tags []Tag) error {
	for _, tag := range tags {
		if strings.HasPrefix(strings.ToLower(tag.Key), "aws:") {
			return apierr.New(apierr.InvalidTag,
				"Tag key %s is invalid: keys that start with aws: are reserved for AWS use.", tag.Key)
		}
	}
	return nil
}

func toStoreTags(tags []Tag) []store.Tag {
	out := make([]store.Tag, 0, len(tags))
	for _, tag := range tags {
		out = append(out, store.Tag{Key: tag.Key, Value: tag.Value})
	}
	return out
}

// authority loads the CA named by arn for an action of the caller. A CA of
// another account is returned only when its resource policy allows the
// action for the caller's account.
func (s *Service) authority(ctx context.Context, caller Caller, arn, action string) (*store.CertificateAuthority, error) {
	region, account, err := parseCAArn(arn)
	if err != nil {
		return nil, err
	}
	if region != caller.Region {
		return nil, notFound(arn)
	}

	ca, err := s.store.GetCertificateAuthority(ctx, account, region, arn)
	// Another account's ARN is refused alike whether or not the CA exists,
	// so the reply does not reveal which CAs another account has.
	if errors.Is(err, store.ErrNotFound) && account != caller.Account {
		return nil, foreignAccessDenied(caller, action, arn)
	}
	if errors.Is(err, store.ErrNotFound) {
		return nil, notFound(arn)
	}
	if err != nil {
		return nil, fmt.Errorf("read certificate authority %s: %w", arn, err)
	}

	if account != caller.Account && !policyAllows(ca.Policy, caller.Account, action, arn) {
		return nil, foreignAccessDenied(caller, action, arn)
	}
	s.expireIfDue(ctx, ca)
	return ca, nil
}

func foreignAccessDenied(caller Caller, action, arn string) error {
	return apierr.New(apierr.AccessDenied,
		"User: arn:aws:iam::%s:root is not authorized to perform: acm-pca:%s on resource: %s",
		caller.Account, action, arn)
}

// expireIfDue moves an ACTIVE or DISABLED CA whose certificate has expired
// to EXPIRED, on the record in hand and, best effort, in the store.
func (s *Service) expireIfDue(ctx context.Context, ca *store.CertificateAuthority) {
	if ca.Status != StatusActive && ca.Status != StatusDisabled {
		return
	}
	now := s.clock.Now()
	if ca.NotAfter.IsZero() || now.Before(ca.NotAfter) {
		return
	}
	ca.Status = StatusExpired
	ca.LastStateChangeAt = now
	if err := s.save(ctx, ca); err != nil {
		s.logger.Warn("marking certificate authority expired failed", "arn", ca.ARN, "error", err)
		return
	}
	s.logger.Info("certificate authority expired", "arn", ca.ARN)
}

// save writes the CA, turning a concurrent change into ConcurrentModificationException.
func (s *Service) save(ctx context.Context, ca *store.CertificateAuthority) error {
	ca.UpdatedAt = s.clock.Now()
	err := s.store.UpdateCertificateAuthority(ctx, ca)
	if errors.Is(err, store.ErrConflict) {
		return apierr.New(concurrentModification,
			"A previous update to certificate authority %s is still in progress. Try again later.", ca.ARN)
	}
	if errors.Is(err, store.ErrNotFound) {
		return notFound(ca.ARN)
	}
	if err != nil {
		return fmt.Errorf("save certificate authority %s: %w", ca.ARN, err)
	}
	return nil
}

// DescribeCertificateAuthority returns a CA's details.
func (s *Service) DescribeCertificateAuthority(ctx context.Context, caller Caller, in *CAArnInput) (*DescribeCertificateAuthorityOutput, error) {
	ca, err := s.authority(ctx, caller, in.CertificateAuthorityArn, "DescribeCertificateAuthority")
	if err != nil {
		return nil, err
	}
	described, err := describe(ca)
	if err != nil {
		return nil, err
	}
	return &DescribeCertificateAuthorityOutput{CertificateAuthority: described}, nil
}

func describe(ca *store.CertificateAuthority) (*CertificateAuthority, error) {
	out := &CertificateAuthority{
		Arn:                        ca.ARN,
		OwnerAccount:               ca.Account,
		CreatedAt:                  NewTimestamp(ca.CreatedAt),
		LastStateChangeAt:          NewTimestamp(ca.LastStateChangeAt),
		Type:                       ca.Type,
		Serial:                     ca.Serial,
		Status:                     ca.Status,
		NotBefore:                  NewTimestamp(ca.NotBefore),
		NotAfter:                   NewTimestamp(ca.NotAfter),
		FailureReason:              ca.FailureReason,
		KeyStorageSecurityStandard: ca.KeyStorageSecurityStandard,
		UsageMode:                  ca.UsageMode,
	}
	if ca.Status == StatusDeleted {
		out.RestorableUntil = NewTimestamp(ca.RestorableUntil)
	}

	config, err := decodeConfiguration(ca)
	if err != nil {
		return nil, err
	}
	out.CertificateAuthorityConfiguration = config

	revocation, err := decodeRevocation(ca)
	if err != nil {
		return nil, err
	}
	if revocation == nil {
		revocation = &RevocationConfiguration{
			CrlConfiguration:  &CrlConfiguration{Enabled: false},
			OcspConfiguration: &OcspConfiguration{Enabled: false},
		}
	}
	out.RevocationConfiguration = revocation
	return out, nil
}

func decodeConfiguration(ca *store.CertificateAuthority) (*CertificateAuthorityConfiguration, error) {
	var config CertificateAuthorityConfiguration
	if err := json.Unmarshal(ca.Configuration, &config); err != nil {
		return nil, fmt.Errorf("decode configuration of %s: %w", ca.ARN, err)
	}
	return &config, nil
}

func decodeRevocation(ca *store.CertificateAuthority) (*RevocationConfiguration, error) {
	if len(ca.RevocationConfiguration) == 0 {
		return nil, nil
	}
	var config RevocationConfiguration
	if err := json.Unmarshal(ca.RevocationConfiguration, &config); err != nil {
		return nil, fmt.Errorf("decode revocation configuration of %s: %w", ca.ARN, err)
	}
	return &config, nil
}

// ListCertificateAuthorities returns one page of the caller's CAs.
func (s *Service) ListCertificateAuthorities(ctx context.Context, caller Caller, in *ListCertificateAuthoritiesInput) (*ListCertificateAuthoritiesOutput, error) {
	out := &ListCertificateAuthoritiesOutput{CertificateAuthorities: []CertificateAuthority{}}
	// TODO: list CAs that other accounts share through resource policies.
	if in.ResourceOwner == "OTHER_ACCOUNTS" {
		return out, nil
	}

	cas, next, err := s.store.ListCertificateAuthorities(ctx, store.CAListQuery{
		Account: caller.Account,
		Region:  caller.Region,
		Limit:   pageSize(in.MaxResults),
		After:   in.NextToken,
	})
	if errors.Is(err, store.ErrBadCursor) {
		return nil, apierr.New(invalidNextToken, "The token passed in the NextToken parameter is not valid.")
	}
	if err != nil {
		return nil, fmt.Errorf("list certificate authorities: %w", err)
	}

	for _, ca := range cas {
		s.expireIfDue(ctx, ca)
		described, err := describe(ca)
		if err != nil {
			return nil, err
		}
		out.CertificateAuthorities = append(out.CertificateAuthorities, *described)
	}
	out.NextToken = next
	return out, nil
}

func pageSize(maxResults *int) int {
	if maxResults == nil {
		return defaultPageSize
	}
	return *maxResults
}

// GetCertificateAuthorityCsr returns the CA's CSR once its key exists.
func (s *Service) GetCertificateAuthorityCsr(ctx context.Context, caller Caller, in *CAArnInput) (*GetCertificateAuthorityCsrOutput, error) {
	ca, err := s.authority(ctx, caller, in.CertificateAuthorityArn, "GetCertificateAuthorityCsr")
	if err != nil {
		return nil, err
	}
	switch ca.Status {
	case StatusCreating:
		return nil, apierr.New(apierr.RequestInProgress,
			"The certificate authority %s is still being created. Try again later.", ca.ARN)
	case StatusDeleted, StatusFailed:
		return nil, stateError(ca.ARN, ca.Status, "return a CSR")
	}
	return &GetCertificateAuthorityCsrOutput{Csr: ca.CSRPEM}, nil
}

// UpdateCertificateAuthority changes a CA's status or revocation configuration.
func (s *Service) UpdateCertificateAuthority(ctx context.Context, caller Caller, in *UpdateCertificateAuthorityInput) (*Empty, error) {
	ca, err := s.authority(ctx, caller, in.CertificateAuthorityArn, "UpdateCertificateAuthority")
	if err != nil {
		return nil, err
	}
	if ca.Status == StatusDeleted || ca.Status == StatusCreating || ca.Status == StatusFailed {
		return nil, stateError(ca.ARN, ca.Status, "be updated")
	}

	if in.Status != "" && in.Status != ca.Status {
		if in.Status != StatusActive && in.Status != StatusDisabled {
			return nil, invalidArgs("The status of a certificate authority can only be set to ACTIVE or DISABLED.")
		}
		if ca.Status != StatusActive && ca.Status != StatusDisabled {
			return nil, stateError(ca.ARN, ca.Status, "change to status "+in.Status)
		}
		ca.Status = in.Status
		ca.LastStateChangeAt = s.clock.Now()
	}

	if in.RevocationConfiguration != nil {
		if err := checkRevocationConfiguration(in.RevocationConfiguration); err != nil {
			return nil, err
		}
		encoded, err := encodeRevocation(in.RevocationConfiguration)
		if err != nil {
			return nil, err
		}
		ca.RevocationConfiguration = encoded
	}

	if err := s.save(ctx, ca); err != nil {
		return nil, err
	}
	s.logger.Info("certificate authority updated", "arn", ca.ARN, "status", ca.Status)
	return &Empty{}, nil
}

// DeleteCertificateAuthority moves a CA to DELETED; the background loop
// removes it once its restore window has passed.
func (s *Service) DeleteCertificateAuthority(ctx context.Context, caller Caller, in *DeleteCertificateAuthorityInput) (*Empty, error) {
	ca, err := s.authority(ctx, caller, in.CertificateAuthorityArn, "DeleteCertificateAuthority")
	if err != nil {
		return nil, err
	}
	switch ca.Status {
	case StatusActive:
		return nil, apierr.New(apierr.InvalidState,
			"The certificate authority %s is ACTIVE; disable it before you delete it.", ca.ARN)
	case StatusDeleted:
		return nil, stateError(ca.ARN, ca.Status, "be deleted again")
	}

	days := defaultDeletionDays
	if in.PermanentDeletionTimeInDays != nil {
		days = *in.PermanentDeletionTimeInDays
	}
	now := s.clock.Now()
	ca.Status = StatusDeleted
	ca.LastStateChangeAt = now
	ca.RestorableUntil = now.Add(time.Duration(days) * 24 * time.Hour)
	if err := s.save(ctx, ca); err != nil {
		return nil, err
	}
	s.logger.Info("certificate authority deleted", "arn", ca.ARN, "restorable_until", ca.RestorableUntil)
	return &Empty{}, nil
}

// RestoreCertificateAuthority brings a DELETED CA back inside its window:
// DISABLED when it had a certificate, PENDING_CERTIFICATE otherwise.
func (s *Service) RestoreCertificateAuthority(ctx context.Context, caller Caller, in *CAArnInput) (*Empty, error) {
	ca, err := s.authority(ctx, caller, in.CertificateAuthorityArn, "RestoreCertificateAuthority")
	if err != nil {
		return nil, err
	}
	now := s.clock.Now()
	if ca.Status != StatusDeleted {
		return nil, stateError(ca.ARN, ca.Status, "be restored, because it is not DELETED")
	}
	if !now.Before(ca.RestorableUntil) {
		return nil, stateError(ca.ARN, ca.Status, "be restored, because its restore period has ended")
	}

	ca.Status = StatusPendingCertificate
	if ca.CertificatePEM != "" {
		ca.Status = StatusDisabled
	}
	ca.RestorableUntil = time.Time{}
	ca.LastStateChangeAt = now
	if err := s.save(ctx, ca); err != nil {
		return nil, err
	}
	s.logger.Info("certificate authority restored", "arn", ca.ARN, "status", ca.Status)
	return &Empty{}, nil
}
