package api

import (
	"errors"
	"html/template"
	"net/http"

	"github.com/openacm/openacm/internal/acm"
)

// ApprovalPath is the e-mail approval page. It needs no signature: the
// single-use token in the link is the credential.
const ApprovalPath = "/validation/email/approve"

// maxApprovalFormBytes bounds the approval form; it carries three short fields.
const maxApprovalFormBytes = 8 << 10

// approvalPage renders every state of the approval page. It is plain HTML
// with a form, so it works without JavaScript.
var approvalPage = template.Must(template.New("approval").Parse(`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.Title}} - OpenACM</title>
<style>body{font-family:sans-serif;max-width:42em;margin:2em auto;padding:0 1em}th{text-align:left;padding-right:1em}td{word-break:break-all}button{font-size:1.1em;padding:.4em 1.2em}</style>
</head>
<body>
<h1 id="title">{{.Title}}</h1>
{{if .Message}}<p id="message">{{.Message}}</p>{{end}}
{{with .Approval}}
<table>
<tr><th>Domain</th><td id="domain">{{.DomainName}}</td></tr>
<tr><th>Validation domain</th><td>{{.ValidationDomain}}</td></tr>
<tr><th>AWS account</th><td>{{.Account}}</td></tr>
<tr><th>Region</th><td>{{.Region}}</td></tr>
<tr><th>Certificate</th><td id="certificate">{{.CertificateArn}}</td></tr>
<tr><th>Purpose</th><td>{{if .Renewal}}renewal of an issued certificate{{else}}new certificate request{{end}}</td></tr>
<tr><th>Link valid until</th><td>{{.ExpiresAt.UTC.Format "2006-01-02 15:04 UTC"}}</td></tr>
</table>
{{end}}
{{if .Form}}
<form method="post" action="{{.Action}}">
<input type="hidden" name="certificate" value="{{.Form.Certificate}}">
<input type="hidden" name="domain" value="{{.Form.Domain}}">
<input type="hidden" name="token" value="{{.Form.Token}}">
<p>Approve only if you control this domain and expected this request.</p>
<button type="submit" id="approve">I approve</button>
</form>
{{end}}
</body>
</html>
`))

type approvalForm struct {
	Certificate string
	Domain      string
	Token       string
}

type approvalView struct {
	Title    string
	Message  string
	Approval *acm.Approval
	Form     *approvalForm
	Action   string
}

// serveApprovalPage shows what a link approves and the approve button.
func (s *Server) serveApprovalPage(w http.ResponseWriter, r *http.Request) {
	form := approvalForm{
		Certificate: r.URL.Query().Get("certificate"),
		Domain:      r.URL.Query().Get("domain"),
		Token:       r.URL.Query().Get("token"),
	}
	approval, err := s.service.LookupApproval(r.Context(), form.Certificate, form.Domain, form.Token)
	if err != nil {
		s.writeApprovalError(w, err)
		return
	}
	s.writeApprovalPage(w, http.StatusOK, approvalView{
		Title:    "Approve certificate for " + approval.DomainName,
		Approval: approval,
		Form:     &form,
		Action:   ApprovalPath,
	})
}

// approveFromForm approves the name of a submitted approval form.
func (s *Server) approveFromForm(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, maxApprovalFormBytes)
	if err := r.ParseForm(); err != nil {
		s.writeApprovalPage(w, http.StatusBadRequest, approvalView{Title: "Invalid request", Message: "The approval form could not be read."})
		return
	}
	approval, err := s.service.Approve(r.Context(), r.PostForm.Get("certificate"), r.PostForm.Get("domain"), r.PostForm.Get("token"))
	if err != nil {
		s.writeApprovalError(w, err)
		return
	}
	s.writeApprovalPage(w, http.StatusOK, approvalView{
		Title:    "Approved",
		Message:  "You approved " + approval.DomainName + ". OpenACM issues the certificate once every domain on it is approved.",
		Approval: approval,
	})
}

func (s *Server) writeApprovalError(w http.ResponseWriter, err error) {
	if errors.Is(err, acm.ErrApprovalInvalid) {
		s.writeApprovalPage(w, http.StatusNotFound, approvalView{
			Title:   "Link not valid",
			Message: "This approval link is invalid, was already used, was replaced by a newer message, or has expired.",
		})
		return
	}
	s.logger.Error("approval page failed", "error", err)
	s.writeApprovalPage(w, http.StatusInternalServerError, approvalView{Title: "Server error", Message: "The approval could not be processed; try again later."})
}

func (s *Server) writeApprovalPage(w http.ResponseWriter, status int, view approvalView) {
	header := w.Header()
	header.Set("Content-Type", "text/html; charset=utf-8")
	// The token is in the URL, so the page must not be cached, framed or
	// leak through a Referer header.
	header.Set("Cache-Control", "no-store")
	header.Set("Referrer-Policy", "no-referrer")
	header.Set("X-Frame-Options", "DENY")
	header.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'")
	w.WriteHeader(status)
	if err := approvalPage.Execute(w, view); err != nil {
		s.logger.Warn("write approval page failed", "error", err)
	}
}
