package pca

import (
	"context"
	"errors"
	"fmt"

	"github.com/openacm/openacm/internal/apierr"
	"github.com/openacm/openacm/internal/store"
)

// TagCertificateAuthority adds or overwrites tags of a CA.
func (s *Service) TagCertificateAuthority(ctx context.Context, caller Caller, in *TagsInput) (*Empty, error) {
	ca, err := s.ownCA(ctx, caller, in.CertificateAuthorityArn, "TagCertificateAuthority")
	if err != nil {
		return nil, err
	}
	if err := checkTagKeys(in.Tags); err != nil {
		return nil, err
	}
	err = s.store.AddCATags(ctx, ca.Account, ca.Region, ca.ARN, toStoreTags(in.Tags), maxTagsPerCA)
	if errors.Is(err, store.ErrTooManyTags) {
		return nil, apierr.New(apierr.TooManyTags,
			"The certificate authority %s would have more than %d tags.", ca.ARN, maxTagsPerCA)
	}
	if err != nil {
		return nil, fmt.Errorf("tag certificate authority: %w", err)
	}
	return &Empty{}, nil
}

// UntagCertificateAuthority removes tags of a CA.
func (s *Service) UntagCertificateAuthority(ctx context.Context, caller Caller, in *TagsInput) (*Empty, error) {
	ca, err := s.ownCA(ctx, caller, in.CertificateAuthorityArn, "UntagCertificateAuthority")
	if err != nil {
		return nil, err
	}
	if err := checkTagKeys(in.Tags); err != nil {
		return nil, err
	}
	if err := s.store.RemoveCATags(ctx, ca.Account, ca.Region, ca.ARN, toStoreTags(in.Tags)); err != nil {
		return nil, fmt.Errorf("untag certificate authority: %w", err)
	}
	return &Empty{}, nil
}

// ListTags returns one page of a CA's tags.
func (s *Service) ListTags(ctx context.Context, caller Caller, in *ListTagsInput) (*ListTagsOutput, error) {
	ca, err := s.authority(ctx, caller, in.CertificateAuthorityArn, "ListTags")
	if err != nil {
		return nil, err
	}
	tags, err := s.store.ListCATags(ctx, ca.Account, ca.Region, ca.ARN)
	if err != nil {
		return nil, fmt.Errorf("list tags: %w", err)
	}
	out := make([]Tag, 0, len(tags))
	for _, tag := range tags {
		out = append(out, Tag{Key: tag.Key, Value: tag.Value})
	}
	page, next, err := paginate(out, in.NextToken, pageSize(in.MaxResults))
	if err != nil {
		return nil, err
	}
	return &ListTagsOutput{Tags: page, NextToken: next}, nil
}
