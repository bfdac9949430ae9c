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
		out, err := method(ctx, caller, in)
		if out, ok := any(out).(*acm.RequestCertificateOutput); ok && err == nil {
			event.arn = out.CertificateArn
		}
		return out, err
	}
}

// inputArn returns the CertificateArn member of an input, if it has one.
func inputArn(in any) string {
	switch v := in.(type) {
	case *acm.CertificateArnInput:
		return v.CertificateArn
	case *acm.TagsInput:
		return v.CertificateArn
	case *acm.ImportCertificateInput:
		return v.CertificateArn
	case *acm.UpdateCertificateOptionsInput:
		return v.CertificateArn
	case *acm.ListCertificateDomainValidationsInput:
		return v.CertificateArn
	case *acm.ResourceTagsInput:
		return v.ResourceArn
	case *acm.ResendValidationEmailInput:
		return v.CertificateArn
	case *acm.CertificateUseInput:
		return v.CertificateArn
	case *acm.ExportCertificateInput:
		return v.CertificateArn
	case *acm.RevokeCertificateInput:
		return v.CertificateArn
	}
	return ""
}

// acmOperations is the ACM operation table: X-Amz-Target operation name to
// handler. Operations missing here return UnknownOperationException.
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

		"ImportCertificate":                handle(s.ImportCertificate),
		"UpdateCertificateOptions":         handle(s.UpdateCertificateOptions),
		"GetAccountConfiguration":          handle(s.GetAccountConfiguration),
		"PutAccountConfiguration":          handle(s.PutAccountConfiguration),
		"SearchCertificates":               handle(s.SearchCertificates),
		"ListCertificateDomainValidations": handle(s.ListCertificateDomainValidations),
		"TagResource":                      handle(s.TagResource),
		"UntagResource":                    handle(s.UntagResource),
		"ListTagsForResource":              handle(s.ListTagsForResource),
		"ResendValidationEmail":            handle(s.ResendValidationEmail),
		"ExportCertificate":                handle(s.ExportCertificate),
		"RenewCertificate":                 handle(s.RenewCertificate),
		"RevokeCertificate":                handle(s.RevokeCertificate),
	}
}

// adminOperations is the table of OpenACM's own operations under the
// OpenACMAdmin. target prefix. They are signed like ACM calls and act on
// the signing account's certificates.
func adminOperations(s *acm.Service) map[string]operation {
	return map[string]operation{
		"AddCertificateUse":    handle(s.AddCertificateUse),
		"RemoveCertificateUse": handle(s.RemoveCertificateUse),
	}
}

// unbuiltACMOperations are the ACM operations, other than the ACME-endpoint
// family, that deliberately return UnknownOperationException because they
// are not built yet. It is empty now that every such operation is built.
var unbuiltACMOperations = []string{}
