package api

import (
	"context"

	"github.com/openacm/openacm/internal/acm"
	"github.com/openacm/openacm/internal/awsjson"
)

// operation runs one API operation on a request body that passed the model check.
type operation func(ctx context.Context, caller acm.Caller, body []byte, event *requestEvent) (any, error)

// handle adapts a typed service method to an operation: decode, call.
func handle[In any, Out any](method func(context.Context, acm.Caller, *In) (*Out, error)) operation {
	return func(ctx context.Context, caller acm.Caller, body []byte, event *requestEvent) (any, error) {
		in := new(In)
		if err := awsjson.Decode(body, in); err != nil {
			return nil, err
		}
		event.arn = inputArn(in)
		return method(ctx, caller, in)
	}
}

// inputArn returns the CertificateArn member of an input, if it has one.
func inputArn(in any) string {
	switch v := in.(type) {
	case *acm.CertificateArnInput:
		return v.CertificateArn
	case *acm.TagsInput:
		return v.CertificateArn
	case *acm.ExportCertificateInput:
		return v.CertificateArn
	case *acm.RevokeCertificateInput:
		return v.CertificateArn
	}
	return ""
}

// acmOperations is the ACM operation table: X-Amz-Target operation name to
// handler. Operations missing here answer UnknownOperationException.
func acmOperations(s *acm.Service) map[string]operation {
	return map[string]operation{
		"RequestCertificate":        handle(s.RequestCertificate),
		"DescribeCertificate":       handle(s.DescribeCertificate),
		"GetCertificate":            handle(s.GetCertificate),
		"ListCertificates":          handle(s.ListCertificates),
		"DeleteCertificate":         handle(s.DeleteCertificate),
		"AddTagsToCertificate":      handle(s.AddTagsToCertificate),
		"RemoveTagsFromCertificate": handle(s.RemoveTagsFromCertificate),
		"ListTagsForCertificate":    handle(s.ListTagsForCertificate),
		"ExportCertificate":         handle(s.ExportCertificate),
		"RenewCertificate":          handle(s.RenewCertificate),
		"RevokeCertificate":         handle(s.RevokeCertificate),
	}
}
