package pca

import "github.com/openacm/openacm/internal/apierr"

// Exception names of acm-pca that apierr does not list.
const (
	certificateMismatch     = "CertificateMismatchException"
	concurrentModification  = "ConcurrentModificationException"
	invalidNextToken        = "InvalidNextTokenException"
	invalidPolicy           = "InvalidPolicyException"
	invalidRequest          = "InvalidRequestException"
	lockoutPrevented        = "LockoutPreventedException"
	malformedCertificate    = "MalformedCertificateException"
	malformedCSR            = "MalformedCSRException"
	permissionAlreadyExists = "PermissionAlreadyExistsException"
	requestAlreadyProcessed = "RequestAlreadyProcessedException"
	requestFailed           = "RequestFailedException"
)

// NOTE: the messages below follow the wording AWS uses where it is known
// (the state error of IssueCertificate and GetCertificate, the in-progress
// error of GetCertificate); the others are written in the same style and
// have not been compared with live acm-pca responses.

func notFound(arn string) error {
	return apierr.New(apierr.ResourceNotFound, "Could not find certificate authority %s.", arn)
}

func invalidArn(arn string) error {
	return apierr.New(apierr.InvalidArn, "The ARN %s is not a valid certificate authority ARN.", arn)
}

func wrongState(arn string) error {
	return apierr.New(apierr.InvalidState,
		"The certificate authority %s is not in the correct state to have issued certificates.", arn)
}

func stateError(arn, status, action string) error {
	return apierr.New(apierr.InvalidState,
		"The certificate authority %s is in status %s and cannot %s.", arn, status, action)
}

func invalidArgs(format string, args ...any) error {
	return apierr.New(apierr.InvalidArgs, format, args...)
}
