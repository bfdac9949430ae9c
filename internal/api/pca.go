package api

import (
	"context"
	"errors"
	"io"
	"net/http"
	"reflect"

	"github.com/openacm/openacm/internal/acm"
	"github.com/openacm/openacm/internal/awsjson"
	"github.com/openacm/openacm/internal/model"
	"github.com/openacm/openacm/internal/pca"
	"github.com/openacm/openacm/internal/store"
)

// WithPCA makes the server serve the acm-pca API, over AWS JSON 1.1 and
// Smithy RPC v2 CBOR, and each CA's CRL, OCSP responder and audit reports.
func (s *Server) WithPCA(service *pca.Service) *Server {
	s.pca = service
	s.pcaOperations = pcaOperations(service)
	s.pcaModel = model.ACMPCA()
	return s
}

// handlePCA adapts a typed acm-pca method to an operation.
func handlePCA[In any, Out any](method func(context.Context, pca.Caller, *In) (*Out, error)) operation {
	return func(ctx context.Context, caller acm.Caller, body []byte, event *requestEvent) (any, error) {
		in := new(In)
		if err := awsjson.Decode(body, in); err != nil {
			return nil, err
		}
		event.arn = pcaInputArn(in)
		return method(ctx, pca.Caller{Account: caller.Account, Region: caller.Region}, in)
	}
}

// pcaInputArn returns the CA or resource ARN of an acm-pca input.
func pcaInputArn(in any) string {
	value := reflect.ValueOf(in).Elem()
	for _, name := range []string{"CertificateAuthorityArn", "ResourceArn"} {
		if field := value.FieldByName(name); field.IsValid() && field.Kind() == reflect.String {
			return field.String()
		}
	}
	return ""
}

// pcaOperations is the acm-pca operation table, shared by both protocols.
// Operations missing here return UnknownOperationException.
func pcaOperations(s *pca.Service) map[string]operation {
	return map[string]operation{
		"CreateCertificateAuthority":              handlePCA(s.CreateCertificateAuthority),
		"DescribeCertificateAuthority":            handlePCA(s.DescribeCertificateAuthority),
		"ListCertificateAuthorities":              handlePCA(s.ListCertificateAuthorities),
		"GetCertificateAuthorityCsr":              handlePCA(s.GetCertificateAuthorityCsr),
		"IssueCertificate":                        handlePCA(s.IssueCertificate),
		"GetCertificate":                          handlePCA(s.GetCertificate),
		"ImportCertificateAuthorityCertificate":   handlePCA(s.ImportCertificateAuthorityCertificate),
		"GetCertificateAuthorityCertificate":      handlePCA(s.GetCertificateAuthorityCertificate),
		"UpdateCertificateAuthority":              handlePCA(s.UpdateCertificateAuthority),
		"DeleteCertificateAuthority":              handlePCA(s.DeleteCertificateAuthority),
		"RestoreCertificateAuthority":             handlePCA(s.RestoreCertificateAuthority),
		"RevokeCertificate":                       handlePCA(s.RevokeCertificate),
		"TagCertificateAuthority":                 handlePCA(s.TagCertificateAuthority),
		"UntagCertificateAuthority":               handlePCA(s.UntagCertificateAuthority),
		"ListTags":                                handlePCA(s.ListTags),
		"CreatePermission":                        handlePCA(s.CreatePermission),
		"DeletePermission":                        handlePCA(s.DeletePermission),
		"ListPermissions":                         handlePCA(s.ListPermissions),
		"PutPolicy":                               handlePCA(s.PutPolicy),
		"GetPolicy":                               handlePCA(s.GetPolicy),
		"DeletePolicy":                            handlePCA(s.DeletePolicy),
		"CreateCertificateAuthorityAuditReport":   handlePCA(s.CreateCertificateAuthorityAuditReport),
		"DescribeCertificateAuthorityAuditReport": handlePCA(s.DescribeCertificateAuthorityAuditReport),
	}
}

// handlePCA registers the acm-pca paths when the server has a pca service.
func (s *Server) handlePCA(mux *http.ServeMux) {
	mux.HandleFunc("POST "+OwnOCSPPath, s.serveOwnOCSP)
	mux.HandleFunc("GET "+OwnOCSPPath+"/{request...}", s.serveOwnOCSP)
	if s.pca == nil {
		return
	}
	mux.HandleFunc("POST "+cborPathPattern, s.serveCBOR)
	mux.HandleFunc("GET "+pca.CRLPathPattern, s.servePCACRL)
	mux.HandleFunc("POST "+pca.OCSPPathPattern, s.servePCAOCSP)
	mux.HandleFunc("GET "+pca.OCSPGetPathPattern, s.servePCAOCSP)
	mux.HandleFunc("GET "+pca.AuditPathPattern, s.serveAuditReport)
}

func (s *Server) servePCACRL(w http.ResponseWriter, r *http.Request) {
	crl, err := s.pca.CRL(r.Context(), r.PathValue("region"), r.PathValue("account"), r.PathValue("file"))
	if errors.Is(err, pca.ErrNoCRL) {
		http.NotFound(w, r)
		return
	}
	if err != nil {
		s.logger.Error("build private CA CRL failed", "path", r.URL.Path, "error", err)
		http.Error(w, "CRL unavailable", http.StatusInternalServerError)
		return
	}
	writeDER(w, "application/pkix-crl", crl)
}

func (s *Server) servePCAOCSP(w http.ResponseWriter, r *http.Request) {
	request, ok := readOCSPRequest(w, r)
	if !ok {
		return
	}
	response, err := s.pca.OCSP(r.Context(), r.PathValue("region"), r.PathValue("account"), r.PathValue("id"), request)
	if errors.Is(err, pca.ErrNoCRL) {
		http.NotFound(w, r)
		return
	}
	if err != nil {
		s.logger.Error("private CA OCSP response failed", "path", r.URL.Path, "error", err)
		http.Error(w, "OCSP unavailable", http.StatusInternalServerError)
		return
	}
	writeDER(w, "application/ocsp-response", response)
}

func (s *Server) serveAuditReport(w http.ResponseWriter, r *http.Request) {
	body, contentType, err := s.pca.AuditReport(r.Context(), r.PathValue("region"), r.PathValue("account"),
		r.PathValue("id"), r.PathValue("file"))
	if errors.Is(err, store.ErrNotFound) {
		http.NotFound(w, r)
		return
	}
	if err != nil {
		s.logger.Error("read audit report failed", "path", r.URL.Path, "error", err)
		http.Error(w, "audit report unavailable", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", contentType)
	_, _ = w.Write(body)
}

// maxOCSPRequestBytes bounds an OCSP request; real ones are a few hundred bytes.
const maxOCSPRequestBytes = 16 << 10

// readOCSPRequest returns the DER request of a POST body, or of the
// base64 path segment of a GET (RFC 6960 appendix A.1).
func readOCSPRequest(w http.ResponseWriter, r *http.Request) ([]byte, bool) {
	if r.Method == http.MethodGet {
		request, err := decodeOCSPPath(r.PathValue("request"))
		if err != nil {
			http.Error(w, "malformed OCSP request", http.StatusBadRequest)
			return nil, false
		}
		return request, true
	}
	request, err := io.ReadAll(io.LimitReader(r.Body, maxOCSPRequestBytes+1))
	if err != nil || len(request) > maxOCSPRequestBytes {
		http.Error(w, "malformed OCSP request", http.StatusBadRequest)
		return nil, false
	}
	return request, true
}
