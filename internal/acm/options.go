package acm

import (
	"context"
	"errors"
	"fmt"

	"github.com/openacm/openacm/internal/apierr"
	"github.com/openacm/openacm/internal/store"
)

// UpdateCertificateOptions switches a certificate's CT logging preference.
// The export option is fixed when the certificate is created.
func (s *Service) UpdateCertificateOptions(ctx context.Context, caller Caller, in *UpdateCertificateOptionsInput) (*Empty, error) {
	cert, err := s.loadCertificate(ctx, caller, in.CertificateArn)
	if err != nil {
		return nil, err
	}

	// NOTE: the messages of these rejections are guesses at ACM's text.
	if in.Options.Export != "" && in.Options.Export != cert.ExportOption {
		return nil, apierr.New(apierr.Validation,
			"The Export option of certificate %s cannot be changed after the certificate is created.", cert.ARN)
	}
	if cert.Type == TypeImported && in.Options.CertificateTransparencyLoggingPreference != "" {
		return nil, apierr.New(apierr.InvalidState,
			"Certificate %s is imported, so its certificate transparency logging preference cannot be changed.", cert.ARN)
	}
	if cert.Status != StatusIssued && cert.Status != StatusPendingValidation {
		return nil, apierr.New(apierr.InvalidState,
			"Certificate %s is in status %s; its options can be changed only while it is pending validation or issued.",
			cert.ARN, cert.Status)
	}

	if in.Options.CertificateTransparencyLoggingPreference == "" ||
		in.Options.CertificateTransparencyLoggingPreference == cert.CTLoggingPreference {
		return &Empty{}, nil
	}
	cert.CTLoggingPreference = in.Options.CertificateTransparencyLoggingPreference
	cert.UpdatedAt = s.clock.Now()

	err = s.store.UpdateCertificate(ctx, cert)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return nil, notFound(in.CertificateArn)
	case errors.Is(err, store.ErrConflict):
		return nil, apierr.New(apierr.Conflict, "Certificate %s changed during the update. Try again.", cert.ARN)
	case err != nil:
		return nil, fmt.Errorf("update options of %s: %w", cert.ARN, err)
	}
	s.logger.Info("certificate options updated", "arn", cert.ARN, "account", caller.Account,
		"ct_logging", cert.CTLoggingPreference)
	return &Empty{}, nil
}
