package acm

import (
	"context"
	"errors"
	"fmt"

	"github.com/openacm/openacm/internal/apierr"
	"github.com/openacm/openacm/internal/store"
)

// AddTagsToCertificate adds tags or overwrites the values of existing keys.
func (s *Service) AddTagsToCertificate(ctx context.Context, caller Caller, in *TagsInput) (*Empty, error) {
	if err := checkTagKeys(in.Tags); err != nil {
		return nil, err
	}

	err := s.store.AddTags(ctx, caller.Account, caller.Region, in.CertificateArn, toStoreTags(in.Tags), maxTagsPerResource)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return nil, notFound(in.CertificateArn)
	case errors.Is(err, store.ErrTooManyTags):
		return nil, apierr.New(apierr.TooManyTags,
			"The request would leave certificate %s with more than %d tags.", in.CertificateArn, maxTagsPerResource)
	case err != nil:
		return nil, fmt.Errorf("add tags to %s: %w", in.CertificateArn, err)
	}
	return &Empty{}, nil
}

// RemoveTagsFromCertificate removes tags: a key alone removes the tag
// whatever its value, a key and value remove only an exact match.
func (s *Service) RemoveTagsFromCertificate(ctx context.Context, caller Caller, in *TagsInput) (*Empty, error) {
	if err := checkTagKeys(in.Tags); err != nil {
		return nil, err
	}

	err := s.store.RemoveTags(ctx, caller.Account, caller.Region, in.CertificateArn, toStoreTags(in.Tags))
	if errors.Is(err, store.ErrNotFound) {
		return nil, notFound(in.CertificateArn)
	}
	if err != nil {
		return nil, fmt.Errorf("remove tags from %s: %w", in.CertificateArn, err)
	}
	return &Empty{}, nil
}

// ListTagsForCertificate returns a certificate's tags.
func (s *Service) ListTagsForCertificate(ctx context.Context, caller Caller, in *CertificateArnInput) (*ListTagsForCertificateOutput, error) {
	tags, err := s.store.ListTags(ctx, caller.Account, caller.Region, in.CertificateArn)
	if errors.Is(err, store.ErrNotFound) {
		return nil, notFound(in.CertificateArn)
	}
	if err != nil {
		return nil, fmt.Errorf("list tags of %s: %w", in.CertificateArn, err)
	}
	return &ListTagsForCertificateOutput{Tags: fromStoreTags(tags)}, nil
}
