package api

import (
	"encoding/base64"
	"encoding/pem"
	"net/http"
)

// Paths of the issuing CA's public material. Certificates OpenACM issues
// point at IntermediateCertificatePath (AIA) and CRLPath (CRL distribution point).
const (
	RootCertificatePath         = "/ca/root.crt"
	RootCertificatePEMPath      = "/ca/root.pem"
	IntermediateCertificatePath = "/ca/intermediate.crt"
	CRLPath                     = "/crl/intermediate.crl"
	// OwnOCSPPath is the OCSP responder of the intermediate: POST the
	// request, or GET it base64-encoded after the path and a "/".
	OwnOCSPPath = "/ocsp/intermediate"
)

func (s *Server) serveRoot(w http.ResponseWriter, _ *http.Request) {
	writeDER(w, "application/pkix-cert", s.pki.RootDER())
}

func (s *Server) serveRootPEM(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "application/x-pem-file")
	_ = pem.Encode(w, &pem.Block{Type: "CERTIFICATE", Bytes: s.pki.RootDER()})
}

func (s *Server) serveIntermediate(w http.ResponseWriter, _ *http.Request) {
	writeDER(w, "application/pkix-cert", s.pki.IntermediateDER())
}

func (s *Server) serveCRL(w http.ResponseWriter, r *http.Request) {
	crl, err := s.pki.CRL(r.Context())
	if err != nil {
		s.logger.Error("build CRL failed", "error", err)
		http.Error(w, "CRL unavailable", http.StatusInternalServerError)
		return
	}
	writeDER(w, "application/pkix-crl", crl)
}

func (s *Server) serveOwnOCSP(w http.ResponseWriter, r *http.Request) {
	request, ok := readOCSPRequest(w, r)
	if !ok {
		return
	}
	response, err := s.pki.OCSP(r.Context(), request)
	if err != nil {
		s.logger.Error("OCSP response failed", "error", err)
		http.Error(w, "OCSP unavailable", http.StatusInternalServerError)
		return
	}
	writeDER(w, "application/ocsp-response", response)
}

// decodeOCSPPath decodes the base64 request of an OCSP GET.
func decodeOCSPPath(segment string) ([]byte, error) {
	return base64.StdEncoding.DecodeString(segment)
}

func writeDER(w http.ResponseWriter, contentType string, der []byte) {
	w.Header().Set("Content-Type", contentType)
	_, _ = w.Write(der)
}
