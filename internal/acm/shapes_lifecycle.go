package acm

// HttpRedirect is the HTTP validation redirect of one name. The member
// name follows the API's spelling.
type HttpRedirect struct {
	RedirectFrom string `json:"RedirectFrom,omitempty"`
	RedirectTo   string `json:"RedirectTo,omitempty"`
}

// RenewalSummary is the state of a certificate's managed renewal.
type RenewalSummary struct {
	RenewalStatus           string             `json:"RenewalStatus"`
	DomainValidationOptions []DomainValidation `json:"DomainValidationOptions"`
	RenewalStatusReason     string             `json:"RenewalStatusReason,omitempty"`
	UpdatedAt               *Timestamp         `json:"UpdatedAt"`
}

type ResendValidationEmailInput struct {
	CertificateArn   string `json:"CertificateArn"`
	Domain           string `json:"Domain"`
	ValidationDomain string `json:"ValidationDomain"`
}

// CertificateUseInput is the input of the admin operations that add or
// remove a resource from a certificate's InUseBy list.
type CertificateUseInput struct {
	CertificateArn string `json:"CertificateArn"`
	ResourceArn    string `json:"ResourceArn"`
}
