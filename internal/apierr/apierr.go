// Package apierr defines the AWS error that every OpenACM operation returns.
//
// An *Error is a Go error whose Code is the AWS exception name that clients
// read from the "__type" member of a JSON 1.1 error body. The HTTP renderer
// lives elsewhere, so this package contains only codes, messages and statuses.
package apierr

import (
	"errors"
	"fmt"
	"net/http"
)

// Error is an AWS-shaped error: the exception name, its message and the HTTP
// status AWS sends with it.
type Error struct {
	Code    string
	Message string
	Status  int
}

func (e *Error) Error() string {
	return e.Code + ": " + e.Message
}

// Server reports whether the error is a server fault rather than bad input.
func (e *Error) Server() bool {
	return e.Status >= 500
}

// Exception names used by ACM, acm-pca and the AWS JSON 1.1 front end.
const (
	AccessDenied                   = "AccessDeniedException"
	Conflict                       = "ConflictException"
	ExpiredToken                   = "ExpiredTokenException"
	IncompleteSignature            = "IncompleteSignatureException"
	InternalFailure                = "InternalFailure"
	InvalidArgs                    = "InvalidArgsException"
	InvalidArn                     = "InvalidArnException"
	InvalidDomainValidationOptions = "InvalidDomainValidationOptionsException"
	InvalidParameter               = "InvalidParameterException"
	InvalidSignature               = "InvalidSignatureException"
	InvalidState                   = "InvalidStateException"
	InvalidTag                     = "InvalidTagException"
	LimitExceeded                  = "LimitExceededException"
	MissingAuthenticationToken     = "MissingAuthenticationTokenException"
	RequestInProgress              = "RequestInProgressException"
	ResourceInUse                  = "ResourceInUseException"
	ResourceNotFound               = "ResourceNotFoundException"
	Serialization                  = "SerializationException"
	TagPolicy                      = "TagPolicyException"
	Throttling                     = "ThrottlingException"
	TooManyTags                    = "TooManyTagsException"
	UnknownOperation               = "UnknownOperationException"
	UnrecognizedClient             = "UnrecognizedClientException"
	Validation                     = "ValidationException"
)

// statusByCode lists the codes whose HTTP status is not 400.
var statusByCode = map[string]int{
	InternalFailure: http.StatusInternalServerError,
	AccessDenied:    http.StatusBadRequest,
}

// New returns an *Error with the given code and a message formatted like fmt.Sprintf.
func New(code, format string, args ...any) *Error {
	status, ok := statusByCode[code]
	if !ok {
		status = http.StatusBadRequest
	}
	return &Error{Code: code, Message: fmt.Sprintf(format, args...), Status: status}
}

// Internal returns the InternalFailure error that hides a server fault from
// the client. The cause belongs in the server log, never in the reply.
func Internal() *Error {
	return &Error{Code: InternalFailure, Message: "An internal error has occurred.", Status: http.StatusInternalServerError}
}

// As returns the *Error inside err, if there is one.
func As(err error) (*Error, bool) {
	var apiErr *Error
	if errors.As(err, &apiErr) {
		return apiErr, true
	}
	return nil, false
}

// Is reports whether err is an *Error with the given code.
func Is(err error, code string) bool {
	apiErr, ok := As(err)
	return ok && apiErr.Code == code
}
