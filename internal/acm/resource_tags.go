package acm

import (
	"context"
	"strings"

	"github.com/openacm/openacm/internal/apierr"
)

// TagResource, UntagResource and ListTagsForResource tag the ACM resources
// other than certificates: ACME endpoints and their bindings, which
// OpenACM does not have. A certificate ARN is rejected, because ACM sends
// certificates to the *Certificate tag operations, and any other ARN
// names a resource that cannot exist here.
//
// NOTE: both messages are guesses at ACM's text.

// TagResource tags a non-certificate ACM resource.
func (s *Service) TagResource(ctx context.Context, caller Caller, in *ResourceTagsInput) (*Empty, error) {
	if err := checkTagKeys(in.Tags); err != nil {
		return nil, err
	}
	return nil, resourceNotTaggable(in.ResourceArn)
}

// UntagResource removes tags from a non-certificate ACM resource.
func (s *Service) UntagResource(ctx context.Context, caller Caller, in *ResourceTagsInput) (*Empty, error) {
	return nil, resourceNotTaggable(in.ResourceArn)
}

// ListTagsForResource lists the tags of a non-certificate ACM resource.
func (s *Service) ListTagsForResource(ctx context.Context, caller Caller, in *ResourceTagsInput) (*ListTagsForResourceOutput, error) {
	return nil, resourceNotTaggable(in.ResourceArn)
}

func resourceNotTaggable(resourceArn string) error {
	if strings.Contains(resourceArn, ":certificate/") {
		return apierr.New(apierr.Validation,
			"Resource %s is a certificate. Use AddTagsToCertificate, RemoveTagsFromCertificate or ListTagsForCertificate for certificates.",
			resourceArn)
	}
	return apierr.New(apierr.ResourceNotFound, "Could not find resource %s.", resourceArn)
}
