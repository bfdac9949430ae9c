package store

// CertificateWork is the one write that ends a step of background work on
// a certificate, such as its issuance by a private CA. FinishCertificateWork
// applies all of it in one transaction, so a crash leaves either every
// part stored or none.
type CertificateWork struct {
	// Certificate is written as UpdateCertificate writes it, with the
	// same version check.
	Certificate *Certificate
	// Issued is the record of the certificate a private CA signed for
	// Certificate, inserted into that CA's issued certificates; nil inserts none.
	Issued *IssuedCertificate
	// LeaseHolder, when set, ends that holder's worker lease on
	// Certificate (CertificateLease), as ReleaseLease does.
	LeaseHolder string
}
